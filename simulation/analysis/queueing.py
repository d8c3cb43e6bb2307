"""Closed-form queueing results used to validate the engine and by the design review.

M/M/c (Erlang C), M/D/1 (Pollaczek–Khinchine), M/M/c/K (finite queue; Erlang B when K = c).
"""

from __future__ import annotations

import math


def erlang_c(c: int, a: float) -> float:
    """Probability an arrival waits in M/M/c with offered load a = λ/μ (< c)."""
    if a >= c:
        return 1.0
    term = 1.0
    total = 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    top = term * a / c / (1 - a / c)
    return top / (total + top)


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue (s) for M/M/c."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_sojourn_tail(t: float, lam: float, mu: float, c: int) -> float:
    """P(wait + service > t) for M/M/c (FIFO)."""
    pw = erlang_c(c, lam / mu)
    theta = c * mu - lam
    if abs(theta - mu) < 1e-12:
        hypo = (1 + mu * t) * math.exp(-mu * t)
    else:
        hypo = (mu * math.exp(-theta * t) - theta * math.exp(-mu * t)) / (mu - theta)
    return (1 - pw) * math.exp(-mu * t) + pw * hypo


def quantile_from_tail(tail, q: float, hi: float) -> float:
    """Smallest t with tail(t) ≤ 1 − q, by bisection on a decreasing tail function."""
    lo = 0.0
    while tail(hi) > 1 - q:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if tail(mid) > 1 - q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def md1_mean_wait(lam: float, d: float) -> float:
    """Pollaczek–Khinchine mean wait for M/D/1 with service time d."""
    rho = lam * d
    return rho * d / (2 * (1 - rho))


def md1_wait_cdf(t: float, lam: float, d: float) -> float:
    """Exact P(wait ≤ t) for M/D/1 (Erlang's formula).

    The sum alternates with terms far larger than the result, so it is evaluated in 80-digit decimals.
    """
    from decimal import Decimal, getcontext

    getcontext().prec = 80
    rho = Decimal(lam * d)
    total = Decimal(0)
    fact = Decimal(1)
    for k in range(int(t / d) + 1):
        if k:
            fact *= k
        x = Decimal(lam) * (Decimal(k) * Decimal(d) - Decimal(t))  # ≤ 0
        total += (x**k if k else Decimal(1)) / fact * (-x).exp()
    return float((1 - rho) * total)


def mmck_blocking(lam: float, mu: float, c: int, k: int) -> float:
    """Probability an arrival is refused in M/M/c/K (K = servers + queue places)."""
    a = lam / mu
    probs = []
    for n in range(k + 1):
        if n <= c:
            probs.append(a**n / math.factorial(n))
        else:
            probs.append(a**c / math.factorial(c) * (a / c) ** (n - c))
    return probs[-1] / sum(probs)


def mmck_mean_wait(lam: float, mu: float, c: int, k: int) -> float:
    """Mean wait of admitted customers in M/M/c/K."""
    a = lam / mu
    probs = [a**n / math.factorial(n) if n <= c else a**c / math.factorial(c) * (a / c) ** (n - c)
             for n in range(k + 1)]
    z = sum(probs)
    p = [x / z for x in probs]
    lq = sum((n - c) * p[n] for n in range(c + 1, k + 1))
    lam_eff = lam * (1 - p[-1])
    return lq / lam_eff

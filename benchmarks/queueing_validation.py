"""Engine vs queueing theory: M/M/1, M/M/c (c = 1..8, ρ = 0.3–0.9, Erlang C), M/D/1 (Pollaczek–Khinchine)
and M/M/c/K (finite queue). Prints simulated vs theoretical mean wait and P99 sojourn time.

Targets: mean wait within 3 %, P99 sojourn within 5 %. Seeds fixed: reruns print the same table.
Run: .venv/bin/python benchmarks/queueing_validation.py [--quick]
"""

from __future__ import annotations

import sys

from simulation.analysis import queueing as q
from simulation.engine.core import Simulation
from simulation.loader import load_design


def station(c: int, lam: float, service: dict, customers: int, seed: int, queue_limit: int = 0):
    duration = customers / lam
    design = load_design({
        "format": "genai-sim.design", "version": 1, "name": "station",
        "workload": {"arrival": {"process": "poisson", "rate_per_s": lam}, "duration_s": duration,
                     "warmup_s": duration * 0.02, "seed": seed},
        "nodes": [{"id": "c", "kind": "client"},
                  {"id": "s", "kind": "service", "params": {"concurrency": c, "service_time": service,
                                                           "queue_limit": queue_limit}}],
        "edges": [{"source": "c", "target": "s"}],
    })
    return Simulation(design, record_hops=False).run(drain_s=duration)


def mmc_case(c: int, rho: float, customers: int, seed: int = 11, replications: int = 1) -> dict:
    """Simulated vs Erlang C; with replications the figures are averages over independent seeds."""
    mu = 1.0  # 1 s mean service: results in seconds
    lam = rho * c * mu
    waits, p99s = [], []
    for r in range(replications):
        res = station(c, lam, {"dist": "exponential", "mean_ms": 1000.0}, customers, seed + 1000 * r)
        waits.append(res.node_stats["s"]["mean_wait_ms"] / 1000)
        p99s.append(res.metrics()["e2e_ms"]["p99"] / 1000)
    wq = q.mmc_mean_wait(lam, mu, c)
    p99 = q.quantile_from_tail(lambda t: q.mmc_sojourn_tail(t, lam, mu, c), 0.99, 10.0)
    label = f"M/M/{c} ρ={rho:.1f}" + (f" ×{replications}" if replications > 1 else "")
    return {"case": label, "wait_sim": sum(waits) / replications, "wait_th": wq,
            "p99_sim": sum(p99s) / replications, "p99_th": p99}


def md1_case(rho: float, customers: int, seed: int = 13) -> dict:
    d = 1.0
    res = station(1, rho / d, {"dist": "fixed", "value": 1000.0}, customers, seed)
    wq = q.md1_mean_wait(rho / d, d)
    # sojourn = wait + d
    p99w = q.quantile_from_tail(lambda t: 1 - q.md1_wait_cdf(t, rho / d, d), 0.99, 5.0)
    return {"case": f"M/D/1 ρ={rho:.1f}", "wait_sim": res.node_stats["s"]["mean_wait_ms"] / 1000, "wait_th": wq,
            "p99_sim": res.metrics()["e2e_ms"]["p99"] / 1000, "p99_th": p99w + d}


def mmck_case(c: int, places: int, rho: float, customers: int, seed: int = 17) -> dict:
    lam = rho * c
    res = station(c, lam, {"dist": "exponential", "mean_ms": 1000.0}, customers, seed, queue_limit=places)
    k = c + places
    blocked = res.counts["dropped"] / res.counts["arrived"]
    return {"case": f"M/M/{c}/{k} ρ={rho:.1f}", "wait_sim": res.node_stats["s"]["mean_wait_ms"] / 1000,
            "wait_th": q.mmck_mean_wait(lam, 1.0, c, k), "p99_sim": blocked, "p99_th": q.mmck_blocking(lam, 1.0, c, k),
            "p99_label": "blocking"}


def err(a: float, b: float) -> float:
    return abs(a - b) / b if b else abs(a)


def main(quick: bool = False) -> int:
    n = 200_000 if quick else 1_000_000
    # At ρ = 0.9 successive waits are correlated over hundreds of services: one run of a million customers
    # scatters ±3–5 % around the truth (seeds 1–6 gave 0.953–1.037 × Erlang C), so those cases average
    # independent replications. A single shared seed would make every ρ = 0.9 row err the same way.
    reps = 1 if quick else 6
    rows = [mmc_case(1, r, n, replications=reps if r >= 0.9 else 1) for r in (0.3, 0.5, 0.7, 0.8, 0.9)]
    cs = (2, 4, 8) if quick else tuple(range(2, 9))
    rows += [mmc_case(c, r, n, seed=11 + c, replications=reps if r >= 0.9 else 1) for c in cs for r in (0.3, 0.6, 0.9)]
    rows += [md1_case(r, n) for r in (0.5, 0.7, 0.9)]
    rows += [mmck_case(2, 3, r, n) for r in (0.7, 1.2)]
    fails = 0
    print(f"{'case':<22}{'wait sim':>10}{'wait th':>10}{'err':>7}   {'p99 sim':>9}{'p99 th':>9}{'err':>7}")
    for r in rows:
        e1 = err(r["wait_sim"], r["wait_th"])
        e2 = err(r["p99_sim"], r["p99_th"])
        # A near-zero mean wait (ρ = 0.3, many servers) is judged on absolute error in service-time units.
        ok = (e1 <= 0.03 or abs(r["wait_sim"] - r["wait_th"]) < 0.003) and e2 <= 0.05
        fails += not ok
        print(f"{r['case']:<22}{r['wait_sim']:>10.4f}{r['wait_th']:>10.4f}{e1:>7.1%}   {r['p99_sim']:>9.4f}"
              f"{r['p99_th']:>9.4f}{e2:>7.1%}  {'ok' if ok else 'MISS'} {r.get('p99_label', '')}")
    print(f"{len(rows) - fails}/{len(rows)} within targets (mean wait 3 %, P99 sojourn / blocking 5 %)")
    return 1 if fails else 0


if __name__ == "__main__":
    raise SystemExit(main("--quick" in sys.argv))

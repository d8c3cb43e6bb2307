"""The engine against queueing theory (fixed seeds: deterministic, cannot flake)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from queueing_validation import md1_case, mmc_case, mmck_case  # noqa: E402

from simulation.analysis import queueing as q  # noqa: E402


def test_erlang_c_known_value():
    assert q.erlang_c(2, 1.0) == pytest.approx(1 / 3)  # textbook: c = 2, a = 1


def test_md1_wait_cdf_atom_at_zero():
    assert q.md1_wait_cdf(0.0, 0.9, 1.0) == pytest.approx(0.1)  # P(no wait) = 1 − ρ


def test_mm1_special_case_matches_formula():
    lam, mu = 0.8, 1.0
    assert q.mmc_mean_wait(lam, mu, 1) == pytest.approx(lam / (mu * (mu - lam)))
    assert q.mmc_sojourn_tail(1.0, lam, mu, 1) == pytest.approx(2.718281828 ** -(mu - lam))


@pytest.mark.slow
@pytest.mark.parametrize("c,rho", [(1, 0.5), (1, 0.8), (4, 0.6), (8, 0.7)])
def test_mmc_mean_wait_and_p99(c, rho):
    r = mmc_case(c, rho, 150_000)
    assert r["wait_sim"] == pytest.approx(r["wait_th"], rel=0.03)
    assert r["p99_sim"] == pytest.approx(r["p99_th"], rel=0.05)


@pytest.mark.slow
def test_md1_pollaczek_khinchine():
    r = md1_case(0.7, 150_000)
    assert r["wait_sim"] == pytest.approx(r["wait_th"], rel=0.03)
    assert r["p99_sim"] == pytest.approx(r["p99_th"], rel=0.05)


@pytest.mark.slow
def test_finite_queue_blocking():
    r = mmck_case(2, 3, 1.2, 100_000)
    assert r["p99_sim"] == pytest.approx(r["p99_th"], rel=0.05)  # blocking probability
    assert r["wait_sim"] == pytest.approx(r["wait_th"], rel=0.03)

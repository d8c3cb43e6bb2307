"""Distributions and arrival processes reproduce what the design file says."""

import numpy as np
import pytest

from simulation.distributions import parse_dist
from simulation.errors import DesignError
from simulation.workload import diurnal_shape, open_arrivals


@pytest.mark.parametrize("spec, mean", [
    ({"dist": "fixed", "value": 7}, 7), ({"dist": "exponential", "mean_ms": 20}, 20),
    ({"dist": "uniform", "low": 2, "high": 4}, 3), ({"dist": "gamma", "mean": 10, "cv": 0.5}, 10),
    ({"dist": "lognormal", "mean": 100, "std": 50}, 100), ({"dist": "empirical", "values": [1, 2, 3, 6]}, 3),
])
def test_sample_means_match(spec, mean):
    d = parse_dist(spec, "x")
    rng = np.random.default_rng(0)
    assert d.mean() == pytest.approx(mean)
    assert d.draw(rng, 200_000).mean() == pytest.approx(mean, rel=0.02)


def test_lognormal_from_p50_p99():
    d = parse_dist({"dist": "lognormal", "p50": 60, "p99": 400}, "x")
    s = d.draw(np.random.default_rng(1), 400_000)
    assert np.percentile(s, 50) == pytest.approx(60, rel=0.02)
    assert np.percentile(s, 99) == pytest.approx(400, rel=0.03)


def test_truncated_normal_never_negative_and_mean_is_exact():
    d = parse_dist({"dist": "normal", "mean": 1, "std": 2}, "x")
    s = d.draw(np.random.default_rng(2), 400_000)
    assert s.min() >= 0
    assert s.mean() == pytest.approx(d.mean(), rel=0.01)


@pytest.mark.parametrize("spec, msg", [
    ({"dist": "weibull"}, "unknown distribution"), ({"dist": "uniform", "low": 5, "high": 1}, r"high \(1.0\) must be"),
    ({"dist": "exponential"}, "needs 'mean'"), ({"dist": "fixed", "value": "3"}, "must be a number"),
    ({"dist": "gamma", "mean": 1, "cv": 1, "shape": 2}, "unknown field"),
])
def test_bad_distributions_are_named(spec, msg):
    with pytest.raises(DesignError, match=msg):
        parse_dist(spec, "nodes[1].params.latency")


def _count(workload, horizon):
    return sum(1 for _ in open_arrivals(workload, np.random.default_rng(3), horizon))


def test_poisson_and_gamma_rates():
    assert _count({"arrival": {"process": "poisson", "rate_per_s": 50}}, 2000) / 2000 == pytest.approx(50, rel=0.01)
    gaps = np.diff([t for t, _, _ in open_arrivals({"arrival": {"process": "gamma", "rate_per_s": 10, "cv": 3}},
                                                   np.random.default_rng(4), 20000)])
    assert gaps.mean() == pytest.approx(0.1, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(3, rel=0.08)


@pytest.mark.parametrize("ptm", [1.5, 2.0, 4.0])
def test_diurnal_shape_has_mean_one_and_the_peak(ptm):
    t = np.linspace(0, 86400, 20001)[:-1]
    shape = np.array([diurnal_shape(x, ptm) for x in t])
    assert shape.mean() == pytest.approx(1.0, rel=0.002)
    assert shape.max() == pytest.approx(ptm, rel=0.01)
    n = _count({"arrival": {"process": "diurnal", "requests_per_day": 86400 * 2, "peak_to_mean": ptm}}, 86400)
    assert n / 86400 == pytest.approx(2.0, rel=0.02)

"""Parameters bounded where the maths breaks: refused at load with the path, never a crash in the run."""

from __future__ import annotations

import pytest

from simulation.engine.core import Simulation
from simulation.errors import DesignError
from simulation.loader import load_design

from .helpers import design, edge, svc


def one_service(dist):
    return design([{"id": "a", "kind": "service", "params": {"service_time": dist}}], [edge("users", "a")],
                  duration=20)


@pytest.mark.parametrize("cv", [1e-170, 1e-4, 101, 1e200])
def test_gamma_cv_outside_what_floats_hold_is_refused(cv):
    with pytest.raises(DesignError, match=r"params\.service_time\.cv"):
        load_design(one_service({"dist": "gamma", "mean": 5, "cv": cv}))


@pytest.mark.parametrize("cv", [0, 1e-3, 100])
def test_gamma_cv_at_the_bounds_runs(cv):
    res = Simulation(load_design(one_service({"dist": "gamma", "mean": 5, "cv": cv}))).run()
    assert res.counts["completed"] > 0


@pytest.mark.parametrize("cv", [1e-170, 1e200, 0.0001])
def test_gamma_arrival_cv_is_bounded(cv):
    d = design([svc("a")], [edge("users", "a")], workload={"arrival": {"process": "gamma", "rate_per_s": 5, "cv": cv}})
    with pytest.raises(DesignError, match=r"workload\.arrival\.cv"):
        load_design(d)


@pytest.mark.parametrize("dist", [{"dist": "uniform", "low": 0, "high": 1e300},
                                  {"dist": "exponential", "mean": 1e200},
                                  {"dist": "normal", "mean": 1, "std": 1e300},
                                  {"dist": "empirical", "values": [1, 1e300]}])
def test_huge_distribution_values_are_refused(dist):
    with pytest.raises(DesignError, match="at most 1e"):
        load_design(one_service(dist))


def test_slo_target_too_large_for_the_charts_is_refused():
    d = one_service({"dist": "fixed", "value": 1})
    d["slo"] = {"ttft_p99_ms": 1e308}
    with pytest.raises(DesignError, match=r"slo\.ttft_p99_ms: must be at most"):
        load_design(d)


@pytest.mark.parametrize("seed, duration, where", [(-1, None, "--seed"), (2**64, None, "--seed"),
                                                   (None, 1e12, "--duration"), (None, float("inf"), "--duration"), (None, float("nan"), "--duration")])
def test_engine_refuses_seed_and_duration_out_of_range(seed, duration, where):
    with pytest.raises(DesignError, match=where):
        Simulation(load_design(one_service({"dist": "fixed", "value": 1})), seed=seed, duration_s=duration)

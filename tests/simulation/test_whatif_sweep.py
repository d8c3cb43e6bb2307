"""Sweeps: value parsing, rate paths, replications with CIs, common random numbers, executors, storage."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from simulation.analysis.executors import DaskExecutor, LocalProcessExecutor, SerialExecutor, make_executor
from simulation.analysis.sweep import (
    Axis,
    mean_ci,
    parse_axis,
    parse_values,
    rate_path,
    replication_seeds,
    store_result,
    summarize_run,
    sweep,
)
from simulation.errors import DesignError
from simulation.loader import load_design, save_design
from simulation.run import run_design
from tests.conftest import TEMPLATES


def mmc(rate: float = 8.0, c: int = 4, duration: float = 300.0, slo: dict | None = None) -> dict:
    data = json.loads((TEMPLATES / "mmc-service.genai.json").read_text())
    data["workload"].update(duration_s=duration, warmup_s=30.0)
    data["workload"]["arrival"]["rate_per_s"] = rate
    data["nodes"][1]["params"]["concurrency"] = c
    if slo is not None:
        data["slo"] = slo
    return data


@pytest.mark.parametrize("text, expected", [
    ("1,2,4", [1, 2, 4]),
    ("1..4", [1, 2, 3, 4]),
    ("0.5:2:0.5", [0.5, 1.0, 1.5, 2.0]),
    ("[1, 2.5]", [1, 2.5]),
    ("vllm,sglang", ["vllm", "sglang"]),
    ('{"dist": "fixed", "value": 1},{"dist": "exponential", "mean_ms": 5}',
     [{"dist": "fixed", "value": 1}, {"dist": "exponential", "mean_ms": 5}]),
])
def test_parse_values(text, expected):
    assert parse_values(text, "--set x") == expected


@pytest.mark.parametrize("text", ["", "1,,2", "4..1", "a..b", "1:0:1", "0:1:0"])
def test_parse_values_rejects_bad_input(text):
    with pytest.raises(DesignError, match="--set x"):
        parse_values(text, "--set x")


def test_rate_path_follows_the_arrival_process():
    assert rate_path({"workload": {"arrival": {"process": "poisson"}}}) == "workload.arrival.rate_per_s"
    assert rate_path({"workload": {"arrival": {"process": "gamma"}}}) == "workload.arrival.rate_per_s"
    assert rate_path({"workload": {"arrival": {"process": "diurnal"}}}) == "workload.arrival.requests_per_day"
    assert rate_path({"workload": {"arrival": {"process": "closed"}}}) == "workload.arrival.concurrency"
    with pytest.raises(DesignError, match="workload.arrival.process"):
        rate_path({"workload": {"arrival": {"process": "trace"}}})


def test_seeds_common_or_independent():
    assert replication_seeds(7, 3, point=0, crn=True) == replication_seeds(7, 3, point=5, crn=True) == [7, 8, 9]
    a, b = replication_seeds(7, 3, 0, crn=False), replication_seeds(7, 3, 1, crn=False)
    assert len(set(a) | set(b)) == 6


def test_mean_ci_is_the_t_interval():
    mean, half = mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert half == pytest.approx(4.302653 * 1.0 / math.sqrt(3), rel=1e-5)  # t(0.975, 2) = 4.3027
    assert math.isnan(mean_ci([5.0])[1])


def test_bad_override_fails_before_running():
    with pytest.raises(DesignError, match="replicas"):
        sweep(mmc(duration=50), [Axis("nodes.svc.params.replicas", [1, "two"])])


def test_more_replicas_never_raise_p99_beyond_the_ci():
    result = sweep(mmc(rate=9.0, c=2, duration=300), [Axis("nodes.svc.params.replicas", [2, 3, 4, 6])],
                   replications=3)
    p99 = [p.mean["e2e_p99_ms"] for p in result.points]
    ci = [p.ci95["e2e_p99_ms"] for p in result.points]
    assert all(np.isfinite(ci))
    for i in range(len(p99) - 1):
        assert p99[i + 1] <= p99[i] + ci[i] + ci[i + 1], (p99, ci)
    assert p99[-1] < p99[0]  # 2 replicas × 2 servers at 9 req/s is 90 % busy; 12 servers are not
    assert result.points[0].mean["util.svc"] > result.points[-1].mean["util.svc"]


def test_common_random_numbers_shrink_the_variance_of_differences():
    # Same seeds at both loads: the runs share arrival gaps and service draws, so their difference is the
    # effect of the load, not noise. Independent seeds leave ~9× the variance (7 vs 7.5 req/s, c = 4).
    axes = [Axis("workload.arrival.rate_per_s", [7.0, 7.5])]
    crn = sweep(mmc(duration=200), axes, replications=12, crn=True)
    ind = sweep(mmc(duration=200), axes, replications=12, crn=False)

    def diff_var(res):
        a, b = res.points
        return np.var([y["e2e_mean_ms"] - x["e2e_mean_ms"] for x, y in zip(a.runs, b.runs)], ddof=1)

    assert diff_var(crn) < 0.3 * diff_var(ind)
    mean, half = crn.paired_difference("e2e_mean_ms", 0, 1)
    assert mean > 0 and half < mean  # the higher load waits longer, and CRN resolves it
    mean_ind, half_ind = ind.paired_difference("e2e_mean_ms", 0, 1)
    assert half < half_ind


def test_rate_axis_and_outputs(tmp_path):
    data = mmc(duration=100, slo={"e2e_p95_ms": 2000})
    result = sweep(data, [Axis(rate_path(data), [2.0, 6.0])], replications=2)
    assert [p.assignments for p in result.points] == [{"workload.arrival.rate_per_s": 2.0},
                                                      {"workload.arrival.rate_per_s": 6.0}]
    assert result.points[1].mean["throughput_rps"] > 2 * result.points[0].mean["throughput_rps"]
    assert result.points[0].slo["e2e_p95_ms"]["met"] is True
    csv_path = result.write(tmp_path / "out.csv")
    header, *rows = csv_path.read_text().splitlines()
    assert header.startswith("point,workload.arrival.rate_per_s,replications,slo_met,")
    assert "e2e_p99_ms_ci95" in header and len(rows) == 2
    js = json.loads(result.write(tmp_path / "out.json").read_text())
    assert len(js["points"][0]["runs"]) == 2 and js["crn"] is True
    with pytest.raises(DesignError, match="-o"):
        result.write(tmp_path / "out.txt")


def test_executors_give_identical_numbers():
    data = mmc(duration=60)
    axes = [Axis("nodes.svc.params.concurrency", [4, 5])]
    serial = sweep(data, axes, replications=2, executor=SerialExecutor())
    local = LocalProcessExecutor(2)
    try:
        pooled = sweep(data, axes, replications=2, executor=local)
    finally:
        local.close()
    dask = DaskExecutor(workers=2, processes=False)
    try:
        on_dask = sweep(data, axes, replications=2, executor=dask)
    finally:
        dask.close()
    for other in (pooled, on_dask):
        assert [p.runs for p in other.points] == [p.runs for p in serial.points]


def test_make_executor_validates():
    assert isinstance(make_executor("local", 1), SerialExecutor)
    with pytest.raises(DesignError, match="--executor"):
        make_executor("ray")
    with pytest.raises(DesignError, match="--workers"):
        make_executor("local", 0)


def test_results_are_stored_in_the_design_and_survive_save(tmp_path):
    data = mmc(duration=50)
    result = sweep(data, [parse_axis("nodes.svc.params.concurrency=4,5")], replications=1)
    design = load_design(data)
    entry = store_result(design, result.stored())
    store_result(design, result.stored())
    assert entry["id"] == "sweep-1" and design.extra["sweeps"][1]["id"] == "sweep-2"
    path = tmp_path / "d.genai.json"
    save_design(design, path)
    again = load_design(path).extra["sweeps"][0]
    assert again["axes"] == [{"path": "nodes.svc.params.concurrency", "values": [4, 5]}]
    assert again["points"][1]["set"] == {"nodes.svc.params.concurrency": 5}
    assert "e2e_p99_ms" in again["metrics"] and again["points"][0]["mean"]["e2e_p99_ms"] > 0


def test_throughput_of_an_overloaded_point_counts_only_completions_inside_the_window():
    # c = 1 at 8 req/s with E[S] = 400 ms: capacity 2.5 req/s; the drain must not lift throughput to λ
    data = mmc(rate=8.0, c=1, duration=200.0)
    result = run_design(load_design(data), seed=5)
    out = summarize_run(result)
    assert out["throughput_rps"] == pytest.approx(result.to_json()["throughput"]["request_per_s"])
    assert out["throughput_rps"] < 0.5 * 8.0

"""The results model (no Qt): payloads from a real run, derived series, the compact summary in files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from designer.results.model import (
    QUANTILE_POINTS,
    RunData,
    cdf_points,
    jsonable,
    result_payload,
    rolling_p99,
    timeline_columns,
)
from simulation.loader import load_design
from simulation.run import run_design

RAG = Path(__file__).resolve().parents[2] / "assets" / "templates" / "rag-pipeline.genai.json"


@pytest.fixture(scope="module")
def rag_run() -> RunData:
    design = load_design(RAG)
    result = run_design(design, duration_s=300)
    from designer.runs.controller import design_snapshot

    run = RunData("rag", result.seed, 300, design_snapshot(design))
    run.finish(result_payload(result))
    return run


def test_payload_matches_the_engine_result(rag_run: RunData) -> None:
    s = rag_run.summary
    assert json.loads(json.dumps(s)) == s  # plain JSON, no numpy scalars
    assert s["requests"]["completed"] == rag_run.samples["e2e_ms"].size
    assert np.isclose(np.percentile(rag_run.samples["e2e_ms"], 99), s["metrics"]["e2e_ms"]["p99"])
    tpot = rag_run.samples["tpot_ms"]
    assert tpot.size == 0 or np.isclose(np.percentile(tpot, 99), s["metrics"]["tpot_ms"]["p99"])


def test_throughput_series_integrates_to_the_completed_count(rag_run: RunData) -> None:
    t, rate = rag_run.throughput_series(bins=30)
    tl = rag_run.timeline
    assert t.size == 30 and np.all(np.diff(t) > 0)
    width = (tl["t"][-1] - tl["t"][0]) / 30
    assert np.isclose(np.sum(rate * width), tl["completed"][-1] - tl["completed"][0])
    steady = rate[t > 100]  # after warm-up the rate sits near the offered 4 req/s
    assert abs(steady.mean() - 4.0) < 0.4


def test_rolling_p99_by_window() -> None:
    end_t = np.array([1.0, 2.0, 3.0, 11.0, 12.0])
    values = np.array([10.0, 20.0, 30.0, 100.0, 200.0])
    t, p = rolling_p99(end_t, values, span=20.0, bins=2)
    assert np.allclose(t, [5.0, 15.0])
    assert np.isclose(p[0], np.percentile([10, 20, 30], 99)) and np.isclose(
        p[1], np.percentile([100, 200], 99)
    )
    _, empty = rolling_p99(np.array([1.0]), np.array([5.0]), span=20.0, bins=4)
    assert np.isnan(empty[1:]).all()


def test_cdf_points_are_capped_and_monotone() -> None:
    v = np.random.default_rng(1).exponential(100.0, 50_000)
    x, y = cdf_points(v, n=500)
    assert x.size == 500 and np.all(np.diff(x) >= 0) and y[0] == 0 and y[-1] == 1
    assert np.isclose(np.interp(0.99, y, x), np.percentile(v, 99), rtol=0.02)
    x, y = cdf_points(np.array([3.0, np.nan, 1.0]))
    assert list(x) == [1.0, 3.0] and list(y) == [0.5, 1.0]


def test_compact_round_trip_keeps_figures(rag_run: RunData) -> None:
    compact = json.loads(json.dumps(rag_run.to_compact()))
    assert len(json.dumps(compact)) < 150_000
    back = RunData.from_compact(compact)
    assert back.summary == rag_run.summary and back.from_file
    assert back.samples["e2e_ms"].size == QUANTILE_POINTS
    for q in (50, 90, 99):
        assert np.isclose(
            np.percentile(back.samples["e2e_ms"], q), np.percentile(rag_run.samples["e2e_ms"], q), rtol=0.03
        )
    assert back.bottleneck() == rag_run.bottleneck() is not None
    assert set(back.node_series("utilization")) == set(rag_run.node_series("utilization"))
    assert back.rolling_series()["t"].size == rag_run.rolling_series()["t"].size


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"format": "x"},
        {"format": "genai-sim.results", "version": 9},
        {"format": "genai-sim.results", "version": 1, "summary": "no"},
        {"format": "genai-sim.results", "version": 1, "summary": {}, "quantiles": {"e2e_ms": [1, "x"]}},
        {"format": "genai-sim.results", "version": 1, "summary": {}, "timeline": {"t": [0] * 200_000}},
    ],
)
def test_malformed_compact_results_raise_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        RunData.from_compact(bad)


def test_live_progress_grows_the_timeline() -> None:
    run = RunData("live", 1, 10.0, {"nodes": [{"id": "a", "kind": "service"}]})
    for k in range(3):
        run.add_progress(
            {
                "fraction": (k + 1) / 3,
                "sim_t": k,
                "wall_s": 0.1 * k,
                "timeline": {"t": [k], "completed": [k], "nodes": {"a": [{"queue": k, "utilization": 0.5}]}},
                "latency": {"end_t": [k], "e2e_ms": [10.0 * k], "ttft_ms": [5.0], "tpot_ms": [float("nan")]},
            }
        )
    assert list(run.timeline["t"]) == [0, 1, 2]
    assert list(run.timeline["nodes"]["a"]["queue"]) == [0, 1, 2]
    assert run.samples["e2e_ms"].size == 3 and run.samples["tpot_ms"].size == 0
    assert run.node_figures()["a"]["mean_queue"] == 2 and run.bottleneck() == "a"


def test_jsonable_and_timeline_columns() -> None:
    assert jsonable({"a": np.int64(3), "b": np.float64("nan"), "c": (1, np.bool_(True))}) == {
        "a": 3,
        "b": None,
        "c": [1, True],
    }
    cols = timeline_columns(
        {"t": [0, 1], "completed": [0, 2], "nodes": {"x": [{"q": 1}, {"q": 2, "kv": 0.5}]}}
    )
    assert list(cols["nodes"]["x"]["q"]) == [1, 2] and np.isnan(cols["nodes"]["x"]["kv"][0])

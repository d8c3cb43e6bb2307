"""Overload: ten times a station's capacity for an hour of simulated time finishes with bounded queues,
counts every drop and timeout, and serves at capacity.

The station is an M/M/1 with E[S] = 1 s, so capacity is exactly 1 req/s and 10× is 10 req/s
(36,000 arrivals in the hour): small enough for CI, the same mechanics as the big benchmark
(benchmarks/overload.py)."""

from __future__ import annotations

import tracemalloc

import pytest

from simulation.loader import load_design
from simulation.run import run_design

CAPACITY = 1.0  # req/s: one server, exponential service with mean 1000 ms
HOUR = 3600.0


def overloaded(queue_limit: int, timeout_ms: float, factor: float = 10.0, error_edge: bool = False) -> dict:
    nodes = [{"id": "users", "kind": "client"},
             {"id": "svc", "kind": "service",
              "params": {"concurrency": 1, "queue_limit": queue_limit, "timeout_ms": timeout_ms,
                         "service_time": {"dist": "exponential", "mean_ms": 1000}}}]
    edges = [{"source": "users", "target": "svc"}]
    if error_edge:
        nodes.append({"id": "sorry", "kind": "service",
                      "params": {"concurrency": 1000, "service_time": {"dist": "fixed", "value": 5}}})
        edges.append({"source": "svc", "target": "sorry", "when": "error"})
    return {"format": "genai-sim.design", "version": 1, "name": "overload",
            "workload": {"arrival": {"process": "poisson", "rate_per_s": CAPACITY * factor},
                         "duration_s": HOUR, "warmup_s": 0, "seed": 3},
            "nodes": nodes, "edges": edges}


def _run(data: dict, measure_memory: bool = False):
    if not measure_memory:
        return run_design(load_design(data), seed=11), 0
    tracemalloc.start()
    try:
        result = run_design(load_design(data), seed=11)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


def _max_queue(result, node: str) -> float:
    return max(s["queue"] for s in result.timeline["nodes"][node])


def test_ten_times_capacity_for_an_hour_with_a_queue_limit():
    result, peak = _run(overloaded(queue_limit=50, timeout_ms=0), measure_memory=True)
    c = {k: int(v) for k, v in result.counts.items()}
    assert c["arrived"] == pytest.approx(10 * HOUR, rel=0.02)
    # served at capacity: the server never idles under 10× load
    assert c["completed"] / HOUR == pytest.approx(CAPACITY, rel=0.05)
    assert result.node_stats["svc"]["utilization"] > 0.99
    # every refused request is counted; nothing vanishes
    assert c["dropped"] == result.node_stats["svc"]["dropped"] > 0.85 * c["arrived"]
    assert c["completed"] + c["failed"] + c["dropped"] + c["timeout"] + c["blocked"] + c["unfinished"] == c["arrived"]
    assert _max_queue(result, "svc") <= 50
    # memory: the queue is bounded; what remains is per-request records (well under 2 KiB each)
    assert peak / c["arrived"] < 2048, f"{peak / c['arrived']:.0f} bytes per request"


def test_timeouts_alone_bound_the_queue():
    # No queue limit: the queue holds at most what arrives within one timeout (10 req/s × 5 s = 50).
    result, _ = _run(overloaded(queue_limit=0, timeout_ms=5000))
    c = {k: int(v) for k, v in result.counts.items()}
    assert c["timeout"] > 0.85 * c["arrived"]
    assert result.node_stats["svc"]["timed_out"] == c["timeout"]
    assert _max_queue(result, "svc") <= 10 * 5 * 1.5
    assert result.node_stats["svc"]["p99_wait_ms"] <= 5000 + 1e-6
    assert c["completed"] / HOUR == pytest.approx(CAPACITY, rel=0.05)


def test_overflow_takes_the_error_edge():
    result, _ = _run(overloaded(queue_limit=20, timeout_ms=0, error_edge=True))
    c = {k: int(v) for k, v in result.counts.items()}
    # dropped requests are answered by the fallback node instead of failing
    assert result.node_stats["sorry"]["served"] == result.node_stats["svc"]["dropped"] > 0
    assert c["dropped"] == 0


@pytest.mark.slow
def test_what_broke_first_is_the_saturated_node():
    # A chain where only the second station is short of capacity: it, not the first, drops and times out.
    data = overloaded(queue_limit=30, timeout_ms=10_000)
    data["nodes"].insert(1, {"id": "front", "kind": "service",
                             "params": {"concurrency": 64, "queue_limit": 30, "timeout_ms": 10_000,
                                        "service_time": {"dist": "exponential", "mean_ms": 100}}})
    data["edges"] = [{"source": "users", "target": "front"}, {"source": "front", "target": "svc"}]
    result, _ = _run(data)
    losses = {n: st.get("dropped", 0) + st.get("timed_out", 0) for n, st in result.node_stats.items()}
    assert max(losses, key=losses.__getitem__) == "svc"
    assert losses["front"] == 0

"""Fault injection: outages, error rates, retries, circuit breakers, replica loss, fallbacks."""

import pytest

from simulation.engine.core import Simulation
from simulation.loader import load_design

from .helpers import design, edge, svc


def run(d, **kw):
    return Simulation(load_design(d), **kw).run()


def test_outage_fraction_sets_availability_of_mm1():
    # M/M/1 at ρ = 0.5 behind a 20 % outage (two windows): availability = 1 − 0.2 as the math says.
    node = {**svc("a", 50), "faults": {"outages": [[100, 300], [600, 800]]}}
    res = run(design([node], [edge("users", "a")], rate=10, duration=2000))
    rel = res.reliability()
    assert rel["availability"] == pytest.approx(0.8, abs=0.01)
    # Successful requests still see M/M/1 sojourn ≈ 1/(μ − λ) = 100 ms (the queue is empty after outages).
    assert res.metrics()["e2e_ms"]["mean"] == pytest.approx(100, rel=0.08)


def test_slowdown_window_raises_latency_by_the_factor():
    base = run(design([svc("a", 10, dist="fixed", concurrency=100)], [edge("users", "a")], rate=5, duration=400))
    node = {**svc("a", 10, dist="fixed", concurrency=100), "faults": {"slowdown": 3}}
    slow = run(design([node], [edge("users", "a")], rate=5, duration=400))
    assert slow.metrics()["e2e_ms"]["mean"] == pytest.approx(3 * base.metrics()["e2e_ms"]["mean"])


def test_retries_recover_independent_errors():
    # Each call fails with p = 0.3; with 2 retries a request fails only if all 3 tries fail: 0.3³ = 2.7 %.
    node = {**svc("a", 1, concurrency=100, retries=2, retry_backoff_ms=10), "faults": {"error_rate": 0.3}}
    res = run(design([node], [edge("users", "a")], rate=50, duration=400))
    assert res.error_rate() == pytest.approx(0.027, abs=0.006)


def test_circuit_breaker_fails_fast_during_outage_and_fallback_serves():
    node = {**svc("api", 200, concurrency=50, breaker_threshold=0.5, breaker_cooldown_s=5),
            "faults": {"outages": [[100, 200]]}}
    d = design([node, svc("cache_answers", 2, concurrency=100)],
               [edge("users", "api"), edge("api", "cache_answers", when="error")], rate=20, duration=300)
    res = run(d)
    stats = res.node_stats["api"]
    assert stats["breaker_trips"] >= 1 and stats["fast_failed"] > 0
    rel = res.reliability()
    assert rel["availability"] == pytest.approx(1.0)
    assert rel["fallback_share"] == pytest.approx(100 / 300, abs=0.03)
    assert rel["fallback_e2e_p50_ms"] < rel["normal_e2e_p50_ms"]


def test_replica_loss_then_recovery_builds_a_queue():
    node = {**svc("a", 100, dist="fixed", concurrency=1, replicas=4),
            "faults": {"replica_loss": [{"at_s": 100, "replicas": 3, "recovery_s": 50}]}}
    res = run(design([node], [edge("users", "a")], rate=15, duration=400))
    queues = [s["queue"] for s in res.timeline["nodes"]["a"]]
    assert max(queues) > 50  # 15 req/s into 10 req/s of capacity for 50 s
    assert queues[-1] < 5  # and it drains after recovery
    assert res.counts["completed"] == res.counts["arrived"]

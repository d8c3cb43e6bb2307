"""Request-flow semantics of SPEC §2 and engine bookkeeping."""

from pathlib import Path

import pytest

from simulation.engine.core import Simulation
from simulation.errors import DesignError
from simulation.loader import load_design
from simulation.run import run_design

from .helpers import design, edge, svc

TEMPLATES = Path(__file__).resolve().parents[2] / "assets" / "templates"


def run(d, **kw):
    return Simulation(load_design(d), **kw).run()


def test_same_seed_same_numbers_and_other_seed_differs():
    d = design([svc("a", 50, concurrency=2)], [edge("users", "a")], rate=30, duration=100)
    a, b = run(d).to_json(), run(d).to_json()
    c = Simulation(load_design(d), seed=99).run().to_json()
    for x in (a, b, c):
        x.pop("wall_s")
    assert a == b
    assert a["metrics"] != c["metrics"]


def test_weighted_choice_follows_weights():
    d = design([svc("a", 1), svc("b", 1)], [edge("users", "a", weight=3), edge("users", "b", weight=1)],
               rate=200, duration=100)
    nodes = run(d).node_stats
    share = nodes["a"]["served"] / (nodes["a"]["served"] + nodes["b"]["served"])
    assert share == pytest.approx(0.75, abs=0.02)


def test_cache_hit_answers_and_miss_continues():
    d = design([{"id": "cache", "kind": "response_cache", "params": {"hit_rate": 0.3}}, svc("llm", 100, concurrency=100)],
               [edge("users", "cache"), edge("cache", "llm", when="miss")], rate=50, duration=200)
    res = run(d)
    assert res.node_stats["cache"]["hit_rate"] == pytest.approx(0.3, abs=0.02)
    assert res.node_stats["llm"]["served"] / res.node_stats["cache"]["served"] == pytest.approx(0.7, abs=0.02)
    assert res.counts["completed"] == res.counts["arrived"]


def test_guardrail_block_ends_request_as_blocked():
    d = design([{"id": "g", "kind": "input_guardrail", "params": {"block_rate": 0.2}}, svc("llm", 10)],
               [edge("users", "g"), edge("g", "llm")], rate=50, duration=200)
    res = run(d)
    assert res.counts["blocked"] / res.counts["arrived"] == pytest.approx(0.2, abs=0.02)


def test_fanout_joins_on_slowest_branch():
    d = design([{"id": "f", "kind": "fanout", "params": {"join": "j"}}, svc("fast", 10, dist="fixed"),
                svc("slow", 50, dist="fixed"), svc("j", 5, dist="fixed", concurrency=1000)],
               [edge("users", "f"), edge("f", "fast"), edge("f", "slow"), edge("fast", "j"), edge("slow", "j")],
               rate=1, duration=200)
    for n in d["nodes"][2:]:
        n["params"]["concurrency"] = 1000
    res = run(d)
    assert res.metrics()["e2e_ms"]["p50"] == pytest.approx(55.0, abs=0.01)
    assert res.node_stats["j"]["served"] == res.counts["completed"]


def test_edge_latency_adds_to_e2e():
    d = design([svc("a", 10, dist="fixed", concurrency=100)], [edge("users", "a", latency_ms=25)], rate=5)
    assert run(d).metrics()["e2e_ms"]["mean"] == pytest.approx(35.0, abs=1e-6)


def test_queue_limit_drops_and_timeout_fails():
    d = design([svc("a", 1000, queue_limit=2)], [edge("users", "a")], rate=5, duration=200)
    res = run(d)
    assert res.counts["dropped"] > 0
    d = design([svc("a", 1000, timeout_ms=500)], [edge("users", "a")], rate=5, duration=200)
    assert run(d).counts["timeout"] > 0


def test_error_edge_takes_fallback():
    d = design([{"id": "t", "kind": "tool", "params": {"failure_rate": 0.5}}, svc("fb", 1)],
               [edge("users", "t"), edge("t", "fb", when="error")], rate=20, duration=200)
    res = run(d)
    assert res.node_stats["fb"]["served"] / res.node_stats["t"]["served"] == pytest.approx(0.5, abs=0.03)
    assert res.counts["failed"] == 0


def test_outage_window_fails_requests_in_it():
    d = design([{**svc("a", 1), "faults": {"outages": [[50, 100]]}}], [edge("users", "a")], rate=20, duration=200)
    res = run(d)
    assert res.counts["failed"] / res.counts["arrived"] == pytest.approx(0.25, abs=0.02)


def test_agent_loop_is_bounded_by_max_iterations():
    d = design([{"id": "ag", "kind": "agent", "params": {"iterations": {"dist": "fixed", "value": 50},
                                                         "max_iterations": 4}},
                svc("think", 1, concurrency=100)],
               [edge("users", "ag"), edge("ag", "think"), edge("think", "ag")], rate=5, duration=100)
    res = run(d)
    assert res.node_stats["think"]["served"] == pytest.approx(4 * res.counts["completed"], abs=8)


def test_unbounded_cycle_is_refused():
    d = design([svc("a"), svc("b")], [edge("users", "a"), edge("a", "b"), edge("b", "a")])
    with pytest.raises(DesignError, match="Cycle"):
        run(d)


def test_littles_law_and_flow_conservation_on_rag():
    d = load_design(TEMPLATES / "rag-pipeline.genai.json")
    res = run_design(d, duration_s=1800)
    c = res.counts
    assert c["arrived"] == c["completed"] + c["failed"] + c["blocked"] + c["timeout"] + c["dropped"]
    cache, embed = res.node_stats["cache"], res.node_stats["embed"]
    assert cache["served"] == pytest.approx(embed["served"] + cache["hit_rate"] * cache["served"], abs=3)
    # Little's law at the vector DB: busy servers (time average) = throughput × mean service time.
    vdb = res.node_stats["vdb"]
    lam = vdb["served"] / res.window_s
    busy = vdb["utilization"] * vdb["servers"]
    stage = [leave - enter for hops in res.hops for node, enter, leave in hops if node == "vdb"]
    assert busy == pytest.approx(lam * sum(stage) / len(stage), rel=0.05)


def test_progress_and_cancel():
    d = load_design(design([svc("a", 5)], [edge("users", "a")], rate=100, duration=1000))
    seen = []
    sim = Simulation(d)
    sim.progress = lambda frac, t: (seen.append(frac), frac > 0.2 and sim.cancel())
    res = sim.run()
    assert res.cancelled and 0.2 < max(seen) < 0.3


def test_closed_loop_keeps_concurrency_constant():
    d = design([svc("a", 100, dist="fixed", concurrency=100)], [edge("users", "a")],
               workload={"arrival": {"process": "closed", "concurrency": 10}}, duration=100)
    res = run(d)
    assert res.counts["completed"] / res.window_s == pytest.approx(100, rel=0.02)  # 10 users / 0.1 s


@pytest.mark.parametrize("policy", ["round_robin", "least_outstanding", "power_of_two", "random"])
def test_load_balancer_policies_spread_load(policy):
    d = design([{"id": "lb", "kind": "load_balancer", "params": {"policy": policy}},
                svc("a", 40, concurrency=2), svc("b", 40, concurrency=2)],
               [edge("users", "lb"), edge("lb", "a"), edge("lb", "b")], rate=60, duration=200)
    res = run(d)
    a, b = res.node_stats["a"]["served"], res.node_stats["b"]["served"]
    assert a / (a + b) == pytest.approx(0.5, abs=0.03)
    if policy == "least_outstanding":  # join-the-shortest-queue beats random splitting on waits
        rnd = run({**d, "nodes": [d["nodes"][0], {**d["nodes"][1], "params": {"policy": "random"}}, *d["nodes"][2:]]})
        assert res.metrics()["e2e_ms"]["p99"] < rnd.metrics()["e2e_ms"]["p99"]


def test_gateway_rate_limit_rejects_over_limit_users():
    d = design([{"id": "gw", "kind": "api_gateway", "params": {"rate_limit_per_user_rps": 1, "burst": 20,
                                                               "users": 10}},
                svc("a", 1, concurrency=100)], [edge("users", "gw"), edge("gw", "a")], rate=20, duration=200)
    res = run(d)
    # 10 users × 1 req/s can pass; the rest (≈ half of 20 req/s) is refused.
    assert res.counts["completed"] / res.window_s == pytest.approx(10, rel=0.15)
    assert res.node_stats["gw"]["rate_limited"] > 0


def test_autoscaler_adds_replicas_under_load():
    d = design([svc("a", 100, dist="fixed", concurrency=1, replicas=1),
                {"id": "as", "kind": "autoscaler", "params": {"target": "a", "max_replicas": 8, "interval_s": 10,
                                                              "scale_out_delay_s": 20, "target_utilization": 0.7}}],
               [edge("users", "a")], rate=30, duration=600)
    res = run(d)
    assert res.node_stats["as"]["scaling_events"] >= 1
    assert res.node_stats["a"]["replicas"] >= 5  # 30 req/s × 0.1 s = 3 busy servers at 70 % → ≥ 5
    # Cost follows the replicas actually provisioned, not the starting count.
    mean = res.node_stats["a"]["mean_replicas"]
    assert 3 < mean < 8
    assert res.cost()["by_node"]["a"]["fixed_usd_per_hour"] == pytest.approx(0.10 * mean)


@pytest.mark.parametrize("duration", [float("nan"), float("inf"), 0.0])
def test_non_finite_duration_is_refused_rather_than_hanging(duration):
    d = load_design(design([svc("a")], [edge("users", "a")]))
    with pytest.raises(DesignError, match="--duration"):
        Simulation(d, seed=1, duration_s=duration)


def test_latency_slo_without_a_completed_request_is_missed_not_met():
    data = design([{"id": "llm", "kind": "llm_api", "params": {"error_rate": 1.0}}], [edge("users", "llm")],
                  rate=2.0, duration=60.0, slo={"ttft_p95_ms": 1000, "e2e_p99_ms": 5000})
    result = run_design(load_design(data), seed=1)
    assert result.counts["completed"] == 0
    report = result.slo_report()
    assert not report["ttft_p95_ms"]["met"] and not report["e2e_p99_ms"]["met"]
    assert result.to_json()["slo"]["ttft_p95_ms"]["actual"] is None

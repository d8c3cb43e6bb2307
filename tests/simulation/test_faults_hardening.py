"""The fault model on every kind that offers its parameters: retries, breakers, recovery, outage policy,
bounded queues and the counts that report them."""

from __future__ import annotations

import pytest

from simulation.engine.core import Simulation
from simulation.errors import DesignError
from simulation.loader import load_design
from simulation.registry import get_kind
from simulation.run import run_design

from .helpers import design, edge, svc


def run(d, **kw):
    return Simulation(load_design(d), **kw).run()


def api(node_id="api", faults=None, **params):
    node = {"id": node_id, "kind": "llm_api", "params": {"rate_limits": "none", "use_catalog_latency": False,
                                                          "ttft": {"dist": "fixed", "value": 100},
                                                          "output_speed": {"dist": "fixed", "value": 1000},
                                                          **params}}
    if faults:
        node["faults"] = faults
    return node


def server(node_id="llm", faults=None, **params):
    node = {"id": node_id, "kind": "llm_server", "params": {"model": "meta-llama/Llama-3.1-8B", **params}}
    if faults:
        node["faults"] = faults
    return node


SHORT = {"input_tokens": {"dist": "fixed", "value": 100}, "output_tokens": {"dist": "fixed", "value": 20}}


@pytest.mark.parametrize("make", [lambda **kw: api(faults={"error_rate": 0.3}, **kw),
                                  lambda **kw: server(faults={"error_rate": 0.3}, **kw)], ids=["llm_api", "llm_server"])
def test_llm_retries_are_applied(make):
    # each call fails with p = 0.3; two retries fail a request only if all three calls fail: 0.3³ = 2.7 %
    rates = {}
    for retries in (0, 2):
        d = design([make(retries=retries, retry_backoff_ms=10)], [edge("users", "llm" if "llm" in str(make) else "x")],
                   rate=20, duration=300, workload=SHORT)
        node_id = d["nodes"][1]["id"]
        d["edges"] = [edge("users", node_id)]
        res = run(d)
        rates[retries] = res.error_rate()
        if retries:
            assert res.node_stats[node_id]["retried"] > 0
    assert rates[0] == pytest.approx(0.3, abs=0.04)
    assert rates[2] == pytest.approx(0.027, abs=0.012)


@pytest.mark.parametrize("make", [api, server], ids=["llm_api", "llm_server"])
def test_llm_breaker_fails_fast_in_an_outage_and_the_fallback_serves(make):
    node = make(faults={"outages": [[50, 100]]}, breaker_threshold=0.5, breaker_cooldown_s=5)
    d = design([node, svc("fallback", 2, concurrency=100)],
               [edge("users", node["id"]), edge(node["id"], "fallback", when="error")], rate=10, duration=150,
               workload=SHORT)
    res = run(d)
    stats = res.node_stats[node["id"]]
    assert stats["breaker_trips"] >= 1 and stats["fast_failed"] > 0
    assert res.counts["completed"] == res.counts["arrived"]  # every request answered, some by the fallback


def test_breaker_parameters_change_the_outcome_on_llm_nodes():
    # identical failures with and without the parameters was the bug: they must matter now
    base = design([api(faults={"outages": [[20, 60]]})], [edge("users", "api")], rate=10, duration=100,
                  workload=SHORT)
    plain = run(base)
    guarded = design([api(faults={"outages": [[20, 60]]}, retries=3, retry_backoff_ms=20_000)],
                     [edge("users", "api")], rate=10, duration=100, workload=SHORT)
    assert run(guarded).counts["failed"] < plain.counts["failed"] * 0.8


@pytest.mark.parametrize("lost", [1, 2, 5])
def test_a_service_recovers_to_the_replicas_it_had(lost):
    node = {**svc("a", 100, dist="fixed", concurrency=1, replicas=2),
            "faults": {"replica_loss": [{"at_s": 10, "replicas": lost, "recovery_s": 10}]}}
    res = run(design([node], [edge("users", "a")], rate=5, duration=60))
    assert res.node_stats["a"]["replicas"] == 2
    assert res.node_stats["a"]["servers"] == 2


def test_an_llm_server_recovers_to_the_replicas_it_had():
    node = server(replicas=2, faults={"replica_loss": [{"at_s": 10, "replicas": 5, "recovery_s": 10}]})
    res = run(design([node], [edge("users", "llm")], rate=2, duration=60, workload=SHORT))
    assert res.node_stats["llm"]["replicas"] == 2


@pytest.mark.parametrize("make", [lambda p: {**svc("a", 1000, dist="fixed", concurrency=1), "faults":
                                             {"outages": [[10, 12]]}, **({"params": {
                                                 "service_time": {"dist": "fixed", "value": 1000},
                                                 "outage_policy": p}} if p else {})},
                                  lambda p: {**api("a", faults={"outages": [[10, 12]]},
                                                   ttft={"dist": "fixed", "value": 3000},
                                                   **({"outage_policy": p} if p else {}))}],
                         ids=["service", "llm_api"])
def test_outage_policy_fail_or_drain_the_work_in_the_node(make):
    def outcome(policy):
        d = design([make(policy)], [edge("users", "a")], rate=0.5, duration=30, workload=SHORT)
        res = run(d)
        # requests that arrived before the outage and finished after it
        crossed = [(a, e, ok) for a, e, ok in zip(res.arrival, res.e2e_ms, res.ok) if a < 10]
        return res, crossed

    fail, crossed_fail = outcome(None)  # default: fail, as a crash does
    drain, crossed_drain = outcome("drain")
    assert get_kind("service").param("outage_policy").default == "fail"
    assert all(ok for _, _, ok in crossed_drain)  # drained: everything accepted before the outage finished
    assert not all(ok for _, _, ok in crossed_fail)  # failed: what the node held at t = 10 s failed
    assert fail.counts["failed"] > drain.counts["failed"]


def test_queues_are_bounded_by_default_and_the_review_warns():
    assert get_kind("service").resolved_params({})["queue_limit"] == 100_000
    # 10× capacity: the queue fills to its bound, sheds, and memory stays bounded
    d = design([svc("a", 1000, dist="fixed", concurrency=1)], [edge("users", "a")], rate=10, duration=300)
    d["nodes"][1]["params"]["queue_limit"] = 1000
    res = run_design(load_design(d))
    c = res.counts
    node = res.node_stats["a"]
    assert node["dropped"] > 0 and c["dropped"] == node["dropped"]  # top level agrees with the node
    assert c["unfinished"] > 0  # still queued at the end: reported apart, not as dropped
    assert c["arrived"] == c["completed"] + c["failed"] + c["timeout"] + c["dropped"] + c["blocked"] + c["unfinished"]
    rules = {i["rule"] for i in res.review}
    assert {"queue-overflow", "unfinished-at-end"} <= rules


@pytest.mark.parametrize("kind", ["client", "fanout"])
def test_faults_and_retries_are_refused_where_they_do_not_apply(kind):
    nodes = [{"id": "x", "kind": kind, "faults": {"error_rate": 0.5}}] if kind != "client" else []
    d = design(nodes, [])
    if kind == "client":
        d["nodes"][0]["faults"] = {"outages": [[0, 1]]}
    with pytest.raises(DesignError, match="do not fail"):
        load_design(d)
    d = design([{"id": "x", "kind": kind, "params": {"retries": 2}}] if kind != "client" else [], [])
    if kind == "client":
        d["nodes"][0]["params"] = {"retries": 2}
    with pytest.raises(DesignError, match="unknown parameter"):
        load_design(d)


def test_llm_server_outage_fails_held_sequences_unless_draining():
    long_answers = {"input_tokens": {"dist": "fixed", "value": 500}, "output_tokens": {"dist": "fixed", "value": 2000}}

    def failed(policy):
        node = server(faults={"outages": [[10, 12]]}, outage_policy=policy)
        res = run(design([node], [edge("users", "llm")], rate=2, duration=30, workload=long_answers))
        crossed = [ok for a, e, ok in zip(res.arrival, res.e2e_ms, res.ok) if a < 10 and a + e / 1000 > 10]
        return res.counts["failed"], crossed

    failed_fail, crossed_fail = failed("fail")
    failed_drain, crossed_drain = failed("drain")
    assert crossed_drain and all(crossed_drain)  # drained: sequences running at t = 10 s finished
    assert failed_fail > failed_drain

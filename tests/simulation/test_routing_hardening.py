"""Routing under hostile graph shapes: nested fan-outs, zero-time retry loops, error edges between down nodes."""

from __future__ import annotations

import resource

import pytest

from simulation.engine.core import Simulation
from simulation.loader import load_design

from .helpers import design, edge, svc


def run(d, **kw):
    return Simulation(load_design(d), **kw).run()


def fixed(node_id, ms=5.0, **params):
    return svc(node_id, ms, dist="fixed", concurrency=1000, **params)


@pytest.mark.parametrize("joins", [False, True])
def test_nested_fan_out_completes_every_request(joins):
    f1 = {"id": "f1", "kind": "fanout", "params": {"join": "j1"} if joins else {}}
    f2 = {"id": "f2", "kind": "fanout", "params": {"join": "j2"} if joins else {}}
    nodes = [f1, f2, fixed("a", 5), fixed("b", 30), fixed("c", 10)]
    edges = [edge("users", "f1"), edge("f1", "f2"), edge("f1", "c"), edge("f2", "a"), edge("f2", "b")]
    if joins:
        nodes += [fixed("j2", 1), fixed("j1", 1)]
        edges += [edge("a", "j2"), edge("b", "j2"), edge("j2", "j1"), edge("c", "j1")]
    res = run(design(nodes, edges, rate=20, duration=50))
    assert res.counts["completed"] == res.counts["arrived"] > 500
    # the request waits for its slowest branch: b (30 ms) then the joins
    e2e = res.metrics()["e2e_ms"]
    assert e2e["p50"] == pytest.approx(32.0 if joins else 30.0, abs=0.01)
    if joins:
        assert res.node_stats["j1"]["served"] == res.node_stats["f1"]["served"]  # one join per request


def test_branches_that_reach_the_outer_join_end_the_inner_fan_out():
    # f2's branches have no join of their own and flow straight to f1's join
    nodes = [{"id": "f1", "kind": "fanout", "params": {"join": "j1"}}, {"id": "f2", "kind": "fanout"},
             fixed("a", 5), fixed("b", 20), fixed("c", 10), fixed("j1", 1)]
    edges = [edge("users", "f1"), edge("f1", "f2"), edge("f1", "c"), edge("f2", "a"), edge("f2", "b"),
             edge("a", "j1"), edge("b", "j1"), edge("c", "j1")]
    res = run(design(nodes, edges, rate=10, duration=30))
    assert res.counts["completed"] == res.counts["arrived"]
    assert res.node_stats["j1"]["served"] == res.counts["arrived"]
    assert res.metrics()["e2e_ms"]["p50"] == pytest.approx(21.0, abs=0.01)


def test_zero_time_retry_loop_is_bounded_by_its_budget():
    # a → b → a with zero service time: without the budget this spun forever and grew without bound
    nodes = [fixed("a", 0), fixed("b", 0)]
    edges = [edge("users", "a"), edge("a", "b"), edge("b", "a", retry_budget=3)]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res = run(design(nodes, edges, rate=50, duration=20))
    assert res.counts["failed"] == res.counts["arrived"] > 0  # each request gives up after 3 laps
    assert res.node_stats["a"]["served"] == 4 * res.counts["arrived"]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB


def test_error_edges_between_two_down_nodes_do_not_recurse():
    down = {"outages": [[0, 1e6]]}
    nodes = [{**fixed("a"), "faults": down}, {**fixed("b"), "faults": down}]
    edges = [edge("users", "a"), edge("a", "b", when="error", retry_budget=100),
             edge("b", "a", when="error", retry_budget=100)]
    res = run(design(nodes, edges, rate=20, duration=10))
    assert res.counts["failed"] == res.counts["arrived"] > 0


def test_a_long_chain_of_zero_time_nodes_does_not_overflow_the_stack():
    n = 3000
    nodes = [{"id": f"c{i}", "kind": "fanout"} for i in range(n)] + [fixed("end", 1)]
    edges = [edge("users", "c0")] + [edge(f"c{i}", f"c{i + 1}") for i in range(n - 1)] + [edge(f"c{n - 1}", "end")]
    res = run(design(nodes, edges, rate=2, duration=5))
    assert res.counts["completed"] + res.counts["failed"] == res.counts["arrived"]


def test_a_fan_out_inside_a_retry_loop_stays_bounded():
    # every lap through f doubles the branches; retry budgets carry into branches and a request may spawn at
    # most MAX_BRANCHES branches, so memory stays small
    nodes = [{"id": "f", "kind": "fanout"}, fixed("a", 0), fixed("b", 0)]
    edges = [edge("users", "f"), edge("f", "a"), edge("f", "b"), edge("a", "f", retry_budget=50)]
    res = run(design(nodes, edges, rate=5, duration=5))
    assert res.counts["arrived"] > 0
    assert res.counts["completed"] + res.counts["failed"] == res.counts["arrived"]

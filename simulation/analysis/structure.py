"""Structural checks of a design graph (request-flow rules); `validate` and the designer badges use them."""

from __future__ import annotations

from typing import Any

import networkx as nx

from simulation.design import Design

DETACHED_KINDS = ("autoscaler", "observability")  # attached by parameter, never by edges


def _issue(severity: str, rule: str, node: str | None, message: str) -> dict[str, Any]:
    return {"severity": severity, "rule": rule, "node": node, "message": message}


def structural_issues(design: Design) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    ids = {n.id for n in design.nodes}
    kinds = {n.id: n.kind for n in design.nodes}
    clients = [n.id for n in design.nodes if n.kind == "client"]
    if not clients:
        issues.append(_issue("error", "missing-client", None,
                             "The design has no client node, so no traffic enters it. Add a Client."))
    for i, e in enumerate(design.edges):
        for end in (e.source, e.target):
            if end not in ids:
                issues.append(_issue("error", "dangling-edge", None, f"Edge {i} points at a missing node {end!r}."))
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(ids)
    for e in design.edges:
        if e.source in ids and e.target in ids:
            graph.add_edge(e.source, e.target, retry=e.retry_budget is not None)
    for c in clients:
        if not design.out_edges(c):
            issues.append(_issue("error", "client-without-edges", c,
                                 f"Client {c!r} has no outgoing edge: its requests would finish at once."))
    reachable: set[str] = set()
    for c in clients:
        reachable |= nx.descendants(graph, c) | {c}
    for n in design.nodes:
        if n.kind in DETACHED_KINDS:
            if design.edges_of(n.id):
                issues.append(_issue("error", "detached-kind-with-edges", n.id,
                                     f"{n.title} ({n.kind}) is attached by parameter, not by edges; remove its edges."))
            continue
        if clients and n.id not in reachable:
            issues.append(_issue("warning", "unreachable", n.id, f"{n.title} is not reachable from any client."))
    # Cycles are allowed only through an agent node or along explicit retry edges with a budget.
    bounded = nx.DiGraph()
    bounded.add_nodes_from(ids)
    for u, v, data in graph.edges(data=True):
        if not data["retry"] and kinds.get(u) != "agent" and kinds.get(v) != "agent":
            bounded.add_edge(u, v)
    for cycle in nx.simple_cycles(bounded):
        names = " → ".join(cycle + [cycle[0]])
        issues.append(_issue("error", "unbounded-cycle", cycle[0],
                             f"Cycle {names} has no bound: loop through an agent (max_iterations) or mark the edge "
                             "as a retry with a retry_budget."))
        break
    for n in design.nodes:
        if n.kind == "fanout":
            join = n.params.get("join", "")
            if join and join not in ids:
                issues.append(_issue("error", "bad-join", n.id, f"Fan-out {n.title} joins at unknown node {join!r}."))
            if len([e for e in design.out_edges(n.id) if not e.when]) < 2:
                issues.append(_issue("warning", "fanout-single-branch", n.id,
                                     f"Fan-out {n.title} has fewer than two branches."))
        if n.kind == "autoscaler":
            target = n.params.get("target", "")
            if not target or target not in ids:
                issues.append(_issue("error", "autoscaler-target", n.id,
                                     f"Autoscaler {n.title} must name an existing node in 'target' (got {target!r})."))
            elif kinds[target] in ("llm_api", "client"):
                issues.append(_issue("warning", "autoscaler-unsupported", n.id,
                                     f"Autoscaler {n.title} targets a {kinds[target]}: scaling it is not simulated "
                                     "(its replica count stays fixed); size it with `genai-sim autosize`."))
            elif kinds[target] == "llm_server" and design.node(target).params.get("expert_parallel"):
                issues.append(_issue("warning", "autoscaler-unsupported", n.id,
                                     f"Autoscaler {n.title} targets an expert-parallel llm_server: its replicas step "
                                     "as one engine, so scaling it is not simulated; size it with `genai-sim autosize`."))
        if n.kind == "agent" and not any(e.when == "done" for e in design.out_edges(n.id)) \
                and not [e for e in design.out_edges(n.id) if not e.when]:
            issues.append(_issue("warning", "agent-without-steps", n.id,
                                 f"Agent {n.title} has no step edges (to an LLM or tools)."))
    return issues


def structural_errors(design: Design) -> list[str]:
    return [f"{i['node'] + ': ' if i['node'] else ''}{i['message']}" for i in structural_issues(design)
            if i["severity"] == "error"]

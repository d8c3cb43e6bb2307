"""Structural checks of a design graph (request-flow rules); `validate` and the designer badges use them."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

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
    # Plain adjacency lists: these checks run before every simulation, and networkx costs 0.15 s to import.
    succ: dict[str, list[str]] = {i: [] for i in ids}
    bounded: dict[str, list[str]] = {i: [] for i in ids}
    for e in design.edges:
        if e.source in ids and e.target in ids:
            succ[e.source].append(e.target)
            if e.retry_budget is None and kinds[e.source] != "agent" and kinds[e.target] != "agent":
                bounded[e.source].append(e.target)
    for c in clients:
        if not design.out_edges(c):
            issues.append(_issue("error", "client-without-edges", c,
                                 f"Client {c!r} has no outgoing edge: its requests would finish at once."))
    reachable: set[str] = set()
    for c in clients:
        reachable |= _reachable(succ, c)
    for n in design.nodes:
        if n.kind in DETACHED_KINDS:
            if design.edges_of(n.id):
                issues.append(_issue("error", "detached-kind-with-edges", n.id,
                                     f"{n.title} ({n.kind}) is attached by parameter, not by edges; remove its edges."))
            continue
        if clients and n.id not in reachable:
            issues.append(_issue("warning", "unreachable", n.id, f"{n.title} is not reachable from any client."))
    # Cycles are allowed only through an agent node or along explicit retry edges with a budget.
    cycle = _find_cycle(bounded, [n.id for n in design.nodes])
    if cycle:
        names = " → ".join(cycle + [cycle[0]])
        issues.append(_issue("error", "unbounded-cycle", cycle[0],
                             f"Cycle {names} has no bound: loop through an agent (max_iterations) or mark the edge "
                             "as a retry with a retry_budget."))
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


class Digraph:
    """A directed graph as adjacency sets: all the design checks need (reachability, out-degree)."""

    def __init__(self, nodes: Iterable[str]) -> None:
        self.succ: dict[str, set[str]] = {n: set() for n in nodes}

    @property
    def nodes(self) -> list[str]:
        return list(self.succ)

    def __contains__(self, node: object) -> bool:
        return node in self.succ

    def add_edge(self, u: str, v: str) -> None:
        self.succ[u].add(v)

    def out_degree(self, node: str) -> int:
        return len(self.succ[node])

    def reachable_avoiding(self, sources: Iterable[str], avoid: set[str]) -> set[str]:
        """Nodes reachable from ``sources`` (included) along paths that enter no node of ``avoid``."""
        sources = [s for s in sources if s in self.succ]
        seen = set(sources)
        todo = deque(sources)
        while todo:
            for v in self.succ[todo.popleft()]:
                if v not in seen and v not in avoid:
                    seen.add(v)
                    todo.append(v)
        return seen


def _reachable(succ: dict[str, list[str]], start: str) -> set[str]:
    seen = {start}
    todo = deque([start])
    while todo:
        for v in succ[todo.popleft()]:
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return seen


def _find_cycle(succ: dict[str, list[str]], order: list[str]) -> list[str] | None:
    """One directed cycle (its nodes in order), or None: an iterative depth-first search with colours."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in order:
        if root in state:
            continue
        path: list[str] = [root]
        its = [iter(succ[root])]
        state[root] = 1
        while its:
            nxt = next(its[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                its.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                its.append(iter(succ[nxt]))
    return None


def structural_errors(design: Design) -> list[str]:
    return [f"{i['node'] + ': ' if i['node'] else ''}{i['message']}" for i in structural_issues(design)
            if i["severity"] == "error"]

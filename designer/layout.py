"""Auto-layout: left-to-right layers (longest path from the clients) with barycentre ordering.

Cycles (agent loops, retries) are broken by dropping DFS back edges before layering, so every node
still gets a layer; detached nodes (autoscaler, observability, islands) go in a row underneath.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import networkx as nx

from simulation.design import Design

LAYER_DX = 220.0
ROW_DY = 130.0
SWEEPS = 4


def _acyclic(design: Design) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(n.id for n in design.nodes)
    graph.add_edges_from((e.source, e.target) for e in design.edges if e.source != e.target)
    roots = [n.id for n in design.nodes if n.kind == "client"] + [n.id for n in design.nodes]
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 = on the DFS stack, 2 = done
    for root in roots:
        if root in state:
            continue
        stack = [(root, iter(graph.successors(root)))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    back.add((node, child))
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(graph.successors(child))))
                    break
            else:
                state[node] = 2
                stack.pop()
    dag = graph.copy()
    dag.remove_edges_from(back)
    return dag


def auto_layout(design: Design, origin: tuple[float, float] | None = None) -> dict[str, tuple[float, float]]:
    """New positions for every node (the caller wraps them in one MoveNodesCommand)."""
    if not design.nodes:
        return {}
    dag = _acyclic(design)
    connected = [n for n in dag.nodes if dag.degree(n) > 0]
    loose = [n.id for n in design.nodes if dag.degree(n.id) == 0 and n.kind != "client"]
    loose_clients = [n.id for n in design.nodes if dag.degree(n.id) == 0 and n.kind == "client"]
    layer: dict[str, int] = {}
    for node in nx.topological_sort(dag.subgraph(connected)):
        preds = list(dag.predecessors(node))
        layer[node] = max((layer[p] + 1 for p in preds), default=0)
    for c in loose_clients:
        layer[c] = 0
    layers: dict[int, list[str]] = {}
    model_order = {n.id: i for i, n in enumerate(design.nodes)}
    for node in sorted(layer, key=model_order.__getitem__):
        layers.setdefault(layer[node], []).append(node)
    # Barycentre sweeps reduce crossings: order each layer by the mean rank of its neighbours.
    for sweep in range(SWEEPS):
        keys = sorted(layers) if sweep % 2 == 0 else sorted(layers, reverse=True)
        for k in keys[1:]:
            rank = {n: i for lay in layers.values() for i, n in enumerate(lay)}
            neighbours = dag.predecessors if sweep % 2 == 0 else dag.successors
            layers[k].sort(key=lambda n, rank=rank, neighbours=neighbours: _barycentre(n, rank, neighbours))
    x0, y0 = origin if origin is not None else _origin(design)
    positions: dict[str, tuple[float, float]] = {}
    tallest = max(len(v) for v in layers.values()) if layers else 0
    for k, nodes in layers.items():
        offset = (tallest - len(nodes)) * ROW_DY / 2
        for i, node in enumerate(nodes):
            positions[node] = (x0 + k * LAYER_DX, y0 + offset + i * ROW_DY)
    below = y0 + max(tallest, 1) * ROW_DY + ROW_DY * 0.5
    for i, node in enumerate(loose):
        positions[node] = (x0 + i * LAYER_DX, below)
    return positions


def _barycentre(node: str, rank: dict[str, int], neighbours: Callable[[str], Iterable[str]]) -> float:
    ranks = [rank[m] for m in neighbours(node) if m in rank]
    return sum(ranks) / len(ranks) if ranks else float(rank[node])


def _origin(design: Design) -> tuple[float, float]:
    xs = [n.pos[0] for n in design.nodes]
    ys = [n.pos[1] for n in design.nodes]
    return (round(min(xs) / 20) * 20, round(min(ys) / 20) * 20)

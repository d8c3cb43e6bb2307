"""Undo commands change the model only and restore it exactly; checked per command and against an
independent reference model over long random edit/undo/redo sequences."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QUndoStack

from designer.commands import (
    AddEdgeCommand,
    AddNodeCommand,
    AddSubgraphCommand,
    MoveNodesCommand,
    RemoveCommand,
    RenameNodeCommand,
    SetEdgeCommand,
    SetParamCommand,
    SetSectionCommand,
)
from simulation.design import Design, Edge, Node
from simulation.loader import design_to_dict, load_design

from .conftest import RAG


def snapshot(design: Design) -> dict[str, Any]:
    return design_to_dict(design)


@pytest.fixture
def rag() -> Design:
    return load_design(RAG)


def check_roundtrip(design: Design, command: Any) -> None:
    """redo → state A, undo → the original, redo again → exactly A."""
    stack = QUndoStack()
    before = snapshot(design)
    stack.push(command)
    after = snapshot(design)
    assert after != before
    stack.undo()
    assert snapshot(design) == before
    stack.redo()
    assert snapshot(design) == after


def test_add_node(qapp, rag: Design) -> None:
    check_roundtrip(rag, AddNodeCommand(rag, Node("llm2", "llm_api", "Fallback API", (100, 200))))


def test_remove_node_restores_its_edges_in_order(qapp, rag: Design) -> None:
    events: list[str] = []
    rag.subscribe(lambda e, p: events.append(e))
    check_roundtrip(rag, RemoveCommand(rag, ["vdb"]))
    # The node is removed after both its edges, and restored before them.
    assert events[:3] == ["edge_removed", "edge_removed", "node_removed"]


def test_remove_several_nodes_and_an_edge(qapp, rag: Design) -> None:
    check_roundtrip(rag, RemoveCommand(rag, ["gateway", "rerank"], [6]))


def test_move_is_one_command_for_many_nodes(qapp, rag: Design) -> None:
    cmd = MoveNodesCommand(rag, {"users": ((0, 0), (20, 40)), "llm": ((1400, 0), (1400, 200))})
    check_roundtrip(rag, cmd)


def test_set_param_and_clear(qapp, rag: Design) -> None:
    check_roundtrip(rag, SetParamCommand(rag, "vdb", "top_k", 50))
    check_roundtrip(rag, SetParamCommand(rag, "vdb", "top_k", None))  # back to the kind default


def test_param_edits_merge_while_spinning(qapp, rag: Design) -> None:
    stack = QUndoStack()
    for value in (3, 4, 5, 6):
        stack.push(SetParamCommand(rag, "vdb", "replicas", value, mergeable=True))
    assert stack.count() == 1
    assert rag.node("vdb").params["replicas"] == 6
    stack.push(SetParamCommand(rag, "vdb", "top_k", 7, mergeable=True))  # another field: a new step
    assert stack.count() == 2
    stack.undo()
    stack.undo()
    assert rag.node("vdb").params["replicas"] == 2


def test_rename(qapp, rag: Design) -> None:
    check_roundtrip(rag, RenameNodeCommand(rag, "vdb", "pgvector"))


def test_add_and_edit_edge(qapp, rag: Design) -> None:
    check_roundtrip(rag, AddEdgeCommand(rag, Edge("cache", "llm", when="hit")))
    check_roundtrip(rag, SetEdgeCommand(rag, 0, {"latency_ms": 5.0, "label": "WAN"}))


def test_section(qapp, rag: Design) -> None:
    check_roundtrip(rag, SetSectionCommand(rag, "slo", {"ttft_p99_ms": 500.0}))
    check_roundtrip(rag, SetSectionCommand(rag, "name", "RAG v2"))


def test_add_subgraph(qapp, rag: Design) -> None:
    nodes = [Node("a", "service", "A", (0, 300)), Node("b", "service", "B", (200, 300))]
    check_roundtrip(rag, AddSubgraphCommand(rag, nodes, [Edge("a", "b")]))


# -- property-based: random edit/undo/redo sequences against a reference model of plain dicts -------

KINDS = ("service", "response_cache", "vector_db", "agent", "tool")
PARAMS = {"service": ("replicas", 1, 8), "response_cache": ("hit_rate", 0, 1), "vector_db": ("top_k", 1, 50),
          "agent": ("max_iterations", 1, 10), "tool": ("failure_rate", 0, 1)}


def ref_apply(state: dict[str, Any], op: tuple[str, Any]) -> dict[str, Any]:
    """The reference semantics of each edit, written independently of the commands."""
    s = copy.deepcopy(state)
    name, arg = op
    if name == "add_node":
        s["nodes"].append(arg)
    elif name == "remove":
        ids, edge_idx = arg
        s["edges"] = [e for i, e in enumerate(s["edges"])
                      if i not in edge_idx and e["source"] not in ids and e["target"] not in ids]
        s["nodes"] = [n for n in s["nodes"] if n["id"] not in ids]
    elif name == "move":
        for n in s["nodes"]:
            if n["id"] in arg:
                n["pos"] = [round(arg[n["id"]][0], 2), round(arg[n["id"]][1], 2)]
    elif name == "param":
        node_id, key, value = arg
        for n in s["nodes"]:
            if n["id"] == node_id:
                params = n.setdefault("params", {})
                if value is None:
                    params.pop(key, None)
                else:
                    params[key] = value
                if not params:
                    del n["params"]
    elif name == "add_edge":
        s["edges"].append(arg)
    elif name == "edge_weight":
        index, weight = arg
        if weight == 1.0:
            s["edges"][index].pop("weight", None)
        else:
            s["edges"][index]["weight"] = weight
    elif name == "rename":
        node_id, new = arg
        for n in s["nodes"]:
            if n["id"] == node_id:
                if new:
                    n["name"] = new
                else:
                    n.pop("name", None)
    return s


def ordered(state: dict[str, Any]) -> dict[str, Any]:
    """Key order inside node dicts does not matter for equality of the model."""
    return json_roundtrip(state)


def json_roundtrip(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, sort_keys=True))


step = st.tuples(st.sampled_from(["add_node", "remove", "move", "param", "add_edge", "edge_weight", "rename",
                                  "undo", "undo", "redo"]),
                 st.integers(0, 10_000), st.integers(0, 10_000), st.floats(0, 1, allow_nan=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(step, min_size=20, max_size=80))
def test_random_edit_undo_redo_sequences(qapp, steps: list[tuple[str, int, int, float]]) -> None:
    design = load_design(RAG)
    stack = QUndoStack()
    history = [snapshot(design)]  # reference states; history[stack.index()] is the expected model
    counter = 0
    for name, a, b, f in steps:
        nodes = design.nodes
        cmd = None
        op: tuple[str, Any] | None = None
        if name == "undo":
            if stack.canUndo():
                stack.undo()
        elif name == "redo":
            if stack.canRedo():
                stack.redo()
        elif name == "add_node":
            counter += 1
            kind = KINDS[a % len(KINDS)]
            node = Node(f"n{counter}", kind, f"N{counter}", (float(a % 900), float(b % 600)))
            cmd, op = AddNodeCommand(design, node), ("add_node", {"id": node.id, "kind": kind, "name": node.name,
                                                                 "pos": [float(a % 900), float(b % 600)]})
        elif name == "remove" and nodes:
            ids = [nodes[a % len(nodes)].id]
            edge_idx = [b % len(design.edges)] if design.edges and f > 0.5 else []
            cmd, op = RemoveCommand(design, ids, edge_idx), ("remove", (ids, edge_idx))
        elif name == "move" and nodes:
            picked = {nodes[a % len(nodes)].id, nodes[b % len(nodes)].id}
            moves = {i: (design.node(i).pos, (design.node(i).pos[0] + 20, design.node(i).pos[1] - 40)) for i in picked}
            cmd, op = MoveNodesCommand(design, moves), ("move", {i: m[1] for i, m in moves.items()})
        elif name == "param" and nodes:
            node = nodes[a % len(nodes)]
            if node.kind in PARAMS:
                key, lo, hi = PARAMS[node.kind]
                value: Any = lo + (b % (hi - lo + 1)) if isinstance(lo, int) and hi > 1 else round(f, 3)
                if b % 7 == 0:
                    value = None
                cmd, op = SetParamCommand(design, node.id, key, value), ("param", (node.id, key, value))
        elif name == "add_edge" and len(nodes) >= 2:
            src, dst = nodes[a % len(nodes)].id, nodes[b % len(nodes)].id
            if src != dst:
                cmd, op = AddEdgeCommand(design, Edge(src, dst)), ("add_edge", {"source": src, "target": dst})
        elif name == "edge_weight" and design.edges:
            index = a % len(design.edges)
            weight = round(f * 4, 2)
            cmd, op = SetEdgeCommand(design, index, {"weight": weight}), ("edge_weight", (index, weight))
        elif name == "rename" and nodes:
            node = nodes[a % len(nodes)]
            new = f"renamed {b}" if b % 5 else ""
            cmd, op = RenameNodeCommand(design, node.id, new), ("rename", (node.id, new))
        if cmd is not None and op is not None:
            expected = ref_apply(history[stack.index()], op)
            del history[stack.index() + 1:]
            stack.push(cmd)
            history.append(expected)
        assert ordered(snapshot(design)) == ordered(history[stack.index()])
    # Unwinding everything gets back to the file exactly.
    while stack.canUndo():
        stack.undo()
    assert snapshot(design) == history[0]


def test_spinning_back_to_the_start_leaves_no_undo_step(qapp, rag: Design) -> None:
    stack = QUndoStack()
    for value in (3, 4, 3, 2):  # vdb starts at replicas = 2
        stack.push(SetParamCommand(rag, "vdb", "replicas", value, mergeable=True))
    assert stack.count() == 0 and rag.node("vdb").params["replicas"] == 2

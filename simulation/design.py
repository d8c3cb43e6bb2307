"""The design model: nodes, edges, workload, SLOs and budget, with change events.

Every mutation goes through a method here and emits one event, so views (the Qt scene, the
inspector) are projections of the model and undo commands only need to call these methods.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]


@dataclass
class Node:
    id: str
    kind: str
    name: str = ""
    pos: tuple[float, float] = (0.0, 0.0)
    params: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.name or self.id


@dataclass
class Edge:
    source: str
    target: str
    weight: float = 1.0
    when: str | None = None
    latency_ms: float = 0.0
    label: str | None = None
    retry_budget: int | None = None

    def key(self) -> tuple[str, str, str | None]:
        return (self.source, self.target, self.when)


@dataclass
class Group:
    """A labelled box drawn behind nodes ("Region A", "VPC"). Layout only: the simulation ignores it.
    Its members are the nodes whose centre lies inside ``rect`` (x, y, width, height)."""

    id: str
    name: str = ""
    rect: tuple[float, float, float, float] = (0.0, 0.0, 400.0, 300.0)

    def contains(self, pos: tuple[float, float]) -> bool:
        x, y, w, h = self.rect
        return x <= pos[0] <= x + w and y <= pos[1] <= y + h


@dataclass
class Design:
    name: str = "Untitled design"
    description: str = ""
    workload: dict[str, Any] = field(default_factory=dict)
    slo: dict[str, float] = field(default_factory=dict)
    budget: dict[str, float] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # "results", "sweeps", "notes" kept on save
    # The folder relative file names (traces, empirical samples) resolve against: where the design was
    # loaded from. Never saved (it describes this copy, not the design) and not compared.
    base_dir: str | None = field(default=None, repr=False, compare=False)
    groups: list[Group] = field(default_factory=list)
    _listeners: list[Listener] = field(default_factory=list, repr=False, compare=False)

    # -- observation ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: str, **payload: Any) -> None:
        for listener in list(self._listeners):
            listener(event, payload)

    # -- queries -------------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def has_node(self, node_id: str) -> bool:
        return any(n.id == node_id for n in self.nodes)

    def node_index(self, node_id: str) -> int:
        for i, n in enumerate(self.nodes):
            if n.id == node_id:
                return i
        raise KeyError(node_id)

    def out_edges(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id]

    def in_edges(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.target == node_id]

    def edges_of(self, node_id: str) -> list[tuple[int, Edge]]:
        return [(i, e) for i, e in enumerate(self.edges) if node_id in (e.source, e.target)]

    def new_id(self, base: str) -> str:
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in base.lower()) or "node"
        taken = {n.id for n in self.nodes}
        if stem not in taken:
            return stem
        i = 2
        while f"{stem}{i}" in taken:
            i += 1
        return f"{stem}{i}"

    # -- mutations (each emits one event) -------------------------------------------------------
    def add_node(self, node: Node, index: int | None = None) -> None:
        if self.has_node(node.id):
            raise ValueError(f"duplicate node id {node.id!r}")
        index = len(self.nodes) if index is None else index
        self.nodes.insert(index, node)
        self._emit("node_added", node=node, index=index)

    def remove_node(self, node_id: str) -> tuple[Node, int]:
        """Remove a node that has no edges left (callers remove its edges first, in order)."""
        assert not self.edges_of(node_id), "remove the node's edges first"
        index = self.node_index(node_id)
        node = self.nodes.pop(index)
        self._emit("node_removed", node=node, index=index)
        return node, index

    def move_node(self, node_id: str, pos: tuple[float, float]) -> None:
        node = self.node(node_id)
        node.pos = (float(pos[0]), float(pos[1]))
        self._emit("node_moved", node=node)

    def rename_node(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        node.name = name
        self._emit("node_changed", node=node, field="name")

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set a parameter; ``value=None`` removes it (the kind's default applies again)."""
        node = self.node(node_id)
        if value is None:
            node.params.pop(name, None)
        else:
            node.params[name] = copy.deepcopy(value)
        self._emit("node_changed", node=node, field=f"params.{name}")

    def set_faults(self, node_id: str, faults: dict[str, Any]) -> None:
        node = self.node(node_id)
        node.faults = copy.deepcopy(faults)
        self._emit("node_changed", node=node, field="faults")

    def add_edge(self, edge: Edge, index: int | None = None) -> None:
        index = len(self.edges) if index is None else index
        self.edges.insert(index, edge)
        self._emit("edge_added", edge=edge, index=index)

    def remove_edge(self, index: int) -> Edge:
        edge = self.edges.pop(index)
        self._emit("edge_removed", edge=edge, index=index)
        return edge

    def set_edge(self, index: int, **attrs: Any) -> None:
        edge = self.edges[index]
        for key, value in attrs.items():
            setattr(edge, key, value)
        self._emit("edge_changed", edge=edge, index=index)

    def group(self, group_id: str) -> Group:
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def add_group(self, group: Group, index: int | None = None) -> None:
        index = len(self.groups) if index is None else index
        self.groups.insert(index, group)
        self._emit("group_added", group=group, index=index)

    def remove_group(self, group_id: str) -> tuple[Group, int]:
        index = next(i for i, g in enumerate(self.groups) if g.id == group_id)
        group = self.groups.pop(index)
        self._emit("group_removed", group=group, index=index)
        return group, index

    def set_group(self, group_id: str, name: str | None = None,
                  rect: tuple[float, float, float, float] | None = None) -> None:
        group = self.group(group_id)
        if name is not None:
            group.name = name
        if rect is not None:
            group.rect = tuple(float(v) for v in rect)  # type: ignore[assignment]
        self._emit("group_changed", group=group)

    def set_section(self, section: str, value: Any) -> None:
        """Replace ``workload``, ``slo``, ``budget``, ``name`` or ``description``."""
        assert section in ("workload", "slo", "budget", "name", "description")
        setattr(self, section, copy.deepcopy(value))
        self._emit("design_changed", field=section)

    def set_extra(self, key: str, value: Any) -> None:
        """Set (``value=None``: remove) one kept section such as ``results`` or ``sweeps``."""
        if value is None:
            self.extra.pop(key, None)
        else:
            self.extra[key] = copy.deepcopy(value)
        self._emit("extra_changed", key=key)

    def replace_with(self, other: Design) -> None:
        """Take over another design's content (open, revert) and tell views to rebuild."""
        for name in ("name", "description", "workload", "slo", "budget", "nodes", "edges", "extra", "groups",
                     "base_dir"):
            setattr(self, name, getattr(other, name))
        self._emit("reset")

    def clone(self) -> Design:
        twin = Design()
        for name in ("name", "description", "workload", "slo", "budget", "nodes", "edges", "extra", "groups"):
            setattr(twin, name, copy.deepcopy(getattr(self, name)))
        twin.base_dir = self.base_dir
        return twin

"""Undo commands. They change the design model only (never graphics items): the scene follows the
model's change events, so redo/undo are exact regardless of what the views do."""

from __future__ import annotations

import copy
import time
from typing import Any

from PySide6.QtGui import QUndoCommand

from simulation.design import Design, Edge, Group, Node

MERGE_WINDOW_S = 1.5  # edits of one field closer together than this (slider drag, spinner) are one undo step

ID_SET_PARAM = 1
ID_SET_SECTION = 2
ID_SET_EDGE = 3


class AddNodeCommand(QUndoCommand):
    def __init__(self, design: Design, node: Node, text: str = "") -> None:
        super().__init__(text or f"Add {node.title}")
        self.design = design
        self.node = copy.deepcopy(node)

    def redo(self) -> None:
        self.design.add_node(copy.deepcopy(self.node))

    def undo(self) -> None:
        self.design.remove_node(self.node.id)


class AddSubgraphCommand(QUndoCommand):
    """Adds nodes and the edges among them (paste, duplicate); undo removes exactly those."""

    def __init__(self, design: Design, nodes: list[Node], edges: list[Edge], text: str = "Paste") -> None:
        super().__init__(text)
        self.design = design
        self.nodes = copy.deepcopy(nodes)
        self.edges = copy.deepcopy(edges)
        self._edge_start = 0

    def redo(self) -> None:
        for node in self.nodes:
            self.design.add_node(copy.deepcopy(node))
        self._edge_start = len(self.design.edges)
        for edge in self.edges:
            self.design.add_edge(copy.deepcopy(edge))

    def undo(self) -> None:
        for i in reversed(range(self._edge_start, self._edge_start + len(self.edges))):
            self.design.remove_edge(i)
        for node in reversed(self.nodes):
            self.design.remove_node(node.id)


class RemoveCommand(QUndoCommand):
    """Removes nodes (with every edge touching them) and edges; undo restores both in their original order."""

    def __init__(self, design: Design, node_ids: list[str], edge_indices: list[int] = (), text: str = "") -> None:
        super().__init__(text or _remove_text(design, node_ids, edge_indices))
        self.design = design
        ids = set(node_ids)
        edge_set = set(edge_indices)
        self.removed_edges = [(i, copy.deepcopy(e)) for i, e in enumerate(design.edges)
                              if i in edge_set or e.source in ids or e.target in ids]
        self.removed_nodes = [(i, copy.deepcopy(n)) for i, n in enumerate(design.nodes) if n.id in ids]

    def redo(self) -> None:
        for i, _ in reversed(self.removed_edges):
            self.design.remove_edge(i)
        for _, node in reversed(self.removed_nodes):
            self.design.remove_node(node.id)

    def undo(self) -> None:
        for i, node in self.removed_nodes:
            self.design.add_node(copy.deepcopy(node), i)
        for i, edge in self.removed_edges:
            self.design.add_edge(copy.deepcopy(edge), i)


def _remove_text(design: Design, node_ids: list[str], edge_indices: list[int]) -> str:
    if len(node_ids) == 1 and not edge_indices:
        return f"Delete {design.node(node_ids[0]).title}"
    parts = []
    if node_ids:
        parts.append(f"{len(node_ids)} node{'s' * (len(node_ids) != 1)}")
    if edge_indices:
        parts.append(f"{len(edge_indices)} edge{'s' * (len(edge_indices) != 1)}")
    return "Delete " + " and ".join(parts)


class MoveNodesCommand(QUndoCommand):
    """One command for a whole drag (or an auto-layout): {node_id: (old_pos, new_pos)}."""

    def __init__(self, design: Design, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
                 text: str = "") -> None:
        super().__init__(text or (f"Move {design.node(next(iter(moves))).title}" if len(moves) == 1
                                  else f"Move {len(moves)} nodes"))
        self.design = design
        self.moves = {k: (tuple(map(float, a)), tuple(map(float, b))) for k, (a, b) in moves.items()}

    def redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.design.move_node(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.design.move_node(node_id, old)


class _MergeableCommand(QUndoCommand):
    merge_key: tuple[Any, ...] = ()

    def __init__(self, text: str, mergeable: bool) -> None:
        super().__init__(text)
        self.mergeable = mergeable
        self.stamp = time.monotonic()

    def _can_merge(self, other: QUndoCommand) -> bool:
        return (isinstance(other, type(self)) and self.mergeable and other.mergeable
                and other.merge_key == self.merge_key and other.stamp - self.stamp < MERGE_WINDOW_S)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API)
        """Fold a later edit of the same field into this step (subclasses keep ``old`` and ``new``)."""
        if not self._can_merge(other):
            return False
        self.new = copy.deepcopy(other.new)  # type: ignore[attr-defined]
        self.stamp = other.stamp  # type: ignore[attr-defined]
        self.setObsolete(self.new == self.old)  # type: ignore[attr-defined]  # spun back: no undo step at all
        return True


class SetParamCommand(_MergeableCommand):
    """Sets (or with ``None`` clears) one parameter. Spinner/slider edits of one field merge into one step."""

    def __init__(self, design: Design, node_id: str, name: str, value: Any, mergeable: bool = False) -> None:
        node = design.node(node_id)
        super().__init__(f"Set {node.title}.{name}", mergeable)
        self.design = design
        self.node_id, self.name = node_id, name
        self.old = copy.deepcopy(node.params.get(name))
        self.new = copy.deepcopy(value)
        self.merge_key = (node_id, name)

    def id(self) -> int:
        return ID_SET_PARAM

    def redo(self) -> None:
        self.design.set_param(self.node_id, self.name, copy.deepcopy(self.new))

    def undo(self) -> None:
        self.design.set_param(self.node_id, self.name, copy.deepcopy(self.old))


class RenameNodeCommand(QUndoCommand):
    def __init__(self, design: Design, node_id: str, name: str) -> None:
        super().__init__(f"Rename to {name or node_id}")
        self.design, self.node_id = design, node_id
        self.old, self.new = design.node(node_id).name, name

    def redo(self) -> None:
        self.design.rename_node(self.node_id, self.new)

    def undo(self) -> None:
        self.design.rename_node(self.node_id, self.old)


class AddEdgeCommand(QUndoCommand):
    def __init__(self, design: Design, edge: Edge, text: str = "") -> None:
        super().__init__(text or f"Connect {edge.source} → {edge.target}")
        self.design = design
        self.edge = copy.deepcopy(edge)
        self.index = len(design.edges)

    def redo(self) -> None:
        self.design.add_edge(copy.deepcopy(self.edge), self.index)

    def undo(self) -> None:
        self.design.remove_edge(self.index)


class SetEdgeCommand(_MergeableCommand):
    def __init__(self, design: Design, index: int, attrs: dict[str, Any], mergeable: bool = False) -> None:
        edge = design.edges[index]
        super().__init__(f"Edit edge {edge.source} → {edge.target}", mergeable)
        self.design, self.index = design, index
        self.old = {k: copy.deepcopy(getattr(edge, k)) for k in attrs}
        self.new = copy.deepcopy(attrs)
        self.merge_key = (index, tuple(sorted(attrs)))

    def id(self) -> int:
        return ID_SET_EDGE

    def redo(self) -> None:
        self.design.set_edge(self.index, **copy.deepcopy(self.new))

    def undo(self) -> None:
        self.design.set_edge(self.index, **copy.deepcopy(self.old))


class SetSectionCommand(_MergeableCommand):
    """Replaces a design-level section: workload, slo, budget, name or description."""

    def __init__(self, design: Design, section: str, value: Any, mergeable: bool = False, text: str = "") -> None:
        super().__init__(text or f"Edit {section}", mergeable)
        self.design, self.section = design, section
        self.old = copy.deepcopy(getattr(design, section))
        self.new = copy.deepcopy(value)
        self.merge_key = (section,)

    def id(self) -> int:
        return ID_SET_SECTION

    def redo(self) -> None:
        self.design.set_section(self.section, self.new)

    def undo(self) -> None:
        self.design.set_section(self.section, self.old)


class SetExtraCommand(QUndoCommand):
    """Sets (``value=None``: drops) a kept section of the design file, e.g. run ``results`` or ``sweeps``,
    through the model so views hear of it; undoable, so keeping results is an unsaved change like any edit."""

    def __init__(self, design: Design, key: str, value: Any, text: str) -> None:
        super().__init__(text)
        self.design, self.key = design, key
        self.old = copy.deepcopy(design.extra.get(key))
        self.new = copy.deepcopy(value)

    def redo(self) -> None:
        self.design.set_extra(self.key, self.new)

    def undo(self) -> None:
        self.design.set_extra(self.key, self.old)
# -- canvas editing: nudges, groups ---------------------------------------------------------------------
ID_NUDGE = 10
NUDGE_BURST_S = 1.0  # arrow-key presses closer together than this are one undo step


class NudgeCommand(MoveNodesCommand):
    """An arrow-key move of the selection. Presses of one key burst (the same nodes, each within
    NUDGE_BURST_S of the last) fold into one undo step."""

    def __init__(self, design: Design, node_ids: list[str], dx: float, dy: float,
                 group_ids: list[str] | tuple[str, ...] = ()) -> None:
        """``group_ids``: group boxes nudged along (their members are in ``node_ids``)."""
        moves = {nid: (design.node(nid).pos, (design.node(nid).pos[0] + dx, design.node(nid).pos[1] + dy))
                 for nid in node_ids}
        if group_ids:
            text = f"Nudge {design.group(group_ids[0]).name or group_ids[0]}" if len(group_ids) == 1 \
                else f"Nudge {len(group_ids)} groups"
        elif len(node_ids) == 1:
            text = f"Nudge {design.node(node_ids[0]).title}"
        else:
            text = f"Nudge {len(node_ids)} nodes"
        super().__init__(design, moves, text)
        self.group_moves: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {}
        for gid in group_ids:
            x, y, w, h = design.group(gid).rect
            self.group_moves[gid] = ((x, y, w, h), (x + dx, y + dy, w, h))
        self.stamp = time.monotonic()

    def id(self) -> int:
        return ID_NUDGE

    def redo(self) -> None:
        super().redo()
        for gid, (_, new) in self.group_moves.items():
            self.design.set_group(gid, rect=new)

    def undo(self) -> None:
        super().undo()
        for gid, (old, _) in self.group_moves.items():
            self.design.set_group(gid, rect=old)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API)
        if (not isinstance(other, NudgeCommand) or set(other.moves) != set(self.moves)
                or set(other.group_moves) != set(self.group_moves)):
            return False
        if other.stamp - self.stamp > NUDGE_BURST_S:
            return False
        self.moves = {nid: (self.moves[nid][0], other.moves[nid][1]) for nid in self.moves}
        self.group_moves = {g: (self.group_moves[g][0], other.group_moves[g][1]) for g in self.group_moves}
        self.stamp = other.stamp
        self.setObsolete(all(old == new for old, new in [*self.moves.values(), *self.group_moves.values()]))
        return True


class AddGroupCommand(QUndoCommand):
    def __init__(self, design: Design, group: Group) -> None:
        super().__init__(f"Add group {group.name or group.id}")
        self.design = design
        self.group = copy.deepcopy(group)
        self.index = len(design.groups)

    def redo(self) -> None:
        self.design.add_group(copy.deepcopy(self.group), self.index)

    def undo(self) -> None:
        self.design.remove_group(self.group.id)


class RemoveGroupCommand(QUndoCommand):
    """Removes a group box; its member nodes stay where they are."""

    def __init__(self, design: Design, group_id: str) -> None:
        group = design.group(group_id)
        super().__init__(f"Delete group {group.name or group.id}")
        self.design = design
        self.group = copy.deepcopy(group)
        self.index = design.groups.index(group)

    def redo(self) -> None:
        self.design.remove_group(self.group.id)

    def undo(self) -> None:
        self.design.add_group(copy.deepcopy(self.group), self.index)


class SetGroupCommand(QUndoCommand):
    """Renames, moves or resizes a group box (a move of its members is a separate MoveNodesCommand in
    the same macro)."""

    def __init__(self, design: Design, group_id: str, name: str | None = None,
                 rect: tuple[float, float, float, float] | None = None, text: str = "") -> None:
        group = design.group(group_id)
        label = group.name or group.id
        super().__init__(text or (f"Rename group to {name}" if name is not None else f"Resize {label}"))
        self.design, self.group_id = design, group_id
        self.old = (group.name if name is not None else None, tuple(group.rect) if rect is not None else None)
        self.new = (name, tuple(float(v) for v in rect) if rect is not None else None)

    def redo(self) -> None:
        self.design.set_group(self.group_id, *self.new)

    def undo(self) -> None:
        self.design.set_group(self.group_id, *self.old)

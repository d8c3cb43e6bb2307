"""Canvas editing actions and context menus: rename, align/distribute, group boxes, and the right-click
menus of nodes, edges, groups and the empty canvas. The main window creates one CanvasActions and adds
its actions to its menus; every action ends in undo commands on the model."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import QMenu, QWidget

from designer import shortcuts
from designer.canvas.arrange import align, distribute
from designer.canvas.groups import GroupItem
from designer.canvas.items import EdgeItem, NodeItem
from designer.canvas.placement import free_spot
from designer.commands import AddGroupCommand, MoveNodesCommand, RemoveCommand, RemoveGroupCommand
from simulation.design import Group

GROUP_PAD = 30.0  # room around the cards inside a new group box
GROUP_HEADER = 34.0

ALIGN_ACTIONS = (("align_left", "Align &Left", "left"), ("align_center", "Align &Center", "center"),
                 ("align_right", "Align &Right", "right"), ("align_top", "Align &Top", "top"),
                 ("align_middle", "Align &Middle", "middle"), ("align_bottom", "Align &Bottom", "bottom"))
DISTRIBUTE_ACTIONS = (("distribute_h", "Distribute &Horizontally", "h"),
                      ("distribute_v", "Distribute &Vertically", "v"))


class CanvasActions(QObject):
    """``window_actions``: the window's own actions (cut, copy, paste, duplicate, delete, select_all,
    auto_layout, zoom_fit) reused in the context menus; ``add_node(kind, scene_pos)`` adds a component."""

    def __init__(self, view, undo_stack: QUndoStack, parent: QWidget,  # type: ignore[no-untyped-def]
                 window_actions: dict[str, QAction] | None = None,
                 add_node: Callable[[str, QPointF], object] | None = None,
                 status: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.undo_stack = undo_stack
        self.window_actions = window_actions or {}
        self.add_node = add_node
        self.status = status or (lambda _text: None)
        self.actions: dict[str, QAction] = {}
        self._action("rename", "&Rename", self.view.rename_selected, "Rename the selected node or group in place")
        for name, text, mode in ALIGN_ACTIONS:
            self._action(name, text, lambda m=mode: self.align(m), f"Align the selected nodes: {mode}")
        for name, text, axis in DISTRIBUTE_ACTIONS:
            self._action(name, text, lambda a=axis: self.distribute(a), "Even gaps between the selected nodes")
        self._action("group", "&Group Selection", self.group_selection,
                     "Draw a labelled box (a region, a VPC) around the selected nodes")
        self._action("ungroup", "&Remove Group Box", self.remove_selected_groups,
                     "Delete the selected group boxes; their nodes stay")
        for action in self.actions.values():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            view.addAction(action)  # canvas keys: in a text field F2 or Alt+Shift+L do nothing here
        view.design_scene().context_menu_requested.connect(self.show_context_menu)

    def _action(self, name: str, text: str, slot: Callable[[], object], tip: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        shortcuts.apply(action)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.actions[name] = action
        return action

    @property
    def scene(self):  # type: ignore[no-untyped-def]
        return self.view.design_scene()

    # -- align / distribute ---------------------------------------------------------------------------
    def _selected_cards(self) -> dict[str, tuple[float, float, float, float]]:
        rects = self.scene.card_rects()
        return {nid: rects[nid] for nid in self.scene.selected_node_ids() if nid in rects}

    def _move_to_centres(self, centres: dict[str, tuple[float, float]], text: str) -> None:
        design = self.scene.design
        moves = {}
        for nid, (x, y) in centres.items():
            old = design.node(nid).pos
            new = (round(x, 2), round(y, 2))
            if (abs(old[0] - new[0]) > 1e-6) or (abs(old[1] - new[1]) > 1e-6):
                moves[nid] = (old, new)
        if moves:
            self.undo_stack.push(MoveNodesCommand(design, moves, text))

    def align(self, mode: str) -> None:
        cards = self._selected_cards()
        if len(cards) < 2:
            self.status("Select two or more nodes to align.")
            return
        self._move_to_centres(align(cards, mode), f"Align {len(cards)} nodes {mode}")

    def distribute(self, axis: str) -> None:
        cards = self._selected_cards()
        if len(cards) < 3:
            self.status("Select three or more nodes to distribute.")
            return
        word = "horizontally" if axis == "h" else "vertically"
        self._move_to_centres(distribute(cards, axis), f"Distribute {len(cards)} nodes {word}")

    # -- group boxes ---------------------------------------------------------------------------------------
    def group_selection(self, name: str = "") -> Group | None:
        cards = self._selected_cards()
        if not cards:
            self.status("Select the nodes to put in a group box.")
            return None
        design = self.scene.design
        left = min(r[0] for r in cards.values()) - GROUP_PAD
        top = min(r[1] for r in cards.values()) - GROUP_PAD - GROUP_HEADER
        right = max(r[2] for r in cards.values()) + GROUP_PAD
        bottom = max(r[3] for r in cards.values()) + GROUP_PAD
        taken = {g.id for g in design.groups}
        i = 1
        while f"group{i}" in taken:
            i += 1
        names = {g.name for g in design.groups}
        j = i
        while f"Group {j}" in names:
            j += 1
        group = Group(f"group{i}", name or f"Group {j}", (left, top, right - left, bottom - top))
        self.undo_stack.push(AddGroupCommand(design, group))
        item = self.scene.group_items.get(group.id)
        if item is not None and not name:
            self.scene.clearSelection()
            item.setSelected(True)
            self.view.renamer.start(item)  # name it right away, as draw.io does
        return group

    def selected_group_ids(self) -> list[str]:
        return [i.group_id for i in self.scene.selectedItems() if isinstance(i, GroupItem)]

    def remove_selected_groups(self) -> None:
        groups = self.selected_group_ids()
        if not groups:
            self.status("Select a group box to remove.")
            return
        if len(groups) > 1:
            self.undo_stack.beginMacro(f"Delete {len(groups)} group boxes")
        for gid in groups:
            self.undo_stack.push(RemoveGroupCommand(self.scene.design, gid))
        if len(groups) > 1:
            self.undo_stack.endMacro()

    # -- context menus -------------------------------------------------------------------------------------
    def build_context_menu(self, target: object, scene_pos: QPointF) -> QMenu:
        menu = QMenu(self.view)
        menu.setObjectName("canvas_context_menu")
        w = self.window_actions
        selected_nodes = self.scene.selected_node_ids()

        def add(*names: str | None) -> None:
            for name in names:
                if name is None:
                    menu.addSeparator()
                elif name in self.actions:
                    menu.addAction(self.actions[name])
                elif name in w:
                    menu.addAction(w[name])

        if isinstance(target, NodeItem):
            add("rename", None, "cut", "copy", "duplicate", "delete", None, "group")
            if len(selected_nodes) >= 2:
                arrange = menu.addMenu("&Arrange")
                for name, _text, _mode in ALIGN_ACTIONS:
                    arrange.addAction(self.actions[name])
                arrange.addSeparator()
                for name, _text, _axis in DISTRIBUTE_ACTIONS:
                    arrange.addAction(self.actions[name])
        elif isinstance(target, EdgeItem):
            delete = menu.addAction("&Delete Edge")
            delete.triggered.connect(lambda _c=False, e=target: self._delete_edge(e))
            src = menu.addAction(f"Select Source ({target.source.node_id})")
            src.triggered.connect(lambda _c=False, e=target: self.scene.select_nodes([e.source.node_id]))
            dst = menu.addAction(f"Select Target ({target.target.node_id})")
            dst.triggered.connect(lambda _c=False, e=target: self.scene.select_nodes([e.target.node_id]))
        elif isinstance(target, GroupItem):
            add("rename")
            members = menu.addAction("Select &Members")
            members.triggered.connect(
                lambda _c=False, g=target: self.scene.select_nodes(self.scene.group_members(g.group_id)))
            add(None, "ungroup")
        else:
            add("paste")
            if self.add_node is not None:
                self._add_component_menu(menu, scene_pos)
            add(None, "select_all", "auto_layout", "zoom_fit")
        return menu

    def _add_component_menu(self, menu: QMenu, scene_pos: QPointF) -> None:
        from designer.icons import kind_icon
        from simulation.registry import GROUPS, all_kinds

        sub = menu.addMenu("Add &Component Here")
        by_group: dict[str, list] = {}  # type: ignore[type-arg]
        for kind in all_kinds():
            by_group.setdefault(kind.group, []).append(kind)
        for group, label in GROUPS:
            kinds = by_group.get(group, [])
            if not kinds:
                continue
            g = sub.addMenu(label)
            for kind in kinds:
                action = g.addAction(kind_icon(kind.kind), kind.label)
                action.triggered.connect(lambda _c=False, k=kind.kind, p=QPointF(scene_pos): self._add_at(k, p))

    def _add_at(self, kind: str, scene_pos: QPointF) -> None:
        """Near the click, on a free spot: a new card never lands on top of another."""
        x, y = free_spot((scene_pos.x(), scene_pos.y()), self.scene.card_rects().values())
        if self.add_node is not None:
            self.add_node(kind, QPointF(x, y))

    def _delete_edge(self, edge: EdgeItem) -> None:
        if edge in self.scene.edge_items:
            index = self.scene.edge_items.index(edge)
            self.undo_stack.push(RemoveCommand(self.scene.design, [], [index]))

    def show_context_menu(self, target: object, screen_pos: QPoint, scene_pos: QPointF) -> QMenu:
        """Pops the menu up without a nested event loop; it deletes itself once closed."""
        menu = self.build_context_menu(target, scene_pos)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(screen_pos)
        return menu

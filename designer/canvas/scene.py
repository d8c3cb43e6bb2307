"""DesignScene: a QGraphicsScene that projects a Design. It listens to the model's change events and
never changes the model itself except by pushing undo commands (moves, connections)."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen, QUndoStack
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneHelpEvent,
    QGraphicsSceneMouseEvent,
    QToolTip,
)

from designer.canvas import routing
from designer.canvas.groups import GroupItem
from designer.canvas.items import EdgeItem, EdgeLayer, NodeItem
from designer.canvas.summary import edge_label, node_summary
from designer.commands import AddEdgeCommand, MoveNodesCommand
from designer.theme import LIGHT, Theme
from simulation.design import Design, Edge, Node
from simulation.registry import get_kind

SCENE_MARGIN = 1500.0
BOTTLENECK_MIN_UTILIZATION = 0.5  # below half busy, the busiest node is not called a bottleneck


class DesignScene(QGraphicsScene):
    """Nodes and edges of ``design``. ``undo_stack`` is None for read-only uses (export, thumbnails)."""

    status_message = Signal(str)
    review_changed = Signal(list)
    rename_requested = Signal(object)  # a NodeItem or GroupItem to rename in place
    context_menu_requested = Signal(object, QPoint, QPointF)  # item under the mouse (or None), screen, scene

    def __init__(self, design: Design, undo_stack: QUndoStack | None = None, theme: Theme = LIGHT,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.design = design
        self.undo_stack = undo_stack
        self.editable = undo_stack is not None
        self.theme = theme
        self.snap_to_grid = True
        self.user_dragging = False
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: list[EdgeItem] = []
        self.group_items: dict[str, GroupItem] = {}
        self.lod_scale = 1.0  # screen pixels per device pixel (thumbnails drawn at 2x set 0.5)
        self.run_issues: list[dict[str, Any]] = []
        self._card_rects: dict[str, tuple[float, float, float, float]] | None = None
        self._lanes: dict[int, tuple[int, int, int]] | None = None
        self._back_routes: dict[int, list[tuple[float, float]]] | None = None
        self._settled_back_routes: dict[int, list[tuple[float, float]]] = {}  # the last full routing
        self._reroute_timer = QTimer(self)
        self._reroute_timer.setSingleShot(True)
        self._reroute_timer.setInterval(0)
        self._reroute_timer.timeout.connect(self.reroute)
        self.issues: list[dict[str, Any]] = []
        self.edge_layer: EdgeLayer | None = None
        self._defaults: dict[str, dict[str, Any]] = {}
        self.detail = True  # False when the view is zoomed far out (see set_detail)
        self._press_positions: dict[str, tuple[float, float]] = {}
        self._connect_from: NodeItem | None = None
        self._connect_line: QGraphicsPathItem | None = None
        self._review_timer = QTimer(self)
        self._review_timer.setSingleShot(True)
        self._review_timer.setInterval(0)
        self._review_timer.timeout.connect(self.update_review)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(QColor(theme.canvas))
        self.selectionChanged.connect(self._selection_changed)
        design.subscribe(self._on_model_event)
        self.rebuild()

    def _selection_changed(self) -> None:
        # A scene being destroyed deletes its items first and may still announce the lost selection.
        if self.edge_layer is not None and shiboken6.isValid(self.edge_layer):
            self.edge_layer.invalidate()

    def detach(self) -> None:
        """Stop listening to the model (the window calls this before dropping the scene)."""
        self.design.unsubscribe(self._on_model_event)

    # -- building from the model -------------------------------------------------------------------
    def rebuild(self) -> None:
        self.edge_layer = None
        self.clear()
        self._connect_line = None
        self.node_items = {}
        self.edge_items = []
        self.group_items = {}
        self._invalidate_routes()
        for group in self.design.groups:
            self._add_group_item(group)
        for node in self.design.nodes:
            self._add_node_item(node)
        for i, edge in enumerate(self.design.edges):
            self._add_edge_item(edge, i)
        self.edge_layer = EdgeLayer(self.edge_items)
        self.addItem(self.edge_layer)
        self.set_detail(self.detail)
        self._refresh_edge_labels()
        self.edge_layer.refresh_bounds()
        self.fit_scene_rect()
        self.update_review()

    def _add_node_item(self, node: Node) -> NodeItem:
        item = NodeItem(node, *self._node_texts(node))
        if self.editable:  # on screen, cards are cached as device pixmaps; exports always draw vectors
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.node_items[node.id] = item
        self.addItem(item)
        return item

    def _add_group_item(self, group: Any) -> GroupItem:
        item = GroupItem(group)
        self.group_items[group.id] = item
        self.addItem(item)
        return item

    def group_members(self, group_id: str) -> list[str]:
        """Nodes whose centre lies inside the group's box (model positions)."""
        group = self.design.group(group_id)
        return [n.id for n in self.design.nodes if group.contains(n.pos)]

    # -- routing support: card rectangles and back-edge lanes, cached until something moves ------------
    def _invalidate_routes(self) -> None:
        self._card_rects = None
        self._lanes = None
        self._back_routes = None

    def card_rects(self) -> dict[str, tuple[float, float, float, float]]:
        if self._card_rects is None:
            out = {}
            for node_id, item in self.node_items.items():
                r = item.scene_card_rect()
                out[node_id] = (r.left(), r.top(), r.right(), r.bottom())
            self._card_rects = out
        return self._card_rects

    def back_lane(self, edge: EdgeItem) -> tuple[int, int, int]:
        """(lane of the horizontal run, rank among back edges leaving the same card, rank among those
        entering the same card): overlapping back edges get distinct lanes and distinct turning points."""
        if self._lanes is None:
            back = [e for e in self.edge_items if e.is_back_edge()]
            spans = [(e.target.in_port().x(), e.source.out_port().x()) for e in back]
            lanes = dict(zip(map(id, back), routing.assign_lanes(spans)))
            out_rank: dict[int, int] = {}
            in_rank: dict[int, int] = {}
            for ranks, port in ((out_rank, lambda e: e.source.out_port().x()),
                                (in_rank, lambda e: e.target.in_port().x())):
                # Cards stacked in one column share the x of their ports: rank over the column, not the card.
                by_column: dict[int, list[EdgeItem]] = {}
                for e in back:
                    by_column.setdefault(round(port(e)), []).append(e)
                for members in by_column.values():
                    # The outermost lane turns farthest from the card, so vertical runs never cross.
                    for rank, e in enumerate(sorted(members, key=lambda m: lanes[id(m)])):
                        ranks[id(e)] = rank
            self._lanes = {k: (lanes[k], out_rank[k], in_rank[k]) for k in lanes}
        return self._lanes.get(id(edge), (0, 0, 0))

    def back_route(self, edge: EdgeItem) -> list[tuple[float, float]]:
        """The route of a back edge. All back edges are routed together, the shortest first, so each takes
        the nearest free detour a lane away from the others; one with no short detour goes round underneath
        in its own lane (routing.route_back). While a card is dragged only this edge is routed, clear of the
        others' routes from the last full pass (the full pass runs again once the drop is applied)."""
        if self._back_routes is None and self.user_dragging and self._settled_back_routes:
            return self._dragged_back_route(edge)
        if self._back_routes is None:
            rects = self.card_rects()
            all_rects = list(rects.values())
            back = [e for e in self.edge_items if e.is_back_edge()]

            def span(e: EdgeItem) -> tuple[float, str]:
                a, b = e.source.out_port(), e.target.in_port()
                return abs(a.x() - b.x()) + abs(a.y() - b.y()), e.ends

            used_h: list[routing.Segment] = []
            used_v: list[routing.Segment] = []
            routes: dict[int, list[tuple[float, float]]] = {}
            sides: dict[tuple[str, str], int] = {}  # the side the first edge between two cards went round
            for e in sorted(back, key=span):
                p1, p2 = e.source.out_port(), e.target.in_port()
                a, b = (p1.x(), p1.y()), (p2.x(), p2.y())
                src, dst = rects[e.source.node_id], rects[e.target.node_id]
                pair = (e.source.node_id, e.target.node_id)
                points = routing.route_back_short(a, b, src, dst, all_rects, used_h, used_v, sides.get(pair, 0))
                if points is not None and len(points) > 3 and pair not in sides:
                    turn = points[2][1] - a[1]
                    sides[pair] = 1 if turn > 0 else -1 if turn < 0 else 0
                if points is None:
                    lane, out_rank, in_rank = self.back_lane(e)
                    floor = routing.floor_between(b[0] - routing.STUB, a[0] + routing.STUB, all_rects,
                                                  max(src[3], dst[3]))
                    points = routing.route_back(a, b, floor, lane, out_rank, in_rank)
                routes[id(e)] = points
            self._back_routes = routes
            self._settled_back_routes = routes
        return self._back_routes[id(edge)]

    def _dragged_back_route(self, edge: EdgeItem) -> list[tuple[float, float]]:
        used_h: list[routing.Segment] = []
        used_v: list[routing.Segment] = []
        for key, points in self._settled_back_routes.items():
            if key != id(edge):
                horizontal, vertical = routing.runs(points[1:-1])
                used_h.extend(horizontal)
                used_v.extend(vertical)
        rects = self.card_rects()
        p1, p2 = edge.source.out_port(), edge.target.in_port()
        a, b = (p1.x(), p1.y()), (p2.x(), p2.y())
        src, dst = rects[edge.source.node_id], rects[edge.target.node_id]
        points = routing.route_back_short(a, b, src, dst, list(rects.values()), used_h, used_v)
        if points is None:
            floor = routing.floor_between(b[0] - routing.STUB, a[0] + routing.STUB, list(rects.values()),
                                          max(src[3], dst[3]))
            points = routing.route_back(a, b, floor, *self.back_lane(edge))
        return points

    def node_geometry_changed(self) -> None:
        """A card moved or grew: cached rectangles are stale; every route is redone once the event loop is free."""
        self._invalidate_routes()
        self._reroute_timer.start()

    def reroute(self) -> None:
        self._invalidate_routes()
        for item in self.edge_items:
            item.update_path()
        if self.edge_layer is not None:
            self.edge_layer.refresh_bounds()

    def _node_texts(self, node: Node) -> tuple[str, str, str]:
        try:
            kind = get_kind(node.kind)
            if node.kind not in self._defaults:  # all_params builds its list on each call: keep one per kind
                self._defaults[node.kind] = kind.defaults()
            return kind.label, kind.group, node_summary(node, self._defaults[node.kind])
        except Exception:  # an unknown kind (should not pass the loader) still shows up
            return node.kind, "operations", ""

    def _add_edge_item(self, edge: Edge, index: int) -> EdgeItem:
        source, target = self.node_items[edge.source], self.node_items[edge.target]
        item = EdgeItem(source, target, edge, defer=True)
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, not self.detail)
        item.label_item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, not self.detail)
        source.edges.append(item)
        if target is not source:
            target.edges.append(item)
        self.edge_items.insert(index, item)
        self.addItem(item)
        self.addItem(item.label_item)
        return item

    def _remove_edge_item(self, index: int) -> None:
        item = self.edge_items.pop(index)
        for end in (item.source, item.target):
            if item in end.edges:
                end.edges.remove(item)
        self.removeItem(item.label_item)
        self.removeItem(item)

    def _refresh_edge_labels(self, sources: set[str] | None = None) -> None:
        """Weights show as shares of the source's plain out edges, so labels depend on sibling edges."""
        totals: dict[str, list[float]] = {}
        for e in self.design.edges:
            if not e.when:
                totals.setdefault(e.source, []).append(e.weight)
        for e, item in zip(self.design.edges, self.edge_items):
            if sources is not None and e.source not in sources:
                continue
            share = None
            weights = totals.get(e.source, [])
            if not e.when and len(weights) > 1 and get_kind_safe(e.source, self.design) != "fanout":
                total = sum(weights)
                share = e.weight / total if total > 0 else 0.0
            item.set_edge(e, edge_label(e, share))

    def fit_scene_rect(self) -> None:
        if self.edge_layer is not None:
            self.edge_layer.refresh_bounds()
        rect = self.itemsBoundingRect() if self.node_items else QRectF(-400, -300, 800, 600)
        self.setSceneRect(rect.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN))

    def diagram_rect(self, margin: float = 30.0) -> QRectF:
        """The bounding box of what the diagram shows (export and thumbnails crop to it)."""
        rect = QRectF()
        for item in [*self.node_items.values(), *self.edge_items, *self.group_items.values(),
                     *(e.label_item for e in self.edge_items if e.label_item.text)]:
            rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            rect = QRectF(-200, -120, 400, 240)
        return rect.adjusted(-margin, -margin, margin, margin)

    # -- model events ----------------------------------------------------------------------------------
    def _on_model_event(self, event: str, payload: dict[str, Any]) -> None:
        if event == "reset":
            self.run_issues = []
            self.rebuild()
            return
        if event == "node_added":
            item = self._add_node_item(payload["node"])
            if not self.sceneRect().contains(item.sceneBoundingRect()):
                self.fit_scene_rect()
            self._emptiness_changed()
            self.node_geometry_changed()
        elif event == "node_removed":
            item = self.node_items.pop(payload["node"].id)
            self.removeItem(item)
            self._emptiness_changed()
            self.node_geometry_changed()
        elif event.startswith("group_"):
            self._on_group_event(event, payload["group"])
            return
        elif event == "node_moved":
            node = payload["node"]
            item = self.node_items[node.id]
            if (item.pos().x(), item.pos().y()) != node.pos:
                item.setPos(QPointF(*node.pos))
            self.node_geometry_changed()
        elif event == "node_changed":
            node = payload["node"]
            self.node_items[node.id].set_content(node, *self._node_summary_args(node))
        elif event == "edge_added":
            self._add_edge_item(payload["edge"], payload["index"])
            self._refresh_edge_labels({payload["edge"].source})
            self.node_geometry_changed()  # back-edge lanes may change
        elif event == "edge_removed":
            self._remove_edge_item(payload["index"])
            self._refresh_edge_labels({payload["edge"].source})
            self.node_geometry_changed()
        elif event == "edge_changed":
            self._refresh_edge_labels({payload["edge"].source})
        if event.startswith("edge") and self.edge_layer is not None:
            self.edge_layer.refresh_bounds()
        self._review_timer.start()

    def _on_group_event(self, event: str, group: Any) -> None:
        if event == "group_added":
            self._add_group_item(group)
        elif event == "group_removed":
            item = self.group_items.pop(group.id, None)
            if item is not None:
                self.removeItem(item)
        elif event == "group_changed" and group.id in self.group_items:
            self.group_items[group.id].set_group(group)

    def _emptiness_changed(self) -> None:
        """The empty-canvas hint is drawn over the whole viewport: repaint it all when it appears or goes."""
        if len(self.node_items) <= 1:
            for view in self.views():
                view.viewport().update()

    def _node_summary_args(self, node: Node) -> tuple[str, str]:
        label, _, summary = self._node_texts(node)
        return label, summary

    # -- design review badges --------------------------------------------------------------------------
    def update_review(self) -> None:
        from simulation.analysis.structure import structural_issues

        try:
            issues = structural_issues(self.design)
        except Exception as exc:  # the review must never break editing
            issues = [{"severity": "warning", "rule": "review-failed", "node": None, "message": str(exc)}]
        known = {(i.get("node"), i.get("message")) for i in issues}
        issues = issues + [i for i in self.run_issues if (i.get("node"), i.get("message")) not in known]
        self.issues = issues
        by_node: dict[str, list[dict[str, Any]]] = {}
        for issue in issues:
            if issue.get("node") in self.node_items:
                by_node.setdefault(issue["node"], []).append(issue)
        for node_id, item in self.node_items.items():
            item.set_issues(by_node.get(node_id, []))
        self.review_changed.emit(issues)

    # -- overlays from runs ---------------------------------------------------------------------------
    def set_node_overlay(self, node_id: str, utilization: float | None = None, queue: float | None = None,
                         warning: str | None = None, bottleneck: bool = False, details: str | None = None) -> None:
        item = self.node_items.get(node_id)
        if item is not None:
            # The busiest node of a lightly loaded design is not a bottleneck: nothing there limits throughput.
            bottleneck = bottleneck and utilization is not None and utilization >= BOTTLENECK_MIN_UTILIZATION
            item.set_overlay({"utilization": utilization, "queue": queue, "warning": warning,
                              "bottleneck": bottleneck, "details": details})

    def clear_overlays(self) -> None:
        for item in self.node_items.values():
            if item.overlay is not None:
                item.set_overlay(None)

    def set_detail(self, detail: bool) -> None:
        """Zoomed far out, edges are drawn by the batched EdgeLayer; the items stay for picking and selection."""
        self.detail = detail
        for item in self.edge_items:
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, not detail)
            item.label_item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, not detail)
        if self.edge_layer is not None:
            self.edge_layer.setVisible(not detail)
            self.edge_layer.invalidate()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        if self.edge_layer is not None:
            self.edge_layer.invalidate()
        self.setBackgroundBrush(QColor(theme.canvas))
        for item in [*self.node_items.values(), *self.edge_items, *(e.label_item for e in self.edge_items)]:
            item.update()  # drops the item's cached pixmap too
        self.invalidate(self.sceneRect(), QGraphicsScene.SceneLayer.BackgroundLayer)  # the views' cached grid
        self.update()

    # -- selection helpers -----------------------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        ids = {item.node_id for item in self.selectedItems() if isinstance(item, NodeItem)}
        return [n.id for n in self.design.nodes if n.id in ids]  # model order: stable for copy/paste

    def selected_edge_indices(self) -> list[int]:
        return [i for i, item in enumerate(self.edge_items) if item.isSelected()]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            if node_id in self.node_items:
                self.node_items[node_id].setSelected(True)

    def set_run_review(self, issues: list[dict[str, Any]]) -> None:
        """The last run's design review (warnings found by simulating): shown with the structural ones, so the
        status bar never says "no problems" while the review lists some."""
        self.run_issues = [i for i in issues if i.get("severity") in ("error", "warning")]
        self.update_review()

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:  # noqa: N802
        target = None
        for item in self.items(event.scenePos()):
            if isinstance(item, (NodeItem, EdgeItem, GroupItem)):
                target = item
                break
        if target is not None and not target.isSelected():
            self.clearSelection()
            target.setSelected(True)
        self.context_menu_requested.emit(target, event.screenPos(), event.scenePos())
        event.accept()

    def helpEvent(self, event: QGraphicsSceneHelpEvent) -> None:  # noqa: N802
        """Tooltips are composed on demand: setting hundreds of them on every change was a measurable cost."""
        for item in self.items(event.scenePos()):
            if isinstance(item, (NodeItem, EdgeItem)):
                QToolTip.showText(event.screenPos(), item.tooltip_html(), event.widget())
                event.accept()
                return
        QToolTip.hideText()
        event.ignore()

    # -- interaction: moves as one command per drag, connections --------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mousePressEvent(event)
        if self._connect_from is None and event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {i.node_id: (i.pos().x(), i.pos().y()) for i in self.selectedItems()
                                     if isinstance(i, NodeItem)}
            self.user_dragging = bool(self._press_positions)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._connect_from is not None:
            self._update_connection(event.scenePos())
            return
        if not self.editable:
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._connect_from is not None:
            self.finish_connection(event.scenePos())
            return
        super().mouseReleaseEvent(event)
        self.user_dragging = False
        moves = {}
        for node_id, old in self._press_positions.items():
            item = self.node_items.get(node_id)
            if item is not None:
                new = (item.pos().x(), item.pos().y())
                if new != old:
                    moves[node_id] = (old, new)
        self._press_positions = {}
        if moves and self.undo_stack is not None:
            self.undo_stack.push(MoveNodesCommand(self.design, moves))

    def start_connection(self, source: NodeItem, scene_pos: QPointF) -> None:
        self._connect_from = source
        self._connect_line = QGraphicsPathItem()
        pen = QPen(QColor(self.theme.selection), 2, Qt.PenStyle.DashLine)
        self._connect_line.setPen(pen)
        self._connect_line.setZValue(5)
        self.addItem(self._connect_line)
        self._update_connection(scene_pos)
        self.status_message.emit("Release over a node to connect; Esc cancels.")

    def _update_connection(self, scene_pos: QPointF) -> None:
        if self._connect_from is None or self._connect_line is None:
            return
        p1 = self._connect_from.out_port()
        path = QPainterPath(p1)
        dx = max(40.0, abs(scene_pos.x() - p1.x()) * 0.5)
        path.cubicTo(p1 + QPointF(dx, 0), scene_pos - QPointF(dx, 0), scene_pos)
        self._connect_line.setPath(path)

    def cancel_connection(self) -> None:
        if self._connect_line is not None:
            self.removeItem(self._connect_line)
        self._connect_line = None
        self._connect_from = None

    def node_at(self, scene_pos: QPointF) -> NodeItem | None:
        for item in self.items(scene_pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def finish_connection(self, scene_pos: QPointF) -> Edge | None:
        source = self._connect_from
        self.cancel_connection()
        target = self.node_at(scene_pos)
        if source is None or target is None:
            return None
        return self.connect_nodes(source.node_id, target.node_id)

    def connect_nodes(self, source: str, target: str, when: str | None = None) -> Edge | None:
        """Push an AddEdgeCommand unless the edge would be a self-loop or a duplicate (says why)."""
        if source == target:
            self.status_message.emit("A node cannot feed itself; loop through an agent or a retry edge.")
            return None
        if any(e.key() == (source, target, when) for e in self.design.edges):
            self.status_message.emit(f"{source} → {target} is already connected.")
            return None
        edge = Edge(source, target, when=when)
        if self.undo_stack is not None:
            self.undo_stack.push(AddEdgeCommand(self.design, edge))
        self.status_message.emit(f"Connected {source} → {target}. Set weight or outcome in the inspector.")
        return edge


def get_kind_safe(node_id: str, design: Design) -> str:
    try:
        return design.node(node_id).kind
    except KeyError:
        return ""

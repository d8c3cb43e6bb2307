"""Group boxes: labelled containers ("Region A", "VPC") drawn behind the cards.

A group is a rectangle in the model (``Design.groups``); its members are the nodes whose centre lies inside
it. Dragging the box by its title bar or border moves it with its members; the corner handle resizes it.
Both end in undo commands on the model (one macro per drag); during the drag only graphics move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsSceneMouseEvent, QStyleOptionGraphicsItem

from designer.commands import MoveNodesCommand, SetGroupCommand

if TYPE_CHECKING:
    from simulation.design import Group

HEADER = 28.0  # the title bar: where the box is grabbed
HANDLE = 14.0  # the resize handle in the bottom-right corner
MIN_W, MIN_H = 160.0, 100.0
GRID = 20.0


def _font() -> QFont:
    font = QFont()
    font.setPixelSize(14)
    font.setWeight(QFont.Weight.DemiBold)
    return font


class GroupItem(QGraphicsObject):
    def __init__(self, group: Group) -> None:
        super().__init__()
        self.group_id = group.id
        self.name = group.name
        self.w = self.h = 0.0
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1)
        self._drag: dict[str, Any] | None = None
        self.set_group(group)

    def set_group(self, group: Group) -> None:
        x, y, w, h = group.rect
        self.prepareGeometryChange()
        self.name = group.name
        self.w, self.h = w, h
        self.setPos(QPointF(x, y))
        self.update()

    def scene_rect(self) -> QRectF:
        return QRectF(self.pos().x(), self.pos().y(), self.w, self.h)

    def rect_tuple(self) -> tuple[float, float, float, float]:
        return (self.pos().x(), self.pos().y(), self.w, self.h)

    def title_rect(self) -> QRectF:
        return QRectF(10, 4, max(40.0, self.w - 20), HEADER - 8)

    # -- geometry ---------------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return QRectF(-3, -3, self.w + 6, self.h + 6)

    def shape(self) -> QPainterPath:
        """The title bar, the border and the handle: clicks inside the box reach the cards and the rubber band."""
        path = QPainterPath()
        path.addRect(QRectF(0, 0, self.w, HEADER))
        path.addRect(self._handle())
        outline = QPainterPath()
        outline.addRect(QRectF(0, 0, self.w, self.h))
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return path.united(stroker.createStroke(outline))

    def _handle(self) -> QRectF:
        return QRectF(self.w - HANDLE, self.h - HANDLE, HANDLE, HANDLE)

    # -- drawing ----------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: Any = None) -> None:
        theme = self.scene().theme  # type: ignore[attr-defined]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(theme.selection if self.isSelected() else theme.subtext)
        fill = QColor(theme.subtext)
        fill.setAlpha(18)
        pen = QPen(colour, 2.0 if self.isSelected() else 1.4, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(0, 0, self.w, self.h), 12, 12)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        font = _font()
        font.setPixelSize(max(14, round(11 / max(lod * getattr(self.scene(), "lod_scale", 1.0), 0.05))))
        painter.setFont(font)
        painter.setPen(QColor(theme.text))
        rect = QRectF(12, 4, max(40.0, self.w - 24), max(HEADER - 6, font.pixelSize() * 1.3))
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(self.name or "Group", Qt.TextElideMode.ElideRight,
                                                          int(rect.width())))
        if not getattr(self.scene(), "editable", False):
            return  # exports and thumbnails: no resize grip
        painter.setPen(QPen(colour, 1.4))
        h = self._handle()
        for k in (4, 8):  # a grip in the corner
            painter.drawLine(QPointF(h.right() - k, h.bottom() - 2), QPointF(h.right() - 2, h.bottom() - k))

    # -- interaction ------------------------------------------------------------------------------
    def hoverMoveEvent(self, event: Any) -> None:  # noqa: N802
        on_handle = self._handle().contains(event.pos())
        self.setCursor(Qt.CursorShape.SizeFDiagCursor if on_handle else Qt.CursorShape.SizeAllCursor)
        super().hoverMoveEvent(event)

    def hoverLeaveEvent(self, event: Any) -> None:  # noqa: N802
        self.unsetCursor()
        super().hoverLeaveEvent(event)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        scene = self.scene()
        if event.button() != Qt.MouseButton.LeftButton or not getattr(scene, "editable", False):
            super().mousePressEvent(event)
            return
        if not self.isSelected():
            if not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                scene.clearSelection()
            self.setSelected(True)
        resizing = self._handle().contains(event.pos())
        members = [] if resizing else scene.group_members(self.group_id)
        self._drag = {"resize": resizing, "start": event.scenePos(), "rect": self.rect_tuple(),
                      "members": {nid: QPointF(scene.node_items[nid].pos()) for nid in members}}
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            super().mouseMoveEvent(event)
            return
        delta = event.scenePos() - self._drag["start"]
        if getattr(self.scene(), "snap_to_grid", False):
            delta = QPointF(round(delta.x() / GRID) * GRID, round(delta.y() / GRID) * GRID)
        x, y, w, h = self._drag["rect"]
        if self._drag["resize"]:
            self.prepareGeometryChange()
            self.w, self.h = max(MIN_W, w + delta.x()), max(MIN_H, h + delta.y())
            self.update()
            return
        self.setPos(QPointF(x, y) + delta)
        for nid, start in self._drag["members"].items():
            item = self.scene().node_items.get(nid)
            if item is not None:
                item.setPos(start + delta)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        drag, self._drag = self._drag, None
        scene = self.scene()
        if drag is None or scene is None:
            super().mouseReleaseEvent(event)
            return
        new = self.rect_tuple()
        if new == drag["rect"] or scene.undo_stack is None:
            return
        stack = scene.undo_stack
        if drag["resize"]:
            stack.push(SetGroupCommand(scene.design, self.group_id, rect=new,
                                       text=f"Resize {self.name or self.group_id}"))
            return
        moves = {nid: ((start.x(), start.y()), (scene.node_items[nid].pos().x(), scene.node_items[nid].pos().y()))
                 for nid, start in drag["members"].items() if nid in scene.node_items}
        stack.beginMacro(f"Move {self.name or self.group_id}")
        stack.push(SetGroupCommand(scene.design, self.group_id, rect=new, text="Move group box"))
        if moves:
            stack.push(MoveNodesCommand(scene.design, moves))
        stack.endMacro()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.pos().y() <= HEADER:
            self.scene().rename_requested.emit(self)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

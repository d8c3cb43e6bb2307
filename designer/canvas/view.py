"""DesignView: zoom (wheel, Ctrl +/−, fit), pan (middle button or Space+drag), rubber-band selection,
and drops from the palette (custom MIME type) and of design files."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView

from designer.canvas.items import DETAIL_LOD, GRID, NodeItem
from designer.canvas.scene import DesignScene
from designer.commands import NudgeCommand

KIND_MIME = "application/x-genai-sim-kind"
MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
ARROWS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}


class DesignView(QGraphicsView):
    kind_dropped = Signal(str, QPointF)  # kind, scene position
    file_dropped = Signal(str)
    zoom_changed = Signal(float)

    def __init__(self, scene: DesignScene, parent=None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)  # the dot grid is drawn once per zoom
        self._panning: QPointF | None = None
        self._space_down = False
        # After a design opens, the view keeps the whole diagram in sight through every resize (the window
        # being shown, docks taking their sizes, maximising) until the user zooms, pans or clicks.
        self.auto_fit = False
        self.zoom_changed.connect(self._sync_detail)
        from designer.canvas.rename import InlineRename

        self.renamer = InlineRename(self)
        scene.rename_requested.connect(self.renamer.start)
        if scene.undo_stack is not None:  # the first edit (by mouse, keyboard or palette) ends the auto-fit
            scene.undo_stack.indexChanged.connect(self._edited)

    def _sync_detail(self, zoom: float) -> None:
        scene = self.design_scene()
        detail = zoom >= DETAIL_LOD
        if scene.detail != detail:
            scene.set_detail(detail)

    def setScene(self, scene: DesignScene) -> None:  # noqa: N802
        super().setScene(scene)
        self._sync_detail(self.zoom())
        if hasattr(self, "renamer"):
            scene.rename_requested.connect(self.renamer.start)

    def design_scene(self) -> DesignScene:
        return self.scene()  # type: ignore[return-value]

    # -- zoom -------------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        scale = factor / self.zoom()
        self.scale(scale, scale)
        self.zoom_changed.emit(self.zoom())

    def zoom_by(self, step: float) -> None:
        self.set_zoom(self.zoom() * step)

    def zoom_in(self) -> None:
        self.auto_fit = False
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.zoom_by(1.25)
        self.setTransformationAnchor(anchor)

    def zoom_out(self) -> None:
        self.auto_fit = False
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.zoom_by(0.8)
        self.setTransformationAnchor(anchor)

    def reset_zoom(self) -> None:
        self.auto_fit = False
        self.set_zoom(1.0)

    def fit_all(self) -> None:
        rect = self.design_scene().diagram_rect(40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:  # small designs stay at 100 %: fitting would blow them up
            self.set_zoom(1.0)
            self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom())

    def _edited(self, _index: int) -> None:
        self.auto_fit = False

    def initial_view(self) -> None:
        """What a just-opened design shows: the whole diagram (cards stay legible zoomed out, see
        NodeItem.far). The fit is redone on every resize until the user takes over, so it is right once the
        window is shown and its docks have their sizes, whatever the order Qt does those in."""
        self.auto_fit = True
        if self.isVisible():
            self.fit_all()

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001
        super().resizeEvent(event)
        if self.auto_fit:
            self.fit_all()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        super().showEvent(event)
        if self.auto_fit:
            self.fit_all()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta().y()
        self.auto_fit = False
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or not delta:
            super().wheelEvent(event)  # Shift+wheel and touchpad horizontal motion scroll
            return
        self.zoom_by(1.0015 ** delta)
        event.accept()

    # -- panning: middle button, or Space + left button ---------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.auto_fit = False
        if self.renamer.is_open():
            self.renamer.commit()
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space_down and event.button() == Qt.MouseButton.LeftButton):
            self._panning = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - delta.x()))
            self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._panning is not None:
            self._panning = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space_down else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if event.key() == Qt.Key.Key_Escape:
            self.design_scene().cancel_connection()
            self.design_scene().clearSelection()
            return
        if event.key() in ARROWS and self.nudge(*ARROWS[event.key()],
                                                 grid=bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)):
            event.accept()
            return
        if event.key() == Qt.Key.Key_F2 and self.rename_selected():
            event.accept()
            return
        super().keyPressEvent(event)

    def nudge(self, dx: int, dy: int, grid: bool = False) -> bool:
        """Move the selected nodes by one pixel (a grid step with ``grid``); presses of one burst are one
        undo step (NudgeCommand merges). False when nothing is selected: the arrows then scroll."""
        scene = self.design_scene()
        groups = [i.group_id for i in scene.selectedItems() if hasattr(i, "group_id")]
        ids = scene.selected_node_ids()
        for gid in groups:  # a group box carries its members along
            ids += [m for m in scene.group_members(gid) if m not in ids]
        if not (ids or groups) or scene.undo_stack is None:
            return False
        step = GRID if grid else 1.0
        scene.undo_stack.push(NudgeCommand(scene.design, ids, dx * step, dy * step, groups))
        return True

    def rename_selected(self) -> bool:
        scene = self.design_scene()
        from designer.canvas.groups import GroupItem

        items = [i for i in scene.selectedItems() if isinstance(i, (NodeItem, GroupItem))]
        if len(items) != 1:
            return False
        self.ensureVisible(items[0], 40, 40)
        self.renamer.start(items[0])
        return True

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    # -- drops ------------------------------------------------------------------------------------
    def _accepts(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
        mime = event.mimeData()
        if mime.hasFormat(KIND_MIME):
            return True
        return mime.hasUrls() and any(u.toLocalFile().endswith(".json") for u in mime.urls())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        if mime.hasFormat(KIND_MIME):
            kind = bytes(mime.data(KIND_MIME).data()).decode("utf-8")
            self.kind_dropped.emit(kind, self.mapToScene(event.position().toPoint()))
            event.acceptProposedAction()
            return
        for url in mime.urls():
            if url.toLocalFile().endswith(".json"):
                self.file_dropped.emit(url.toLocalFile())
                event.acceptProposedAction()
                return
        event.ignore()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        if self.design_scene().node_items:
            return
        # An empty canvas says how to start, centred in the viewport whatever the zoom.
        painter.save()
        painter.resetTransform()
        area = QRectF(self.viewport().rect())
        theme = self.design_scene().theme
        font = painter.font()
        font.setPixelSize(17)
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(QColor(theme.subtext))
        painter.drawText(area.adjusted(0, -30, 0, -30), Qt.AlignmentFlag.AlignCenter, "Start your design")
        font.setPixelSize(13)
        font.setWeight(QFont.Weight.Normal)
        painter.setFont(font)
        painter.drawText(area.adjusted(40, 20, -40, 20), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         "Drag a component from the palette, or start from a worked example with\n"
                         "File ▸ New from Template (Ctrl+Shift+N). Drag from a node's right port to connect.")
        painter.restore()

    # -- background: a dot grid that fades out when zoomed far out ------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        super().drawBackground(painter, rect)
        zoom = self.zoom()
        if zoom < 0.45:
            return
        step = GRID * (2 if zoom < 0.8 else 1)
        left = int(rect.left() // step) * step
        top = int(rect.top() // step) * step
        xs = [left + i * step for i in range(int((rect.right() - left) // step) + 1)]
        ys = [top + j * step for j in range(int((rect.bottom() - top) // step) + 1)]
        points = [QPointF(x, y) for y in ys for x in xs]
        pen = QPen(QColor(self.design_scene().theme.grid), 2.0 / zoom)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawPoints(points)

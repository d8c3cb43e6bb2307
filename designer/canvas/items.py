"""Graphics items for nodes and edges. They only draw what the model says; edits go through commands."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPaintEngine,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from designer.icons import kind_pixmap, renderer
from designer.theme import DASHED_OUTCOMES, GROUP_COLOURS, OUTCOME_COLOURS, Theme

if TYPE_CHECKING:
    from simulation.design import Edge, Node

NODE_W, NODE_H = 148.0, 90.0
ICON = 28.0
PORT_R = 5.5
GRID = 20.0


def _font(px: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(px)  # pixel sizes: the export draws exactly what the canvas draws, whatever the DPI
    if bold:
        font.setWeight(QFont.Weight.DemiBold)
    return font


_FONTS: dict[str, QFont] = {}


def fonts() -> dict[str, QFont]:
    """Fonts are built lazily: QFont needs a QGuiApplication."""
    if not _FONTS:
        _FONTS.update(title=_font(12, bold=True), sub=_font(10), params=_font(10), label=_font(10),
                      badge=_font(10, bold=True), overlay=_font(10, bold=True))
    return _FONTS


_METRICS: dict[str, QFontMetricsF] = {}


def metrics(name: str) -> QFontMetricsF:
    if name not in _METRICS:
        _METRICS[name] = QFontMetricsF(fonts()[name])
    return _METRICS[name]


ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter
NO_PEN = Qt.PenStyle.NoPen
NO_BRUSH = Qt.BrushStyle.NoBrush
ANTIALIAS = QPainter.RenderHint.Antialiasing
ELIDE = Qt.TextElideMode.ElideRight
CARD = QRectF(-NODE_W / 2, -NODE_H / 2, NODE_W, NODE_H)
DETAIL_LOD = 0.45  # below this zoom a card is ~60 px wide: draw a plain coloured box, no text


class Style:
    """Pens, brushes and colours of one theme, built once (paint() runs thousands of times per second)."""

    _cache: dict[str, Style] = {}

    def __init__(self, theme: Theme) -> None:
        c = QColor
        self.text, self.subtext = c(theme.text), c(theme.subtext)
        self.fill, self.shadow = c(theme.node_fill), c(theme.node_shadow)
        self.border = QPen(c(theme.node_border), 1.0)
        self.border_selected = QPen(c(theme.selection), 2.2)
        self.port, self.port_hot = c(theme.port), c(theme.selection)
        self.port_ring = QPen(c(theme.node_fill), 1.5)
        self.badge_ring = QPen(c(theme.node_fill), 2)
        self.white = c("#FFFFFF")
        self.severity = {"error": c(theme.error), "warning": c(theme.warning), "info": c(theme.selection)}
        self.accent = {g: c(v) for g, v in GROUP_COLOURS.items()}
        self.tint = {}
        for g, v in GROUP_COLOURS.items():  # far-out boxes: a light wash of the group colour
            tint = c(v)
            tint.setAlpha(70 if theme.name == "light" else 110)
            self.tint[g] = tint
        self.accent_pen = {g: QPen(col, 1.5) for g, col in self.accent.items()}
        self._edge_pens: dict[tuple[str | None, bool], tuple[QPen, QColor]] = {}
        self._cosmetic: dict[int, QPen] = {}

    def cosmetic(self, pen: QPen) -> QPen:
        key = id(pen)
        if key not in self._cosmetic:
            thin = QPen(pen)
            thin.setWidthF(1.0)
            thin.setCosmetic(True)
            self._cosmetic[key] = thin
        return self._cosmetic[key]

    def edge_pen(self, when: str | None, selected: bool, theme: Theme) -> tuple[QPen, QColor]:
        key = (when, selected)
        if key not in self._edge_pens:
            colour = QColor(theme.selection) if selected else QColor(OUTCOME_COLOURS.get(when or "", theme.edge))
            pen = QPen(colour, 2.4 if selected else 1.6)
            if when in DASHED_OUTCOMES:
                pen.setStyle(Qt.PenStyle.DashLine)
            self._edge_pens[key] = (pen, colour)
        return self._edge_pens[key]

    @classmethod
    def of(cls, theme: Theme) -> Style:
        style = cls._cache.get(theme.name)
        if style is None:
            style = cls._cache[theme.name] = cls(theme)
        return style


def _strip_path() -> QPainterPath:
    card = QPainterPath()
    card.addRoundedRect(CARD, 10, 10)
    top = QPainterPath()
    top.addRect(QRectF(CARD.left(), CARD.top(), CARD.width(), 4))
    return card.intersected(top)


_STRIP: list[QPainterPath] = []


def strip_path() -> QPainterPath:
    """The coloured top edge of a card, shaped by its rounded corners (computed once)."""
    if not _STRIP:
        _STRIP.append(_strip_path())
    return _STRIP[0]


def _is_vector(painter: QPainter) -> bool:
    engine = painter.paintEngine()
    return engine is not None and engine.type() in (QPaintEngine.Type.SVG, QPaintEngine.Type.Pdf)


class NodeItem(QGraphicsObject):
    """A node card: icon, name, kind and key parameters; an input port left, an output port right."""

    def __init__(self, node: Node, kind_label: str, group: str, summary: str) -> None:
        super().__init__()
        self.node_id = node.id
        self.kind = node.kind
        self.group = group
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.edges: list[EdgeItem] = []
        self.issues: list[dict[str, Any]] = []
        self.overlay: dict[str, Any] | None = None
        self._hover_port = False
        self.set_content(node, kind_label, summary)
        self.setPos(QPointF(*node.pos))

    # -- content ---------------------------------------------------------------------------------
    def set_content(self, node: Node, kind_label: str, summary: str) -> None:
        width = NODE_W - 16
        self.title = metrics("title").elidedText(node.title, ELIDE, width)
        self.subtitle = metrics("sub").elidedText(kind_label, ELIDE, width)
        self.summary = metrics("params").elidedText(summary, ELIDE, width)
        tip = f"<b>{html.escape(node.title)}</b> ({html.escape(node.id)})<br>{html.escape(kind_label)}"
        if summary:
            tip += f"<br>{html.escape(summary)}"
        self.base_tooltip = tip
        self.update()

    def set_issues(self, issues: list[dict[str, Any]]) -> None:
        if issues != self.issues:
            self.issues = issues
            self.update()

    def set_overlay(self, overlay: dict[str, Any] | None) -> None:
        self.prepareGeometryChange()
        self.overlay = overlay
        self.update()

    def tooltip_html(self) -> str:
        """Built when the tooltip is about to show (the scene's helpEvent), not on every change."""
        tip = self.base_tooltip
        for issue in self.issues:
            tip += f"<br><b>{issue['severity']}</b>: {html.escape(issue['message'])}"
        if self.overlay:
            o = self.overlay
            if o.get("utilization") is not None:
                tip += f"<br>utilisation {o['utilization'] * 100:.0f}%"
            if o.get("queue") is not None:
                tip += f", mean queue {o['queue']:.3g}"
            if o.get("warning"):
                tip += f"<br>⚠ {html.escape(o['warning'])}"
            if o.get("details"):  # wait, served, cost: set by the run overlay
                tip += "<br>" + html.escape(str(o["details"]))
        return tip

    # -- geometry --------------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        extra = 22.0 if self.overlay else 10.0
        return QRectF(-NODE_W / 2 - 10, -NODE_H / 2 - 12, NODE_W + 20, NODE_H + 12 + extra)

    def card_rect(self) -> QRectF:
        return QRectF(-NODE_W / 2, -NODE_H / 2, NODE_W, NODE_H)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.card_rect().adjusted(-PORT_R, 0, PORT_R, 0), 10, 10)
        return path

    def in_port(self) -> QPointF:
        return self.mapToScene(QPointF(-NODE_W / 2, 0))

    def out_port(self) -> QPointF:
        return self.mapToScene(QPointF(NODE_W / 2, 0))

    def is_out_port(self, local: QPointF) -> bool:
        """The output port's grab area is generous (a 14 px half-box) so it is easy to hit."""
        return abs(local.x() - NODE_W / 2) <= 14 and abs(local.y()) <= 14

    # -- drawing ---------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        theme: Theme = self.scene().theme  # type: ignore[attr-defined]
        st = Style.of(theme)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected()
        painter.setRenderHint(ANTIALIAS)
        if self.overlay:
            self._paint_overlay(painter, theme, CARD, lod)
        if lod < DETAIL_LOD and not _is_vector(painter):
            # Far out: a box in the group's colour is all the eye can use, and it keeps full-view redraws fast.
            painter.setPen(st.border_selected if selected else st.accent_pen.get(self.group, st.border))
            painter.setBrush(st.fill)
            painter.drawRoundedRect(CARD, 10, 10)
            painter.setPen(NO_PEN)
            painter.setBrush(st.tint.get(self.group, st.fill))
            painter.drawRoundedRect(CARD, 10, 10)
            if self.issues:
                self._paint_badge(painter, theme, CARD)
            return
        painter.setPen(NO_PEN)
        painter.setBrush(st.shadow)
        painter.drawRoundedRect(CARD.translated(0, 2), 10, 10)
        painter.setPen(st.border_selected if selected else st.border)
        painter.setBrush(st.fill)
        painter.drawRoundedRect(CARD, 10, 10)
        painter.setPen(NO_PEN)
        painter.setBrush(st.accent.get(self.group, st.subtext))
        painter.drawPath(strip_path())
        icon_rect = QRectF(-ICON / 2, CARD.top() + 9, ICON, ICON)
        if _is_vector(painter):
            renderer(self.kind).render(painter, icon_rect)
        else:
            dpr = widget.devicePixelRatioF() if widget is not None else 2.0
            painter.drawPixmap(icon_rect, kind_pixmap(self.kind, int(ICON), dpr * max(1.0, lod)), QRectF())
        f = fonts()
        painter.setPen(st.text)
        painter.setFont(f["title"])
        painter.drawText(QRectF(CARD.left() + 6, CARD.top() + 40, NODE_W - 12, 16), ALIGN_CENTER, self.title)
        painter.setPen(st.subtext)
        painter.setFont(f["sub"])
        painter.drawText(QRectF(CARD.left() + 6, CARD.top() + 56, NODE_W - 12, 14), ALIGN_CENTER, self.subtitle)
        if self.summary:
            painter.setFont(f["params"])
            painter.setPen(st.text)
            painter.drawText(QRectF(CARD.left() + 6, CARD.top() + 70, NODE_W - 12, 14), ALIGN_CENTER, self.summary)
        self._paint_ports(painter, theme, CARD)
        if self.issues:
            self._paint_badge(painter, theme, CARD)
        if self.overlay and self.overlay.get("warning"):
            self._paint_warning(painter, theme, CARD)

    def _paint_ports(self, painter: QPainter, theme: Theme, rect: QRectF) -> None:
        st = Style.of(theme)
        painter.setPen(st.port_ring)
        painter.setBrush(st.port)
        painter.drawEllipse(QPointF(rect.left(), 0), PORT_R - 1, PORT_R - 1)
        painter.setBrush(st.port_hot if self._hover_port else st.port)
        r = PORT_R + (1.5 if self._hover_port else 0)
        painter.drawEllipse(QPointF(rect.right(), 0), r, r)

    def _paint_badge(self, painter: QPainter, theme: Theme, rect: QRectF) -> None:
        worst = "error" if any(i["severity"] == "error" for i in self.issues) else (
            "warning" if any(i["severity"] == "warning" for i in self.issues) else "info")
        colour = {"error": theme.error, "warning": theme.warning, "info": theme.selection}[worst]
        centre = QPointF(rect.right() - 4, rect.top() + 4)
        painter.setPen(QPen(QColor(theme.node_fill), 2))
        painter.setBrush(QColor(colour))
        painter.drawEllipse(centre, 9, 9)
        painter.setPen(QColor("#FFFFFF"))
        painter.setFont(fonts()["badge"])
        text = "!" if len(self.issues) == 1 else str(len(self.issues))
        painter.drawText(QRectF(centre.x() - 9, centre.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, text)

    def _paint_warning(self, painter: QPainter, theme: Theme, rect: QRectF) -> None:
        o = self.overlay or {}
        if o.get("warning"):
            tri = QPolygonF([QPointF(rect.left() + 4, rect.top() - 6), QPointF(rect.left() + 13, rect.top() + 10),
                             QPointF(rect.left() - 5, rect.top() + 10)])
            painter.setPen(QPen(QColor(theme.node_fill), 1.5))
            painter.setBrush(QColor(theme.warning))
            painter.drawPolygon(tri)
            painter.setPen(QColor("#000000"))
            painter.setFont(fonts()["badge"])
            painter.drawText(QRectF(rect.left() - 1, rect.top() - 2, 10, 12), Qt.AlignmentFlag.AlignCenter, "!")

    def _paint_overlay(self, painter: QPainter, theme: Theme, rect: QRectF, lod: float) -> None:
        o = self.overlay or {}
        util = o.get("utilization")
        colour = QColor(theme.subtext)
        if util is not None:
            colour = QColor(theme.ok if util < 0.7 else theme.warning if util < 0.9 else theme.error)
        ring = rect.adjusted(-5, -5, 5, 5)
        if o.get("bottleneck"):
            glow = QColor(theme.error)
            glow.setAlpha(60)
            painter.setPen(QPen(glow, 10))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(ring, 14, 14)
        painter.setPen(QPen(colour, 3.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(ring, 14, 14)
        parts = []
        if util is not None:
            parts.append(f"{util * 100:.0f}%")
        if o.get("queue") is not None:
            parts.append(f"q {o['queue']:.2g}")
        if o.get("bottleneck"):
            parts.append("bottleneck")
        if parts and lod > 0.3:
            text = " · ".join(parts)
            painter.setFont(fonts()["overlay"])
            width = QFontMetricsF(fonts()["overlay"]).horizontalAdvance(text) + 12
            pill = QRectF(-width / 2, rect.bottom() + 7, width, 16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(pill, 8, 8)
            painter.setPen(QColor("#FFFFFF"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    # -- interaction -----------------------------------------------------------------------------
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        scene = self.scene()
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and scene is not None:
            if getattr(scene, "user_dragging", False) and getattr(scene, "snap_to_grid", False):
                p = QPointF(value)
                return QPointF(round(p.x() / GRID) * GRID, round(p.y() / GRID) * GRID)
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)

    def hoverMoveEvent(self, event: Any) -> None:  # noqa: N802
        over = self.is_out_port(event.pos())
        if over != self._hover_port:
            self._hover_port = over
            self.setCursor(Qt.CursorShape.CrossCursor if over else Qt.CursorShape.ArrowCursor)
            self.update()
        super().hoverMoveEvent(event)

    def hoverLeaveEvent(self, event: Any) -> None:  # noqa: N802
        if self._hover_port:
            self._hover_port = False
            self.unsetCursor()
            self.update()
        super().hoverLeaveEvent(event)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        scene = self.scene()
        if (event.button() == Qt.MouseButton.LeftButton and self.is_out_port(event.pos())
                and getattr(scene, "editable", False)):
            scene.start_connection(self, event.scenePos())
            event.accept()
            return
        super().mousePressEvent(event)


class EdgeItem(QGraphicsItem):
    """A curved arrow from the source's output port to the target's input port, with a label."""

    def __init__(self, source: NodeItem, target: NodeItem, edge: Edge, defer: bool = False) -> None:
        super().__init__()
        self.source, self.target = source, target
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.when = edge.when
        self.label = ""
        self._path = QPainterPath()
        self._shape: QPainterPath | None = None
        self._segments: list[tuple[QPointF, ...]] = []
        self._rect = QRectF()
        self._arrow = QPolygonF()
        self.label_item = EdgeLabel(self)  # the scene adds it: labels sit above the cards
        self.ends = f"{edge.source} → {edge.target}"
        if not defer:  # the scene defers: it sets the label (and so the path) right after
            self.set_edge(edge, "")

    def set_edge(self, edge: Edge, label: str) -> None:
        self.when = edge.when
        self.label = label
        self.ends = f"{edge.source} → {edge.target}"
        self.update_path()

    def tooltip_html(self) -> str:
        return html.escape(self.ends) + (f"<br>{html.escape(self.label)}" if self.label else "")

    def update_path(self) -> None:
        """Rebuild the curve from the ports. Plain arithmetic, no QPainterPath queries: pointAtPercent
        measures the whole path on every call, which made opening a 400-edge design slow."""
        self.prepareGeometryChange()
        p1, p2 = self.source.out_port(), self.target.in_port()
        segments: list[tuple[QPointF, ...]] = []
        if self.source is self.target:  # a loop above the node
            top = self.source.mapToScene(QPointF(0, -NODE_H / 2))
            apex = top + QPointF(0, -70)
            segments.append((p1, p1 + QPointF(60, 0), top + QPointF(60, -70), apex))
            segments.append((apex, top + QPointF(-60, -70), p2 + QPointF(-60, 0), p2))
            label_at = apex
        elif p2.x() < p1.x() + 40:
            # A back edge (retry, agent loop) runs under both cards instead of cutting through them.
            # Several back edges into one card (tool errors back to an agent) get their own lanes.
            lanes = [e for e in self.target.edges if e.target is self.target and e.is_back_edge()]
            lane = lanes.index(self) if self in lanes else 0
            y = self._floor(p2.x(), p1.x()) + 28 + 22 * lane
            r = 40.0
            a, b = QPointF(p1.x(), y), QPointF(p2.x(), y)
            segments.append((p1, p1 + QPointF(r, 0), QPointF(p1.x() + r, y), a))
            segments.append((a, b))
            segments.append((b, QPointF(p2.x() - r, y), p2 - QPointF(r, 0), p2))
            label_at = (a + b) / 2
        else:
            dx = max(50.0, abs(p2.x() - p1.x()) * 0.5)
            c1, c2 = p1 + QPointF(dx, 0), p2 - QPointF(dx, 0)
            segments.append((p1, c1, c2, p2))
            label_at = (p1 + c1 * 3 + c2 * 3 + p2) / 8  # the cubic's point at t = 0.5
        path = QPainterPath(p1)
        for seg in segments:
            if len(seg) == 4:
                path.cubicTo(seg[1], seg[2], seg[3])
            else:
                path.lineTo(seg[1])
        self._path = path
        self._segments = segments
        # Every route ends heading right into the input port, so the arrow head always points right.
        size = 9.0
        self._arrow = QPolygonF([p2, p2 + QPointF(-size, size / 2), p2 + QPointF(-size, -size / 2)])
        self._shape = None  # built on demand: only hit tests need it
        self._rect = path.controlPointRect().adjusted(-8, -8, 8, 8)
        layer = getattr(self.scene(), "edge_layer", None)
        if layer is not None:
            layer.invalidate()
        self.label_item.place(label_at, self.label)

    def samples(self, per_curve: int) -> list[QPointF]:
        """Points along the route (the far-out layer draws them as straight pieces)."""
        out = [self._segments[0][0]] if self._segments else []
        for seg in self._segments:
            if len(seg) == 2:
                out.append(seg[1])
                continue
            a, b, c, d = seg
            for i in range(1, per_curve + 1):
                t = i / per_curve
                u = 1 - t
                out.append(a * (u * u * u) + b * (3 * u * u * t) + c * (3 * u * t * t) + d * (t * t * t))
        return out

    def _floor(self, left: float, right: float) -> float:
        """The lowest card bottom between the two ends: a back edge runs beneath all of them."""
        bottom = max(self.source.pos().y(), self.target.pos().y())
        scene = self.scene()
        for item in getattr(scene, "node_items", {}).values():
            x = item.pos().x()
            if left - NODE_W / 2 <= x <= right + NODE_W / 2:
                bottom = max(bottom, item.pos().y())
        return bottom + NODE_H / 2

    def is_back_edge(self) -> bool:
        return self.source is not self.target and self.target.in_port().x() < self.source.out_port().x() + 40

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12)
            self._shape = stroker.createStroke(self._path)
            self._shape.addPolygon(self._arrow)
        return self._shape

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.label_item.update()  # the label takes the selection colour too
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        theme: Theme = self.scene().theme  # type: ignore[attr-defined]
        pen, colour = Style.of(theme).edge_pen(self.when, self.isSelected(), theme)
        painter.setRenderHint(ANTIALIAS)
        painter.setPen(pen)
        painter.setBrush(NO_BRUSH)
        painter.drawPath(self._path)
        painter.setPen(NO_PEN)
        painter.setBrush(colour)
        painter.drawPolygon(self._arrow)


class EdgeLabel(QGraphicsItem):
    """An edge's label pill. A separate top-level item so it stacks above the cards (a label hidden under a
    card says nothing); clicks go through it to the edge or card below."""

    MAX_CHARS = 24

    def __init__(self, edge: EdgeItem) -> None:
        super().__init__()
        self.edge = edge
        self.text = ""
        self._rect = QRectF()
        self.setZValue(1.5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)

    def place(self, centre: QPointF, text: str) -> None:
        if len(text) > self.MAX_CHARS:
            text = text[: self.MAX_CHARS - 1].rstrip() + "…"  # the whole label is in the edge's tooltip
        self.prepareGeometryChange()
        self.text = text
        if text:
            w = metrics("label").horizontalAdvance(text) + 12
            self._rect = QRectF(centre.x() - w / 2, centre.y() - 9, w, 18)
        else:
            self._rect = QRectF()
        self.setVisible(bool(text) and self.edge.isVisible())
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.text:
            return
        theme: Theme = self.scene().theme  # type: ignore[attr-defined]
        _, colour = Style.of(theme).edge_pen(self.edge.when, self.edge.isSelected(), theme)
        painter.setRenderHint(ANTIALIAS)
        painter.setPen(QPen(colour, 1))
        painter.setBrush(QBrush(QColor(theme.label_fill)))
        painter.drawRoundedRect(self._rect, 9, 9)
        painter.setFont(fonts()["label"])
        painter.setPen(colour if (self.edge.when or self.edge.isSelected()) else QColor(theme.text))
        painter.drawText(self._rect, ALIGN_CENTER, self.text)


class EdgeLayer(QGraphicsItem):
    """Far-out rendering of all edges at once: the scene hides the edge items' contents below
    DETAIL_LOD and this layer draws every edge as 1-px segments in one call per colour, instead of
    hundreds of Python paint calls, which keeps a full view of a 400-edge design within a 60 Hz frame."""

    SEGMENTS = 10  # straight pieces per curve: smooth enough at a third of full size

    def __init__(self, edges: list[EdgeItem]) -> None:
        super().__init__()
        self.edges = edges
        self.setZValue(-0.5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        # One device pixmap for all far-out edges: frames that change nothing here (hover, selection of a
        # node, panning) blit it instead of re-rasterising thousands of anti-aliased segments.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._groups: dict[tuple[str | None, bool], tuple[list[QLineF], QPainterPath]] | None = None
        self._rect = QRectF()

    def invalidate(self) -> None:
        if self._groups is not None:
            self._groups = None
            self.update()

    def refresh_bounds(self) -> None:
        rect = QRectF()
        for edge in self.edges:
            rect = rect.united(edge.boundingRect())
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.invalidate()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def _build(self) -> dict[tuple[str | None, bool], tuple[list[QLineF], QPainterPath]]:
        groups: dict[tuple[str | None, bool], tuple[list[QLineF], QPainterPath]] = {}
        n = self.SEGMENTS
        for edge in self.edges:
            key = (edge.when, edge.isSelected())
            if key not in groups:
                groups[key] = ([], QPainterPath())
            lines, heads = groups[key]
            points = edge.samples(n)
            lines.extend(QLineF(a, b) for a, b in zip(points, points[1:]))
            heads.addPolygon(edge._arrow)
            heads.closeSubpath()
        return groups

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self._groups is None:
            self._groups = self._build()
        theme: Theme = self.scene().theme  # type: ignore[attr-defined]
        st = Style.of(theme)
        painter.setRenderHint(ANTIALIAS)
        for (when, selected), (lines, heads) in self._groups.items():
            pen, colour = st.edge_pen(when, selected, theme)
            painter.setPen(st.cosmetic(pen))
            painter.drawLines(lines)
            painter.setPen(NO_PEN)
            painter.setBrush(colour)
            painter.drawPath(heads)

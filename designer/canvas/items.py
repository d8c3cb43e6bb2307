"""Graphics items for nodes and edges. They only draw what the model says; edits go through commands."""

from __future__ import annotations

import html
import math
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

from designer.canvas import routing
from designer.canvas.text import breaks_cleanly, title_font, wrap
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


_STRIPS: dict[float, QPainterPath] = {}


def strip_path(card: QRectF = CARD) -> QPainterPath:
    """The coloured top edge of a card, shaped by its rounded corners (one per card height)."""
    path = _STRIPS.get(card.height())
    if path is None:
        shape = QPainterPath()
        shape.addRoundedRect(card, 10, 10)
        top = QPainterPath()
        top.addRect(QRectF(card.left(), card.top(), card.width(), 4))
        path = _STRIPS[card.height()] = shape.intersected(top)
    return path


def _is_vector(painter: QPainter) -> bool:
    engine = painter.paintEngine()
    return engine is not None and engine.type() in (QPaintEngine.Type.SVG, QPaintEngine.Type.Pdf)


TITLE_PX = 12  # the title's size at 100 % zoom
TITLE_LINE = 15.0  # one title line at 100 %: a card grows by this for each line after the first
MAX_TITLE_LINES = 4
LEGIBLE_PX = (10, 9, 8)  # zoomed out, the title keeps at least this many screen pixels (tried in order)
FULL_DETAIL = 0.79  # from this zoom the 12 px title is >= 9.5 screen px: the full card is drawn
WIDE_OVERFLOW = 30.0  # far out, a title may spill this far past each side of its card (into the gap)
SPILL_Y = 16.0  # ... and this far above and below it


class FarLayout:
    """What a zoomed-out card shows: the title at a size that stays legible, and as much else as fits
    (the subtitle goes first, then the icon; the title stays)."""

    __slots__ = ("font_px", "lines", "icon", "subtitle", "width")

    def __init__(self, font_px: int, lines: list[str], icon: bool, subtitle: bool, width: float) -> None:
        self.font_px, self.lines, self.icon, self.subtitle, self.width = font_px, lines, icon, subtitle, width


def far_layout(title: str, card_h: float, scale: float) -> FarLayout:
    """Choose the zoomed-out content of a card for ``scale`` screen pixels per scene pixel."""
    narrow = ((True, True, NODE_W - 12), (True, False, NODE_W - 12), (False, False, NODE_W - 12))
    wide = ((False, False, NODE_W + 2 * WIDE_OVERFLOW),)
    big, medium, small = LEGIBLE_PX
    # Inside the card at 10 or 9 px first, then spilling past it, then 8 px.
    tries = [(big, narrow), (medium, narrow), (big, wide), (medium, wide), (small, narrow), (small, wide)]
    for screen_px, variants in tries:
        px = max(TITLE_PX, math.ceil(screen_px / scale))
        _, fm = title_font(px)
        line_h = fm.height()
        for icon, subtitle, width in variants:
            # The widest variant may also spill a little above and below the card, into the gap between rows.
            spill = 2 * SPILL_Y if width > NODE_W else 0
            room = card_h + spill - 10 - (ICON + 6 if icon else 0) - (max(10, 8 / scale) * 1.3 if subtitle else 0)
            max_lines = int(room // line_h)
            if max_lines < 1:
                continue
            if icon and scale < DETAIL_LOD:
                continue  # far out (tinted boxes) no card shows an icon: they would only on some cards
            lines = wrap(title, fm, width, 50)
            if len(lines) <= max_lines and breaks_cleanly(lines, title):
                if all(fm.horizontalAdvance(line) <= width + 0.5 for line in lines):
                    return FarLayout(px, lines, icon, subtitle, width)
    px = max(TITLE_PX, math.ceil(LEGIBLE_PX[-1] / scale))
    _, fm = title_font(px)
    rows = max(1, int((card_h + 2 * SPILL_Y - 10) // fm.height()))
    lines = wrap(title, fm, NODE_W + 2 * WIDE_OVERFLOW, rows, break_words=False)
    if len(lines[0].rstrip("…")) < 4:  # not even a word fits legibly: the kind's icon says more than "Cr…"
        return FarLayout(px, [], True, False, NODE_W)
    return FarLayout(px, lines, False, False, NODE_W + 2 * WIDE_OVERFLOW)


class NodeItem(QGraphicsObject):
    """A node card: icon, name, kind and key parameters; an input port left, an output port right.
    Long names wrap (the card grows); zoomed out, the card trades detail for a title that stays legible."""

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
        self.card = QRectF(CARD)
        self.set_content(node, kind_label, summary)
        self.setPos(QPointF(*node.pos))

    # -- content ---------------------------------------------------------------------------------
    def set_content(self, node: Node, kind_label: str, summary: str) -> None:
        width = NODE_W - 16
        self.full_title = node.title
        self.title_lines = wrap(node.title, metrics("title"), width, MAX_TITLE_LINES)
        self.title = " ".join(self.title_lines)
        height = NODE_H + TITLE_LINE * (len(self.title_lines) - 1)
        if height != self.card.height():
            self.prepareGeometryChange()
            self.card = QRectF(-NODE_W / 2, -height / 2, NODE_W, height)
            scene = self.scene()
            if scene is not None and hasattr(scene, "node_geometry_changed"):
                scene.node_geometry_changed()
        self._far: dict[int, FarLayout] = {}
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
        card = self.card
        return QRectF(card.left() - WIDE_OVERFLOW - 4, card.top() - SPILL_Y - 12, card.width() + 2 * WIDE_OVERFLOW + 8,
                      card.height() + 2 * SPILL_Y + 12 + extra)

    def card_rect(self) -> QRectF:
        return QRectF(self.card)

    def scene_card_rect(self) -> QRectF:
        return self.card.translated(self.pos())

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.card.adjusted(-PORT_R, 0, PORT_R, 0), 10, 10)
        return path

    def in_port(self) -> QPointF:
        return self.mapToScene(QPointF(-NODE_W / 2, 0))

    def out_port(self) -> QPointF:
        return self.mapToScene(QPointF(NODE_W / 2, 0))

    def is_out_port(self, local: QPointF) -> bool:
        """The output port's grab area is generous (a 14 px half-box) so it is easy to hit."""
        return abs(local.x() - NODE_W / 2) <= 14 and abs(local.y()) <= 14

    def title_rect(self) -> QRectF:
        """Where the title sits at 100 % (the in-place editor opens there)."""
        return QRectF(self.card.left() + 6, self.card.top() + 38, NODE_W - 12, TITLE_LINE * len(self.title_lines) + 4)

    # -- drawing ---------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        scene = self.scene()
        theme: Theme = scene.theme  # type: ignore[attr-defined]
        st = Style.of(theme)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        scale = lod * getattr(scene, "lod_scale", 1.0)  # screen pixels per scene pixel
        vector = _is_vector(painter)
        selected = self.isSelected()
        card = self.card
        painter.setRenderHint(ANTIALIAS)
        if self.overlay:
            self._paint_overlay(painter, theme, card, scale)
        if scale < DETAIL_LOD and not vector:
            # Far out: a wash of the group's colour (no shadow, no strip) keeps full-view redraws fast.
            painter.setPen(st.border_selected if selected else st.accent_pen.get(self.group, st.border))
            painter.setBrush(st.fill)
            painter.drawRoundedRect(card, 10, 10)
            painter.setPen(NO_PEN)
            painter.setBrush(st.tint.get(self.group, st.fill))
            painter.drawRoundedRect(card, 10, 10)
        else:
            painter.setPen(NO_PEN)
            painter.setBrush(st.shadow)
            painter.drawRoundedRect(card.translated(0, 2), 10, 10)
            painter.setPen(st.border_selected if selected else st.border)
            painter.setBrush(st.fill)
            painter.drawRoundedRect(card, 10, 10)
            painter.setPen(NO_PEN)
            painter.setBrush(st.accent.get(self.group, st.subtext))
            painter.drawPath(strip_path(card))
        if vector or scale >= FULL_DETAIL:
            self._paint_full(painter, st, card, widget, scale, vector)
        else:
            self._paint_far(painter, st, card, widget, scale)
        if scale >= DETAIL_LOD or vector:
            self._paint_ports(painter, theme, card)
        if self.issues:
            self._paint_badge(painter, theme, card)
        if self.overlay and self.overlay.get("warning"):
            self._paint_warning(painter, theme, card)

    def _icon(self, painter: QPainter, rect: QRectF, widget: QWidget | None, scale: float, vector: bool) -> None:
        if vector:
            renderer(self.kind).render(painter, rect)
        else:
            dpr = widget.devicePixelRatioF() if widget is not None else 2.0
            painter.drawPixmap(rect, kind_pixmap(self.kind, int(ICON), dpr * max(1.0, scale)), QRectF())

    def _paint_full(self, painter: QPainter, st: Style, card: QRectF, widget: QWidget | None, scale: float,
                    vector: bool) -> None:
        self._icon(painter, QRectF(-ICON / 2, card.top() + 9, ICON, ICON), widget, scale, vector)
        f = fonts()
        painter.setPen(st.text)
        painter.setFont(f["title"])
        y = card.top() + 40
        for line in self.title_lines:
            painter.drawText(QRectF(card.left() + 6, y, NODE_W - 12, 16), ALIGN_CENTER, line)
            y += TITLE_LINE
        y += 1
        painter.setPen(st.subtext)
        painter.setFont(f["sub"])
        painter.drawText(QRectF(card.left() + 6, y, NODE_W - 12, 14), ALIGN_CENTER, self.subtitle)
        if self.summary:
            painter.setFont(f["params"])
            painter.setPen(st.text)
            painter.drawText(QRectF(card.left() + 6, y + 14, NODE_W - 12, 14), ALIGN_CENTER, self.summary)

    def far(self, scale: float) -> FarLayout:
        key = max(1, round(scale * 100))
        layout = self._far.get(key)
        if layout is None:
            layout = self._far[key] = far_layout(self.full_title, self.card.height(), key / 100)
        return layout

    def _paint_far(self, painter: QPainter, st: Style, card: QRectF, widget: QWidget | None, scale: float) -> None:
        layout = self.far(scale)
        if not layout.lines:  # too small for any word: the icon, as large as the card allows
            side = min(card.height() - 12, NODE_W - 12)
            self._icon(painter, QRectF(-side / 2, card.center().y() - side / 2, side, side), widget,
                       scale * side / ICON, False)
            return
        font, fm = title_font(layout.font_px)
        line_h = fm.height()
        sub_px = max(10, round(8 / scale))
        block = line_h * len(layout.lines) + (ICON + 4 if layout.icon else 0) + (sub_px * 1.3 if layout.subtitle else 0)
        y = card.center().y() - block / 2
        text_w = max(fm.horizontalAdvance(line) for line in layout.lines) + 8
        if text_w > NODE_W or block > card.height() - 4:
            # The title is bigger than the card: a plate in the card's colours keeps it readable over edges.
            plate = QRectF(-max(text_w, NODE_W) / 2, min(y - 2, card.top()), max(text_w, NODE_W),
                           max(block + 4, card.height()))
            selected = self.isSelected()
            if scale < DETAIL_LOD:  # the far style: a wash of the group colour
                painter.setPen(st.border_selected if selected else st.accent_pen.get(self.group, st.border))
                painter.setBrush(st.fill)
                painter.drawRoundedRect(plate, 10, 10)
                painter.setPen(NO_PEN)
                painter.setBrush(st.tint.get(self.group, st.fill))
            else:  # the card style
                painter.setPen(st.border_selected if selected else st.border)
                painter.setBrush(st.fill)
            painter.drawRoundedRect(plate, 10, 10)
        if layout.icon:
            self._icon(painter, QRectF(-ICON / 2, y, ICON, ICON), widget, scale, False)
            y += ICON + 4
        painter.setPen(st.text)
        painter.setFont(font)
        for line in layout.lines:
            painter.drawText(QRectF(-layout.width / 2, y, layout.width, line_h), ALIGN_CENTER, line)
            y += line_h
        if layout.subtitle:
            sub = QFont(fonts()["sub"])
            sub.setPixelSize(sub_px)
            painter.setFont(sub)
            painter.setPen(st.subtext)
            text = QFontMetricsF(sub).elidedText(self.subtitle, ELIDE, NODE_W - 12)
            painter.drawText(QRectF(card.left() + 6, y, NODE_W - 12, sub_px * 1.3), ALIGN_CENTER, text)

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
            if scene is not None and hasattr(scene, "_invalidate_routes"):
                scene._invalidate_routes()
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

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802
        scene = self.scene()
        if getattr(scene, "editable", False) and event.button() == Qt.MouseButton.LeftButton:
            scene.rename_requested.emit(self)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        scene = self.scene()
        if (event.button() == Qt.MouseButton.LeftButton and self.is_out_port(event.pos())
                and getattr(scene, "editable", False)):
            scene.start_connection(self, event.scenePos())
            event.accept()
            return
        super().mousePressEvent(event)


class EdgeItem(QGraphicsItem):
    """An orthogonal arrow from the source's output port to the target's input port, with a label."""

    def __init__(self, source: NodeItem, target: NodeItem, edge: Edge, defer: bool = False) -> None:
        super().__init__()
        self.source, self.target = source, target
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.when = edge.when
        self.label = ""
        self._path = QPainterPath()
        self._shape: QPainterPath | None = None
        self._points: list[QPointF] = []
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
        """Route the edge orthogonally around the cards (designer/canvas/routing.py) and rebuild its path."""
        self.prepareGeometryChange()
        p1, p2 = self.source.out_port(), self.target.in_port()
        a, b = (p1.x(), p1.y()), (p2.x(), p2.y())
        scene = self.scene()
        rects = scene.card_rects() if hasattr(scene, "card_rects") else {}
        if self.source is self.target:
            points = routing.route_loop(a, b, self.source.scene_card_rect().top())
        elif self.is_back_edge() and hasattr(scene, "back_route"):
            points = scene.back_route(self)
        elif self.is_back_edge():
            points = routing.route_back(a, b, max(a[1], b[1]) + 40, 0)
        else:
            ends = (self.source.node_id, self.target.node_id)
            obstacles = [r for node_id, r in rects.items() if node_id not in ends]
            merging = sum(1 for e in self.target.edges if e.target is self.target and not e.is_back_edge()) > 1
            points = routing.route_forward(a, b, obstacles, trunk=merging)
        self._points = [QPointF(x, y) for x, y in points]
        self._path = _rounded(self._points, 6.0)
        # The head points along the last run: right into the input port, or down/up into a card's top/bottom.
        size = 9.0
        tip = self._points[-1]
        last = self._points[-2] if len(self._points) > 1 else tip - QPointF(1, 0)
        dx, dy = tip.x() - last.x(), tip.y() - last.y()
        norm = max(abs(dx) + abs(dy), 1e-9)
        ux, uy = dx / norm, dy / norm  # runs are orthogonal: a unit vector along one axis
        back = QPointF(-ux * size, -uy * size)
        side = QPointF(-uy * size / 2, ux * size / 2)
        self._arrow = QPolygonF([tip, tip + back + side, tip + back - side])
        self._shape = None  # built on demand: only hit tests need it
        self._rect = self._path.controlPointRect().adjusted(-8, -8, 8, 8)
        layer = getattr(scene, "edge_layer", None)
        if layer is not None:
            layer.invalidate()
        self.label_item.place(QPointF(*routing.midpoint(points)), self.label)

    def points(self) -> list[QPointF]:
        return list(self._points)

    def samples(self, per_curve: int = 1) -> list[QPointF]:
        """Points along the route (the far-out layer draws them as straight pieces)."""
        return self._points

    def is_back_edge(self) -> bool:
        return self.source is not self.target and self.target.in_port().x() < self.source.out_port().x() + 2 * routing.STUB

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


def _rounded(points: list[QPointF], radius: float) -> QPainterPath:
    """An orthogonal polyline with its bends rounded (softer to follow than sharp corners)."""
    path = QPainterPath(points[0])
    for i in range(1, len(points) - 1):
        prev, here, nxt = points[i - 1], points[i], points[i + 1]
        d1 = QLineF(here, prev).length()
        d2 = QLineF(here, nxt).length()
        r = min(radius, d1 / 2, d2 / 2)
        if r < 0.5:
            path.lineTo(here)
            continue
        before = here + (prev - here) * (r / d1)
        after = here + (nxt - here) * (r / d2)
        path.lineTo(before)
        path.quadTo(here, after)
    path.lineTo(points[-1])
    return path


LABEL_MIN_PX = 8.5  # an edge label's text on screen, as far as LABEL_MAX_GROW allows
LABEL_MAX_GROW = 1.9


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
        return self._grown(LABEL_MAX_GROW).adjusted(-1, -1, 1, 1)

    def _grown(self, factor: float) -> QRectF:
        r = self._rect
        w, h = r.width() * factor, r.height() * factor
        return QRectF(r.center().x() - w / 2, r.center().y() - h / 2, w, h)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.text:
            return
        scene = self.scene()
        theme: Theme = scene.theme  # type: ignore[attr-defined]
        _, colour = Style.of(theme).edge_pen(self.edge.when, self.edge.isSelected(), theme)
        # Zoomed out, the pill grows (up to LABEL_MAX_GROW) so its text keeps LABEL_MIN_PX on screen.
        scale = option.levelOfDetailFromTransform(painter.worldTransform()) * getattr(scene, "lod_scale", 1.0)
        grow = 1.0 if _is_vector(painter) else min(LABEL_MAX_GROW, max(1.0, LABEL_MIN_PX / (10 * scale)))
        rect = self._grown(grow)
        painter.setRenderHint(ANTIALIAS)
        painter.setPen(QPen(colour, 1))
        painter.setBrush(QBrush(QColor(theme.label_fill)))
        painter.drawRoundedRect(rect, 9 * grow, 9 * grow)
        font = fonts()["label"]
        if grow > 1.0:
            font = QFont(font)
            font.setPixelSize(round(10 * grow))
        painter.setFont(font)
        painter.setPen(colour if (self.edge.when or self.edge.isSelected()) else QColor(theme.text))
        painter.drawText(rect, ALIGN_CENTER, self.text)


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

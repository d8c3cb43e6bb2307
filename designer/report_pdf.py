"""Paginated PDF of a ``simulation.report.Report``: each block is laid out on its own (QTextDocument for
text and tables, QSvgRenderer for charts, the canvas PNG for the diagram) and placed on A4/Letter pages by
a small flow layout that keeps headings with their content, splits tables only between rows (header
repeated), never splits a figure, and numbers the pages. Charts stay vector graphics in the PDF."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen, QTextDocument
from PySide6.QtSvg import QSvgRenderer

from simulation.errors import DesignError
from simulation.report.document import Bullets, Image, Para, Report, Table
from simulation.report.html import QT_CSS, qt_bullets_html, qt_para_html, qt_table_html

PAGE_SIZES = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
MARGINS_MM = QMarginsF(16.0, 14.0, 16.0, 12.0)  # left, top, right, bottom
DPI = 96  # layout unit: CSS pixels, so font points map as in a browser
FOOTER_PX = 26.0
GAP = 7.0  # between blocks
HEADING_GAP = 18.0  # above a section heading
FONT_FAMILIES = ["Helvetica", "Arial", "Liberation Sans", "DejaVu Sans"]
MIN_ROWS = 3  # a table part (first or last) has at least this many rows...
MIN_PART_PX = 90.0  # ...or is at least this tall (about six lines): tall rows may split two and two
WRAP_ASPECT = 4.0  # a diagram this wide is a long pipeline: two strips when that prints it WRAP_GAIN × larger
WRAP_GAIN = 1.3


def body_font(points: float = 9.0) -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(points)
    return font


def text_doc(html: str, width: float, points: float = 9.0) -> QTextDocument:
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setDefaultFont(body_font(points))
    doc.setDefaultStyleSheet(QT_CSS)
    doc.setHtml(html)
    doc.setTextWidth(width)
    return doc


def draw_doc(painter: QPainter, doc: QTextDocument, x: float, y: float) -> None:
    painter.save()
    painter.translate(x, y)
    doc.drawContents(painter)
    painter.restore()


# -- flow items ------------------------------------------------------------------------------------------------
@dataclass
class Item:
    """Something placed on a page: ``split`` returns (part that fits ``avail``, rest) or None when it cannot."""

    width: float
    keep_with_next: bool = False
    space_before: float = GAP

    def height(self) -> float:
        raise NotImplementedError

    def min_height(self) -> float:
        return self.height()

    def split(self, avail: float) -> tuple[Item, Item] | None:
        return None

    def paint(self, painter: QPainter, x: float, y: float) -> None:
        raise NotImplementedError


@dataclass
class TextItem(Item):
    html: str = ""
    points: float = 9.0
    doc: QTextDocument | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.doc = text_doc(self.html, self.width, self.points)

    def height(self) -> float:
        return self.doc.size().height()

    def paint(self, painter: QPainter, x: float, y: float) -> None:
        draw_doc(painter, self.doc, x, y)


@dataclass
class HeadingItem(TextItem):
    """A section title with a rule under it; always kept with what follows."""

    section_id: str = ""

    def __post_init__(self) -> None:
        self.keep_with_next = True
        self.space_before = HEADING_GAP
        super().__post_init__()

    def height(self) -> float:
        return super().height() + 6

    def paint(self, painter: QPainter, x: float, y: float) -> None:
        super().paint(painter, x, y)
        painter.setPen(QPen(QColor("#93c5fd"), 1.2))
        line_y = y + super().height() + 2
        painter.drawLine(QPointF(x, line_y), QPointF(x + self.width, line_y))


@dataclass
class SlicedItem(Item):
    """Rows of a table or items of a list, split between rows; ``render(rows, continued)`` gives the HTML."""

    rows: list = field(default_factory=list)
    render: Callable[[list, bool], str] | None = None
    continued: bool = False
    _heights: dict[int, float] = field(default_factory=dict, repr=False)
    _docs: dict[int, QTextDocument] = field(default_factory=dict, repr=False)

    def _doc(self, k: int) -> QTextDocument:
        if k not in self._docs:
            self._docs[k] = text_doc(self.render(self.rows[:k], self.continued), self.width)
        return self._docs[k]

    def height(self) -> float:
        return self._doc(len(self.rows)).size().height()

    def _min_k(self) -> int:
        """Rows in the smallest first part: MIN_ROWS, or fewer when those are already MIN_PART_PX tall."""
        n = len(self.rows)
        return next((k for k in range(1, min(MIN_ROWS, n)) if self._doc(k).size().height() >= MIN_PART_PX),
                    min(MIN_ROWS, n))

    def _max_k(self) -> int:
        """Rows in the largest first part that leaves a last part of MIN_ROWS rows or MIN_PART_PX height."""
        n, full = len(self.rows), self.height()
        for k in range(n - 1, max(n - MIN_ROWS, 0), -1):
            if full - self._doc(k).size().height() >= MIN_PART_PX:
                return k
        return n - MIN_ROWS

    def min_height(self) -> float:  # the smallest first part: all of it when too short to split
        lo = self._min_k()
        return self._doc(lo if lo <= self._max_k() else len(self.rows)).size().height()

    def split(self, avail: float) -> tuple[Item, Item] | None:
        n = len(self.rows)
        if n < 2:
            return None
        lo, hi = self._min_k(), self._max_k()  # the largest k in [lo, hi] whose part fits
        if lo > hi or self._doc(lo).size().height() > avail:
            return None
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._doc(mid).size().height() <= avail:
                lo = mid
            else:
                hi = mid - 1
        head = SlicedItem(self.width, rows=self.rows[:lo], render=self.render, continued=self.continued)
        head._docs[lo] = self._doc(lo)
        tail = SlicedItem(self.width, rows=self.rows[lo:], render=self.render, continued=True)
        return head, tail

    def paint(self, painter: QPainter, x: float, y: float) -> None:
        draw_doc(painter, self._doc(len(self.rows)), x, y)


@dataclass
class ImageItem(Item):
    """A figure with its caption, never split: SVG drawn as vectors, a PNG at its full resolution; a very wide
    PNG (the canvas diagram of a long pipeline) is wrapped into two strips cut where no box is."""

    image: Image | None = None
    max_height: float = 0.0
    _strips: list[tuple[QImage, float, float]] = field(default_factory=list, repr=False)  # image, w, h on page
    _svg: QSvgRenderer | None = field(default=None, repr=False)
    _size: tuple[float, float] = (0.0, 0.0)
    _caption: QTextDocument | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        img = self.image
        caption = img.caption
        target_w = self.width * img.width_pct / 100
        if img.svg is not None:
            self._svg = QSvgRenderer(QByteArray(img.svg.encode("utf-8")))
            size = self._svg.defaultSize()
            w, h = float(size.width()), float(size.height())
            strips = None
        else:
            q = QImage.fromData(img.png or b"")
            if q.isNull():
                raise DesignError(f"image {img.name!r} is not a readable PNG", "report")
            w, h = float(q.width()), float(q.height())
            strips = wrap_strips(q, target_w, self.max_height * 0.8)
            if strips:
                caption += " (Wrapped into two rows to print legibly; the HTML report shows it in one piece.)"
        self._caption = text_doc(f"<p align='center' style='color:#4b5563'>{escape(caption)}</p>", self.width, 8)
        room = self.max_height - self._caption.size().height() - 6
        if img.svg is not None or not strips:
            scale = min(target_w / w, room / h)
            self._size = (w * scale, h * scale)
            if img.png is not None:
                self._strips = [(q, w * scale, h * scale)]
        else:
            total_h = sum(s.height() for s in strips) + 14 * (len(strips) - 1)
            scale = min(target_w / max(s.width() for s in strips), room / total_h)
            self._strips = [(s, s.width() * scale, s.height() * scale) for s in strips]
            self._size = (max(sw for _, sw, _ in self._strips),
                          sum(sh for _, _, sh in self._strips) + 14 * (len(strips) - 1))

    def height(self) -> float:
        return self._size[1] + 6 + self._caption.size().height()

    def paint(self, painter: QPainter, x: float, y: float) -> None:
        w, h = self._size
        left = x + (self.width - w) / 2
        if self._svg is not None:
            self._svg.render(painter, QRectF(left, y, w, h))
        else:
            top = y
            for i, (strip, sw, sh) in enumerate(self._strips):
                painter.drawImage(QRectF(left, top, sw, sh), strip)
                if i < len(self._strips) - 1:
                    painter.setPen(QPen(QColor("#9ca3af"), 0.8, Qt.PenStyle.DashLine))
                    painter.drawLine(QPointF(left, top + sh + 7), QPointF(left + w, top + sh + 7))
                top += sh + 14
        draw_doc(painter, self._caption, x, y + h + 6)


def wrap_strips(q: QImage, target_w: float, max_h: float) -> list[QImage] | None:
    """Two strips of a wide diagram, cut at a background column near the middle, when that prints it at least
    WRAP_GAIN times larger than fitting the whole to the page width; None otherwise."""
    w, h = q.width(), q.height()
    if w / h < WRAP_ASPECT:
        return None
    rgb = q.convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(rgb.constBits(), np.uint8, count=rgb.sizeInBytes()).reshape(h, rgb.bytesPerLine())
    px = arr[:, : w * 4].reshape(h, w, 4)[:, :, :3].astype(np.int16)
    ink = (np.abs(px - px[2, 2]).max(axis=2) > 3).sum(axis=0)  # non-background pixels per column (box fills too)
    lo, hi = int(w * 0.3), int(w * 0.7)
    clear = np.flatnonzero(ink[lo:hi] <= 0.06 * h) + lo  # only thin edge lines cross these columns
    if clear.size == 0:
        return None
    runs = np.split(clear, np.flatnonzero(np.diff(clear) > 1) + 1)
    best = min(runs, key=lambda r: abs((r[0] + r[-1]) / 2 - w / 2))
    cut = int((best[0] + best[-1]) // 2)
    plain = min(target_w / w, max_h / h)
    wrapped = min(target_w / max(cut, w - cut), max_h / (2 * h + 14))
    if wrapped < WRAP_GAIN * plain:
        return None
    return [q.copy(0, 0, cut, h), q.copy(cut, 0, w - cut, h)]


# -- building and placing --------------------------------------------------------------------------------------
def table_renderer(table: Table) -> Callable[[list, bool], str]:
    def render(rows: list, continued: bool) -> str:
        caption = (table.caption or "") + (" (continued)" if continued and table.caption else "")
        return qt_table_html(table, rows, caption)
    return render


def bullets_renderer(items: list, continued: bool) -> str:
    return qt_bullets_html(items)


def build_items(report: Report, width: float, body_h: float, contents: dict[str, int]) -> list[Item]:
    items: list[Item] = [
        TextItem(width, html=f"<p style='font-size: 20pt; font-weight: bold; color: #0f172a'>{escape(report.title)}"
                 "</p>"),
        TextItem(width, html=f"<p style='color: #4b5563'>{escape(report.subtitle)} Generated by genai-sim.</p>",
                 space_before=2),
    ]
    for k, section in enumerate(report.sections):
        items.append(HeadingItem(width, html=f"<p style='font-size: 13pt; font-weight: bold; color: #1e3a8a'>"
                                             f"{escape(section.title)}</p>", section_id=section.id))
        blocks = section.blocks
        for j, b in enumerate(blocks):
            nxt = blocks[j + 1] if j + 1 < len(blocks) else None
            if isinstance(b, Para):
                # an introduction to the figure, table or list after it stays on its page
                keep = isinstance(nxt, (Table, Image, Bullets))
                items.append(TextItem(width, keep_with_next=keep, html=qt_para_html(b)))
            elif isinstance(b, Bullets):
                items.append(SlicedItem(width, rows=list(b.items), render=bullets_renderer))
            elif isinstance(b, Table):
                items.append(SlicedItem(width, rows=list(b.rows), render=table_renderer(b)))
            elif isinstance(b, Image):
                items.append(ImageItem(width, image=b, max_height=body_h))
        if k == 0:  # the contents follow the executive summary
            items.append(ContentsItem(width, report=report, pages=contents))
    return items


@dataclass
class ContentsItem(Item):
    """Section titles with their page numbers (known after layout; the height does not depend on them)."""

    report: Report | None = None
    pages: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.space_before = HEADING_GAP

    def _doc(self) -> QTextDocument:
        entries = [(s.title, str(self.pages.get(s.id, "00"))) for s in self.report.sections[1:]]
        half = (len(entries) + 1) // 2
        rows = []
        for i in range(half):
            cells = []
            for title, page in (entries[i], entries[i + half] if i + half < len(entries) else ("", "")):
                cells.append(f"<td width='40%'>{escape(title)}</td><td width='5%' align='right' "
                             f"style='color:#6b7280'>{page}</td>")
            rows.append("<tr>" + cells[0] + "<td width='10%'></td>" + cells[1] + "</tr>")
        return text_doc("<p style='font-weight: bold; color: #1e3a8a'>Contents</p><table width='100%' "
                        "cellpadding='1' cellspacing='0'>" + "".join(rows) + "</table>", self.width)

    def height(self) -> float:
        return self._doc().size().height()

    def paint(self, painter: QPainter, x: float, y: float) -> None:
        draw_doc(painter, self._doc(), x, y)


def paginate(items: list[Item], body_h: float) -> list[list[tuple[float, Item]]]:
    """Place items top to bottom; a new page when the next item (with what it must stay beside) does not fit."""
    pages: list[list[tuple[float, Item]]] = [[]]
    y = 0.0
    items = list(items)

    def chain(i: int) -> float:  # height item i needs on the page: itself plus the start of what it keeps with
        it = items[i]
        if not it.keep_with_next or i + 1 == len(items):
            return it.height()
        nxt = items[i + 1]
        return it.height() + nxt.space_before + (chain(i + 1) if nxt.keep_with_next else nxt.min_height())

    i = 0
    while i < len(items):
        it = items[i]
        gap = it.space_before if y > 0 else 0.0
        avail = body_h - y - gap
        if chain(i) <= avail or (y == 0 and it.height() <= avail):
            pages[-1].append((y + gap, it))
            y += gap + it.height()
            i += 1
            continue
        parts = None if it.keep_with_next else it.split(avail)
        if parts is None and y == 0:
            parts = it.split(avail)
            if parts is None:  # taller than a page and indivisible: it is clipped rather than lost
                pages[-1].append((0.0, it))
                y = body_h
                i += 1
                continue
        if parts is not None:
            pages[-1].append((y + gap, parts[0]))
            items[i] = parts[1]
            items[i].space_before = 0.0
        pages.append([])
        y = 0.0
    return pages


def write_pdf(report: Report, out: Path, page_size: str = "a4") -> None:
    """The report as a paginated PDF (A4 or Letter): vector text and charts, numbered pages."""
    from designer.export import ensure_app

    ensure_app()
    if page_size not in PAGE_SIZES:
        raise DesignError(f"must be one of {', '.join(PAGE_SIZES)}, got {page_size!r}", "--page-size")
    writer = QPdfWriter(str(out))
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(PAGE_SIZES[page_size]), QPageLayout.Orientation.Portrait,
                                     MARGINS_MM, QPageLayout.Unit.Millimeter))
    writer.setTitle(report.title)
    writer.setCreator("genai-sim")
    width, height = float(writer.width()), float(writer.height())
    body_h = height - FOOTER_PX
    contents: dict[str, int] = {}
    items = build_items(report, width, body_h, contents)
    pages = paginate(items, body_h)
    for n, page in enumerate(pages, 1):
        for _, it in page:
            if isinstance(it, HeadingItem):
                contents.setdefault(it.section_id, n)
    painter = QPainter()
    if not painter.begin(writer):
        raise DesignError(f"cannot write {out}", "-o")
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                           | QPainter.RenderHint.SmoothPixmapTransform)
    try:
        for n, page in enumerate(pages, 1):
            if n > 1:
                writer.newPage()
            for y, it in page:
                it.paint(painter, 0.0, y)
            footer(painter, report.title, n, len(pages), width, height)
    finally:
        painter.end()
    if not out.exists():
        raise DesignError(f"cannot write {out}", "-o")


def footer(painter: QPainter, title: str, page: int, pages: int, width: float, height: float) -> None:
    painter.setPen(QPen(QColor("#d1d5db"), 0.8))
    painter.drawLine(QPointF(0, height - FOOTER_PX + 8), QPointF(width, height - FOOTER_PX + 8))
    painter.setPen(QColor("#6b7280"))
    painter.setFont(body_font(7.5))
    box = QRectF(0, height - FOOTER_PX + 10, width, FOOTER_PX - 10)
    label = painter.fontMetrics().elidedText(f"{title} · genai-sim design report", Qt.TextElideMode.ElideRight,
                                             int(width * 0.75))
    painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
    painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"Page {page} of {pages}")

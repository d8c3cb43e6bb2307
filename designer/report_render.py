"""Qt side of the report: the diagram as drawn on the canvas and the PDF writer, injected into
``simulation.report`` (which stays free of Qt). ``genai-sim report`` and File → Export report call here."""

from __future__ import annotations

import argparse
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QSizeF, QUrl
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument
from PySide6.QtSvg import QSvgRenderer

from simulation.design import Design
from simulation.errors import DesignError
from simulation.report.cli import add_report_arguments as _add_report_arguments
from simulation.report.cli import report_main as _report_main
from simulation.report.document import Image, Report
from simulation.report.html import render_qt_html

PAGE_SIZES = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
MARGIN_MM = 14.0
DOC_DPI = 96.0  # QTextDocument lays out in logical pixels at 96 per inch when printing
SVG_RASTER_SCALE = 2.5  # chart pixels per layout pixel: sharp at print resolution


def render_diagram_png(design: Design) -> bytes:
    """PNG bytes of the design as the canvas draws it (light theme)."""
    from designer.export import ensure_app, render_image

    ensure_app()
    image = render_image(design)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise DesignError("cannot render the diagram", "diagram")
    return bytes(buffer.data())


def _qimage(img: Image) -> QImage:
    if img.png is not None:
        q = QImage.fromData(img.png)
        return q
    renderer = QSvgRenderer(QByteArray(img.svg.encode("utf-8")))
    size = renderer.defaultSize()
    q = QImage(round(size.width() * SVG_RASTER_SCALE), round(size.height() * SVG_RASTER_SCALE),
               QImage.Format.Format_ARGB32_Premultiplied)
    q.fill(QColor("white"))
    painter = QPainter(q)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    renderer.render(painter)
    painter.end()
    return q


def write_pdf(report: Report, out: Path, page_size: str = "a4") -> None:
    """Paginated PDF through QTextDocument (Qt's rich-text HTML subset): A4 or Letter, 14 mm margins."""
    from designer.export import ensure_app

    ensure_app()
    if page_size not in PAGE_SIZES:
        raise DesignError(f"must be one of {', '.join(PAGE_SIZES)}, got {page_size!r}", "--page-size")
    writer = QPdfWriter(str(out))
    page = QPageSize(PAGE_SIZES[page_size])
    writer.setPageLayout(QPageLayout(page, QPageLayout.Orientation.Portrait,
                                     QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                                     QPageLayout.Unit.Millimeter))
    writer.setTitle(report.title)
    writer.setCreator("genai-sim")
    paper = page.size(QPageSize.Unit.Millimeter)
    width_px = (paper.width() - 2 * MARGIN_MM) / 25.4 * DOC_DPI
    height_px = (paper.height() - 2 * MARGIN_MM) / 25.4 * DOC_DPI
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    doc.setPageSize(QSizeF(width_px, height_px))
    for img in report.images():
        q = _qimage(img)
        # Images taller than a page would be cut: cap their width so they fit one page.
        fit = min(1.0, height_px * 0.92 / max(q.height() * width_px / max(q.width(), 1), 1))
        img.width_pct = max(20, int(img.width_pct * fit))
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"img:{img.filename}"), q)
    doc.setHtml(render_qt_html(report, int(width_px)))
    doc.print_(writer)
    if not out.exists():
        raise DesignError(f"cannot write {out}", "-o")


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    _add_report_arguments(parser)


def report_main(args: argparse.Namespace) -> int:
    """`genai-sim report`: the headless report with the canvas diagram and PDF support."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return _report_main(args, diagram_renderer=render_diagram_png, pdf_writer=write_pdf)

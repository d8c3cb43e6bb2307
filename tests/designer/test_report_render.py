"""The Qt side of the report: canvas diagram as PNG and a paginated PDF on A4 and Letter, laid out so that
headings stay with their content, tables split only between rows and charts stay vector graphics."""

from __future__ import annotations

import argparse
import re

import pytest
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPdfWriter

from designer import report_pdf
from designer.report_render import add_report_arguments, render_diagram_png, report_main, write_pdf
from simulation.loader import load_design
from simulation.report import build_report
from simulation.report.document import Table
from simulation.run import run_design
from simulation.templates import TEMPLATES_DIR


@pytest.fixture(scope="module")
def rag_report():
    d = load_design(TEMPLATES_DIR / "rag-pipeline.genai.json")
    return d, build_report(d, run_design(d, duration_s=160), render_diagram_png(d))


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def test_diagram_is_a_png(rag_report) -> None:
    d, report = rag_report
    png = report.images()[0].png
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("size", ["a4", "letter"])
def test_pdf_pages(rag_report, tmp_path, size) -> None:
    _, report = rag_report
    out = tmp_path / f"r-{size}.pdf"
    write_pdf(report, out, size)
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert 4 <= pdf_pages(data) <= 14
    # A4 is 595 × 842 pt, Letter 612 × 792 pt
    assert (b"595" in data and b"842" in data) if size == "a4" else (b"612" in data and b"792" in data)
    # charts are drawn as vectors: the only raster images are the diagram (one or two strips)
    assert 1 <= len(re.findall(rb"/Subtype\s*/Image", data)) <= 2 < len(report.images())


def layout(report, size: str = "a4"):
    writer = QPdfWriter("/dev/null")
    writer.setResolution(report_pdf.DPI)
    writer.setPageLayout(QPageLayout(QPageSize(report_pdf.PAGE_SIZES[size]), QPageLayout.Orientation.Portrait,
                                     report_pdf.MARGINS_MM, QPageLayout.Unit.Millimeter))
    width, body = float(writer.width()), float(writer.height()) - report_pdf.FOOTER_PX
    pages = report_pdf.paginate(report_pdf.build_items(report, width, body, {}), body)
    return pages, body


@pytest.mark.parametrize("size", ["a4", "letter"])
def test_layout_keeps_headings_with_content_and_fills_pages(rag_report, size) -> None:
    _, report = rag_report
    pages, body = layout(report, size)
    for page in pages:
        assert page and not page[-1][1].keep_with_next  # no heading or intro stranded at the foot of a page
        y, last = page[-1]
        assert y + last.height() <= body + 0.5
    used = [max(y + it.height() for y, it in page) / body for page in pages[:-1]]
    assert min(used) > 0.45, used  # sections flow: no page is left mostly empty
    headings = [it for page in pages for _, it in page if isinstance(it, report_pdf.HeadingItem)]
    assert [h.section_id for h in headings] == [s.id for s in report.sections]


def test_long_table_splits_between_rows_with_its_header_repeated() -> None:
    from simulation.report.html import qt_table_html

    table = Table(["Stage", "Time"], [[f"stage {i}", f"{i} ms"] for i in range(80)], "Stages", numeric=(1,))
    item = report_pdf.SlicedItem(600.0, rows=table.rows, render=report_pdf.table_renderer(table))
    head, tail = item.split(300.0)
    assert head.height() <= 300.0 and report_pdf.MIN_ROWS <= len(head.rows) < 80
    assert head.rows + tail.rows == table.rows
    assert "(continued)" in tail.render(tail.rows, tail.continued) and "<th" in tail.render(tail.rows, True)
    assert "Stages" in qt_table_html(table, table.rows[:2])


def test_wide_diagram_wraps_at_a_gap_between_boxes() -> None:
    image = QImage(2000, 200, QImage.Format.Format_RGB32)
    image.fill(QColor("#f8fafc"))
    for x0 in range(40, 2000, 250):  # a row of 8 boxes 180 px wide with 70 px gaps
        for x in range(x0, x0 + 180):
            for y in range(50, 150):
                image.setPixelColor(x, y, QColor("white") if 52 < y < 148 else QColor("#2563eb"))
    strips = report_pdf.wrap_strips(image, 680.0, 900.0)
    assert strips is not None and len(strips) == 2
    cut = strips[0].width()
    assert 600 < cut < 1400 and (cut - 40) % 250 >= 180  # between two boxes, not through one
    assert report_pdf.wrap_strips(image.copy(0, 0, 600, 200), 680.0, 900.0) is None  # not wide: left alone


def test_report_main_writes_pdf(tmp_path, capsys) -> None:
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    out = tmp_path / "mmc.pdf"
    assert report_main(parser.parse_args([str(TEMPLATES_DIR / "mmc-service.genai.json"), "-o", str(out),
                                          "--duration", "60", "--page-size", "letter"])) == 0
    assert out.read_bytes().startswith(b"%PDF")

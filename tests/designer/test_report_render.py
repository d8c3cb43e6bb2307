"""The Qt side of the report: canvas diagram as PNG and a paginated PDF on A4 and Letter."""

from __future__ import annotations

import argparse

import pytest

from designer.report_render import add_report_arguments, render_diagram_png, report_main, write_pdf
from simulation.loader import load_design
from simulation.report import build_report
from simulation.run import run_design
from simulation.templates import TEMPLATES_DIR


@pytest.fixture(scope="module")
def rag_report():
    d = load_design(TEMPLATES_DIR / "rag-pipeline.genai.json")
    return d, build_report(d, run_design(d, duration_s=160), render_diagram_png(d))


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
    pages = data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type/Page\n")
    assert pages >= 5 or len(data) > 50_000
    # A4 is 595 × 842 pt, Letter 612 × 792 pt
    assert (b"595" in data and b"842" in data) if size == "a4" else (b"612" in data and b"792" in data)


def test_report_main_writes_pdf(tmp_path, capsys) -> None:
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    out = tmp_path / "mmc.pdf"
    assert report_main(parser.parse_args([str(TEMPLATES_DIR / "mmc-service.genai.json"), "-o", str(out),
                                          "--duration", "60", "--page-size", "letter"])) == 0
    assert out.read_bytes().startswith(b"%PDF")

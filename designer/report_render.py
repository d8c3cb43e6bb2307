"""Qt side of the report: the diagram as drawn on the canvas and the PDF writer, injected into
``simulation.report`` (which stays free of Qt). ``genai-sim report`` and File → Export report call here."""

from __future__ import annotations

import argparse

from PySide6.QtCore import QBuffer, QIODevice

from designer.report_pdf import write_pdf
from simulation.design import Design
from simulation.errors import DesignError
from simulation.report.cli import add_report_arguments as _add_report_arguments
from simulation.report.cli import report_main as _report_main

# Canvas pixels per scene unit for the report's diagram: a 1,600-unit-wide pipeline becomes 4,800 pixels, about
# 300 dpi when a strip of it fills half an A4 text width.
DIAGRAM_SCALE = 3.0

__all__ = ["add_report_arguments", "render_diagram_png", "report_main", "write_pdf"]


def render_diagram_png(design: Design) -> bytes:
    """PNG bytes of the design as the canvas draws it (light theme)."""
    from designer.export import ensure_app, render_image

    ensure_app()
    image = render_image(design, scale=DIAGRAM_SCALE)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise DesignError("cannot render the diagram", "diagram")
    return bytes(buffer.data())


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    _add_report_arguments(parser)


def report_main(args: argparse.Namespace) -> int:
    """`genai-sim report`: the headless report with the canvas diagram and PDF support."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return _report_main(args, diagram_renderer=render_diagram_png, pdf_writer=write_pdf)

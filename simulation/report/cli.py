"""`genai-sim report FILE -o OUT.html|md|pdf|json`: run the design and write the interview-ready report.

This module stays free of Qt: the diagram as drawn on the canvas and the PDF writer are injected as
callables (``designer.report_render`` provides the Qt ones and is what the CLI entry calls).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from simulation.design import Design
from simulation.errors import DesignError
from simulation.report.document import Report
from simulation.report.html import render_html
from simulation.report.markdown import write_markdown
from simulation.report.sections import build_report

FORMATS = ("html", "md", "pdf", "json")
PAGE_SIZES = ("a4", "letter")
DiagramRenderer = Callable[[Design], bytes]
PdfWriter = Callable[[Report, Path, str], None]


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="design file (*.genai.json)")
    parser.add_argument("-o", "--output", required=True, help="output file: .html (self-contained), .md (with an "
                        "images folder beside it), .pdf, or .json (the report's figures)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the workload's)")
    parser.add_argument("--duration", type=float, default=None, help="simulated seconds (default: the workload's)")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="override a design value, e.g. nodes.llm.params.replicas=4 (repeatable)")
    parser.add_argument("--page-size", choices=PAGE_SIZES, default="a4", help="PDF page size (default a4)")


def output_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "markdown":
        suffix = "md"
    if suffix not in FORMATS:
        raise DesignError(f"must end in .html, .md, .pdf or .json, got {str(path)!r}", "-o")
    return suffix


def write_report(report: Report, out: Path, pdf_writer: PdfWriter | None = None, page_size: str = "a4") -> list[Path]:
    """Write ``report`` in the format ``out``'s suffix names; returns the files written."""
    fmt = output_format(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        out.write_text(render_html(report), encoding="utf-8")
        return [out]
    if fmt == "md":
        return write_markdown(report, out)
    if fmt == "json":
        from simulation.report.data import render_json

        out.write_text(render_json(report), encoding="utf-8")
        return [out]
    if pdf_writer is None:
        raise DesignError("PDF output needs the Qt renderer (run it through `genai-sim report`)", "-o")
    pdf_writer(report, out, page_size)
    return [out]


def generate_report(design: Design, out: Path, seed: int | None = None, duration_s: float | None = None,
                    diagram_renderer: DiagramRenderer | None = None, pdf_writer: PdfWriter | None = None,
                    page_size: str = "a4", progress: Callable[[float, float], None] | None = None, *,
                    diagram_png: bytes | None = None) -> Report:
    """Run ``design`` and write its report to ``out`` (.html, .md, .pdf or .json, by its suffix).

    The one entry point for the CLI and the designer's File ▸ Export Report: it imports no Qt itself (the diagram
    and PDF writer are injected), so it can run on a worker thread. A caller on a worker thread can render the
    diagram on the UI thread first and pass its PNG as ``diagram_png`` (then no renderer runs here). Besides the
    run it re-simulates the design to size it at the peak and price its cost levers (a few seconds for most
    designs).
    """
    from simulation.run import run_design

    fmt = output_format(out)
    result = run_design(design, seed=seed, duration_s=duration_s, progress=progress)
    diagram = diagram_png if diagram_png is not None else (
        diagram_renderer(design) if diagram_renderer and fmt != "json" else None)
    report = build_report(design, result, diagram)
    write_report(report, out, pdf_writer, page_size)
    return report


def report_main(args: argparse.Namespace, diagram_renderer: DiagramRenderer | None = None,
                pdf_writer: PdfWriter | None = None) -> int:
    from simulation.run import load_with_overrides

    out = Path(args.output)
    output_format(out)
    design = load_with_overrides(args.file, list(args.set or []))
    report = generate_report(design, out, args.seed, args.duration, diagram_renderer, pdf_writer,
                             getattr(args, "page_size", "a4"))
    run = report.data["run"]
    slo = run["slo"]
    missed = [k for k, v in slo.items() if not v["met"]]
    print(f"wrote {out} ({len(report.sections)} sections; {run['requests']['completed']:,} requests; "
          + (f"SLO missed: {', '.join(missed)}" if missed else "all SLOs met") + ")")
    return 0



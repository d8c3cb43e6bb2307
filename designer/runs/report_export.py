"""File ▸ Export Report…: run the document's design and write the interview-ready report, off the UI thread.

The work happens in a spawned process through the report's own entry point (``simulation.report``:
``generate_report`` runs the design, builds the report, writes the format the file name's extension names),
with the canvas diagram and the PDF writer of ``designer.report_render``. The formats offered are the ones the
report module writes at run time (``simulation.report.cli.FORMATS``), so a new format needs no change here.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from designer.document import DesignDocument, is_template

POLL_MS = 100
FORMAT_NAMES = {"html": "HTML, self-contained", "md": "Markdown with images", "pdf": "PDF", "json": "JSON data"}


def report_formats() -> tuple[str, ...]:
    """The file extensions the report module can write (html, md, pdf, and json where it exists)."""
    from simulation.report import cli

    return tuple(cli.FORMATS)


def export_worker(data: dict[str, Any], base_dir: str | None, out: str, answers: Any) -> None:
    """Spawned process: load, run and write the report; answers ("progress", f) … then ("done", files) or
    ("error", message)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from designer.report_render import render_diagram_png, write_pdf
        from simulation.errors import DesignError
        from simulation.loader import load_design
        from simulation.report import cli

        design = load_design(data)
        design.base_dir = base_dir
        last = [0.0]

        def progress(fraction: float, _sim_t: float) -> None:  # the engine's (share done, simulated s)
            if fraction - last[0] >= 0.02:
                last[0] = fraction
                answers.put(("progress", fraction))

        path = Path(out)
        cli.generate_report(design, path, diagram_renderer=render_diagram_png, pdf_writer=write_pdf,
                            progress=progress)
        answers.put(("done", str(path)))
    except DesignError as exc:
        answers.put(("error", str(exc)))
    except Exception as exc:  # noqa: BLE001 - shown in one line; the window never sees a traceback
        answers.put(("error", f"{type(exc).__name__}: {exc}"))


class ReportExport(QObject):
    """Export the report of one document. ``message(text)`` for the status bar; ``finished(path)`` and
    ``failed(message)`` when the background process ends."""

    message = Signal(str)
    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, document: DesignDocument, parent: QWidget) -> None:
        super().__init__(parent)
        self.document = document
        self.host = parent
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._answers: Any = None
        self._out: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @staticmethod
    def formats() -> tuple[str, ...]:
        return report_formats()

    @property
    def running(self) -> bool:
        return self._proc is not None

    def file_filter(self) -> str:
        return ";;".join(f"{FORMAT_NAMES.get(f, f.upper())} (*.{f})" for f in self.formats())

    def ask_and_start(self) -> str | None:
        """Ask where to write (the extension picks the format) and start; returns the path or None."""
        if self.running:
            self.message.emit("A report is already being written.")
            return None
        doc = self.document
        folder = Path(doc.path).parent if doc.path and not is_template(doc.path) else Path.cwd()
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", doc.design.name.lower()).strip("-") or "design"
        path, chosen = QFileDialog.getSaveFileName(self.host, "Export report", str(folder / f"{stem}-report.html"),
                                                   self.file_filter())
        if not path:
            return None
        if Path(path).suffix.lower().lstrip(".") not in self.formats():
            match = re.search(r"\*\.(\w+)", chosen or "")
            path += f".{match.group(1) if match else 'html'}"
        return path if self.start(path) else None

    def start(self, out: str | Path) -> bool:
        """Write the report of the design as it is now (unsaved edits included) to ``out``."""
        if self.running:
            return False
        fmt = Path(out).suffix.lower().lstrip(".")
        if fmt not in self.formats():
            self._fail(f"{out}: the report is written as {', '.join('.' + f for f in self.formats())}")
            return False
        data, base_dir = self.document.snapshot()
        self._answers = self._ctx.Queue()
        self._out = str(out)
        self._proc = self._ctx.Process(target=export_worker, args=(data, base_dir, str(out), self._answers),
                                       name="genai-sim-report", daemon=True)
        self._proc.start()
        self._timer.start()
        self.message.emit(f"Writing the report to {Path(out).name}: running the design…")
        return True

    def _poll(self) -> None:
        alive = self._proc is not None and self._proc.is_alive()  # before draining: nothing can follow then
        while True:
            try:
                kind, value = self._answers.get_nowait()
            except queue_mod.Empty:
                break
            if kind == "progress":
                self.message.emit(f"Writing the report to {Path(self._out or '').name}: simulating, {value:.0%}")
            elif kind == "done":
                self._end()
                self.message.emit(f"Report written: {value}")
                self.finished.emit(value)
                return
            else:
                self._end()
                self._fail(str(value))
                return
        if self._proc is not None and not alive:
            code = self._proc.exitcode
            self._end()
            self._fail(f"the report process ended unexpectedly (exit code {code})")

    def _end(self) -> None:
        self._timer.stop()
        if self._proc is not None:
            self._proc.join(1.0)
        self._proc = None

    def _fail(self, text: str) -> None:
        self.message.emit(f"Report not written: {text}")
        self.failed.emit(text)
        if self.host.isVisible():  # not modal: the window stays usable
            box = QMessageBox(QMessageBox.Icon.Warning, "Cannot export the report", text,
                              QMessageBox.StandardButton.Ok, self.host)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def cancel(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._end()
            self.message.emit("Report export cancelled.")

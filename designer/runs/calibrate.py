"""The calibration dialog: measure this machine's kernels in a worker process, show the efficiency curves,
and keep the profile under the user data folder where llm_server nodes can pick it."""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing as mp
import queue as queue_mod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.document import DesignDocument
from designer.results.widgets import PlotCard, series_colour
from designer.runs.calibrate_worker import calibrate_worker, user_profiles_dir

PRIMARY_AXIS = {
    "gemm": "m",
    "attention_prefill": "tokens",
    "attention_decode": "kv_len",
    "memcpy": "nbytes",
    "allreduce": "nbytes",
}
AXIS_LABEL = {"m": "tokens (GEMM m)", "tokens": "prompt tokens", "kv_len": "KV length", "nbytes": "bytes"}
OP_LABEL = {
    "gemm": "GEMM",
    "attention_prefill": "attention prefill",
    "attention_decode": "attention decode",
    "memcpy": "memory copy",
    "allreduce": "all-reduce",
}
FIRST_INDEX_AXES = ("gqa",)  # categorical axes held at their first value; numeric ones at their largest


def efficiency_curves(profile: dict[str, Any]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per op and dtype: (primary axis values, efficiency = roofline time / measured time) along the
    primary axis, other axes at their largest grid value (the best-case shape)."""
    curves = {}
    for op, by_dtype in (profile.get("tables") or {}).items():
        if not isinstance(by_dtype, dict):
            continue
        for dtype, table in by_dtype.items():
            try:
                axes = table["axes"]
                names = list(axes)
                shape = [len(axes[n]) for n in names]
                grid = np.asarray(table["log_eff"], float).reshape(shape)
            except (KeyError, TypeError, ValueError):
                continue
            primary = PRIMARY_AXIS.get(op, names[0])
            if primary not in names:
                continue
            index: list[Any] = []
            for n in names:
                if n == primary:
                    index.append(slice(None))
                else:
                    index.append(0 if n in FIRST_INDEX_AXES else len(axes[n]) - 1)
            x = np.asarray(axes[primary], float)
            y = np.exp(grid[tuple(index)])
            label = OP_LABEL.get(op, op) + ("" if dtype == "any" else f" {dtype}")
            curves[label] = (x, y)
    return curves


def list_profiles() -> list[Path]:
    folder = user_profiles_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


class CalibrateDialog(QDialog):
    """Measure this machine's kernels into a profile; "Use on selected" points the selected LLM servers of
    ``document`` (``selected_ids()`` names them, from the canvas) at it, as one undoable edit each."""

    def __init__(self, document: DesignDocument | None = None,
                 selected_ids: Callable[[], list[str]] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibrate hardware")
        self.resize(900, 600)
        self.document = document
        self.selected_ids = selected_ids or (lambda: [])
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._queue: Any = None
        self.profile_path: Path | None = None
        self.device = QComboBox()
        self.device.addItems(["cpu", "cuda"])
        self.device.setToolTip("cpu, or cuda for the first GPU (needs a CUDA build of torch)")
        self.quick = QCheckBox("Quick (fewer shapes; under a minute on a CPU)")
        self.quick.setChecked(True)
        self.name = QLineEdit(f"calibrated-cpu-{dt.date.today():%Y%m%d}")
        self.device.currentTextChanged.connect(
            lambda d: self.name.setText(f"calibrated-{d}-{dt.date.today():%Y%m%d}")
        )
        form = QFormLayout()
        form.addRow("Device:", self.device)
        form.addRow("", self.quick)
        form.addRow("Profile name:", self.name)
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.status = QLabel(f"Profiles are saved in {user_profiles_dir()}")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.profiles = QListWidget()
        self.profiles.itemClicked.connect(
            lambda it: self.show_profile(Path(it.data(Qt.ItemDataRole.UserRole)))
        )
        self.use_button = QPushButton("Use on the selected LLM server")
        self.use_button.setToolTip("Set the selected llm_server node's profile to this file")
        self.use_button.clicked.connect(self.use_on_selected)
        self.plot = PlotCard(
            "Measured efficiency (fraction of the roofline)",
            "size: tokens (GEMM, prefill) · KV length (decode) · bytes (copy)",
            "efficiency",
        )
        self.peaks_label = QLabel("")
        self.peaks_label.setWordWrap(True)
        self.plot.plot.setLogMode(x=True, y=False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(self.progress)
        left.addWidget(self.status)
        left.addWidget(QLabel("Calibrated profiles"))
        left.addWidget(self.profiles, 1)
        left.addWidget(self.use_button)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 2)
        right = QVBoxLayout()
        right.addWidget(self.plot, 1)
        right.addWidget(self.peaks_label)
        lay.addLayout(right, 3)
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._poll)
        self.refresh_profiles()

    # -- profiles -------------------------------------------------------------------------------
    def refresh_profiles(self) -> None:
        self.profiles.clear()
        for path in list_profiles():
            item = QListWidgetItem(path.stem)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.profiles.addItem(item)
            if self.profile_path is not None and path == self.profile_path:
                self.profiles.setCurrentItem(item)

    def show_profile(self, path: Path) -> bool:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self.status.setText(f"Cannot read {path}: {exc}")
            return False
        self.profile_path = Path(path)
        plot = self.plot.plot
        plot.clear_all()
        curves = efficiency_curves(data)
        rows: list[list[Any]] = [["curve", "x", "efficiency"]]
        for i, (label, (x, y)) in enumerate(curves.items()):
            ok = np.isfinite(y) & (x > 0)
            plot.curve(x[ok], y[ok], series_colour(self, i), label)
            rows += [[label, float(a), float(b)] for a, b in zip(x[ok], y[ok])]
        self.plot.data_rows = rows
        peaks = data.get("peaks", {})
        tflops = ", ".join(
            f"{k} {v:.3g}"
            for k, v in (peaks.get("tflops") or {}).items()
            if isinstance(v, (int, float)) and math.isfinite(v)
        )
        self.peaks_label.setText(
            f"{data.get('device', '')}: peaks {tflops} TFLOP/s, {peaks.get('mem_bw_gbs', 0):.3g} GB/s memory"
        )
        return bool(curves)

    def use_on_selected(self) -> None:
        doc = self.document
        if self.profile_path is None or doc is None:
            self.status.setText("Pick a profile first.")
            return
        ids = set(self.selected_ids())
        design = doc.design
        targets = [n for n in design.nodes if n.id in ids and n.kind == "llm_server"]
        if not targets:
            self.status.setText("Select an llm_server node on the canvas first.")
            return
        from designer.commands import SetParamCommand

        for node in targets:
            doc.push(SetParamCommand(design, node.id, "profile", str(self.profile_path)))
        self.status.setText(f"{', '.join(n.id for n in targets)} now use {self.profile_path.name}.")

    # -- running --------------------------------------------------------------------------------
    def start(self) -> bool:
        if self._proc is not None:
            return False
        name = (
            "".join(c if c.isalnum() or c in "-_." else "-" for c in self.name.text().strip()) or "calibrated"
        )
        out = user_profiles_dir() / f"{name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        self._out = out
        self._queue = self._ctx.Queue()
        self._proc = self._ctx.Process(
            target=calibrate_worker,
            name="genai-sim-calibrate",
            args=(self.device.currentText(), self.quick.isChecked(), str(out), self._queue),
            daemon=True,
        )
        self._proc.start()
        self._timer.start()
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.status.setText("Starting the benchmarks (loading torch)…")
        return True

    def cancel(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._finish("Cancelled.")

    def _poll(self) -> None:
        if self._proc is None:
            return
        for _ in range(200):
            try:
                msg = self._queue.get_nowait()
            except queue_mod.Empty:
                break
            if msg[0] == "progress":
                _, done, total, label = msg
                self.progress.setRange(0, max(total, 1))
                self.progress.setValue(done)
                self.status.setText(f"Measuring {label} ({done}/{total})")
            elif msg[0] == "done":
                self._finish(
                    f"Saved {msg[1]}. Select an llm_server node and press “Use”, or type the file's "
                    "path in its profile field."
                )
                self.show_profile(Path(msg[1]))
                self.refresh_profiles()
                return
            elif msg[0] == "error":
                self._finish(f"Calibration failed: {msg[1]}")
                return
        if self._proc is not None and not self._proc.is_alive() and self._queue.empty():
            self._finish(f"The calibration process ended unexpectedly (exit code {self._proc.exitcode}).")

    def _finish(self, text: str) -> None:
        proc = self._proc
        self._proc = None
        self._timer.stop()
        if proc is not None:
            QTimer.singleShot(1000, self, lambda: proc.join(0))
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if text.startswith("Saved") else 0)
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.status.setText(text)

    def running(self) -> bool:
        return self._proc is not None

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.cancel()
        super().closeEvent(event)

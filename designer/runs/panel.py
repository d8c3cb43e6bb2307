"""The run panel: workload and SLO overview, duration and seed, Run/Stop, progress with ETA, session runs."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.results.dock import fmt_ms, slo_label, slo_rows
from designer.results.model import RunData
from designer.results.widgets import pass_fail_colour

MAX_DURATION_S = 30 * 24 * 3600.0


def fmt_eta(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "estimating…"
    if seconds < 1:
        return "< 1 s left"
    if seconds < 90:
        return f"{seconds:.0f} s left"
    return f"{seconds / 60:.1f} min left"


def workload_text(workload: dict[str, Any]) -> str:
    arrival = workload.get("arrival", {}) if isinstance(workload, dict) else {}
    process = arrival.get("process", "poisson")
    if process == "closed":
        return f"closed loop, {arrival.get('concurrency', '?')} users"
    if "rate_per_s" in arrival:
        return f"{process}, {arrival['rate_per_s']:g} req/s"
    return str(process)


class RunPanel(QWidget):
    run_requested = Signal()
    stop_requested = Signal()
    run_selected = Signal(object)  # RunData
    compare_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workload_label = QLabel("—")
        self.workload_label.setWordWrap(True)
        self.duration = QDoubleSpinBox()
        self.duration.setRange(1.0, MAX_DURATION_S)
        self.duration.setDecimals(0)
        self.duration.setSuffix(" s")
        self.duration.setToolTip("Simulated time to run (the design's workload.duration_s by default)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Random seed: the same seed gives the same numbers")
        self.keep = QCheckBox("Keep results in the design file")
        self.keep.setToolTip(
            "Store a compact summary of the latest run (figures and latency CDFs) in the design "
            "file when it is saved, and show it again when it is opened"
        )
        self.slo_label = QLabel("—")
        self.slo_label.setTextFormat(Qt.TextFormat.RichText)
        self.slo_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Workload:", self.workload_label)
        form.addRow("Duration:", self.duration)
        form.addRow("Seed:", self.seed)
        form.addRow("SLOs:", self.slo_label)
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run the simulation (F5)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the running simulation (Shift+F5)")
        self.stop_button.setEnabled(False)
        self.run_button.clicked.connect(self.run_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.eta = QLabel("")
        self.eta.setProperty("role", "muted")
        self.status = QLabel("Ready.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.runs = QListWidget()
        self.runs.setToolTip("Runs of this session: click to show one, pick two and press Compare")
        self.runs.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.runs.itemClicked.connect(self._item_clicked)
        self.compare_button = QPushButton("Compare…")
        self.compare_button.clicked.connect(self.compare_requested)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.keep)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.eta)
        lay.addWidget(self.status)
        runs_head = QHBoxLayout()
        runs_head.addWidget(QLabel("Session runs"))
        runs_head.addStretch(1)
        runs_head.addWidget(self.compare_button)
        lay.addLayout(runs_head)
        lay.addWidget(self.runs, 1)

    # -- design -------------------------------------------------------------------------------------
    def show_design(self, design: Any) -> None:
        w = design.workload or {}
        self.workload_label.setText(workload_text(w))
        self.duration.setValue(float(w.get("duration_s", 600.0)))
        self.seed.setValue(int(w.get("seed", 0)))
        self.show_slos(design.slo, None)

    def show_slos(self, slo: dict[str, float], run: RunData | None) -> None:
        if not slo:
            self.slo_label.setText("<i>none set</i>")
            return
        verdicts = {k: (a, met) for k, _t, a, met in slo_rows(run)} if run is not None else {}
        lines = []
        for key, target in slo.items():
            target_text = f"{target:.2%}" if key == "error_rate_max" else fmt_ms(target)
            line = f"{slo_label(key)} ≤ {target_text}"
            if key in verdicts and verdicts[key][1] is not None:
                actual, met = verdicts[key]
                colour = pass_fail_colour(self, bool(met)).name()
                shown = f"{actual:.2%}" if key == "error_rate_max" else fmt_ms(actual)
                line += f" — <span style='color:{colour}'>{shown} {'✓' if met else '✗'}</span>"
            lines.append(line)
        self.slo_label.setText("<br>".join(lines))

    # -- run state ----------------------------------------------------------------------------------
    def reset(self) -> None:
        """Another design was opened: nothing of the previous one's runs stays on show."""
        self.runs.clear()
        self.set_running(False)
        self.progress.setValue(0)
        self.eta.setText("")
        self.set_status("Ready.")

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        if running:
            self.progress.setValue(0)
            self.eta.setText("starting the simulation process…")

    def set_progress(self, fraction: float, eta_s: float) -> None:
        self.progress.setValue(int(round(1000 * max(0.0, min(fraction, 1.0)))))
        self.eta.setText(fmt_eta(eta_s))

    def set_status(self, text: str, error: bool = False) -> None:
        self.status.setProperty("role", "error" if error else "")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(text)

    def add_run(self, run: RunData) -> None:
        item = QListWidgetItem(self._run_text(run))
        item.setData(Qt.ItemDataRole.UserRole, run)
        self.runs.insertItem(0, item)
        self.runs.setCurrentItem(item)

    def update_run(self, run: RunData) -> None:
        for i in range(self.runs.count()):
            item = self.runs.item(i)
            if item.data(Qt.ItemDataRole.UserRole) is run:
                item.setText(self._run_text(run))

    def session_runs(self) -> list[RunData]:
        return [self.runs.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.runs.count())]

    def selected_runs(self) -> list[RunData]:
        return [it.data(Qt.ItemDataRole.UserRole) for it in self.runs.selectedItems()]

    @staticmethod
    def _run_text(run: RunData) -> str:
        state = {"running": "running", "done": "", "cancelled": "stopped", "error": "failed"}.get(
            run.status, ""
        )
        slo = ""
        if run.summary:
            met = [v.get("met") for v in run.summary.get("slo", {}).values()]
            slo = f" · SLOs {sum(bool(m) for m in met)}/{len(met)}" if met else ""
        return f"{run.label}{slo}" + (f" ({state})" if state else "")

    def _item_clicked(self, item: QListWidgetItem) -> None:
        self.run_selected.emit(item.data(Qt.ItemDataRole.UserRole))


class RunDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Run", parent)
        self.setObjectName("RunDock")
        self.panel = RunPanel(self)
        self.setWidget(self.panel)

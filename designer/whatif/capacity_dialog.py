"""The capacity dialog: the highest arrival load that still meets every SLO, the first SLO to break, and the
bottleneck; a plot of each SLO's metric (as a share of its target) against the load, drawn probe by probe
while the search runs. Cancel stops at once and keeps the probes that finished; the answer is written into
the design only when the user presses "Keep in design"."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.results.widgets import PlotCard, series_colour
from simulation.arrivals import SLO_METRICS, SLO_STATS
from simulation.errors import DesignError


def slo_title(key: str) -> str:
    """``ttft_p99_ms`` → ``TTFT p99``; ``error_rate_max`` → ``error rate``."""
    parts = key.split("_")
    if len(parts) == 3 and parts[0] in SLO_METRICS and parts[1] in SLO_STATS:
        return f"{parts[0].upper()} {parts[1]}"
    return key.replace("_max", "").replace("_", " ")


LOG_FLOOR = 0.01  # ratios below 1 % of the target are drawn at 1 %

LOAD_TITLES = {"rate_per_s": "arrival rate (req/s)", "requests_per_day": "requests per day",
               "concurrency": "concurrent users"}


def load_title(path: str) -> str:
    """``workload.arrival.rate_per_s`` → ``arrival rate (req/s)``."""
    field = path.rsplit(".", 1)[-1]
    return LOAD_TITLES.get(field, field.replace("_", " "))


def log_ticks(lo: float, hi: float) -> list[list[tuple[float, str]]]:
    """Ticks of a log10 axis in plain numbers (0.1, 1, 10, 100; with 2 and 5 between when the range is
    short): pyqtgraph's own label every minor tick as 9·10¹."""
    lo, hi = max(lo, LOG_FLOOR), max(hi, LOG_FLOOR)
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    labelled = (1, 2, 5) if last - first <= 3 else (1,)
    major, minor = [], []
    for d in range(first, last + 1):
        for m in range(1, 10):
            v = m * 10.0 ** d
            (major if m in labelled else minor).append((math.log10(v), f"{v:g}" if m in labelled else ""))
    return [major, minor]


def bracket(points: dict[float, Any]) -> tuple[float | None, float | None]:
    """(highest load meeting the SLOs below the lowest that breaks them, that lowest breaking load)."""
    broken = [v for v, p in points.items() if not p.slo_met]
    hi = min(broken) if broken else None
    met = [v for v, p in points.items() if p.slo_met and (hi is None or v < hi)]
    return (max(met) if met else None), hi


class CapacityDialog(QDialog):
    def __init__(self, actions: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Capacity: highest load under the SLOs")
        self.setObjectName("whatif_capacity_dialog")
        self.whatif = actions
        self.data, self.base_dir = actions.design_snapshot()
        self.result: Any = None
        self.job: Any = None
        self.points: dict[float, Any] = {}  # load → PointResult, as the probes finish
        self.path = ""
        self.resize(860, 660)
        form = QFormLayout()
        self.replications = QSpinBox(self)
        self.replications.setRange(1, 50)
        self.replications.setValue(3)
        self.tolerance = QDoubleSpinBox(self)
        self.tolerance.setRange(0.001, 0.5)
        self.tolerance.setDecimals(3)
        self.tolerance.setSingleStep(0.01)
        self.tolerance.setValue(0.02)
        self.tolerance.setToolTip("Stop when the bracket is narrower than this share of the load")
        self.duration = QDoubleSpinBox(self)
        self.duration.setRange(1, 1e7)
        self.duration.setDecimals(0)
        self.duration.setSuffix(" s")
        self.duration.setValue(float(self.data["workload"].get("duration_s", 600)))
        self.workers = QSpinBox(self)
        self.workers.setRange(1, 256)
        self.workers.setValue(os.cpu_count() or 1)
        form.addRow("Replications per load", self.replications)
        form.addRow("Tolerance", self.tolerance)
        form.addRow("Simulated time per run", self.duration)
        form.addRow("Processes", self.workers)
        slo = self.data.get("slo") or {}
        slo_text = QLabel(", ".join(f"{slo_title(k)} ≤ {v:g}{'' if k == 'error_rate_max' else ' ms'}"
                                    for k, v in slo.items()) or "<i>none: add SLOs to the design first</i>")
        slo_text.setWordWrap(True)
        form.addRow("SLOs", slo_text)
        buttons = QHBoxLayout()
        self.keep_button = QPushButton("Keep in design", self)
        self.keep_button.setToolTip("Save this capacity search with the design (the report's trade-offs use it)")
        self.keep_button.setEnabled(False)
        self.run_button = QPushButton("Find capacity", self)
        self.run_button.setDefault(True)
        self.run_button.setEnabled(bool(slo))
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        buttons.addWidget(self.keep_button)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        # A busy bar (the number of probes is not known in advance) and a line that counts them: both say
        # "searching" until the search ends, then both go.
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.answer = QLabel("", self)
        self.answer.setWordWrap(True)
        self.answer.setObjectName("capacity_answer")
        # Two lines of text always fit (the label never shrinks below them when the plot takes the space).
        self.answer.setMinimumHeight(2 * self.answer.fontMetrics().lineSpacing() + 6)
        self.answer.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.card = PlotCard("SLO metrics vs load (1 = at target)", "load", "actual ÷ target (log scale)")
        # Past capacity a metric runs to tens of times its target: a log scale keeps the loads near the
        # target, where the answer is, readable.
        self.card.plot.plotItem.setLogMode(x=False, y=True)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.answer)
        lay.addWidget(self.card, 1)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.keep_button.clicked.connect(self.keep)

    # -- running ----------------------------------------------------------------------------------
    def start(self) -> None:
        from designer.whatif.jobs import WhatIfJob
        from simulation.analysis.capacity import find_capacity
        from simulation.analysis.sweep import rate_path

        data, base_dir = self.data, self.base_dir
        reps, tol, duration = self.replications.value(), self.tolerance.value(), self.duration.value()
        self.path = rate_path(data)
        self.points = {}
        self.result = None
        self.card.plot.clear_all()

        def work(executor: Any, progress: Any) -> Any:
            return find_capacity(data, reps, tol, None, duration, executor, None, base_dir,
                                 on_point=lambda v, p: progress((v, p)))

        self.job = WhatIfJob(work, self.workers.value(), self)
        # Bound methods of this dialog (not lambdas): Qt queues the calls into the UI thread.
        self.job.found.connect(self._probe_done)
        self.job.succeeded.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.run_button.setEnabled(False)
        self.keep_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.show()
        self.answer.setText(f"Searching: simulating {self.path} = "
                            f"{self._load_of(data):g} ({reps} runs)…")
        self.job.start()

    @staticmethod
    def _load_of(data: dict[str, Any]) -> float:
        from simulation.arrivals import parse_arrival

        try:
            return parse_arrival(data["workload"]["arrival"]).rate_value() or 1.0
        except DesignError:  # no load to scale (a trace): the search reports it
            return 1.0

    def cancel(self) -> None:
        if self.job is not None and self.job.active:
            self.job.cancel()

    def _probe_done(self, piece: Any) -> None:
        value, point = piece
        self.points[float(value)] = point
        lo, hi = bracket(self.points)
        said = "meets" if point.slo_met else "breaks"
        where = (f"; capacity between {lo:g} and {hi:g}" if lo is not None and hi is not None else
                 f"; meets up to {lo:g} so far" if lo is not None else f"; breaks down to {hi:g} so far")
        self.answer.setText(f"Searching… {len(self.points)} load{'s' * (len(self.points) != 1)} simulated. "
                            f"{self._short_path()} = {value:g} {said} the SLOs{where}.")
        self.draw_points()

    def _short_path(self) -> str:
        return load_title(self.path).split(" (")[0] if self.path else "load"

    def _failed(self, message: str) -> None:
        self._idle(f"<span style='color:#c62828'>{message.splitlines()[0]}</span>")

    def _cancelled(self) -> None:
        lo, hi = bracket(self.points)
        if not self.points:
            self._idle("Cancelled before any load finished.")
            return
        found = (f"capacity between {lo:g} and {hi:g}" if lo is not None and hi is not None else
                 f"meets the SLOs up to {lo:g} (no breaking load found yet)" if lo is not None else
                 f"breaks the SLOs down to {hi:g}")
        self._idle(f"Cancelled. The {len(self.points)} finished load{'s' * (len(self.points) != 1)} "
                   f"stay plotted: {self._short_path()} {found}.")

    def _idle(self, text: str) -> None:
        self.progress.hide()
        self.run_button.setEnabled(bool(self.data.get("slo")))
        self.cancel_button.setEnabled(False)
        self.answer.setText(text)

    def _finished(self, result: Any) -> None:
        from simulation.analysis.capacity import CapacityResult
        from simulation.analysis.whatif_cli import capacity_text

        assert isinstance(result, CapacityResult)
        self.result = result
        self.points = {float(v): p for v, p in result.points}
        text = "<br>".join(capacity_text(result.to_json()).splitlines()[:2])
        for key in self.data.get("slo") or {}:
            text = text.replace(key, slo_title(key))  # "E2E p95 breaks first", not e2e_p95_ms
        self._idle(text)
        self.keep_button.setEnabled(True)
        self.draw(result)

    def keep(self) -> dict[str, Any] | None:
        """Keep the finished search in the design (an undoable edit the user asked for)."""
        from simulation.analysis.sweep import Axis, stored_entry

        result = self.result
        if result is None:
            return None
        out = result.to_json()
        summary = {k: v for k, v in out.items() if k != "points"}
        stored = self.whatif.store(stored_entry(
            "capacity", [Axis(result.path, [v for v, _ in result.points])], result.replications, result.seed,
            self.duration.value(), True, dict(self.data.get("slo") or {}), [p for _, p in result.points], summary))
        self.keep_button.setEnabled(False)
        self.answer.setText(self.answer.text() + f"<br>Kept in the design as {stored['id']}.")
        return stored

    # -- plot -------------------------------------------------------------------------------------
    def draw_points(self, capacity: float | None = None) -> None:
        plot = self.card.plot
        plot.clear_all()
        plot.plotItem.setLabel("bottom", load_title(self.path) if self.path else "load")
        loads = sorted(self.points)
        x = np.array(loads, float)
        keys = list(self.points[loads[0]].slo) if loads else []
        self.card.data_rows = [["load", *keys]]
        for i, key in enumerate(keys):
            y = np.array([self.points[v].slo[key]["mean"] / self.points[v].slo[key]["target"]
                          if self.points[v].slo[key]["target"] else math.nan for v in loads], float)
            y = np.clip(y, LOG_FLOOR, None)  # a metric at 0 (no errors) sits on the floor of the log axis
            colour = series_colour(self, i)
            plot.curve(x, y, colour, slo_title(key))
            plot.plot(x, y, pen=None, symbol="o", symbolSize=6, symbolBrush=colour)
        for v in loads:
            self.card.data_rows.append([v, *[self.points[v].slo[k]["mean"] for k in keys]])
        if loads:
            plot.hline(0.0, "#c62828", "target")  # log10(1): the axis is logarithmic
            ratios = [self.points[v].slo[k]["mean"] / self.points[v].slo[k]["target"]
                      for v in loads for k in keys if self.points[v].slo[k]["target"]]
            ratios = [r for r in ratios if math.isfinite(r)]
            if ratios:
                plot.plotItem.getAxis("left").setTicks(log_ticks(min(ratios + [1.0]), max(ratios + [1.0])))
        if capacity is not None:
            mid = (loads[0] + loads[-1]) / 2 if loads else capacity
            plot.vline(capacity, "#2e7d32", f"capacity {capacity:.4g}", label_right=capacity < mid)

    def draw(self, result: Any) -> None:
        self.path = result.path
        self.points = {float(v): p for v, p in result.points}
        self.draw_points(result.max_value if result.met_at_lowest else None)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.cancel()  # terminates the runs; nothing to wait for
        super().closeEvent(event)

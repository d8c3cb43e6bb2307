"""The capacity dialog: the highest arrival load that still meets every SLO, the first SLO to break, and the
bottleneck; a plot of each SLO's metric (as a share of its target) against the load searched."""

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
    QSpinBox,
    QVBoxLayout,
)

from designer.results.widgets import PlotCard, series_colour


class CapacityDialog(QDialog):
    def __init__(self, window: Any, actions: Any) -> None:
        super().__init__(window)
        self.setWindowTitle("Capacity: highest load under the SLOs")
        self.setObjectName("whatif_capacity_dialog")
        self.whatif = actions
        self.data, self.base_dir = actions.design_snapshot()
        self.result: Any = None
        self.job: Any = None
        self.resize(820, 620)
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
        form.addRow("SLOs", QLabel(", ".join(f"{k} ≤ {v:g}" for k, v in slo.items()) or
                                   "<i>none: add SLOs to the design first</i>"))
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Find capacity", self)
        self.run_button.setDefault(True)
        self.run_button.setEnabled(bool(slo))
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setEnabled(False)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.answer = QLabel("", self)
        self.answer.setWordWrap(True)
        self.answer.setObjectName("capacity_answer")
        self.card = PlotCard("SLO metrics vs load (1.0 = at target)", "load", "actual ÷ target")
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.answer)
        lay.addWidget(self.card, 1)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

    def start(self) -> None:
        from designer.whatif.jobs import WhatIfJob
        from simulation.analysis.capacity import find_capacity

        data, base_dir = self.data, self.base_dir
        reps, tol, duration = self.replications.value(), self.tolerance.value(), self.duration.value()

        def work(executor: Any, progress: Any) -> Any:
            return find_capacity(data, reps, tol, None, duration, executor, progress, base_dir)

        self.job = WhatIfJob(work, self.workers.value(), self)
        # Bound methods of this dialog (not lambdas): Qt queues the calls into the UI thread.
        self.job.noted.connect(self._noted)
        self.job.succeeded.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.show()
        self.job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _noted(self, text: str) -> None:
        self.answer.setText(f"Searching… {text}")

    def _failed(self, message: str) -> None:
        self._idle(f"<span style='color:#c62828'>{message.splitlines()[0]}</span>")

    def _cancelled(self) -> None:
        self._idle("Cancelled.")

    def _idle(self, text: str) -> None:
        self.progress.hide()
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.answer.setText(text)

    def _finished(self, result: Any) -> None:
        from simulation.analysis.capacity import CapacityResult
        from simulation.analysis.sweep import Axis, stored_entry
        from simulation.analysis.whatif_cli import capacity_text

        assert isinstance(result, CapacityResult)
        self.result = result
        out = result.to_json()
        summary = {k: v for k, v in out.items() if k != "points"}
        self.whatif.store(stored_entry("capacity", [Axis(result.path, [v for v, _ in result.points])],
                                        result.replications, result.seed, self.duration.value(), True,
                                        dict(self.data.get("slo") or {}), [p for _, p in result.points], summary))
        text = capacity_text(out).splitlines()
        self._idle("<br>".join(text[:2]))
        self.draw(result)

    def draw(self, result: Any) -> None:
        plot = self.card.plot
        plot.clear_all()
        plot.plotItem.setLabel("bottom", result.path)
        x = np.array([v for v, _ in result.points], float)
        keys = list(result.points[0][1].slo) if result.points else []
        self.card.data_rows = [["load", *keys]]
        for i, key in enumerate(keys):
            y = np.array([p.slo[key]["mean"] / p.slo[key]["target"] if p.slo[key]["target"] else math.nan
                          for _, p in result.points], float)
            colour = series_colour(self, i)
            plot.curve(x, y, colour, key)
            plot.plot(x, y, pen=None, symbol="o", symbolSize=6, symbolBrush=colour)
        for v, p in result.points:
            self.card.data_rows.append([v, *[p.slo[k]["mean"] for k in keys]])
        plot.hline(1.0, "#c62828", "target")
        if result.met_at_lowest:
            plot.vline(result.max_value, "#2e7d32", f"capacity {result.max_value:.4g}")

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if self.job is not None and self.job.isRunning():
            self.job.cancel()
            self.job.wait(10000)
        super().closeEvent(event)

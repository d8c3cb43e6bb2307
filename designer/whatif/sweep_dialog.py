"""The sweep dialog: pick up to two parameters from the nodes' declarations, their values, replications;
run in the background; plot a metric against the first parameter with 95 % CI bands (one curve per value
of the second) and the cost–latency Pareto scatter, whose points open that design in a new window."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.results.widgets import PlotCard, series_colour
from simulation.errors import DesignError

WORKLOAD = "__workload__"
NONE = "__none__"
SWEEPABLE = ("int", "float", "enum", "bool", "catalog")
PREFERRED_METRICS = ("ttft_p99_ms", "ttft_p95_ms", "tpot_p95_ms", "e2e_p95_ms", "e2e_p99_ms", "e2e_mean_ms",
                     "throughput_rps", "goodput_rps", "usd_per_month", "usd_per_request", "error_rate", "util_max")


METRIC_TITLES = {"throughput_rps": "throughput (req/s)", "goodput_rps": "goodput (req/s)",
                 "usd_per_month": "cost (USD/month)", "usd_per_hour": "cost (USD/hour)",
                 "usd_per_request": "cost (USD/request)", "usd_per_1m_output_tokens": "cost (USD/1M output tokens)",
                 "error_rate": "error rate", "util_max": "busiest node's utilisation", "completed": "completed requests",
                 "arrived": "arrived requests", "slo_met": "share of runs meeting the SLOs"}


# -- labels and numbers (plain functions: tested without running anything) --------------------------------
def metric_title(key: str) -> str:
    """A readable title for a sweep metric key: ``e2e_p95_ms`` → ``E2E p95 (ms)``, ``util.llm`` → ``llm
    utilisation``; unknown keys come back with spaces for underscores."""
    if key in METRIC_TITLES:
        return METRIC_TITLES[key]
    parts = key.split("_")
    if len(parts) == 3 and parts[2] == "ms" and parts[0] in ("ttft", "tpot", "itl", "e2e"):
        return f"{parts[0].upper()} {parts[1]} (ms)"
    if key.startswith("util."):
        return f"{key[5:]} utilisation"
    if key.startswith("wait_ms."):
        return f"{key[8:]} queue wait (ms)"
    return key.replace("_", " ")


def axis_title(path: str) -> str:
    """``nodes.llm.params.replicas`` → ``llm · replicas``; ``workload.arrival.rate_per_s`` → ``arrival rate
    (req/s)``."""
    parts = path.split(".")
    if len(parts) == 4 and parts[0] == "nodes" and parts[2] == "params":
        return f"{parts[1]} · {parts[3].replace('_', ' ')}"
    if path.startswith("workload.arrival."):
        from designer.whatif.capacity_dialog import load_title

        return load_title(path)
    return parts[-1].replace("_", " ")


def _significant(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant figures, with thousands separators and no exponent."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{round(x, decimals):,.{decimals}f}"


def format_mean_ci(mean: float, ci: float) -> str:
    """``1,802 ± 130``: the mean to 4 significant figures (whole numbers from 1,000 up), the 95 % half-width
    to 2; "—" for a metric with no value (no request completed)."""
    if not math.isfinite(mean):
        return "—"
    text = f"{mean:,.0f}" if abs(mean) >= 1000 else _significant(mean, 4 if abs(mean) >= 1 else 3)
    if math.isfinite(ci) and ci > 0:
        text += f" ± {_significant(ci, 2)}"
    return text


def partial_sweep(data: dict[str, Any], axes: list[Any], replications: int, duration_s: float,
                  finished: list[tuple[Any, Any]]) -> Any:
    """The sweep of the points whose replications all finished before a cancel (``finished``: the executor's
    (RunTask, run summary) pairs), in grid order; None when no point is complete."""
    from simulation.analysis.sweep import PointResult, SweepResult, grid

    points = grid(axes)
    runs: dict[int, dict[int, Any]] = {}
    for task, result in finished:
        runs.setdefault(task.point, {})[task.replication] = result
    slo = dict(data.get("slo") or {})
    done = [PointResult(i, points[i], [runs[i][r] for r in range(replications)]).finish(slo)
            for i in sorted(runs) if len(runs[i]) == replications and i < len(points)]
    if not done:
        return None
    seed = int((data.get("workload") or {}).get("seed", 0))
    return SweepResult(str(data.get("name", "")), axes, replications, seed, duration_s, True, slo, done)


# -- choices (plain functions: tested without running anything) ------------------------------------------
def parameter_choices(data: dict[str, Any], node_id: str) -> list[tuple[str, str, Any]]:
    """(dotted path, label, Param or None) of the sweepable parameters of one node, or of the workload."""
    from simulation.analysis.sweep import rate_path
    from simulation.registry import get_kind

    if node_id == WORKLOAD:
        out: list[tuple[str, str, Any]] = []
        try:
            path = rate_path(data)
            out.append((path, f"arrival load ({path.rsplit('.', 1)[1]})", None))
        except DesignError:
            pass
        out.append(("workload.duration_s", "duration_s (s)", None))
        return out
    node = next(n for n in data["nodes"] if n["id"] == node_id)
    kind = get_kind(node["kind"])
    return [(f"nodes.{node_id}.params.{p.name}", f"{p.name}" + (f" ({p.unit})" if p.unit else ""), p)
            for p in kind.all_params if p.type in SWEEPABLE]


def current_value(data: dict[str, Any], path: str, param: Any) -> Any:
    cur: Any = data
    for part in path.split("."):
        if isinstance(cur, list):
            cur = next((x for x in cur if isinstance(x, dict) and x.get("id") == part), None)
        elif isinstance(cur, dict):
            cur = cur.get(part)
        if cur is None:
            return param.default if param is not None else None
    return cur


def suggest_values(param: Any, current: Any) -> str:
    """A sensible starting list: halves and doubles around numbers, every choice of an enum."""
    if param is not None and param.type == "enum":
        return ",".join(str(c) for c in param.choices)
    if param is not None and param.type == "bool":
        return "false,true"
    if param is not None and param.type == "catalog":
        return str(current)
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        return "" if current is None else str(current)
    lo = param.min if param is not None and param.min is not None else -math.inf
    hi = param.max if param is not None and param.max is not None else math.inf
    if isinstance(current, int) and (param is None or param.type == "int"):
        vals = sorted({max(int(v), 1) for v in (current // 2, current, current * 2, current * 4)
                       if lo <= v <= hi} or {current})
    else:
        vals = sorted({round(current * f, 6) for f in (0.5, 0.75, 1.0, 1.5, 2.0) if lo <= current * f <= hi}
                      or {current})
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in vals)


def pareto_indices(costs: list[float], latencies: list[float]) -> list[int]:
    """Indices of the points no other point beats on both cost and latency, by ascending cost."""
    order = sorted((i for i in range(len(costs)) if math.isfinite(costs[i]) and math.isfinite(latencies[i])),
                   key=lambda i: (costs[i], latencies[i]))
    front, best = [], math.inf
    for i in order:
        if latencies[i] < best:
            front.append(i)
            best = latencies[i]
    return front


class AxisPicker(QWidget):
    """Node + parameter + values for one axis of the grid."""

    def __init__(self, data: dict[str, Any], optional: bool, selected: str | None, parent: QWidget) -> None:
        super().__init__(parent)
        self.data = data
        self.node = QComboBox(self)
        self.param = QComboBox(self)
        self.values = QLineEdit(self)
        self.values.setPlaceholderText("1,2,4 · 1..8 · 0.5:4:0.5")
        self.values.setToolTip("Comma-separated values, an integer range a..b, or start:stop:step")
        if optional:
            self.node.addItem("— none —", NONE)
        self.node.addItem("Workload", WORKLOAD)
        for n in data["nodes"]:
            self.node.addItem(f"{n.get('name') or n['id']} ({n['kind']})", n["id"])
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.node, 2)
        lay.addWidget(self.param, 2)
        lay.addWidget(self.values, 3)
        self.node.currentIndexChanged.connect(self._node_changed)
        self.param.currentIndexChanged.connect(self._param_changed)
        if selected is not None and self.node.findData(selected) >= 0:
            self.node.setCurrentIndex(self.node.findData(selected))
        self._node_changed()

    def _node_changed(self) -> None:
        self.param.blockSignals(True)
        self.param.clear()
        node = self.node.currentData()
        self._choices = [] if node == NONE else parameter_choices(self.data, node)
        for path, label, _p in self._choices:
            self.param.addItem(label, path)
        self.param.blockSignals(False)
        self.param.setEnabled(bool(self._choices))
        self.values.setEnabled(bool(self._choices))
        if node != NONE and node != WORKLOAD:  # start on the first parameter sized per node: replicas
            i = self.param.findData(f"nodes.{node}.params.replicas")
            if i >= 0:
                self.param.setCurrentIndex(i)
        self._param_changed()

    def _param_changed(self) -> None:
        i = self.param.currentIndex()
        if i < 0 or i >= len(self._choices):
            self.values.clear()
            return
        path, _label, p = self._choices[i]
        self.values.setText(suggest_values(p, current_value(self.data, path, p)))

    def select(self, node: str, path: str, values: str) -> None:
        self.node.setCurrentIndex(self.node.findData(node))
        self.param.setCurrentIndex(self.param.findData(path))
        self.values.setText(values)

    def axis(self) -> Any:
        from simulation.analysis.sweep import Axis, parse_values

        if self.node.currentData() == NONE or self.param.currentIndex() < 0:
            return None
        path = self.param.currentData()
        return Axis(path, parse_values(self.values.text(), path))


class SweepDialog(QDialog):
    def __init__(self, actions: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("What-if sweep")
        self.setObjectName("whatif_sweep_dialog")
        self.whatif = actions
        self.data, self.base_dir = actions.design_snapshot()
        self.result: Any = None
        self.job: Any = None
        self._running_axes: list[Any] = []
        self.resize(1100, 720)
        selected = actions.selected_node()

        setup = QGroupBox("Grid", self)
        form = QFormLayout(setup)
        self.axis1 = AxisPicker(self.data, False, selected, setup)
        self.axis2 = AxisPicker(self.data, True, None, setup)
        form.addRow("Parameter 1", self.axis1)
        form.addRow("Parameter 2", self.axis2)
        row = QHBoxLayout()
        self.replications = QSpinBox(setup)
        self.replications.setRange(1, 50)
        self.replications.setValue(3)
        self.replications.setToolTip("Runs per point, seeds base, base+1, …: the same at every point "
                                     "(common random numbers), so differences between points are not noise")
        self.duration = QDoubleSpinBox(setup)
        self.duration.setRange(1, 1e7)
        self.duration.setDecimals(0)
        self.duration.setSuffix(" s")
        self.duration.setValue(float(self.data["workload"].get("duration_s", 600)))
        self.workers = QSpinBox(setup)
        self.workers.setRange(1, 256)
        self.workers.setValue(os.cpu_count() or 1)
        for label, w in (("Replications", self.replications), ("Simulated time", self.duration),
                         ("Processes", self.workers)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addStretch(1)
        self.keep_button = QPushButton("Keep in design", setup)
        self.keep_button.setToolTip("Save this sweep with the design (the report's trade-off section uses it)")
        self.keep_button.setEnabled(False)
        self.keep_button.clicked.connect(self.keep)
        row.addWidget(self.keep_button)
        self.run_button = QPushButton("Run sweep", setup)
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", setup)
        self.cancel_button.setEnabled(False)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        form.addRow(row)
        self.progress = QProgressBar(setup)
        self.progress.setFormat("%v / %m runs")
        self.status = QLabel("", setup)
        self.status.setWordWrap(True)
        form.addRow(self.progress)
        form.addRow(self.status)

        self.metric_box = QComboBox(self)
        self.metric_box.setToolTip("Metric plotted against parameter 1 and on the Pareto scatter's latency axis")
        self.metric_card = PlotCard("Metric vs parameter", "", "")
        self.pareto_card = PlotCard("Cost vs latency (click a point to open that design)", "USD / month", "")
        self.table = QTableWidget(self)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.open_button = QPushButton("Open selected point as a design", self)
        self.open_button.setEnabled(False)
        table_box = QWidget(self)
        tl = QVBoxLayout(table_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.table)
        tl.addWidget(self.open_button)
        tabs = QTabWidget(self)
        tabs.addTab(self.metric_card, "Metric vs parameter")
        tabs.addTab(self.pareto_card, "Pareto")
        tabs.addTab(table_box, "Table")
        self.tabs = tabs
        results = QWidget(self)
        rl = QVBoxLayout(results)
        rl.setContentsMargins(0, 0, 0, 0)
        mrow = QHBoxLayout()
        mrow.addWidget(QLabel("Metric"))
        mrow.addWidget(self.metric_box, 1)
        rl.addLayout(mrow)
        rl.addWidget(tabs, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(setup)
        split.addWidget(results)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(split)

        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.metric_box.currentIndexChanged.connect(self.redraw)
        self.open_button.clicked.connect(self._open_selected)
        self.table.itemSelectionChanged.connect(
            lambda: self.open_button.setEnabled(bool(self.table.selectionModel().selectedRows())))

    # -- running ----------------------------------------------------------------------------------
    def axes(self) -> list[Any]:
        axes = [a for a in (self.axis1.axis(), self.axis2.axis()) if a is not None]
        if len(axes) == 2 and axes[0].path == axes[1].path:
            raise DesignError("pick two different parameters", "sweep")
        return axes

    def start(self) -> None:
        from designer.whatif.jobs import WhatIfJob
        from simulation.analysis.sweep import grid, sweep

        try:
            axes = self.axes()
            n_runs = len(grid(axes)) * self.replications.value()
        except DesignError as exc:
            self.status.setText(f"<span style='color:#c62828'>{exc}</span>")
            return
        data, base_dir = self.data, self.base_dir
        reps, duration = self.replications.value(), self.duration.value()

        def work(executor: Any, progress: Any) -> Any:
            return sweep(data, axes, reps, None, duration, executor, True, progress, base_dir)

        self._running_axes = axes
        self.result = None
        self.progress.setRange(0, n_runs)
        self.progress.setValue(0)
        self.status.setText(f"Running {n_runs} simulations: 0 done…")
        self.job = WhatIfJob(work, self.workers.value(), self)
        # Bound methods of this dialog (not lambdas): Qt queues the calls into the UI thread.
        self.job.progressed.connect(self._progressed)
        self.job.succeeded.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.run_button.setEnabled(False)
        self.keep_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.job.start()

    def cancel(self) -> None:
        if self.job is not None and self.job.active:
            self.job.cancel()

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)
        self.status.setText(f"Running {total} simulations: {done} done…")

    def _cancelled(self) -> None:
        runs = self.job.finished_runs() if self.job is not None else []
        total = self.progress.maximum()
        self.progress.setValue(len(runs))
        partial = partial_sweep(self.data, self._running_axes, self.replications.value(), self.duration.value(),
                                runs)
        if partial is None:
            self._idle(f"Cancelled after {len(runs)} of {total} simulations; no point had all its replications "
                       "yet, so there is nothing to show.")
            return
        self.show_result(partial)
        self._idle(f"Cancelled after {len(runs)} of {total} simulations. The {len(partial.points)} points whose "
                   "replications all finished are shown (a partial grid is not kept in the design).")

    def _idle(self, text: str) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.status.setText(text)

    def _failed(self, message: str) -> None:
        self._idle(f"<span style='color:#c62828'>{message.splitlines()[0]}</span>")
        if "\n" in message:
            QMessageBox.critical(self, "Sweep failed", message)

    def _finished(self, result: Any) -> None:
        self.show_result(result)
        met = sum(p.slo_met for p in result.points)
        self.keep_button.setEnabled(True)
        self._idle(f"{len(result.points)} points × {result.replications} replications in {result.wall_s:.1f} s; "
                   f"{met} meet the SLOs. “Keep in design” saves them with the file for the report.")

    def keep(self) -> dict[str, Any] | None:
        """Keep the finished sweep in the design (an undoable edit the user asked for)."""
        if self.result is None:
            return None
        stored = self.whatif.store(self.result.stored())
        self.keep_button.setEnabled(False)
        self.status.setText(self.status.text().split(" “Keep")[0] + f" Kept in the design as {stored['id']}.")
        return stored

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.cancel()  # terminates the runs; nothing to wait for
        super().closeEvent(event)

    # -- results ----------------------------------------------------------------------------------
    def show_result(self, result: Any) -> None:
        self.result = result
        names = result.metric_names()
        slo_first = [k for k in result.slo if k in names]
        ordered = list(dict.fromkeys(slo_first + [m for m in PREFERRED_METRICS if m in names] + names))
        self.metric_box.blockSignals(True)
        self.metric_box.clear()
        for m in ordered:
            self.metric_box.addItem(metric_title(m), m)
        self.metric_box.blockSignals(False)
        self._fill_table()
        self.redraw()

    def _fill_table(self) -> None:
        r = self.result
        metrics = [self.metric_box.itemData(i) for i in range(min(self.metric_box.count(), 8))]
        headers = [axis_title(a.path) for a in r.axes] + ["SLOs met"] + [f"{metric_title(m)}\n± 95 % CI"
                                                                          for m in metrics]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(r.points))
        for i, p in enumerate(r.points):
            cells = [str(p.assignments[a.path]) for a in r.axes] + ["yes" if p.slo_met else "no"]
            for m in metrics:
                mean, ci = p.mean.get(m, math.nan), p.ci95.get(m, math.nan)
                cells.append(format_mean_ci(mean, ci))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j > len(r.axes):  # the figures: right-aligned, so the digits line up
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()

    def redraw(self) -> None:
        if self.result is None or self.metric_box.currentData() is None:
            return
        self._draw_metric(self.metric_box.currentData())
        self._draw_pareto(self.metric_box.currentData())

    def _x_values(self, axis: Any) -> tuple[np.ndarray, list[tuple[float, str]] | None]:
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in axis.values)
        if numeric:
            return np.asarray(axis.values, float), None
        return np.arange(len(axis.values), dtype=float), [(float(i), str(v)) for i, v in enumerate(axis.values)]

    def _draw_metric(self, metric: str) -> None:
        r = self.result
        card = self.metric_card
        plot = card.plot
        plot.clear_all()
        a1 = r.axes[0]
        x_all, ticks = self._x_values(a1)
        plot.plotItem.getAxis("bottom").setTicks([ticks] if ticks else None)
        plot.plotItem.setLabel("bottom", axis_title(a1.path))
        plot.plotItem.setLabel("left", metric_title(metric))
        groups = r.axes[1].values if len(r.axes) > 1 else [None]
        card.data_rows = [[a1.path, *([r.axes[1].path] if len(r.axes) > 1 else []), metric, "ci95"]]
        for gi, g in enumerate(groups):
            pts = [p for p in r.points if len(r.axes) == 1 or p.assignments[r.axes[1].path] == g]
            if not pts:
                continue  # a cancelled sweep: this curve had no finished point
            # x of the points present (a cancelled sweep may lack some of the axis's values)
            x = np.array([x_all[a1.values.index(p.assignments[a1.path])] for p in pts], float)
            y = np.array([p.mean.get(metric, math.nan) for p in pts], float)
            ci = np.array([p.ci95.get(metric, math.nan) for p in pts], float)
            colour = series_colour(self, gi)
            name = None if g is None else f"{axis_title(r.axes[1].path)} = {g}"
            plot.curve(x, y, colour, name)
            plot.plot(x, y, pen=None, symbol="o", symbolSize=6, symbolBrush=colour)
            if np.isfinite(ci).any():  # the 95 % confidence band over replications
                ci = np.nan_to_num(ci)
                upper = pg.PlotDataItem(x, y + ci, pen=pg.mkPen(None))
                lower = pg.PlotDataItem(x, y - ci, pen=pg.mkPen(None))
                band = pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(pg.mkColor(colour).lighter(100)))
                band.setOpacity(0.25)
                plot.addItem(band)
            for p, yi, ci_i in zip(pts, y, ci):
                card.data_rows.append([p.assignments[a1.path], *([g] if g is not None else []), yi, ci_i])
        target = r.slo.get(metric)
        if target:
            plot.hline(float(target), "#c62828", f"SLO {target:g}")
        card.note.setText(f"{r.replications} replications, 95 % CI bands")

    def _draw_pareto(self, metric: str) -> None:
        r = self.result
        card = self.pareto_card
        plot = card.plot
        plot.clear_all()
        plot.plotItem.setLabel("left", metric_title(metric))
        costs = [p.mean.get("usd_per_month", math.nan) for p in r.points]
        lats = [p.mean.get(metric, math.nan) for p in r.points]
        spots = []
        for i, (c, lat, p) in enumerate(zip(costs, lats, r.points)):
            if math.isfinite(c) and math.isfinite(lat):
                spots.append({"pos": (c, lat), "data": i, "size": 10,
                              "brush": pg.mkBrush("#2e7d32" if p.slo_met else "#c62828"),
                              "symbol": "o" if p.slo_met else "x"})
        scatter = pg.ScatterPlotItem(spots=spots, hoverable=True, pen=pg.mkPen(None))
        scatter.sigClicked.connect(lambda _item, points, _ev: self.open_point(int(points[0].data()))
                                   if len(points) else None)
        plot.addItem(scatter)
        self.pareto_scatter = scatter
        front = pareto_indices(costs, lats)
        if len(front) > 1:
            plot.curve(np.array([costs[i] for i in front]), np.array([lats[i] for i in front]), "#1565c0",
                       "Pareto front", width=1.5, dash=True)
        card.data_rows = [["point", *[a.path for a in r.axes], "usd_per_month", metric, "slo_met", "pareto"]]
        for i, p in enumerate(r.points):
            card.data_rows.append([i, *[p.assignments[a.path] for a in r.axes], costs[i], lats[i], p.slo_met,
                                   i in front])
        card.note.setText("green: meets every SLO · red ×: breaks one")

    def open_point(self, index: int) -> str:
        """Open the design of sweep point ``index`` in a new window."""
        import copy

        from simulation.overrides import apply_override

        p = self.result.points[index]
        data = copy.deepcopy(self.data)
        for path, value in p.assignments.items():
            apply_override(data, path, value)
        label = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in p.assignments.items())
        return self.whatif.open_design(data, label)

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_point(rows[0].row())

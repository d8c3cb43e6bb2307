"""The chaos panel: toggle fault scenarios per node, run a faulty copy of the design next to the healthy one
and compare availability, error-budget burn and latency. The design itself is never changed."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.results.dock import fmt_ms
from designer.results.model import RunData
from designer.results.widgets import TableCard
from designer.runs.controller import design_snapshot

FAULTS = {  # fault type -> (label, [(field, label, min, max, default as a fraction of the run or a value)])
    "outage": ("Outage window", [("start_s", "from (s)", 0, 1e7, 0.3), ("end_s", "to (s)", 0, 1e7, 0.4)]),
    "error_rate": ("Error rate", [("rate", "errors (fraction)", 0, 1, 0.05)]),
    "slowdown": ("Slow-down (whole run)", [("factor", "factor", 1, 1000, 2.0)]),
    "slowdown_window": (
        "Slow-down window",
        [
            ("start_s", "from (s)", 0, 1e7, 0.3),
            ("end_s", "to (s)", 0, 1e7, 0.5),
            ("factor", "factor", 1, 1000, 3.0),
        ],
    ),
    "replica_loss": (
        "Replica loss",
        [
            ("at_s", "at (s)", 0, 1e7, 0.3),
            ("replicas", "replicas lost", 0, 1e4, 1),
            ("recovery_s", "recovery (s)", 0, 1e7, 120),
        ],
    ),
}
TIME_FIELDS = ("start_s", "end_s", "at_s")


@dataclass
class Scenario:
    node: str
    fault: str
    values: dict[str, float] = field(default_factory=dict)
    enabled: bool = True

    def describe(self) -> str:
        v = self.values
        if self.fault == "outage":
            return f"down {v['start_s']:g}–{v['end_s']:g} s"
        if self.fault == "error_rate":
            return f"{v['rate']:.1%} of requests fail"
        if self.fault == "slowdown":
            return f"{v['factor']:g}× slower"
        if self.fault == "slowdown_window":
            return f"{v['factor']:g}× slower {v['start_s']:g}–{v['end_s']:g} s"
        return f"loses {v['replicas']:g} replica(s) at {v['at_s']:g} s for {v['recovery_s']:g} s"


def apply_faults(design: dict[str, Any], scenarios: list[Scenario]) -> dict[str, Any]:
    """A copy of ``design`` with the enabled scenarios merged into its nodes' ``faults`` (loader format)."""
    out = copy.deepcopy(design)
    nodes = {n["id"]: n for n in out.get("nodes", [])}
    for sc in scenarios:
        if not sc.enabled or sc.node not in nodes:
            continue
        faults = nodes[sc.node].setdefault("faults", {})
        v = sc.values
        if sc.fault == "outage":
            faults.setdefault("outages", []).append([float(v["start_s"]), float(v["end_s"])])
        elif sc.fault == "error_rate":  # independent failure causes combine: 1 - Π(1 - p)
            faults["error_rate"] = 1.0 - (1.0 - float(faults.get("error_rate", 0.0))) * (
                1.0 - float(v["rate"])
            )
        elif sc.fault == "slowdown":
            faults["slowdown"] = min(1000.0, float(faults.get("slowdown", 1.0)) * float(v["factor"]))
        elif sc.fault == "slowdown_window":
            faults.setdefault("slowdown_windows", []).append(
                [float(v["start_s"]), float(v["end_s"]), float(v["factor"])]
            )
        elif sc.fault == "replica_loss":
            faults.setdefault("replica_loss", []).append(
                {
                    "at_s": float(v["at_s"]),
                    "replicas": int(v["replicas"]),
                    "recovery_s": float(v["recovery_s"]),
                }
            )
    return out


def availability(summary: dict[str, Any]) -> float:
    """Completed requests over arrived requests (after warm-up)."""
    req = summary.get("requests", {})
    arrived = req.get("arrived") or 0
    return req.get("completed", 0) / arrived if arrived else float("nan")


def chaos_rows(healthy: RunData, faulty: RunData, error_budget: float | None) -> list[list[str]]:
    """Healthy vs faulty: availability, error rate, error-budget burn (error rate / allowed rate), latency."""
    sh, sf = healthy.summary or {}, faulty.summary or {}
    ah, af = availability(sh), availability(sf)
    rows = [["availability", f"{ah:.3%}", f"{af:.3%}", f"{(af - ah) * 100:+.3f} pts"]]
    eh, ef = 1 - ah, 1 - af
    rows.append(["error rate", f"{eh:.3%}", f"{ef:.3%}", f"{(ef - eh) * 100:+.3f} pts"])
    if error_budget:
        rows.append(
            [
                "error-budget burn rate",
                f"{eh / error_budget:.2f}×",
                f"{ef / error_budget:.2f}×",
                "over budget" if ef > error_budget else "within budget",
            ]
        )
    else:
        rows.append(["error-budget burn rate", "—", "—", "set slo.error_rate_max to track it"])
    for m, label in (("ttft_ms", "TTFT"), ("e2e_ms", "E2E")):
        for stat in ("p50", "p99"):
            vh = sh.get("metrics", {}).get(m, {}).get(stat)
            vf = sf.get("metrics", {}).get(m, {}).get(stat)
            delta = (
                f"{vf - vh:+,.0f} ms" if isinstance(vh, (int, float)) and isinstance(vf, (int, float)) else ""
            )
            rows.append([f"{label} {stat}", fmt_ms(vh), fmt_ms(vf), delta])
    gh, gf = sh.get("goodput_per_s"), sf.get("goodput_per_s")
    rows.append(
        [
            "goodput (req/s)",
            f"{gh:.3g}" if isinstance(gh, (int, float)) else "—",
            f"{gf:.3g}" if isinstance(gf, (int, float)) else "—",
            f"{(gf - gh) / gh:+.1%}"
            if isinstance(gh, (int, float)) and gh and isinstance(gf, (int, float))
            else "",
        ]
    )
    return rows


class ChaosPanel(QWidget):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.scenarios: list[Scenario] = []
        self.healthy: RunData | None = None
        self.faulty: RunData | None = None
        self.node = QComboBox()
        self.fault = QComboBox()
        for key, (label, _fields) in FAULTS.items():
            self.fault.addItem(label, key)
        self.fields = QStackedWidget()
        self.inputs: dict[str, dict[str, QDoubleSpinBox]] = {}
        for key, (_label, fields) in FAULTS.items():
            page = QWidget()
            form = QFormLayout(page)
            form.setContentsMargins(0, 0, 0, 0)
            boxes = {}
            for name, label, lo, hi, default in fields:
                box = QDoubleSpinBox()
                box.setRange(lo, hi)
                box.setDecimals(3 if name == "rate" else (0 if name == "replicas" else 1))
                box.setSingleStep(0.01 if name == "rate" else 1.0)
                box.setProperty("default", default)
                box.setValue(default)
                form.addRow(label, box)
                boxes[name] = box
            self.inputs[key] = boxes
            self.fields.addWidget(page)
        self.fault.currentIndexChanged.connect(self.fields.setCurrentIndex)
        add = QPushButton("Add scenario")
        add.clicked.connect(self._add_clicked)
        self.table = QTableWidget(0, 3)
        self.table.setMinimumHeight(90)
        self.table.setHorizontalHeaderLabels(["on", "node", "fault"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.itemChanged.connect(self._item_changed)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        self.run_button = QPushButton("Run healthy vs. with faults")
        self.run_button.setToolTip(
            "Runs the design as it is and a copy with the ticked faults (same seed), "
            "then compares them; the design itself is not changed"
        )
        self.run_button.clicked.connect(self.run_comparison)
        self.status = QLabel("Add fault scenarios, tick the ones to inject, then run.")
        self.status.setWordWrap(True)
        self.result = TableCard("Healthy vs. with faults", ["figure", "healthy", "with faults", "change"])
        self.result.setMinimumHeight(220)
        self.compare_button = QPushButton("Open in Compare…")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self._open_compare)
        form = QFormLayout()
        form.addRow("Node:", self.node)
        form.addRow("Fault:", self.fault)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.fields)
        lay.addWidget(add)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(remove)
        row.addStretch(1)
        row.addWidget(self.run_button)
        lay.addLayout(row)
        lay.addWidget(self.status)
        lay.addWidget(self.result, 2)
        lay.addWidget(self.compare_button)

    # -- scenarios ------------------------------------------------------------------------------
    def refresh_nodes(self) -> None:
        design = self.session.design
        current = self.node.currentData()
        self.node.clear()
        if design is None:
            return
        duration = float(design.workload.get("duration_s", 600.0))
        for n in design.nodes:
            if n.kind != "client":
                self.node.addItem(f"{n.title} ({n.kind})", n.id)
        if current is not None:
            i = self.node.findData(current)
            if i >= 0:
                self.node.setCurrentIndex(i)
        for boxes in self.inputs.values():  # time defaults follow the run length
            for name, box in boxes.items():
                if name in TIME_FIELDS:
                    box.setValue(round(float(box.property("default")) * duration, 1))

    def add_scenario(self, scenario: Scenario) -> None:
        self.scenarios.append(scenario)
        self._fill_table()

    def _add_clicked(self) -> None:
        node = self.node.currentData()
        if node is None:
            self.status.setText("The design has no node to break.")
            return
        key = self.fault.currentData()
        values = {name: box.value() for name, box in self.inputs[key].items()}
        if "start_s" in values and values["end_s"] <= values["start_s"]:
            self.status.setText("The window must end after it starts.")
            return
        self.add_scenario(Scenario(node, key, values))

    def _fill_table(self) -> None:
        t = self.table
        t.blockSignals(True)
        t.setRowCount(len(self.scenarios))
        for r, sc in enumerate(self.scenarios):
            on = QTableWidgetItem()
            on.setFlags(
                Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            )
            on.setCheckState(Qt.CheckState.Checked if sc.enabled else Qt.CheckState.Unchecked)
            t.setItem(r, 0, on)
            for c, text in ((1, sc.node), (2, f"{FAULTS[sc.fault][0]}: {sc.describe()}")):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                t.setItem(r, c, item)
        t.resizeColumnsToContents()
        t.blockSignals(False)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == 0 and item.row() < len(self.scenarios):
            self.scenarios[item.row()].enabled = item.checkState() == Qt.CheckState.Checked

    def _remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedItems()}, reverse=True)
        for r in rows:
            del self.scenarios[r]
        self._fill_table()

    # -- running --------------------------------------------------------------------------------
    def run_comparison(self) -> bool:
        design = self.session.design
        active = [s for s in self.scenarios if s.enabled]
        if design is None or not active:
            self.status.setText("Tick at least one fault scenario first.")
            return False
        from simulation.errors import DesignError
        from simulation.loader import load_design

        healthy = design_snapshot(design)
        faulty = apply_faults(healthy, active)
        try:
            load_design(faulty)  # the loader's one-line message beats a failure inside the worker
        except DesignError as exc:
            self.status.setText(f"These faults do not fit the design: {exc}")
            return False
        base = self.session.document.base_dir
        seed = self.session.panel.seed.value()
        dur = self.session.panel.duration.value()
        names = ", ".join(f"{s.node}: {s.describe()}" for s in active)
        jobs = [
            {
                "design": healthy,
                "base_dir": base,
                "seed": seed,
                "duration_s": dur,
                "tag": "chaos-healthy",
                "label": f"{design.name} · healthy · seed {seed}",
            },
            {
                "design": faulty,
                "base_dir": base,
                "seed": seed,
                "duration_s": dur,
                "tag": "chaos-faults",
                "label": f"{design.name} · faults ({names[:60]}) · seed {seed}",
            },
        ]
        self.healthy = self.faulty = None
        if not self.session.run_queued(jobs):
            self.status.setText("A run is already going; stop it first.")
            return False
        self.status.setText("Running the healthy design, then the one with faults…")
        self.run_button.setEnabled(False)
        self.compare_button.setEnabled(False)
        return True

    def run_finished(self, run: RunData) -> None:
        if run.tag == "chaos-healthy":
            self.healthy = run
            if run.status != "done":
                self._done("The healthy run was stopped.")
            return
        self.faulty = run
        if run.status != "done" or self.healthy is None:
            self._done("The run with faults was stopped.")
            return
        slo = (self.healthy.design.get("slo") or {}).get("error_rate_max")
        budget = float(slo) if isinstance(slo, (int, float)) and slo > 0 else None
        self.result.set_rows(chaos_rows(self.healthy, self.faulty, budget))
        af, ah = availability(self.faulty.summary), availability(self.healthy.summary)
        lost = (ah - af) if math.isfinite(af) and math.isfinite(ah) else float("nan")
        self._done(f"Done: the faults cost {lost:.3%} of availability." if math.isfinite(lost) else "Done.")
        self.compare_button.setEnabled(True)

    def run_failed(self, run: RunData) -> None:
        self._done(f"The {'healthy' if run.tag == 'chaos-healthy' else 'faulty'} run failed: {run.message}")

    def _done(self, text: str) -> None:
        self.status.setText(text)
        self.run_button.setEnabled(True)

    def _open_compare(self) -> None:
        from designer.runs.compare import CompareDialog

        if self.healthy and self.faulty:
            runs = [self.healthy, self.faulty]
            self.session.compare_dialog = CompareDialog(runs, self.healthy, self.faulty, self.session.host)
            self.session.compare_dialog.show()


class ChaosDock(QDockWidget):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__("Chaos", parent)
        self.setObjectName("ChaosDock")
        self.panel = ChaosPanel(session, self)
        self.setWidget(self.panel)

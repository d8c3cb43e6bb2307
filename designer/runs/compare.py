"""Compare two runs of the session: overlaid CDFs, a side-by-side metrics table and the design differences."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from designer.results.dock import fmt_ms, fmt_num, fmt_usd, slo_label
from designer.results.model import LATENCY_METRICS, METRIC_LABELS, RunData, cdf_points
from designer.results.widgets import PlotCard, TableCard, series_colour

MISSING = "(absent)"


def _flatten(obj: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = obj


def _keyed(design: dict[str, Any]) -> dict[str, Any]:
    """Nodes by id and edges by (source → target [when]) so that reordering is not a difference."""
    d = {k: v for k, v in design.items() if k not in ("nodes", "edges", "format", "version")}
    d["nodes"] = {
        n.get("id"): {k: v for k, v in n.items() if k not in ("id", "pos")} for n in design.get("nodes", [])
    }
    edges = {}
    for e in design.get("edges", []):
        key = f"{e.get('source')} → {e.get('target')}" + (f" [{e['when']}]" if e.get("when") else "")
        edges[key] = {k: v for k, v in e.items() if k not in ("source", "target", "when")} or {
            "present": True
        }
    d["edges"] = edges
    return d


def design_diff(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(path, value in a, value in b) for every leaf that differs; node positions are ignored."""
    fa: dict[str, Any] = {}
    fb: dict[str, Any] = {}
    _flatten(_keyed(a), "", fa)
    _flatten(_keyed(b), "", fb)
    out = []
    for path in sorted(set(fa) | set(fb)):
        va, vb = fa.get(path, MISSING), fb.get(path, MISSING)
        if va != vb:
            out.append((path, va, vb))
    return out


def metric_rows(a: RunData, b: RunData) -> list[list[str]]:
    """Side-by-side figures of two finished runs, with B's change relative to A."""
    sa, sb = a.summary or {}, b.summary or {}
    rows: list[list[str]] = []

    def add(label: str, va: Any, vb: Any, fmt: Any) -> None:
        delta = ""
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va and math.isfinite(va):
            delta = f"{(vb - va) / abs(va):+.1%}"
        rows.append([label, fmt(va), fmt(vb), delta])

    rows.append(["seed", str(a.seed), str(b.seed), ""])
    rows.append(["simulated time", f"{a.sim_t:,.0f} s", f"{b.sim_t:,.0f} s", ""])
    ra, rb = sa.get("requests", {}), sb.get("requests", {})
    add("requests completed", ra.get("completed"), rb.get("completed"), lambda v: fmt_num(v))
    add(
        "throughput (req/s)",
        sa.get("throughput", {}).get("request_per_s"),
        sb.get("throughput", {}).get("request_per_s"),
        fmt_num,
    )
    add("goodput (req/s)", sa.get("goodput_per_s"), sb.get("goodput_per_s"), fmt_num)
    for m in ("ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"):
        ma, mb = sa.get("metrics", {}).get(m, {}), sb.get("metrics", {}).get(m, {})
        if not any(ma.values()) and not any(mb.values()):
            continue
        for stat in ("p50", "p90", "p99"):
            add(f"{METRIC_LABELS.get(m, m)} {stat}", ma.get(stat), mb.get(stat), fmt_ms)
    err_a = _error_rate(sa)
    err_b = _error_rate(sb)
    add("error rate", err_a, err_b, lambda v: f"{v:.2%}" if isinstance(v, (int, float)) else "—")
    ca, cb = sa.get("cost", {}), sb.get("cost", {})
    add("cost per month", ca.get("usd_per_month"), cb.get("usd_per_month"), fmt_usd)
    add("cost per request", ca.get("usd_per_request"), cb.get("usd_per_request"), fmt_usd)
    for key in sorted(set(sa.get("slo", {})) | set(sb.get("slo", {}))):
        va, vb = sa.get("slo", {}).get(key, {}), sb.get("slo", {}).get(key, {})
        verdict = {True: "pass", False: "FAIL", None: "—"}
        rows.append([f"SLO {slo_label(key)}", verdict[va.get("met")], verdict[vb.get("met")], ""])
    return rows


def _error_rate(summary: dict[str, Any]) -> float | None:
    req = summary.get("requests", {})
    arrived = req.get("arrived") or 0
    if not arrived:
        return None
    return (req.get("failed", 0) + req.get("timeout", 0) + req.get("dropped", 0)) / arrived


def _short(v: Any) -> str:
    text = str(v)
    return text if len(text) <= 60 else text[:57] + "…"


class CompareDialog(QDialog):
    def __init__(self, runs: list[RunData], a: RunData, b: RunData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare runs")
        self.resize(1100, 700)
        self.runs = runs
        self.combo_a = QComboBox()
        self.combo_b = QComboBox()
        for combo in (self.combo_a, self.combo_b):
            for r in runs:
                combo.addItem(r.label, r)
        self.combo_a.setCurrentIndex(runs.index(a))
        self.combo_b.setCurrentIndex(runs.index(b))
        self.metric_combo = QComboBox()
        for m in LATENCY_METRICS:
            self.metric_combo.addItem(METRIC_LABELS[m], m)
        top = QHBoxLayout()
        top.addWidget(QLabel("A:"))
        top.addWidget(self.combo_a, 1)
        top.addWidget(QLabel("B:"))
        top.addWidget(self.combo_b, 1)
        top.addWidget(QLabel("Latency:"))
        top.addWidget(self.metric_combo)
        self.cdf = PlotCard("Latency CDF, A vs B", "latency (ms)", "fraction of requests")
        self.table = TableCard("Metrics", ["figure", "A", "B", "B vs A"])
        self.diff = TableCard("Design differences (B vs A)", ["path", "A", "B"])
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.table)
        right.addWidget(self.diff)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.cdf)
        split.addWidget(right)
        split.setSizes([550, 550])
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        for combo in (self.combo_a, self.combo_b, self.metric_combo):
            combo.currentIndexChanged.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args: Any) -> None:
        a: RunData = self.combo_a.currentData()
        b: RunData = self.combo_b.currentData()
        if a is None or b is None:
            return
        metric = self.metric_combo.currentData() or "ttft_ms"
        plot = self.cdf.plot
        plot.clear_all()
        rows: list[list[Any]] = [["run", metric, "fraction"]]
        for i, (name, run) in enumerate((("A", a), ("B", b))):
            x, y = cdf_points(run.samples.get(metric))
            if x.size:
                plot.curve(x, y, series_colour(self, i), f"{name}: {run.label}")
                rows += [[name, float(u), float(v)] for u, v in zip(x, y)]
        self.cdf.data_rows = rows
        self.table.set_rows(metric_rows(a, b))
        diff = design_diff(a.design, b.design)
        self.diff.set_rows(
            [[p, _short(va), _short(vb)] for p, va, vb in diff]
            or [["(no differences: same design, maybe another seed or duration)", "", ""]]
        )

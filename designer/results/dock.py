"""The results dock: summary against every SLO, latency CDF/histogram, time series, nodes, LLM servers,
cost and the design review. It draws a RunData, live while the run goes and in full when it ends."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.results.model import LATENCY_METRICS, METRIC_LABELS, RunData, cdf_points
from designer.results.widgets import PlotCard, TableCard, pass_fail_colour, series_colour

LLM_KEYS = ("batch_size", "kv_usage")
STATUS_TEXT = {
    "running": "running",
    "done": "finished",
    "cancelled": "stopped early (partial results)",
    "error": "failed",
}


def fmt_ms(v: Any) -> str:
    if not isinstance(v, (int, float)) or not math.isfinite(v):
        return "—"
    if v >= 10_000:
        return f"{v / 1000:.1f} s"
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    return f"{v:.1f} ms" if v < 100 else f"{v:.0f} ms"


def fmt_num(v: Any, digits: int = 3) -> str:
    if not isinstance(v, (int, float)) or not math.isfinite(v):
        return "—"
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def fmt_usd(v: Any) -> str:
    if not isinstance(v, (int, float)) or not math.isfinite(v):
        return "—"
    if abs(v) >= 100:
        return f"${v:,.0f}"
    if abs(v) >= 0.01:
        return f"${v:,.2f}"
    return f"${v:.2g}"


def slo_metric(key: str) -> tuple[str, str] | None:
    """("ttft_ms", "p99") for "ttft_p99_ms"; None for error_rate_max."""
    parts = key.split("_")
    if len(parts) == 3 and parts[2] == "ms":
        return f"{parts[0]}_ms", parts[1]
    return None


def live_percentile(values: np.ndarray, stat: str) -> float:
    v = values[np.isfinite(values)]
    if not v.size:
        return float("nan")
    return float(v.mean()) if stat == "mean" else float(np.percentile(v, float(stat[1:])))


def live_stats(run: RunData) -> dict[str, dict[str, float]]:
    """Mean and percentiles of each metric's samples so far, one pass per metric."""
    out = {}
    for m, v in run.samples.items():
        v = v[np.isfinite(v)]
        if v.size:
            pct = np.percentile(v, [50, 90, 95, 99])
            out[m] = {"mean": float(v.mean()), **{f"p{q}": float(x) for q, x in zip((50, 90, 95, 99), pct)}}
    return out


def slo_rows(
    run: RunData, stats: dict[str, dict[str, float]] | None = None
) -> list[tuple[str, float, float, bool | None]]:
    """(key, target, actual, met) per SLO; live runs estimate latency SLOs from the samples so far."""
    if run.summary:
        return [
            (k, float(v.get("target", math.nan)), _f(v.get("actual")), bool(v.get("met")))
            for k, v in run.summary.get("slo", {}).items()
        ]
    stats = live_stats(run) if stats is None else stats
    rows = []
    for key, target in (run.design.get("slo") or {}).items():
        m = slo_metric(key)
        actual = stats.get(m[0], {}).get(m[1], float("nan")) if m else float("nan")
        rows.append((key, float(target), actual, (actual <= target) if math.isfinite(actual) else None))
    return rows


def _f(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) else float("nan")


def slo_label(key: str) -> str:
    m = slo_metric(key)
    if m:
        return f"{METRIC_LABELS.get(m[0], m[0])} {m[1]}"
    return "error rate" if key == "error_rate_max" else key


def _hsplit(*widgets: QWidget) -> QSplitter:
    split = QSplitter(Qt.Orientation.Horizontal)
    for w in widgets:
        split.addWidget(w)
    split.setChildrenCollapsible(False)
    return split


def util_colour(u: float) -> str:
    """Green below 60 %, amber to 85 %, red above: where queueing delay starts to climb steeply."""
    return "#16A34A" if u < 0.6 else ("#D97706" if u < 0.85 else "#DC2626")


class ResultsView(QWidget):
    node_clicked = Signal(str)

    TAB_NAMES = ("Summary", "Latency", "Over time", "Nodes", "LLM servers", "Cost", "Review")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: RunData | None = None
        self._stale: set[int] = set()
        self._repaint_pending = False
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.empty = QLabel("Run the design (F5) to see its results here.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setProperty("role", "muted")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tabs)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.stack)
        self.cards: dict[str, PlotCard] = {}
        self.tables: dict[str, TableCard] = {}
        self._build_summary()
        self._build_latency()
        self._build_time()
        self._build_nodes()
        self._build_llm()
        self._build_cost()
        self._build_review()
        self._drawers: list[Callable[[RunData], None]] = [
            self._draw_summary,
            self._draw_latency,
            self._draw_time,
            self._draw_nodes,
            self._draw_llm,
            self._draw_cost,
            self._draw_review,
        ]
        self.tabs.currentChanged.connect(self._tab_changed)

    # -- building -------------------------------------------------------------------------------
    def _card(self, key: str, title: str, x: str, y: str) -> PlotCard:
        card = PlotCard(title, x, y)
        self.cards[key] = card
        return card

    def _table(self, key: str, title: str, headers: list[str]) -> TableCard:
        card = TableCard(title, headers)
        self.tables[key] = card
        return card

    def _build_summary(self) -> None:
        page = QWidget()
        self.headline = QLabel()
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(page)
        lay.addWidget(self.headline)
        lay.addWidget(
            _hsplit(
                self._table("slo", "Service-level objectives", ["SLO", "target", "actual", "result"]),
                self._table("figures", "Key figures", ["figure", "value"]),
            ),
            1,
        )
        self.tabs.addTab(page, "Summary")

    def _build_latency(self) -> None:
        page = QWidget()
        self.metric_combo = QComboBox()
        for m in LATENCY_METRICS:
            self.metric_combo.addItem(METRIC_LABELS[m], m)
        self.metric_combo.setToolTip(
            "TTFT: time to first token · TPOT: time per output token after the first · "
            "E2E: arrival to last token (vllm bench serve definitions)"
        )
        self.metric_combo.currentIndexChanged.connect(lambda _i: self._redraw(1))
        self.latency_note = QLabel()
        self.latency_note.setProperty("role", "muted")
        top = QHBoxLayout()
        top.addWidget(QLabel("Latency:"))
        top.addWidget(self.metric_combo)
        top.addWidget(self.latency_note, 1)
        lay = QVBoxLayout(page)
        lay.addLayout(top)
        lay.addWidget(
            _hsplit(
                self._card("cdf", "Latency CDF", "latency (ms)", "fraction of requests"),
                self._card("hist", "Latency histogram", "latency (ms)", "requests"),
            ),
            1,
        )
        self.tabs.addTab(page, "Latency")

    def _build_time(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.addWidget(
            _hsplit(
                self._card("throughput", "Throughput", "simulated time (s)", "completed req/s"),
                self._card("p99", "Rolling P99 latency", "simulated time (s)", "ms"),
            ),
            1,
        )
        self.tabs.addTab(page, "Over time")

    def _build_nodes(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.addWidget(
            _hsplit(
                self._card("queue", "Queue depth per node", "simulated time (s)", "requests waiting"),
                self._card("util", "Utilisation per node", "busy fraction", ""),
            ),
            1,
        )
        self.tabs.addTab(page, "Nodes")

    def _build_llm(self) -> None:
        page = QWidget()
        self.llm_note = QLabel()
        self.llm_note.setProperty("role", "muted")
        self.llm_note.setWordWrap(True)
        lay = QVBoxLayout(page)
        lay.addWidget(self.llm_note)
        lay.addWidget(
            _hsplit(
                self._card("batch", "Batch size", "simulated time (s)", "running requests"),
                self._card("kv", "KV-cache use", "simulated time (s)", "fraction of KV blocks"),
                self._card("preempt", "Preemptions", "requests preempted", ""),
            ),
            1,
        )
        self.tabs.addTab(page, "LLM servers")

    def _build_cost(self) -> None:
        page = QWidget()
        self.cost_label = QLabel()
        self.cost_label.setTextFormat(Qt.TextFormat.RichText)
        self.cost_label.setWordWrap(True)
        lay = QVBoxLayout(page)
        lay.addWidget(self.cost_label)
        lay.addWidget(
            _hsplit(
                self._card("cost", "Cost by node", "USD per month", ""),
                self._table("cost", "Cost breakdown", ["node", "$/hour", "$/month", "share"]),
            ),
            1,
        )
        self.tabs.addTab(page, "Cost")

    def _build_review(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        card = self._table(
            "review",
            "Design review (click a row to select its node)",
            ["severity", "node", "rule", "message"],
        )
        card.table.cellClicked.connect(self._review_clicked)
        card.table.cellActivated.connect(self._review_clicked)
        lay.addWidget(card, 1)
        self.tabs.addTab(page, "Review")

    # -- drawing --------------------------------------------------------------------------------
    def show_run(self, run: RunData | None, live: bool = False) -> None:
        """Draw ``run``; during a live run only the visible tab is redrawn (the others when shown)."""
        self.run = run
        if run is None:
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentWidget(self.tabs)
        current = self.tabs.currentIndex()
        self._stale = set(range(self.tabs.count())) - {current}
        self._redraw(current)
        if not live:  # the other tabs follow one per event-loop turn, so the UI never stalls on all seven
            QTimer.singleShot(0, self, self._draw_one_stale)

    @property
    def stale_tabs(self) -> set[int]:
        """Tabs not yet drawn for the current run (drawn when shown, or shortly after a run ends)."""
        return set(self._stale)

    def _widgets_alive(self) -> bool:
        """False once Qt has deleted the cards or their plots (the window is closing): deferred draws then stop."""
        if not shiboken6.isValid(self):
            return False
        for card in self.cards.values():
            plot = getattr(card, "plot", None)
            parts = [card] if plot is None else [card, plot, plot.getViewBox()]
            if not all(shiboken6.isValid(part) for part in parts):
                return False
        return True

    def _draw_one_stale(self) -> None:
        if not self._stale or self.run is None or not self._widgets_alive():
            return
        index = min(self._stale)
        self._stale.discard(index)
        try:
            self._redraw(index)
        except RuntimeError as exc:  # a Qt object went away between the check and the draw: the view is closing
            if "already deleted" not in str(exc):
                raise
            self._stale.clear()
            return
        if self._stale:
            QTimer.singleShot(0, self, self._draw_one_stale)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.run is not None and not self._repaint_pending:
            self._repaint_pending = True  # theme switch: series and pass/fail colours follow the palette
            QTimer.singleShot(0, self, self._repaint_for_palette)

    def _repaint_for_palette(self) -> None:
        self._repaint_pending = False
        if self.run is not None and self._widgets_alive():
            self.show_run(self.run, live=self.run.status == "running")

    def _tab_changed(self, index: int) -> None:
        if index in self._stale:
            self._stale.discard(index)
            self._redraw(index)

    def _redraw(self, index: int) -> None:
        if self.run is not None and 0 <= index < len(self._drawers):
            self._drawers[index](self.run)

    def _draw_summary(self, run: RunData) -> None:
        name = run.design.get("name", "design")
        status = STATUS_TEXT.get(run.status, run.status)
        if run.status == "running":
            status = f"running — {run.fraction:.0%} of {run.duration_s:g} s simulated"
        err = ""
        if run.status == "error":
            err = f"<br><span style='color:{pass_fail_colour(self, False).name()}'>{_esc(run.message)}</span>"
        saved = " · <i>kept from the design file</i>" if run.from_file else ""
        self.headline.setText(
            f"<b>{_esc(name)}</b> · seed {run.seed} · {status} · "
            f"{run.sim_t:,.0f} s simulated in {run.wall_s:.1f} s{saved}{err}"
        )
        rows, colours = [], {}
        stats = live_stats(run) if not run.summary else {}
        for i, (key, target, actual, met) in enumerate(slo_rows(run, stats)):
            is_rate = key == "error_rate_max"
            if is_rate:
                shown = f"{actual:.2%}" if math.isfinite(actual) else "—"
            else:
                shown = fmt_ms(actual)
            verdict = "—" if met is None else ("pass" if met else "FAIL")
            if run.status == "running" and met is not None:
                verdict += " (so far)"
            rows.append([slo_label(key), f"{target:.2%}" if is_rate else fmt_ms(target), shown, verdict])
            if met is not None:
                colours[(i, 3)] = pass_fail_colour(self, met)
        self.tables["slo"].set_rows(rows, colours)
        self.tables["figures"].set_rows(self._figures(run, stats))

    def _figures(self, run: RunData, stats: dict[str, dict[str, float]]) -> list[list[str]]:
        s = run.summary
        if not s:
            rows = [["completed so far", f"{run.live_count:,}"]]
            for m in LATENCY_METRICS:
                if m in stats:
                    rows.append(
                        [
                            f"{METRIC_LABELS[m]} p50 / p99 so far",
                            f"{fmt_ms(stats[m]['p50'])} / {fmt_ms(stats[m]['p99'])}",
                        ]
                    )
            return rows
        req = s.get("requests", {})
        rows = [
            ["requests arrived", f"{req.get('arrived', 0):,}"],
            ["completed", f"{req.get('completed', 0):,}"],
        ]
        for k in ("failed", "blocked", "timeout", "dropped"):
            if req.get(k):
                rows.append([k, f"{req[k]:,}"])
        tp = s.get("throughput", {})
        rows.append(
            [
                "throughput",
                f"{fmt_num(tp.get('request_per_s'))} req/s · "
                f"{fmt_num(tp.get('output_tokens_per_s'))} output tokens/s",
            ]
        )
        rows.append(["goodput (met every SLO)", f"{fmt_num(s.get('goodput_per_s'))} req/s"])
        for m, stats in s.get("metrics", {}).items():
            if any(v for v in stats.values()):
                rows.append(
                    [
                        f"{METRIC_LABELS.get(m, m)} p50 / p90 / p99",
                        " / ".join(fmt_ms(stats.get(p)) for p in ("p50", "p90", "p99")),
                    ]
                )
        cost = s.get("cost", {})
        rows.append(
            [
                "cost",
                f"{fmt_usd(cost.get('usd_per_hour'))}/h · {fmt_usd(cost.get('usd_per_month'))}/month · "
                f"{fmt_usd(cost.get('usd_per_request'))}/request",
            ]
        )
        return rows

    def _draw_latency(self, run: RunData) -> None:
        metric = self.metric_combo.currentData() or "ttft_ms"
        values = run.samples.get(metric, np.zeros(0))
        label = METRIC_LABELS[metric]
        cdf, hist = self.cards["cdf"], self.cards["hist"]
        for card in (cdf, hist):
            card.plot.clear_all()
        cdf.title_label.setText(f"{label} CDF")
        hist.title_label.setText(f"{label} histogram")
        if not values.size:
            self.latency_note.setText(
                f"No {label} values: "
                + (
                    "the design has no streaming LLM step."
                    if metric == "tpot_ms"
                    else "no request finished yet."
                )
            )
            cdf.data_rows = hist.data_rows = []
            return
        count = (run.summary or {}).get("requests", {}).get("completed", run.live_count)
        kept = " (CDF kept as 201 quantiles)" if run.from_file else ""
        self.latency_note.setText(
            f"{count:,} requests{kept}"
            f" · p50 {fmt_ms(live_percentile(values, 'p50'))} · "
            f"p99 {fmt_ms(live_percentile(values, 'p99'))}"
        )
        x, y = cdf_points(values)
        cdf.plot.curve(x, y, series_colour(self, 0))
        cdf.data_rows = [[f"{metric}", "fraction"]] + [[float(a), float(b)] for a, b in zip(x, y)]
        for key, target in (run.design.get("slo") or {}).items():
            m = slo_metric(key)
            if m and m[0] == metric:
                cdf.plot.vline(target, pass_fail_colour(self, False).name(), f"{m[1]} SLO {fmt_ms(target)} ")
        hi = float(np.percentile(values, 99.5)) if values.size > 20 else float(values.max())
        clipped = values[values <= hi] if hi > 0 else values
        counts, edges = np.histogram(clipped, bins=min(60, max(10, int(math.sqrt(clipped.size)))))
        hist.plot.curve(edges, counts, series_colour(self, 0), step=True)
        fill = QColor(series_colour(self, 0))
        fill.setAlpha(70)
        hist.plot.plotItem.listDataItems()[-1].setFillLevel(0)
        hist.plot.plotItem.listDataItems()[-1].setBrush(fill)
        hist.note.setText("tail above p99.5 not shown" if clipped.size < values.size else "")
        hist.data_rows = [["bin_start_ms", "bin_end_ms", "count"]] + [
            [float(a), float(b), int(c)] for a, b, c in zip(edges[:-1], edges[1:], counts)
        ]

    def _draw_time(self, run: RunData) -> None:
        tp, p99 = self.cards["throughput"], self.cards["p99"]
        tp.plot.clear_all()
        p99.plot.clear_all()
        t, rate = run.throughput_series()
        if run.warmup_s > 0 and t.size:
            for card in (tp, p99):
                card.plot.shade(0.0, run.warmup_s, "warm-up")
        if t.size:
            tp.plot.curve(t, rate, series_colour(self, 0))
            arrival = (run.design.get("workload") or {}).get("arrival", {}).get("rate_per_s")
            if isinstance(arrival, (int, float)):
                tp.plot.hline(float(arrival), series_colour(self, 8), "offered load")
        tp.data_rows = [["t_s", "completed_per_s"]] + [[float(a), float(b)] for a, b in zip(t, rate)]
        roll = run.rolling_series()
        rows = [["t_s", "ttft_p99_ms", "e2e_p99_ms"]]
        if roll["t"].size:
            p99.plot.curve(roll["t"], roll["ttft_p99"], series_colour(self, 0), "TTFT p99")
            p99.plot.curve(roll["t"], roll["e2e_p99"], series_colour(self, 1), "E2E p99")
            rows += [
                [float(a), float(b), float(c)]
                for a, b, c in zip(roll["t"], roll["ttft_p99"], roll["e2e_p99"])
            ]
        p99.data_rows = rows

    def _draw_nodes(self, run: RunData) -> None:
        queue, util = self.cards["queue"], self.cards["util"]
        queue.plot.clear_all()
        util.plot.clear_all()
        series = run.node_series("queue")
        shown = {nid: tv for nid, tv in series.items() if np.nanmax(tv[1]) > 0}
        rows: list[list[Any]] = [["node", "t_s", "queue"]]
        for i, (nid, (t, v)) in enumerate(shown.items()):
            queue.plot.curve(t, v, series_colour(self, i), run.node_title(nid) if len(shown) > 1 else None)
            rows += [[nid, float(a), float(b)] for a, b in zip(t, v)]
        queue.data_rows = rows
        idle = len(series) - len(shown)
        names = run.node_title(next(iter(shown))) if len(shown) == 1 else ""
        queue.note.setText(
            " · ".join(x for x in (names, f"{idle} node(s) never queued" if idle else "") if x)
            if shown
            else "no request waited in any queue"
        )
        u = run.utilisation()
        names = [nid for nid in run.node_ids if nid in u and run.node_kind(nid) != "client"][::-1]
        if names:
            vals = [u[n] for n in names]
            util.plot.hbars(
                [run.node_title(n) for n in names],
                vals,
                [util_colour(v) for v in vals],
                [f" {100 * v:.1f} %" for v in vals],
            )
            util.plot.plotItem.setXRange(0, max(1.0, max(vals)) * 1.08, padding=0.02)
        util.note.setText("the busiest node, when at least half busy, is marked as the bottleneck on the canvas"
                          if names else "")
        util.data_rows = [["node", "utilization"]] + [[n, u[n]] for n in names[::-1]]

    def _draw_llm(self, run: RunData) -> None:
        cards = [self.cards[k] for k in ("batch", "kv", "preempt")]
        for c in cards:
            c.plot.clear_all()
            c.data_rows = []
        llm_nodes = [n for n in run.node_ids if run.node_kind(n) == "llm_server"]
        batch = run.node_series("batch_size")
        kv = run.node_series("kv_usage")
        for card, series, key in ((cards[0], batch, "batch_size"), (cards[1], kv, "kv_usage")):
            rows: list[list[Any]] = [["node", "t_s", key]]
            many = len(series) > 1  # one server: its name goes in the header, not in a legend over the data
            for i, (nid, (t, v)) in enumerate(series.items()):
                card.plot.curve(t, v, series_colour(self, i), run.node_title(nid) if many else None)
                rows += [[nid, float(a), float(b)] for a, b in zip(t, v)]
            card.note.setText("" if many or not series else run.node_title(next(iter(series))))
            card.data_rows = rows
        if kv:
            cards[1].plot.plotItem.setYRange(0, 1.05, padding=0)
        nodes = (run.summary or {}).get("nodes", {})
        pre = {
            nid: s.get("preemptions")
            for nid, s in nodes.items()
            if isinstance(s.get("preemptions"), (int, float))
        }
        if pre:
            names = list(pre)[::-1]
            cards[2].plot.hbars(
                [run.node_title(n) for n in names],
                [float(pre[n]) for n in names],
                [series_colour(self, 3)] * len(names),
                [f" {int(pre[n]):,}" for n in names],
            )
            cards[2].plot.plotItem.setXRange(0, max(1.0, max(pre.values())) * 1.25, padding=0.02)
            cards[2].data_rows = [["node", "preemptions"]] + [[n, pre[n]] for n in pre]
            cards[2].note.setText(
                "none (KV cache never full)"
                if not any(pre.values())
                else f"{int(sum(pre.values())):,} in all"
            )
        if not llm_nodes and not batch and not kv:
            self.llm_note.setText(
                "This design has no self-hosted LLM server (llm_server node), so there is no "
                "batch size, KV-cache or preemption data. Hosted APIs and stand-in services "
                "appear under Nodes."
            )
        elif not batch and not kv:
            self.llm_note.setText("The LLM servers have not reported batch or KV-cache samples yet.")
        else:
            bits = []
            for nid in llm_nodes:
                s = nodes.get(nid, {})
                if s:
                    bits.append(
                        f"{run.node_title(nid)}: mean batch {fmt_num(s.get('batch_size'))}, "
                        f"KV {fmt_num(100 * s.get('kv_usage', float('nan')), 2)} %, "
                        f"prefill {fmt_num(s.get('prefill_tokens_per_s'))} tok/s, "
                        f"decode {fmt_num(s.get('decode_tokens_per_s'))} tok/s, "
                        f"{int(s.get('preemptions', 0) or 0)} preemptions"
                    )
            self.llm_note.setText(" · ".join(bits) or "Live samples; the totals follow when the run ends.")

    def _draw_cost(self, run: RunData) -> None:
        card, table = self.cards["cost"], self.tables["cost"]
        card.plot.clear_all()
        cost = (run.summary or {}).get("cost")
        if not cost:
            self.cost_label.setText("Cost appears when the run ends.")
            table.set_rows([])
            card.data_rows = []
            return
        budget = (run.design.get("budget") or {}).get("usd_per_month")
        within = ""
        if isinstance(budget, (int, float)):
            ok = cost.get("usd_per_month", 0) <= budget
            colour = pass_fail_colour(self, ok).name()
            within = (
                f" · budget {fmt_usd(budget)}/month: <span style='color:{colour}'>"
                f"{'within' if ok else 'over'}</span>"
            )
        self.cost_label.setText(
            f"<b>{fmt_usd(cost.get('usd_per_month'))}</b> per month · "
            f"{fmt_usd(cost.get('usd_per_hour'))} per hour · "
            f"{fmt_usd(cost.get('usd_per_request'))} per request · "
            f"{fmt_usd(cost.get('usd_per_1m_output_tokens'))} per 1M output tokens{within}"
        )
        by_node = cost.get("by_node", {})
        names = [n for n in run.node_ids if n in by_node] or list(by_node)
        rows = [
            [
                run.node_title(n),
                fmt_usd(by_node[n].get("usd_per_hour")),
                fmt_usd(by_node[n].get("usd_per_month")),
                f"{100 * by_node[n].get('share', 0):.1f} %",
            ]
            for n in names
        ]
        table.set_rows(rows)
        paid = [n for n in names if by_node[n].get("usd_per_month", 0) > 0][::-1]
        if paid:
            card.plot.hbars(
                [run.node_title(n) for n in paid],
                [by_node[n]["usd_per_month"] for n in paid],
                [series_colour(self, i) for i in range(len(paid))],
                [f" {fmt_usd(by_node[n]['usd_per_month'])}" for n in paid],
            )
            top = max(by_node[n]["usd_per_month"] for n in paid)
            card.plot.plotItem.setXRange(0, top * 1.3, padding=0)  # room for the figures after the bars
        card.data_rows = [["node", "usd_per_month"]] + [
            [n, by_node[n].get("usd_per_month", 0)] for n in names
        ]

    def _draw_review(self, run: RunData) -> None:
        items = run.review()
        table = self.tables["review"]
        order = {"error": 0, "warning": 1, "info": 2}
        items = sorted(items, key=lambda it: order.get(it.get("severity"), 3))
        rows = [
            [it.get("severity", ""), it.get("node") or "", it.get("rule", ""), it.get("message", "")]
            for it in items
        ]
        if not rows and run.finished:
            rows = [["info", "", "no-findings", "The review found nothing to flag in this design and run."]]
        colours = {(i, 0): pass_fail_colour(self, False) for i, r in enumerate(rows) if r[0] == "error"}
        colours.update({(i, 0): QColor("#D97706") for i, r in enumerate(rows) if r[0] == "warning"})
        table.set_rows(rows, colours)

    def _review_clicked(self, row: int, _col: int) -> None:
        item = self.tables["review"].table.item(row, 1)
        if item and item.text():
            self.node_clicked.emit(item.text())


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RESULTS_MIN_SIZE = (360, 180)


class ResultsDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Results", parent)
        self.setObjectName("ResultsDock")
        self.view = ResultsView(self)
        # A fixed minimum, not the content's: what a tab draws (long node names in the utilisation bars, wide
        # tables) must never widen the dock, which would make the main window squeeze the palette and the
        # inspector. Content narrower than this is clipped by its own card instead.
        self.view.setMinimumSize(*RESULTS_MIN_SIZE)
        self.setWidget(self.view)

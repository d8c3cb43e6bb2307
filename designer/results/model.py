"""What the results views show about one run, without Qt: built from a finished RunResult, grown from
live progress messages while the run goes, or rebuilt from the compact summary kept in a design file.

The worker process builds payloads here (plain dicts of numbers and numpy arrays) so the UI process
only unpickles and plots.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.metrics import plain

LATENCY_METRICS = ("ttft_ms", "tpot_ms", "e2e_ms")
METRIC_LABELS = {"ttft_ms": "TTFT", "tpot_ms": "TPOT", "e2e_ms": "E2E", "itl_ms": "ITL"}
COMPACT_FORMAT = "genai-sim.results"
COMPACT_VERSION = 1
QUANTILE_POINTS = 201  # CDF samples kept in a design file: every 0.5 % of probability
TIMELINE_KEEP = 200  # timeline points kept in a design file
ROLLING_BINS = 60  # windows of the rolling P99 plot
CDF_POINTS = 1500  # points drawn for a CDF (plotting 100k points per refresh would stall the UI)
LIVE_SAMPLES_CAP = 20_000  # live latency samples kept in the UI process (thinned 2:1 beyond this)
FINAL_SAMPLES = 20_000  # quantile points per metric sent for a finished run: plenty for CDFs and histograms


jsonable = plain  # one JSON sanitiser for the engine, the CLI and saved results


def timeline_columns(timeline: dict[str, Any]) -> dict[str, Any]:
    """Engine timeline (sample dicts per node) to columns: {"t", "completed", "nodes": {id: {key: arr}}}."""
    t = np.asarray(timeline.get("t", []), float)
    out: dict[str, Any] = {"t": t, "completed": np.asarray(timeline.get("completed", []), float), "nodes": {}}
    for nid, samples in (timeline.get("nodes") or {}).items():
        keys: list[str] = []
        for s in samples:
            for k in s:
                if k not in keys:
                    keys.append(k)
        out["nodes"][nid] = {k: np.asarray([float(s.get(k, np.nan)) for s in samples], float) for k in keys}
    return out


def result_payload(result: Any, design_path: str = "") -> dict[str, Any]:
    """Everything the results views need from a RunResult, digested in the worker process so that the UI
    thread never sorts hundreds of thousands of values: latency samples as at most FINAL_SAMPLES quantile
    points per metric, and the rolling P99 series computed here from every request."""
    ok = result.ok
    summary = jsonable(result.to_json(design_path))
    end_t = (result.arrival + result.e2e_ms / 1000.0)[ok]
    span = max(float(result.simulated_s), float(end_t.max()) if end_t.size else 0.0, 1e-9)
    t, ttft = rolling_p99(end_t, result.ttft_ms[ok], span)
    _, e2e = rolling_p99(end_t, result.e2e_ms[ok], span)
    return {
        "summary": summary,
        "cancelled": bool(result.cancelled),
        "samples": {m: quantile_sample(getattr(result, m)[ok]) for m in LATENCY_METRICS},
        "rolling": {"t": t, "ttft_p99": ttft, "e2e_p99": e2e},
        "timeline": timeline_columns(result.timeline),
        "duration_s": float(result.simulated_s),
    }


def quantile_sample(values: np.ndarray, n: int = FINAL_SAMPLES) -> np.ndarray:
    """The sorted finite values, thinned to ``n`` evenly spaced order statistics (same distribution)."""
    v = np.sort(_finite(values))
    if v.size <= n:
        return v
    return v[np.linspace(0, v.size - 1, n).round().astype(int)]


def _finite(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, float)
    return a[np.isfinite(a)]


def rolling_p99(
    end_t: np.ndarray, values: np.ndarray, span: float, bins: int = ROLLING_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """P99 of ``values`` in consecutive windows of completion time (NaN where a window is empty)."""
    if end_t.size == 0 or span <= 0:
        return np.zeros(0), np.zeros(0)
    edges = np.linspace(0.0, span, bins + 1)
    idx = np.clip(np.searchsorted(edges, end_t, side="right") - 1, 0, bins - 1)
    out = np.full(bins, np.nan)
    order = np.argsort(idx, kind="stable")
    sorted_idx, sorted_vals = idx[order], values[order]
    bounds = np.searchsorted(sorted_idx, np.arange(bins + 1))
    for b in range(bins):
        chunk = sorted_vals[bounds[b] : bounds[b + 1]]
        chunk = chunk[np.isfinite(chunk)]
        if chunk.size:
            out[b] = np.percentile(chunk, 99)
    return 0.5 * (edges[:-1] + edges[1:]), out


def cdf_points(values: np.ndarray, n: int = CDF_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(x, F(x)) of the empirical CDF, at most ``n`` points spread evenly in probability."""
    v = np.sort(_finite(values))
    if v.size == 0:
        return np.zeros(0), np.zeros(0)
    if v.size <= n:
        return v, np.arange(1, v.size + 1) / v.size
    q = np.linspace(0.0, 1.0, n)
    return np.quantile(v, q), q


def _downsample(cols: dict[str, Any], keep: int) -> dict[str, Any]:
    t = np.asarray(cols.get("t", []), float)
    if t.size <= keep:
        idx = np.arange(t.size)
    else:
        idx = np.unique(np.linspace(0, t.size - 1, keep).round().astype(int))
    return {
        "t": t[idx],
        "completed": np.asarray(cols.get("completed", []), float)[idx] if t.size else t,
        "nodes": {
            nid: {k: np.asarray(v, float)[idx] for k, v in series.items() if len(v) == t.size}
            for nid, series in (cols.get("nodes") or {}).items()
        },
    }


@dataclass
class RunData:
    """One run of the session: what it ran on, how far it got, and its figures."""

    label: str
    seed: int
    duration_s: float
    design: dict[str, Any]  # loader.design_to_dict snapshot the run used (extra removed)
    status: str = "running"  # running | done | cancelled | error
    message: str = ""
    created: float = field(default_factory=time.time)
    fraction: float = 0.0
    sim_t: float = 0.0
    wall_s: float = 0.0
    summary: dict[str, Any] | None = None  # the run --json object once finished
    samples: dict[str, np.ndarray] = field(default_factory=lambda: {m: np.zeros(0) for m in LATENCY_METRICS})
    end_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ok_e2e: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ok_ttft: np.ndarray = field(default_factory=lambda: np.zeros(0))
    timeline: dict[str, Any] = field(
        default_factory=lambda: {"t": np.zeros(0), "completed": np.zeros(0), "nodes": {}}
    )
    rolling: dict[str, np.ndarray] | None = None  # precomputed (from a file); else derived from end_t
    live_nodes: dict[str, dict[str, float]] = field(default_factory=dict)  # latest sample per node
    tag: str = ""  # who asked for the run ("", "chaos-healthy", "chaos-faults")
    from_file: bool = False
    live_count: int = 0  # requests finished so far (live samples may be thinned)
    _live_step: int = 1

    # -- growing ----------------------------------------------------------------------------------
    def add_progress(self, msg: dict[str, Any]) -> None:
        """Merge a live progress message from the worker (new timeline points and new latency samples)."""
        self.fraction = float(msg.get("fraction", self.fraction))
        self.sim_t = float(msg.get("sim_t", self.sim_t))
        self.wall_s = float(msg.get("wall_s", self.wall_s))
        tl = msg.get("timeline")
        if tl and len(tl.get("t", ())):
            cols = timeline_columns(tl)
            mine = self.timeline
            n_old = mine["t"].size
            mine["t"] = np.concatenate([mine["t"], cols["t"]])
            mine["completed"] = np.concatenate([mine["completed"], cols["completed"]])
            for nid, series in cols["nodes"].items():
                have = mine["nodes"].setdefault(nid, {})
                for k, arr in series.items():
                    old = have.get(k, np.full(n_old, np.nan))
                    have[k] = np.concatenate([old, arr])
                self.live_nodes[nid] = {k: float(arr[-1]) for k, arr in series.items() if arr.size}
        lat = msg.get("latency")
        if lat and len(lat.get("e2e_ms", ())):
            e2e = np.asarray(lat.get("e2e_ms", []), float)
            ttft = np.asarray(lat.get("ttft_ms", []), float)
            tpot = np.asarray(lat.get("tpot_ms", []), float)
            step = self._live_step
            self.end_t = np.concatenate([self.end_t, np.asarray(lat.get("end_t", []), float)[::step]])
            self.ok_e2e = np.concatenate([self.ok_e2e, e2e[::step]])
            self.ok_ttft = np.concatenate([self.ok_ttft, ttft[::step]])
            for m, arr in (("e2e_ms", e2e), ("ttft_ms", ttft), ("tpot_ms", tpot)):
                self.samples[m] = np.concatenate([self.samples[m], _finite(arr[::step])])
            self.live_count += e2e.size
            if self.ok_e2e.size > LIVE_SAMPLES_CAP:  # thin 2:1, in time order: the spread over time is kept
                self._live_step *= 2
                self.end_t, self.ok_e2e, self.ok_ttft = self.end_t[::2], self.ok_e2e[::2], self.ok_ttft[::2]
                self.samples = {m: v[::2] for m, v in self.samples.items()}

    def finish(self, payload: dict[str, Any]) -> None:
        """Replace live figures with the finished run's."""
        self.summary = payload["summary"]
        self.samples = {m: np.asarray(v, float) for m, v in payload["samples"].items()}
        self.end_t = self.ok_e2e = self.ok_ttft = np.zeros(0)
        self.timeline = payload["timeline"]
        self.status = "cancelled" if payload.get("cancelled") else "done"
        self.fraction = 1.0 if self.status == "done" else self.fraction
        self.wall_s = float(self.summary.get("wall_s", self.wall_s))
        self.sim_t = float(self.summary.get("simulated_s", self.sim_t))
        self.live_nodes = {}
        self.rolling = {k: np.asarray(v, float) for k, v in payload["rolling"].items()}

    # -- derived series -------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.status in ("done", "cancelled") and self.summary is not None

    @property
    def node_ids(self) -> list[str]:
        return [n["id"] for n in self.design.get("nodes", [])]

    def node_kind(self, node_id: str) -> str:
        for n in self.design.get("nodes", []):
            if n.get("id") == node_id:
                return str(n.get("kind", ""))
        return ""

    def node_title(self, node_id: str) -> str:
        for n in self.design.get("nodes", []):
            if n.get("id") == node_id:
                return str(n.get("name") or node_id)
        return node_id

    def throughput_series(self, bins: int = ROLLING_BINS) -> tuple[np.ndarray, np.ndarray]:
        """Completed requests per second in consecutive windows (at most ``bins``; one timeline sample is too
        short a window: its Poisson noise hides the trend)."""
        t, c = self.timeline["t"], self.timeline["completed"]
        if t.size < 2:
            return np.zeros(0), np.zeros(0)
        n = min(bins, t.size - 1)
        edges = np.linspace(t[0], t[-1], n + 1)
        counts = np.interp(edges, t, c)
        dt = np.diff(edges)
        rate = np.divide(np.diff(counts), dt, out=np.zeros_like(dt), where=dt > 0)
        return 0.5 * (edges[:-1] + edges[1:]), rate

    @property
    def warmup_s(self) -> float:
        w = (self.design.get("workload") or {}).get("warmup_s", 0.0)
        return float(w) if isinstance(w, (int, float)) else 0.0

    def rolling_series(self) -> dict[str, np.ndarray]:
        if self.rolling is not None:
            return self.rolling
        span = max(self.sim_t, float(self.end_t.max()) if self.end_t.size else 0.0, 1e-9)
        t, ttft = rolling_p99(self.end_t, self.ok_ttft, span)
        _, e2e = rolling_p99(self.end_t, self.ok_e2e, span)
        return {"t": t, "ttft_p99": ttft, "e2e_p99": e2e}

    def node_series(self, key: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per node: (t, values) of one timeline key, only nodes that report it."""
        t = self.timeline["t"]
        out = {}
        for nid, series in self.timeline["nodes"].items():
            v = series.get(key)
            if v is not None and v.size == t.size and v.size and np.isfinite(v).any():
                out[nid] = (t, v)
        return out

    def node_figures(self) -> dict[str, dict[str, Any]]:
        """Per node: final stats after the run, the latest live sample during it."""
        if self.summary:
            return dict(self.summary.get("nodes", {}))
        out: dict[str, dict[str, Any]] = {}
        for nid, s in self.live_nodes.items():
            fig = dict(s)
            if "queue" in s:
                fig["mean_queue"] = s["queue"]
            out[nid] = fig
        return out

    def utilisation(self) -> dict[str, float]:
        out = {}
        for nid, s in self.node_figures().items():
            u = s.get("utilization")
            if isinstance(u, (int, float)) and math.isfinite(u):
                out[nid] = float(u)
        return out

    def bottleneck(self) -> str | None:
        """The busiest node (highest utilisation), the first to saturate as load grows."""
        util = {k: v for k, v in self.utilisation().items() if self.node_kind(k) != "client"}
        if not util:
            return None
        nid = max(util, key=util.__getitem__)
        return nid if util[nid] > 0 else None

    def review(self) -> list[dict[str, Any]]:
        return list((self.summary or {}).get("review", []))

    # -- persistence ----------------------------------------------------------------------------
    def to_compact(self) -> dict[str, Any]:
        """Small JSON for design.extra["results"]: the run JSON, CDF quantiles, a short timeline."""
        q = np.linspace(0.0, 1.0, QUANTILE_POINTS)
        quantiles = {m: (np.quantile(v, q) if v.size else np.zeros(0)) for m, v in self.samples.items()}
        short = _downsample(self.timeline, TIMELINE_KEEP)
        return jsonable(
            {
                "format": COMPACT_FORMAT,
                "version": COMPACT_VERSION,
                "label": self.label,
                "seed": self.seed,
                "duration_s": self.duration_s,
                "status": self.status,
                "created": self.created,
                "summary": self.summary,
                "quantiles": quantiles,
                "timeline": {"t": short["t"], "completed": short["completed"], "nodes": short["nodes"]},
                "rolling": self.rolling_series(),
                "design": self.design,
            }
        )

    @classmethod
    def from_compact(cls, data: Any) -> RunData:
        """Rebuild from a design file's "results"; ValueError on anything malformed (files are untrusted)."""
        if not isinstance(data, dict) or data.get("format") != COMPACT_FORMAT:
            raise ValueError("not a genai-sim results summary")
        if data.get("version") != COMPACT_VERSION:
            raise ValueError(f"results version {data.get('version')!r} not supported")
        summary = data.get("summary")
        if not isinstance(summary, dict):
            raise ValueError("results.summary must be an object")
        design = data.get("design") if isinstance(data.get("design"), dict) else {}
        run = cls(
            label=str(data.get("label", "saved run"))[:200],
            seed=int(_num(data.get("seed", 0))),
            duration_s=_num(data.get("duration_s", 0.0)),
            design=design,
            status=str(data.get("status", "done")) if data.get("status") in ("done", "cancelled") else "done",
            created=_num(data.get("created", 0.0)),
            summary=summary,
            from_file=True,
        )
        quantiles = data.get("quantiles") or {}
        run.samples = {m: _array(quantiles.get(m, []), f"quantiles.{m}") for m in LATENCY_METRICS}
        tl = data.get("timeline") or {}
        t = _array(tl.get("t", []), "timeline.t")
        nodes = {}
        for nid, series in (tl.get("nodes") or {}).items():
            if isinstance(series, dict):
                nodes[str(nid)] = {
                    str(k): _array(v, f"timeline.nodes.{nid}.{k}")
                    for k, v in series.items()
                    if isinstance(v, list) and len(v) == t.size
                }
        run.timeline = {
            "t": t,
            "completed": _array(tl.get("completed", []), "timeline.completed"),
            "nodes": nodes,
        }
        rolling = data.get("rolling") or {}
        run.rolling = {k: _array(rolling.get(k, []), f"rolling.{k}") for k in ("t", "ttft_p99", "e2e_p99")}
        run.fraction = 1.0
        run.sim_t = _num(summary.get("simulated_s", 0.0))
        run.wall_s = _num(summary.get("wall_s", 0.0))
        return run


def _num(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"expected a number, got {str(v)[:30]}")
    return float(v)


def _array(v: Any, what: str) -> np.ndarray:
    if not isinstance(v, list) or len(v) > 100_000:
        raise ValueError(f"results.{what} must be a list of numbers")
    return np.asarray([np.nan if x is None else _num(x) for x in v], float)

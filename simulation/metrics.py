"""Run results: per-request records, the run JSON's metrics (as `vllm bench serve` defines them), SLOs and cost."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.registry import get_kind
from simulation.units import HOURS_PER_MONTH

if TYPE_CHECKING:
    from simulation.engine.core import Simulation

STATS = ("mean", "p50", "p90", "p95", "p99")
_PCT = {"p50": 50, "p90": 90, "p95": 95, "p99": 99}
STATUSES = ("completed", "failed", "blocked", "timeout", "dropped")


def summarize(values: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    """Mean and percentiles in ms; weighted values (run-length encoded ITLs) use the inverted CDF."""
    if values.size == 0:
        return {s: 0.0 for s in STATS}
    if weights is None:
        out = {"mean": float(values.mean())}
        pct = np.percentile(values, [50, 90, 95, 99])
        out.update({s: float(v) for s, v in zip(_PCT, pct)})
        return out
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    total = cum[-1]
    out = {"mean": float((values * weights).sum() / total)}
    for s, q in _PCT.items():
        out[s] = float(v[min(np.searchsorted(cum, q / 100 * total), len(v) - 1)])
    return out


@dataclass
class RunResult:
    design_name: str
    seed: int
    simulated_s: float
    wall_s: float
    window_s: float
    cancelled: bool
    arrival: np.ndarray
    e2e_ms: np.ndarray
    ttft_ms: np.ndarray
    tpot_ms: np.ndarray              # NaN where undefined (no LLM or one output token)
    output_tokens: np.ndarray
    input_tokens: np.ndarray
    status: list[str]
    itl_ms: np.ndarray
    itl_weight: np.ndarray
    fallback: np.ndarray
    counts: dict[str, int]
    node_stats: dict[str, dict[str, Any]]
    node_cost: dict[str, dict[str, float]]
    slo: dict[str, float]
    timeline: dict[str, Any] = field(default_factory=dict)
    hops: list[list[tuple[str, float, float]]] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)
    horizon_s: float = float("inf")  # end of the measurement window (the workload's duration)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def build(cls, sim: Simulation, wall_s: float, cancelled: bool, end_t: float) -> RunResult:
        done = sim.completed
        n = len(done)
        arrival = done.column("arrival")
        end = done.column("end")
        e2e = (end - arrival) * 1000.0
        ok = done.column("status_code") == 0
        first = done.column("first_token")
        llm_done = done.column("llm_done")
        buffered = done.column("buffered").astype(bool)
        out_tokens = done.column("output_tokens")
        has_llm = ok & ~np.isnan(first)
        ttft = e2e.copy()
        # nodes after the LLM stream the answer: they shift the first token as they shift the last
        stream = has_llm & ~buffered
        ttft[stream] = (first[stream] + (end[stream] - llm_done[stream]) - arrival[stream]) * 1000.0
        produced = done.column("llm_output_tokens")  # the last LLM may have been capped
        produced = np.where(produced > 0, produced, out_tokens)
        multi = has_llm & (produced > 1)
        tpot = np.full(n, np.nan)
        tpot[multi] = (e2e[multi] - ttft[multi]) / (produced[multi] - 1)
        runs = done.itl_runs
        # per-request runs of inter-token gaps, flattened below (only where token timings were kept)
        streamed = [runs[i] for i in np.flatnonzero(multi & ~buffered)] if runs else []
        streamed = [r for r in streamed if r]
        status = done.status_names()
        counts = {s: 0 for s in STATUSES}
        for s in status:
            counts["completed" if s == "ok" else s] += 1
        # still queued or running when the run ended (the drain ran out): reported apart from "dropped", which
        # counts requests a full queue refused, so the top-level figures add up to the nodes' own counts
        unfinished = sim.measured_arrived - n
        counts = {"arrived": sim.measured_arrived, **counts, "unfinished": max(unfinished, 0)}
        window = max(min(end_t, sim.duration) - sim.warmup, 1e-9) if not cancelled else max(end_t - sim.warmup, 1e-9)
        node_stats = {nid: rt.stats() for nid, rt in sim.runtimes.items()}
        node_cost = {}
        for node in sim.design.nodes:
            rt = sim.runtimes[node.id]
            fixed = get_kind(node.kind).hourly_cost(rt.params)
            mean_replicas = node_stats[node.id].get("mean_replicas")
            if mean_replicas is not None and int(rt.params.get("replicas", 1)) > 0:
                # autoscaling and replica loss: pay for the replicas actually provisioned over the window
                fixed *= float(mean_replicas) / int(rt.params.get("replicas", 1))
            variable = rt.spent_usd / window * 3600.0
            node_cost[node.id] = {"fixed_usd_per_hour": fixed, "variable_usd_per_hour": variable}
        res = cls(sim.design.name, sim.seed, float(end_t), wall_s, window, cancelled, arrival, e2e, ttft, tpot,
                  out_tokens, done.column("input_tokens"), status,
                  *_flatten_runs(streamed),
                  done.column("fallback").astype(bool), counts, node_stats, node_cost,
                  dict(sim.design.slo), sim.timeline)
        res.horizon_s = min(end_t, sim.duration) if not cancelled else end_t
        if sim.record_hops:
            res.hops = [r.hops for r in sim.done[:5000] if r.hops is not None]
        return res

    # -- metrics --------------------------------------------------------------------------------
    @property
    def ok(self) -> np.ndarray:
        return np.array([s == "ok" for s in self.status], dtype=bool)

    def metrics(self) -> dict[str, dict[str, float]]:
        ok = self.ok
        tpot = self.tpot_ms[ok]
        return {
            "ttft_ms": summarize(self.ttft_ms[ok]),
            "tpot_ms": summarize(tpot[~np.isnan(tpot)]),
            "itl_ms": summarize(self.itl_ms, self.itl_weight) if self.itl_ms.size else summarize(np.zeros(0)),
            "e2e_ms": summarize(self.e2e_ms[ok]),
        }

    @property
    def in_window(self) -> np.ndarray:
        """Completed requests that finished inside the measurement window: the ones throughput counts.

        Requests still running at the end finish during the drain; counting them would inflate throughput
        (a closed loop of N users would gain N requests).
        """
        return self.ok & (self.arrival + self.e2e_ms / 1000.0 <= self.horizon_s + 1e-9)

    def error_rate(self) -> float:
        c = self.counts
        bad = c["failed"] + c["timeout"] + c["dropped"] + c.get("unfinished", 0)
        return bad / c["arrived"] if c["arrived"] else 0.0

    def slo_report(self, metrics: dict[str, dict[str, float]] | None = None) -> dict[str, dict[str, Any]]:
        metrics = metrics or self.metrics()
        out: dict[str, dict[str, Any]] = {}
        for key, target in self.slo.items():
            if key == "error_rate_max":
                actual = self.error_rate()
            else:
                metric, stat, _ = key.split("_")
                # no sample (nothing completed, no streamed token): the 0.0 placeholders must not pass the SLO
                actual = metrics[f"{metric}_ms"][stat] if self._has_samples(metric) else math.nan
            out[key] = {"target": target, "actual": actual, "met": bool(actual <= target)}
        return out

    def _has_samples(self, metric: str) -> bool:
        ok = self.ok
        if metric == "itl":
            return bool(self.itl_ms.size)
        if metric == "tpot":
            return bool((~np.isnan(self.tpot_ms[ok])).any())
        return bool(ok.any())

    def reliability(self) -> dict[str, Any]:
        """Availability, error-budget burn and what fallbacks cost in latency."""
        c = self.counts
        answerable = c["arrived"] - c["blocked"]
        availability = c["completed"] / answerable if answerable else 1.0
        out: dict[str, Any] = {"availability": availability, "error_rate": self.error_rate()}
        budget = self.slo.get("error_rate_max")
        if budget:
            out["error_budget_burn"] = self.error_rate() / budget
        ok = self.ok
        fb = ok & self.fallback
        out["fallback_share"] = float(fb.sum() / ok.sum()) if ok.any() else 0.0
        if fb.any() and (ok & ~self.fallback).any():
            out["fallback_e2e_p50_ms"] = float(np.percentile(self.e2e_ms[fb], 50))
            out["normal_e2e_p50_ms"] = float(np.percentile(self.e2e_ms[ok & ~self.fallback], 50))
        return out

    def goodput_count(self) -> int:
        """Completed requests meeting every per-request latency SLO (each target applied per request)."""
        ok = self.in_window.copy()
        for key, target in self.slo.items():
            if key == "error_rate_max":
                continue
            metric = key.split("_")[0]
            if metric == "ttft":
                ok &= self.ttft_ms <= target
            elif metric == "e2e":
                ok &= self.e2e_ms <= target
            else:  # tpot / itl: a request's mean inter-token time
                ok &= ~(self.tpot_ms > target)
        return int(ok.sum())

    def cost(self) -> dict[str, Any]:
        per_hour = sum(c["fixed_usd_per_hour"] + c["variable_usd_per_hour"] for c in self.node_cost.values())
        done = self.in_window
        req_per_hour = int(done.sum()) / self.window_s * 3600.0
        tokens_per_hour = float(self.output_tokens[done].sum()) / self.window_s * 3600.0
        by_node = {
            nid: {"usd_per_hour": c["fixed_usd_per_hour"] + c["variable_usd_per_hour"],
                  "fixed_usd_per_hour": c["fixed_usd_per_hour"], "variable_usd_per_hour": c["variable_usd_per_hour"],
                  "usd_per_month": (c["fixed_usd_per_hour"] + c["variable_usd_per_hour"]) * HOURS_PER_MONTH,
                  "share": ((c["fixed_usd_per_hour"] + c["variable_usd_per_hour"]) / per_hour) if per_hour else 0.0}
            for nid, c in self.node_cost.items()
        }
        return {
            "usd_per_hour": per_hour,
            "usd_per_request": per_hour / req_per_hour if req_per_hour else 0.0,
            "usd_per_month": per_hour * HOURS_PER_MONTH,
            "usd_per_1m_output_tokens": per_hour / tokens_per_hour * 1e6 if tokens_per_hour else 0.0,
            "by_node": by_node,
        }

    def to_json(self, design_path: str = "") -> dict[str, Any]:
        metrics = self.metrics()
        done = self.in_window
        out_tokens = float(self.output_tokens[done].sum())
        return plain({
            "design": design_path or self.design_name,
            "seed": self.seed,
            "simulated_s": round(self.simulated_s, 6),
            "wall_s": round(self.wall_s, 3),
            "cancelled": self.cancelled,
            "requests": dict(self.counts),
            "metrics": metrics,
            "throughput": {"request_per_s": int(done.sum()) / self.window_s, "output_tokens_per_s": out_tokens / self.window_s},
            "goodput_per_s": self.goodput_count() / self.window_s,
            "slo": self.slo_report(metrics),
            "nodes": {nid: _clean(s) for nid, s in self.node_stats.items()},
            "cost": self.cost(),
            "reliability": self.reliability(),
            "review": list(self.review),
        })


def _flatten_runs(runs: list[list[tuple[float, int]]]) -> tuple[np.ndarray, np.ndarray]:
    """(gap ms, count) pairs of every request as two arrays, without a Python loop per pair."""
    total = sum(len(r) for r in runs)
    if not total:
        return np.zeros(0), np.zeros(0)
    pairs = np.fromiter(chain.from_iterable(chain.from_iterable(runs)), float, 2 * total).reshape(total, 2)
    return pairs[:, 0] * 1000.0, pairs[:, 1]


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not k.startswith("_")}


def plain(obj: Any) -> Any:
    """Plain JSON types, recursively: numpy scalars to Python numbers, NaN/inf to None, tuples to lists."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [plain(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)

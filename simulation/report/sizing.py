"""Sizing from simulation: the fewest replicas of each self-hosted model node that meet every SLO at the peak.

The peak is the workload's mean rate × ``peak_to_mean`` (default 2). The design is re-run at that rate as a
constant-rate process (Poisson, or gamma keeping the design's burstiness) with different replica counts:

1. Find a feasible point: the current counts, doubled together until every SLO is met (or a cap is hit).
2. Lower each sized node in turn by bisection while the others stay put: the answer N is met and N − 1 was
   simulated and missed at least one SLO (unless N = 1).

Every check is one run with the same seed (common random numbers) over a short window, so one report costs a
handful of short runs. The analytic per-replica bound stays beside the answer as a cross-check, never as the
answer. ``SimCheck`` is also what the cost levers use to price a change by re-simulation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulation.design import Design
from simulation.workload import mean_rate, peak_to_mean

SIZED_KINDS = ("llm_server", "diffusion_model")  # GPU replicas: the nodes whose count is the capacity decision
MAX_REPLICAS = 256
WINDOW_S = 120.0  # default measured seconds per check
WARMUP_S = 30.0
TARGET_REQUESTS = 1500  # per check: enough completed requests for a stable p95/p99 at any rate
WINDOW_RANGE_S = (20.0, 600.0)


def check_window(rate_per_s: float | None) -> tuple[float, float]:
    """(measured window, warm-up) in simulated seconds for checks at ``rate_per_s``: about TARGET_REQUESTS each."""
    if not rate_per_s:
        return WINDOW_S, WARMUP_S
    window = min(max(TARGET_REQUESTS / rate_per_s, WINDOW_RANGE_S[0]), WINDOW_RANGE_S[1])
    return window, min(max(window / 4, 5.0), WARMUP_S)


@dataclass
class Check:
    """One simulated point: did it meet every SLO, and what it measured."""

    counts: dict[str, int]
    rate_per_s: float
    slo: dict[str, dict[str, Any]]
    busy: dict[str, float]
    usd_per_day: float
    requests: dict[str, int]
    nodes: dict[str, dict[str, Any]]
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return all(v["met"] for v in self.slo.values())

    def missed(self) -> list[str]:
        return [k for k, v in self.slo.items() if not v["met"]]

    def to_json(self) -> dict[str, Any]:
        return {"replicas": dict(self.counts), "rate_per_s": self.rate_per_s, "slo_met": self.met,
                "slo": {k: {"target": v["target"], "actual": _finite(v["actual"]), "met": v["met"]}
                        for k, v in self.slo.items()},
                "usd_per_day": self.usd_per_day}


def _finite(x: Any) -> Any:
    return x if not isinstance(x, float) or math.isfinite(x) else None


def node_busy(stats: dict[str, Any]) -> float | None:
    """Share of time a node is working: ``busy`` where the engine reports it (LLM servers), else utilisation."""
    v = stats.get("busy", stats.get("utilization"))
    return None if v is None else float(v)


@dataclass
class SimCheck:
    """Runs variants of one design at one rate over a short window, caching each point."""

    design: Design
    rate_per_s: float | None
    seed: int
    window_s: float = WINDOW_S
    warmup_s: float = WARMUP_S
    cache: dict[Any, Check] = field(default_factory=dict)
    runs: int = 0

    def variant(self, counts: dict[str, int] | None = None,
                edit: Callable[[Design], None] | None = None) -> Design:
        d = self.design.clone()
        if self.rate_per_s is not None:
            d.workload = at_rate(d.workload, self.rate_per_s)
        for nid, n in (counts or {}).items():
            d.node(nid).params["replicas"] = int(n)
        if edit:
            edit(d)
        return d

    def check(self, counts: dict[str, int] | None = None, edit: Callable[[Design], None] | None = None,
              key: Any = None) -> Check:
        k = (tuple(sorted((counts or {}).items())), key)
        if edit is None or key is not None:
            if k in self.cache:
                return self.cache[k]
        from simulation.engine.core import Simulation

        d = self.variant(counts, edit)
        sim = Simulation(d, seed=self.seed, duration_s=self.warmup_s + self.window_s, warmup_s=self.warmup_s)
        result = sim.run()
        self.runs += 1
        out = check_from_run(d, result.to_json(), self.rate_per_s or 0.0)
        if edit is None or key is not None:
            self.cache[k] = out
        return out


def check_from_run(design: Design, run_json: dict[str, Any], rate_per_s: float) -> Check:
    """A run's JSON as a ``Check``: how the report's own run joins the re-simulations as one of their points."""
    return Check({n.id: int(n.params.get("replicas", 1)) for n in design.nodes if n.kind in SIZED_KINDS},
                 rate_per_s, run_json["slo"],
                 {nid: b for nid, st in run_json["nodes"].items() if (b := node_busy(st)) is not None},
                 run_json["cost"]["usd_per_hour"] * 24, run_json["requests"], run_json["nodes"], run_json["metrics"])


def same_as_drawn_at_mean(design: Design, counts: dict[str, int] | None = None) -> bool:
    """Whether ``design`` with ``counts`` replicas, run at its mean rate, is the design as drawn and run: its
    arrival is already a constant rate (``at_rate`` changes nothing) and no count differs from the drawn one."""
    rate = mean_rate(design.workload)
    if rate is None or at_rate(design.workload, rate).get("arrival") != design.workload.get("arrival"):
        return False
    return all(int(design.node(nid).params.get("replicas", 1)) == int(n) for nid, n in (counts or {}).items())


def at_rate(workload: dict[str, Any], rate: float) -> dict[str, Any]:
    """The workload at a constant ``rate`` (gamma keeps its burstiness; diurnal becomes Poisson at that rate)."""
    w = dict(workload)
    a = dict(w.get("arrival") or {})
    if a.get("process") == "gamma":
        w["arrival"] = {"process": "gamma", "rate_per_s": rate, "cv": a.get("cv", 1.0)}
    else:
        w["arrival"] = {"process": "poisson", "rate_per_s": rate}
    return w


def sized_nodes(design: Design) -> list[str]:
    return [n.id for n in design.nodes if n.kind in SIZED_KINDS]


def size_at_peak(design: Design, seed: int | None = None, bounds: dict[str, float] | None = None,
                 checker: SimCheck | None = None) -> dict[str, Any]:
    """``{"peak_rate_per_s", "peak_to_mean", "nodes": {id: {...}}, "checks": [...]}``; see the module docstring.

    ``bounds`` are the analytic replica counts (cross-check only). Closed loops and traces have no declared
    rate: sizing reports ``method = "not applicable"`` for them.
    """
    ids = sized_nodes(design)
    rate = mean_rate(design.workload)
    ptm = peak_to_mean(design.workload)
    arrival = (design.workload.get("arrival") or {}).get("process", "poisson")
    base_seed = int(design.workload.get("seed", 0) if seed is None else seed)
    window, warmup = check_window(None if rate is None else rate * ptm)
    if checker is not None:
        window, warmup = checker.window_s, checker.warmup_s
    out: dict[str, Any] = {"peak_to_mean": ptm, "peak_rate_per_s": None, "nodes": {}, "feasible": None,
                           "window_s": window, "warmup_s": warmup, "seed": base_seed}
    if not ids:
        if rate is not None and arrival != "trace":  # nothing to size: check the design as drawn at its peak
            peak = rate * ptm
            out["peak_rate_per_s"] = peak
            sim = checker or SimCheck(design, peak, base_seed, window, warmup)
            out["as_drawn_at_peak"] = sim.check().to_json()
        return out
    now = {nid: int(design.node(nid).params.get("replicas", 1)) for nid in ids}
    if rate is None or arrival == "trace":
        for nid in ids:
            out["nodes"][nid] = {"replicas_now": now[nid], "replicas_at_peak": None, "peak_rate_per_s": None,
                                 "method": "not applicable",
                                 "reason": "the workload has no declared rate (closed loop or trace)"}
        return out
    peak = rate * ptm
    out["peak_rate_per_s"] = peak
    sim = checker or SimCheck(design, peak, base_seed, window, warmup)
    counts = dict(now)
    start = sim.check(counts)
    first = start
    while not first.met and max(counts.values()) < MAX_REPLICAS:
        counts = {nid: min(MAX_REPLICAS, 2 * n) for nid, n in counts.items()}
        first = sim.check(counts)
    if not first.met:
        out["feasible"] = False
        for nid in ids:
            out["nodes"][nid] = {"replicas_now": now[nid], "replicas_at_peak": None, "peak_rate_per_s": peak,
                                 "method": "simulated", "missed": first.missed(),
                                 "reason": f"no count up to {MAX_REPLICAS} replicas meets {', '.join(first.missed())}"
                                           " at the peak: the limit is elsewhere (see the bottlenecks)"}
        out["checks"] = [c.to_json() for c in sim.cache.values()]
        return out
    out["feasible"] = True
    for nid in ids:
        lo, hi = 0, counts[nid]  # lo: known to miss (0 = nothing), hi: known to meet
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if sim.check({**counts, nid: mid}).met:
                hi = mid
            else:
                lo = mid
        counts[nid] = hi
    final = sim.check(counts)
    for nid in ids:
        below = sim.check({**counts, nid: counts[nid] - 1}) if counts[nid] > 1 else None
        entry: dict[str, Any] = {
            "replicas_now": now[nid], "replicas_at_peak": counts[nid], "peak_rate_per_s": peak,
            "method": "simulated", "busy_at_peak": final.busy.get(nid),
            "batch_at_peak": final.nodes.get(nid, {}).get("batch_size"),
            "at_peak": final.to_json(), "one_fewer": below.to_json() if below else None,
            "one_fewer_missed": below.missed() if below else [],
            "now_at_peak": {"slo_met": start.met, "missed": start.missed()}, "now_at_peak_check": start.to_json(),
        }
        if bounds and bounds.get(nid) is not None and math.isfinite(bounds[nid]):
            entry["analytic_bound"] = bounds[nid]
        out["nodes"][nid] = entry
    out["checks"] = [c.to_json() for c in sim.cache.values()]
    out["runs"] = sim.runs
    return out

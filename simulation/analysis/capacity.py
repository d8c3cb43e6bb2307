"""Capacity: the highest load (arrival rate, daily volume or closed-loop users) that still meets every SLO.

Bracket, then bisect. From the design's own load the search doubles (or halves) until one point meets the
SLOs and another breaks them, then bisects until the bracket is narrower than ``tolerance`` (relative).
Every point runs ``replications`` times with the same seeds (common random numbers), and a point meets an
SLO when the mean over its replications is within the target, so the answer moves smoothly with the load
instead of jumping with the noise of single runs. When the workers allow more runs than one point needs,
a round evaluates several interior points at once (k-section), which narrows the bracket faster.

At the lowest failing load the result names the SLO furthest past its target (the first to break) and the
bottleneck: the node with the highest mean utilisation there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulation.analysis.sweep import RATE_FIELDS, PointResult, evaluate_points, rate_path
from simulation.errors import DesignError

MAX_DOUBLINGS = 24   # 2^24 × the design's load: far past any station's capacity
MAX_HALVINGS = 16    # down to 1/65,536 of the design's load: below that "nothing meets the SLOs"


@dataclass
class CapacityResult:
    path: str
    process: str
    max_value: float           # in the units of ``path`` (req/s, requests/day or users); 0 when none met
    max_rate_per_s: float      # the same load as requests per second (closed loop: its measured throughput)
    limiting_slo: str | None
    bottleneck: str | None
    bottleneck_utilization: float | None
    failing_value: float | None
    met_at_lowest: bool
    replications: int
    seed: int
    tolerance: float
    points: list[tuple[float, PointResult]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "max_rate_per_s": _clean(self.max_rate_per_s), "max_value": _clean(self.max_value), "path": self.path,
            "process": self.process, "limiting_slo": self.limiting_slo, "bottleneck": self.bottleneck,
            "bottleneck_utilization": _clean(self.bottleneck_utilization),
            "failing_value": _clean(self.failing_value), "met_at_lowest": self.met_at_lowest,
            "replications": self.replications, "seed": self.seed, "tolerance": self.tolerance,
            "points": [self._point_json(v, p) for v, p in sorted(self.points, key=lambda vp: vp[0])],
        }

    def _point_json(self, value: float, p: PointResult) -> dict[str, Any]:
        return {"value": value, "rate_per_s": _clean(_to_rate(self.process, value, p)), "slo_met": p.slo_met,
                "slo": {k: {"target": v["target"], "mean": _clean(v["mean"]), "ci95": _clean(v["ci95"]),
                            "met": v["met"]} for k, v in p.slo.items()},
                "throughput_rps": _clean(p.mean.get("throughput_rps")), "util_max": _clean(p.mean.get("util_max"))}


def _clean(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


def _to_rate(process: str, value: float, point: PointResult | None) -> float:
    if process == "diurnal":
        return value / 86400.0
    if process == "closed":
        return point.mean.get("throughput_rps", math.nan) if point else math.nan
    return value


def limiting_slo(point: PointResult) -> str | None:
    """The broken SLO furthest past its target (ratio mean / target)."""
    broken = [(v["mean"] / v["target"] if v["target"] else math.inf, k) for k, v in point.slo.items()
              if not v["met"]]
    return max(broken)[1] if broken else None


def bottleneck(point: PointResult) -> tuple[str | None, float | None]:
    utils = [(v, k.split(".", 1)[1]) for k, v in point.mean.items() if k.startswith("util.") and math.isfinite(v)]
    if not utils:
        return None, None
    u, node = max(utils)
    return node, u


def find_capacity(data: dict[str, Any], replications: int = 3, tolerance: float = 0.02, seed: int | None = None,
                  duration_s: float | None = None, executor: Any = None,
                  progress: Callable[[str], None] | None = None, base_dir: str | None = None,
                  on_point: Callable[[float, PointResult], None] | None = None) -> CapacityResult:
    """Search the highest load of design dict ``data`` meeting all its SLOs (module docstring).
    ``on_point(value, point)`` hears each load as soon as it is evaluated (a live plot)."""
    if not data.get("slo"):
        raise DesignError("the design has no SLOs to meet; add targets such as ttft_p99_ms", "slo")
    if not 0 < tolerance < 1:
        raise DesignError(f"must be between 0 and 1 (a relative width), got {tolerance}", "--tolerance")
    path = rate_path(data)
    arrival = data["workload"]["arrival"]
    process = arrival.get("process", "poisson")
    integer = RATE_FIELDS[process] == "concurrency"
    start = float(arrival.get(RATE_FIELDS[process], 1.0) or 1.0)
    if start <= 0:
        raise DesignError(f"must be > 0 to start the search, got {start}", path)
    workers = max(1, int(getattr(executor, "workers", 1)))
    base = int((data.get("workload") or {}).get("seed", 0) if seed is None else seed)
    seen: dict[float, PointResult] = {}

    def norm(v: float) -> float:
        return float(max(1, round(v))) if integer else float(v)

    def evaluate(values: list[float]) -> None:
        todo = sorted({norm(v) for v in values} - set(seen))
        if not todo:
            return
        pts = evaluate_points(data, [{path: int(v) if integer else v} for v in todo], replications, base,
                              duration_s, executor, True, None, base_dir, first_index=len(seen))
        for v, p in zip(todo, pts):
            seen[v] = p
            if on_point:
                on_point(v, p)
            if progress:
                met = "meets" if p.slo_met else "breaks"
                progress(f"{path} = {v:g}: {met} the SLOs")

    # 1. bracket
    evaluate([start])
    lo: float | None = start if seen[norm(start)].slo_met else None
    hi: float | None = None if lo is not None else norm(start)
    if lo is not None:
        v = lo
        for _ in range(MAX_DOUBLINGS):
            v = norm(v * 2)
            evaluate([v])
            if not seen[v].slo_met:
                hi = v
                break
            lo = v
    else:
        v = norm(start)
        for _ in range(MAX_HALVINGS):
            nv = norm(v / 2)
            if nv == v:  # one closed-loop user is as low as it goes
                break
            v = nv
            evaluate([v])
            if seen[v].slo_met:
                lo = v
                break
            hi = v
    # 2. bisect (k-section when the workers can take several points' replications at once)
    k = max(1, workers // replications)
    while lo is not None and hi is not None:
        if (integer and hi - lo <= 1) or (not integer and (hi - lo) / lo <= tolerance):
            break
        inner = [norm(lo + (hi - lo) * i / (k + 1)) for i in range(1, k + 1)]
        inner = [v for v in inner if lo < v < hi]
        if not inner:
            break
        evaluate(inner)
        for v in sorted(inner):
            if seen[v].slo_met:
                lo = v
            else:
                hi = v
                break
    fail_point = seen[hi] if hi is not None else None
    node, util = bottleneck(fail_point) if fail_point else (None, None)
    lo_point = seen.get(lo) if lo is not None else None
    return CapacityResult(
        path=path, process=process, max_value=lo or 0.0,
        max_rate_per_s=_to_rate(process, lo, lo_point) if lo is not None else 0.0,
        limiting_slo=limiting_slo(fail_point) if fail_point else None, bottleneck=node,
        bottleneck_utilization=util, failing_value=hi, met_at_lowest=lo is not None,
        replications=replications, seed=base, tolerance=tolerance, points=sorted(seen.items()))

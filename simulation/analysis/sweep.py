"""What-if sweeps: a grid over ``--set`` paths and the arrival rate, replicated, with 95 % confidence intervals.

Common random numbers (CRN): replication r of *every* point runs with seed ``base + r``. The engine draws
each random quantity from its own named stream (``Simulation.rng(name)``), so two points that differ only
in, say, replicas see the same arrivals, token counts and service-time draws, and the difference between
them is the effect of the change, not noise (Law & Kelton, *Simulation Modeling and Analysis*, §11.2).
``paired_difference`` turns that into a CI on the difference; ``crn=False`` gives every run its own seed.

Stored results (``design.extra["sweeps"]``, kept by the loader on save; the report's trade-off section
reads it). A list, newest last, of entries shaped::

    {"id": "sweep-3", "kind": "sweep" | "capacity" | "autosize", "created": "2026-11-22T08:00:00Z",
     "axes": [{"path": "nodes.llm.params.replicas", "values": [1, 2, 4]}],
     "replications": 3, "seed": 7, "duration_s": 300.0, "crn": true,
     "slo": {"ttft_p99_ms": 1000},                       # the design's SLOs when it ran
     "metrics": ["ttft_p99_ms", "e2e_p95_ms", ...],      # keys of mean/ci95 below
     "points": [{"set": {"nodes.llm.params.replicas": 1}, "mean": {"ttft_p99_ms": 812.0, ...},
                 "ci95": {"ttft_p99_ms": 40.1, ...}, "slo_met": true}, ...],
     "summary": {...}}                                   # kind-specific: capacity / autosize answer

``ci95`` is the half-width of the t-interval over replications (NaN → null with one replication).
Metric keys: the SLO keys ``<ttft|tpot|itl|e2e>_<mean|p50|p90|p95|p99>_ms``; ``throughput_rps``,
``goodput_rps``, ``error_rate``, ``usd_per_hour``, ``usd_per_month``, ``usd_per_request``,
``usd_per_1m_output_tokens``, ``completed``, ``arrived``, ``util_max``; per node ``util.<node>`` and
``wait_ms.<node>`` (mean queueing wait).
"""

from __future__ import annotations

import copy
import csv
import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulation.errors import DesignError
from simulation.overrides import apply_override, parse_value, split_assignment

# The field of workload.arrival that sets the load, per arrival process.
RATE_FIELDS = {"poisson": "rate_per_s", "gamma": "rate_per_s", "diurnal": "requests_per_day",
               "closed": "concurrency"}
RATE_ALIAS = "rate"
LATENCY_METRICS = ("ttft", "tpot", "itl", "e2e")
STATS = ("mean", "p50", "p90", "p95", "p99")
MAX_POINTS = 100_000
MAX_STORED_SWEEPS = 20


# -- parsing --------------------------------------------------------------------------------------------
@dataclass
class Axis:
    path: str
    values: list[Any]


def rate_path(data: dict[str, Any]) -> str:
    """The dotted path of the load of a design dict: rate_per_s, requests_per_day or concurrency."""
    arrival = (data.get("workload") or {}).get("arrival") or {"process": "poisson"}
    process = arrival.get("process", "poisson")
    if process not in RATE_FIELDS:
        raise DesignError(f"a {process!r} arrival has no rate to sweep (use poisson, gamma, diurnal or closed)",
                          "workload.arrival.process")
    return f"workload.arrival.{RATE_FIELDS[process]}"


def rate_per_s(data: dict[str, Any]) -> float | None:
    """The mean open-loop arrival rate (req/s) of a design dict; None for a closed loop."""
    arrival = (data.get("workload") or {}).get("arrival") or {}
    process = arrival.get("process", "poisson")
    if process in ("poisson", "gamma"):
        return float(arrival.get("rate_per_s", 1.0))
    if process == "diurnal":
        return float(arrival.get("requests_per_day", 0.0)) / 86400.0
    return None


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and quotes, so JSON objects can be values."""
    parts, depth, quote, cur = [], 0, False, []
    for ch in text:
        if ch == '"':
            quote = not quote
        elif not quote and ch in "[{":
            depth += 1
        elif not quote and ch in "]}":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def parse_values(text: str, where: str) -> list[Any]:
    """``1,2,4`` · ``1..8`` (integers, inclusive) · ``0.5:4:0.5`` (start:stop:step, inclusive) · a JSON list."""
    text = text.strip()
    if not text:
        raise DesignError("needs at least one value", where)
    if text.startswith("["):
        value = parse_value(text)
        if isinstance(value, list) and value:
            return value
    values: list[Any] = []
    for part in _split_top_level(text):
        if not part:
            raise DesignError(f"empty value in {text[:60]!r}", where)
        values.extend(_expand(part, where))
    if len(values) > MAX_POINTS:
        raise DesignError(f"{len(values)} values; at most {MAX_POINTS}", where)
    return values


def _expand(part: str, where: str) -> list[Any]:
    if ".." in part and not part.startswith(("{", "[", '"')):
        lo, hi = part.split("..", 1)
        try:
            a, b = int(lo), int(hi)
        except ValueError:
            raise DesignError(f"a range needs integers like 1..8, got {part!r}", where) from None
        if b < a or b - a > MAX_POINTS:
            raise DesignError(f"range {part!r} is empty or too long", where)
        return list(range(a, b + 1))
    if part.count(":") == 2 and not part.startswith(("{", "[", '"')):
        try:
            start, stop, step = (float(x) for x in part.split(":"))
        except ValueError:
            raise DesignError(f"start:stop:step needs numbers, got {part!r}", where) from None
        if step <= 0 or stop < start or (stop - start) / step > MAX_POINTS:
            raise DesignError(f"start:stop:step {part!r} needs step > 0 and stop ≥ start", where)
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        return [round(start + i * step, 10) for i in range(n)]
    return [parse_value(part)]


def parse_axis(item: str) -> Axis:
    path, text = split_assignment(item)
    return Axis(path, parse_values(text, f"--set {path}"))


# -- one run --------------------------------------------------------------------------------------------
@dataclass
class RunTask:
    """One simulation: a design dict (overrides applied), its seed and duration. Pickles small."""

    point: int
    replication: int
    design: dict[str, Any]
    seed: int
    duration_s: float | None
    base_dir: str | None = None


def run_task(task: RunTask) -> dict[str, float]:
    """Worker entry point (module level, so spawn and Dask pickle it by name): simulate, return a summary."""
    from simulation.engine.core import Simulation
    from simulation.loader import load_design

    design = load_design(task.design)
    design.base_dir = task.base_dir
    result = Simulation(design, seed=task.seed, duration_s=task.duration_s, record_hops=False).run()
    return summarize_run(result)


def summarize_run(result: Any) -> dict[str, float]:
    """The flat metric dict of one RunResult (keys documented in the module docstring)."""
    out: dict[str, float] = {}
    metrics = result.metrics()
    any_ok = result.counts["completed"] > 0  # no completed request: latency is undefined, not 0
    for m in LATENCY_METRICS:
        for s in STATS:
            out[f"{m}_{s}_ms"] = float(metrics[f"{m}_ms"][s]) if any_ok else math.nan
    window = result.window_s
    # completions inside the window, as `run` counts them (the drain's would push an overloaded point past λ)
    out["throughput_rps"] = int(result.in_window.sum()) / window
    out["goodput_rps"] = result.goodput_count() / window
    out["error_rate"] = float(result.error_rate())
    cost = result.cost()
    for key in ("usd_per_hour", "usd_per_month", "usd_per_request", "usd_per_1m_output_tokens"):
        out[key] = float(cost[key])
    out["completed"] = float(result.counts["completed"])
    out["arrived"] = float(result.counts["arrived"])
    utils = []
    for nid, stats in result.node_stats.items():
        if "utilization" in stats:
            u = float(stats["utilization"])
            out[f"util.{nid}"] = u
            utils.append(u)
        if "mean_wait_ms" in stats:
            out[f"wait_ms.{nid}"] = float(stats["mean_wait_ms"])
    out["util_max"] = max(utils) if utils else 0.0
    out["slo_met"] = float(any_ok and all(v["met"] for v in result.slo_report(metrics).values()))
    return out


# -- statistics -----------------------------------------------------------------------------------------
def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Sample mean and the half-width of its Student-t confidence interval (NaN with one value)."""
    x = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=float)
    if x.size == 0:
        return math.nan, math.nan
    if x.size == 1:
        return float(x[0]), math.nan
    from scipy import stats

    half = stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return float(x.mean()), float(half)


@dataclass
class PointResult:
    index: int
    assignments: dict[str, Any]
    runs: list[dict[str, float]]
    mean: dict[str, float] = field(default_factory=dict)
    ci95: dict[str, float] = field(default_factory=dict)
    slo: dict[str, dict[str, Any]] = field(default_factory=dict)
    slo_met: bool = True

    def finish(self, slo_targets: dict[str, float]) -> PointResult:
        keys = sorted({k for run in self.runs for k in run})
        for k in keys:
            self.mean[k], self.ci95[k] = mean_ci([run.get(k, math.nan) for run in self.runs])
        # A point meets an SLO when the mean over replications of the metric is within the target.
        for key, target in slo_targets.items():
            metric = "error_rate" if key == "error_rate_max" else key
            actual = self.mean.get(metric, math.nan)
            self.slo[key] = {"target": float(target), "mean": actual, "ci95": self.ci95.get(metric, math.nan),
                             "met": bool(actual <= target)}
        self.slo_met = all(v["met"] for v in self.slo.values())
        return self

    def to_dict(self, with_runs: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "set": self.assignments, "slo_met": self.slo_met,
                               "mean": _nan_to_none(self.mean), "ci95": _nan_to_none(self.ci95),
                               "slo": _nan_to_none(self.slo)}
        if with_runs:
            out["runs"] = [_nan_to_none(r) for r in self.runs]
        return out


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def replication_seeds(base: int, replications: int, point: int, crn: bool) -> list[int]:
    """CRN: ``base + r`` at every point. Without: a distinct seed per (point, replication)."""
    if crn:
        return [base + r for r in range(replications)]
    return [int(np.random.SeedSequence([base, point, r]).generate_state(1)[0]) for r in range(replications)]


def evaluate_points(data: dict[str, Any], points: list[dict[str, Any]], replications: int, seed: int | None = None,
                    duration_s: float | None = None, executor: Any = None, crn: bool = True,
                    progress: Callable[[int, int], None] | None = None,
                    base_dir: str | None = None, first_index: int = 0) -> list[PointResult]:
    """Simulate each point (a {path: value} dict applied to ``data``) ``replications`` times."""
    from simulation.analysis.executors import SerialExecutor
    from simulation.loader import load_design

    if replications < 1:
        raise DesignError(f"must be ≥ 1, got {replications}", "--replications")
    if duration_s is not None and duration_s <= 0:
        raise DesignError(f"must be > 0, got {duration_s}", "--duration")
    base = int((data.get("workload") or {}).get("seed", 0) if seed is None else seed)
    tasks: list[RunTask] = []
    for i, assignments in enumerate(points):
        point_data = copy.deepcopy(data)
        for path, value in assignments.items():
            apply_override(point_data, path, value)
        load_design(point_data)  # bad values fail here with the path, before any worker starts
        for r, s in enumerate(replication_seeds(base, replications, first_index + i, crn)):
            tasks.append(RunTask(first_index + i, r, point_data, s, duration_s, base_dir))
    runs = (executor or SerialExecutor()).map(run_task, tasks, progress)
    slo = dict(data.get("slo") or {})
    out = []
    for i, assignments in enumerate(points):
        mine = runs[i * replications:(i + 1) * replications]
        out.append(PointResult(first_index + i, dict(assignments), mine).finish(slo))
    return out


# -- the sweep ------------------------------------------------------------------------------------------
@dataclass
class SweepResult:
    design_name: str
    axes: list[Axis]
    replications: int
    seed: int
    duration_s: float | None
    crn: bool
    slo: dict[str, float]
    points: list[PointResult]
    wall_s: float = 0.0

    def metric_names(self) -> list[str]:
        return sorted({k for p in self.points for k in p.mean})

    def to_json(self, with_runs: bool = True) -> dict[str, Any]:
        return {"design": self.design_name, "axes": [{"path": a.path, "values": a.values} for a in self.axes],
                "replications": self.replications, "seed": self.seed, "duration_s": self.duration_s,
                "crn": self.crn, "slo": self.slo, "wall_s": round(self.wall_s, 3),
                "points": [p.to_dict(with_runs) for p in self.points]}

    def rows(self) -> tuple[list[str], list[list[Any]]]:
        metrics = self.metric_names()
        header = ["point", *[a.path for a in self.axes], "replications", "slo_met"]
        for m in metrics:
            header += [m, f"{m}_ci95"]
        rows = []
        for p in self.points:
            row: list[Any] = [p.index, *[_cell(p.assignments.get(a.path)) for a in self.axes], len(p.runs),
                              int(p.slo_met)]
            for m in metrics:
                row += [_num(p.mean.get(m)), _num(p.ci95.get(m))]
            rows.append(row)
        return header, rows

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(self.to_json(), indent=2, allow_nan=False), encoding="utf-8")
        elif path.suffix.lower() == ".csv":
            header, rows = self.rows()
            with path.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(header)
                writer.writerows(rows)
        else:
            raise DesignError(f"must end in .csv or .json, got {str(path)!r}", "-o")
        return path

    def paired_difference(self, metric: str, a: int, b: int) -> tuple[float, float]:
        """Mean and 95 % CI half-width of metric(b) − metric(a), paired by replication (CRN's payoff)."""
        ra, rb = self.points[a].runs, self.points[b].runs
        return mean_ci([y.get(metric, math.nan) - x.get(metric, math.nan) for x, y in zip(ra, rb)])

    def stored(self, kind: str = "sweep", summary: dict[str, Any] | None = None) -> dict[str, Any]:
        """The compact entry for ``design.extra["sweeps"]`` (shape in the module docstring)."""
        return stored_entry(kind, self.axes, self.replications, self.seed, self.duration_s, self.crn, self.slo,
                            self.points, summary)


def stored_entry(kind: str, axes: list[Axis], replications: int, seed: int, duration_s: float | None, crn: bool,
                 slo: dict[str, float], points: list[PointResult], summary: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    metrics = sorted({k for p in points for k in p.mean})
    return {"kind": kind, "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "axes": [{"path": a.path, "values": a.values} for a in axes], "replications": replications,
            "seed": seed, "duration_s": duration_s, "crn": crn, "slo": dict(slo), "metrics": metrics,
            "points": [{"set": p.assignments, "mean": _nan_to_none(p.mean), "ci95": _nan_to_none(p.ci95),
                        "slo_met": p.slo_met} for p in points],
            "summary": _nan_to_none(summary or {})}


def store_result(design: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """Append an entry to ``design.extra["sweeps"]`` (numbering its id; keeps the newest 20)."""
    sweeps = design.extra.setdefault("sweeps", [])
    if not isinstance(sweeps, list):
        sweeps = design.extra["sweeps"] = []
    last = max((int(str(s.get("id", "x-0")).rsplit("-", 1)[-1]) for s in sweeps
                if isinstance(s, dict) and str(s.get("id", "")).rsplit("-", 1)[-1].isdigit()), default=0)
    entry = {"id": f"{entry['kind']}-{last + 1}", **entry}
    sweeps.append(entry)
    del sweeps[:-MAX_STORED_SWEEPS]
    return entry


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (dict, list)) else value


def _num(value: float | None) -> Any:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else value


def grid(axes: list[Axis]) -> list[dict[str, Any]]:
    n = math.prod(len(a.values) for a in axes) if axes else 0
    if n > MAX_POINTS:
        raise DesignError(f"the grid has {n:,} points; at most {MAX_POINTS:,}", "--set")
    return [dict(zip((a.path for a in axes), combo)) for combo in itertools.product(*(a.values for a in axes))]


def sweep(data: dict[str, Any], axes: list[Axis], replications: int = 1, seed: int | None = None,
          duration_s: float | None = None, executor: Any = None, crn: bool = True,
          progress: Callable[[int, int], None] | None = None, base_dir: str | None = None) -> SweepResult:
    """Simulate every point of the grid over ``axes``. ``data`` is a design dict (``design_to_dict``)."""
    import time

    if not axes:
        raise DesignError("give at least one --set PATH=V1,V2,... or --rate R1,R2,...", "sweep")
    paths = [a.path for a in axes]
    if len(set(paths)) != len(paths):
        raise DesignError("each path may be swept once", "--set")
    t0 = time.perf_counter()
    points = evaluate_points(data, grid(axes), replications, seed, duration_s, executor, crn, progress, base_dir)
    base = int((data.get("workload") or {}).get("seed", 0) if seed is None else seed)
    return SweepResult(str(data.get("name", "")), axes, replications, base, duration_s, crn,
                       dict(data.get("slo") or {}), points, time.perf_counter() - t0)


def resolve_axis_path(data: dict[str, Any], path: str) -> str:
    """``rate`` (or ``workload.arrival.rate``) stands for the arrival process's load field."""
    return rate_path(data) if path in (RATE_ALIAS, "workload.arrival.rate") else path

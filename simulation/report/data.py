"""The report's figures as JSON (``genai-sim report FILE -o OUT.json``): the contract tools and checks read.

``busy`` is the share of time a node works (the run's ``busy``; a station's utilisation). An LLM server's
``utilization`` in the run is its batch occupancy and appears here as ``batch_occupancy``, never as "utilisation".
"""

from __future__ import annotations

import json
import math
from typing import Any

from simulation.report.document import Report
from simulation.report.sizing import node_busy

FORMAT = "genai-sim.report"
VERSION = 1
SIZING_KEYS = ("replicas_now", "replicas_at_peak", "peak_rate_per_s", "method", "busy_at_peak", "batch_at_peak",
               "analytic_bound", "one_fewer_missed", "reason", "at_peak", "one_fewer")
LEVER_KEYS = ("title", "change", "saving_usd_per_day", "method", "slo_met_after", "missed_after", "replicas_after",
              "usd_per_day_after", "assumption", "slo_after")


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalars
        return _clean(obj.item())
    return obj


def node_figures(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"busy": node_busy(stats)}
    for k, v in stats.items():
        if k == "utilization":
            if "busy" in stats:
                out["batch_occupancy"] = v
            continue
        if k != "busy":
            out[k] = v
    return out


def report_json(report: Report) -> dict[str, Any]:
    data = report.data
    run = data["run"]
    sizing = data.get("sizing") or {}
    return _clean({
        "format": FORMAT, "version": VERSION, "design": report.title,
        "sections": [s.title for s in report.sections],
        "nodes": {nid: node_figures(st) for nid, st in run["nodes"].items()},
        "sizing": {nid: {k: e.get(k) for k in SIZING_KEYS if k in e} for nid, e in (sizing.get("nodes") or {}).items()},
        "peak": {"peak_rate_per_s": sizing.get("peak_rate_per_s"), "peak_to_mean": sizing.get("peak_to_mean"),
                 "window_s": sizing.get("window_s"), "warmup_s": sizing.get("warmup_s"), "seed": sizing.get("seed"),
                 "as_drawn_at_peak": sizing.get("as_drawn_at_peak")},
        "levers": [{k: r.get(k) for k in LEVER_KEYS if k in r} for r in data.get("levers") or []],
        "lever_baseline": data.get("lever_baseline"),
        "envelope": data.get("envelope"),
        "sweep": data.get("sweep"),
        "review": data.get("review") or [],
        "run": run,
    })


def render_json(report: Report) -> str:
    return json.dumps(report_json(report), indent=1, ensure_ascii=False, allow_nan=False) + "\n"

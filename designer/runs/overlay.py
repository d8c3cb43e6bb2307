"""Canvas overlay from a run: utilisation ring, queue length, warnings, the bottleneck, figures on hover."""

from __future__ import annotations

import inspect
import math
from typing import Any

from designer.results.dock import fmt_ms, fmt_num, fmt_usd
from designer.results.model import RunData


def node_warnings(run: RunData) -> dict[str, str]:
    """One line per node: review findings about it and requests it dropped or timed out."""
    out: dict[str, list[str]] = {}
    for item in run.review():
        node = item.get("node")
        if node and item.get("severity") in ("error", "warning"):
            out.setdefault(node, []).append(str(item.get("message", "")))
    for nid, s in run.node_figures().items():
        for key, what in (("dropped", "dropped"), ("timed_out", "timed out"), ("preemptions", "preempted")):
            v = s.get(key)
            if isinstance(v, (int, float)) and v > 0:
                out.setdefault(nid, []).append(f"{int(v):,} requests {what}")
        u = s.get("utilization")
        if isinstance(u, (int, float)) and u >= 0.95:
            out.setdefault(nid, []).append(f"saturated ({u:.0%} busy): queues grow without bound")
    return {k: "; ".join(v) for k, v in out.items()}


def node_details(run: RunData, node_id: str) -> str:
    """The figures shown when hovering a node."""
    s = run.node_figures().get(node_id, {})
    bits = []
    if "mean_wait_ms" in s:
        bits.append(f"wait mean {fmt_ms(s['mean_wait_ms'])}, p99 {fmt_ms(s.get('p99_wait_ms'))}")
    if "served" in s:
        bits.append(f"served {int(s['served']):,}")
    if "servers" in s:
        bits.append(f"{int(s['servers'])} servers over {int(s.get('replicas', 1))} replica(s)")
    if "batch_size" in s:
        bits.append(f"batch {fmt_num(s['batch_size'])}")
    if "kv_usage" in s and isinstance(s["kv_usage"], (int, float)):
        bits.append(f"KV {s['kv_usage']:.0%}")
    cost = ((run.summary or {}).get("cost", {}).get("by_node", {}) or {}).get(node_id)
    if cost:
        bits.append(f"{fmt_usd(cost.get('usd_per_month'))}/month")
    return " · ".join(bits)


def apply_overlay(scene: Any, run: RunData | None) -> None:
    """Show ``run`` on the canvas ``scene`` (or clear it); tolerant of scenes without overlay support."""
    if scene is None or not hasattr(scene, "set_node_overlay"):
        return
    if hasattr(scene, "set_run_review"):  # the status bar counts the run's review findings too
        scene.set_run_review(run.review() if run is not None and run.status != "error" else [])
    if run is None or run.status == "error":
        if hasattr(scene, "clear_overlays"):
            scene.clear_overlays()
        return
    figures = run.node_figures()
    warnings = node_warnings(run) if run.summary else {}
    bottleneck = run.bottleneck()
    try:
        accepts_details = "details" in inspect.signature(scene.set_node_overlay).parameters
    except (TypeError, ValueError):
        accepts_details = False
    design_ids = set(run.node_ids)
    for nid, s in figures.items():
        if design_ids and nid not in design_ids:
            continue
        u = s.get("utilization")
        q = s.get("mean_queue", s.get("queue"))
        util = float(u) if isinstance(u, (int, float)) and math.isfinite(u) else None
        queue = float(q) if isinstance(q, (int, float)) and math.isfinite(q) else None
        kwargs: dict[str, Any] = {
            "utilization": util,
            "queue": queue,
            "warning": warnings.get(nid) or None,
            "bottleneck": nid == bottleneck,
        }
        details = node_details(run, nid) if run.summary else ""
        if accepts_details:
            kwargs["details"] = details
        scene.set_node_overlay(nid, **kwargs)
        if details and not accepts_details:
            _attach_details(scene, nid, details)


def _attach_details(scene: Any, node_id: str, details: str) -> None:
    """Keep the hover figures with the node's overlay when the scene's API has no ``details`` argument
    (its tooltip builder reads the overlay dict)."""
    item = getattr(scene, "node_items", {}).get(node_id)
    overlay = getattr(item, "overlay", None)
    if isinstance(overlay, dict):
        overlay["details"] = details

"""Cost levers priced by re-simulation.

Each lever is an edit of the design (a dtype the GPU supports, fewer GPUs per replica, a cache, routing
part of the traffic to a smaller model, API ↔ self-hosting, shorter prompts). For every edit the variant is
re-sized at the peak (``size_at_peak``: whole replicas, real GPU counts), its SLO verdict at the peak is the
simulated one, and its cost per day is simulated at the design's mean rate, over the report run's window and
seed, against the baseline (the design with its own replicas sized for the peak: the report's run itself when
those are the drawn counts). Nothing here is a fixed percentage.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulation.design import Design, Edge, Node
from simulation.errors import DesignError
from simulation.registry import get_kind
from simulation.report.sizing import SimCheck, check_from_run, check_window, same_as_drawn_at_mean, size_at_peak
from simulation.workload import mean_rate, peak_to_mean

SMALL_MODEL_B = 15.0  # billions of parameters: at or below it a model is already the "small" one
SMALL_API = "openai/gpt-4o-mini"
LARGE_API = "openai/gpt-4o"
SELF_HOSTED = {"model": "meta-llama/Llama-3.1-70B", "gpu": "h100-sxm", "tp": 2, "dtype": "fp8"}
SELF_HOSTED_SMALL = {"model": "meta-llama/Llama-3.1-8B", "gpu": "h100-sxm", "tp": 1, "dtype": "bf16"}
ASSUMED_CACHE_HITS = 0.30  # an exact/semantic cache on support-style traffic; the table says it is assumed
ROUTED_SHARE = 0.5  # share of traffic a router sends to the small model in the routing lever
PROMPT_TRIM = 0.2
MAX_LEVERS = 6


@dataclass
class Lever:
    title: str
    change: str
    edit: Callable[[Design], None]
    assumption: str = ""


def _gpus_support(gpu_id: str, dtype: str) -> bool:
    from kernels.hardware import gpu
    from simulation.analysis.review import DTYPE_NEEDS

    peaks = gpu(gpu_id).peak_tflops
    return any(k in peaks for k in DTYPE_NEEDS.get(dtype, (dtype,)))


def _fits(params: dict[str, Any]) -> bool:
    from simulation.llm.memory import memory_plan

    try:
        memory_plan(params, "lever")
        return True
    except DesignError:
        return False


def _params(node: Node) -> dict[str, Any]:
    return get_kind(node.kind).resolved_params(node.params)


def _model_b(model_id: str) -> float:
    from simulation.llm.catalog import model

    try:
        return model(model_id).total_params_b
    except DesignError:
        return math.inf


def _set(nid: str, **changes: Any) -> Callable[[Design], None]:
    def edit(d: Design) -> None:
        d.node(nid).params.update(changes)
    return edit


def _replace(nid: str, kind: str, params: dict[str, Any], name: str) -> Callable[[Design], None]:
    def edit(d: Design) -> None:
        n = d.node(nid)
        n.kind, n.params, n.name = kind, dict(params), name
    return edit


def _route(nid: str, small_kind: str, small_params: dict[str, Any]) -> Callable[[Design], None]:
    """Put a weighted router in front of ``nid``: ROUTED_SHARE of its traffic to a small model with its out edges."""
    def edit(d: Design) -> None:
        node = d.node(nid)
        router, small = d.new_id("lever_router"), d.new_id("lever_small")
        for e in d.edges:
            if e.target == nid:
                e.target = router
        x, y = node.pos
        d.nodes.append(Node(router, "router", "Router (lever)", (x - 1, y),
                            {"strategy": "weighted", "latency": {"dist": "fixed", "value": 5.0}}))
        d.nodes.append(Node(small, small_kind, "Small model (lever)", (x, y + 1), dict(small_params)))
        d.edges.append(Edge(router, nid, weight=1 - ROUTED_SHARE))
        d.edges.append(Edge(router, small, weight=ROUTED_SHARE))
        for e in list(d.edges):
            if e.source == nid:
                d.edges.append(Edge(small, e.target, e.weight, e.when, e.latency_ms))
    return edit


def _add_cache(hit_rate: float) -> Callable[[Design], None]:
    """An exact-match cache right after the client: hits finish there, misses go on as before."""
    def edit(d: Design) -> None:
        client = next(n for n in d.nodes if n.kind == "client")
        cache = d.new_id("lever_cache")
        for e in d.edges:
            if e.source == client.id:
                e.source = cache
        d.nodes.append(Node(cache, "response_cache", "Response cache (lever)", client.pos, {"hit_rate": hit_rate}))
        d.edges.append(Edge(client.id, cache))
    return edit


def candidate_levers(design: Design) -> list[Lever]:
    out: list[Lever] = []
    kinds = {n.kind for n in design.nodes}
    spares = {e.target for e in design.edges if e.when in ("error", "timeout", "fallback")}  # fallbacks: idle
    for n in design.nodes:
        if n.kind != "llm_server" or n.id in spares:
            continue
        p = _params(n)
        dtype, tp = str(p["dtype"]), int(p["tp"])
        if dtype in ("bf16", "fp16") and _gpus_support(p["gpu"], "fp8"):
            half = max(1, tp // 2)
            if half < tp and _fits({**p, "dtype": "fp8", "tp": half}):
                out.append(Lever(f"Quantise {n.title} to fp8 on half the GPUs",
                                 f"{dtype} tp {tp} → fp8 tp {half} ({tp} → {half} GPUs per replica)",
                                 _set(n.id, dtype="fp8", tp=half),
                                 "fp8 weights cost little quality on 70B-class models; check on your eval set"))
            else:
                out.append(Lever(f"Quantise {n.title} to fp8", f"{dtype} → fp8 weights (more KV room, faster "
                                 "decode)", _set(n.id, dtype="fp8")))
        big = _model_b(str(p["model"])) > SMALL_MODEL_B
        api = LARGE_API if big else SMALL_API
        out.append(Lever(f"Buy {n.title} as an API", f"self-hosted {p['model']} → {api}",
                         _replace(n.id, "llm_api", {"provider_model": api}, f"{api} (lever)"),
                         "the catalog's entry-tier rate limits; a higher usage tier changes the verdict"))
        if big and "router" not in kinds:
            out.append(Lever(f"Route half of {n.title}'s traffic to a small model",
                             f"weighted router: {ROUTED_SHARE:.0%} to {SMALL_API}",
                             _route(n.id, "llm_api", {"provider_model": SMALL_API}),
                             f"assumes {ROUTED_SHARE:.0%} of requests are easy enough for the small model"))
    for n in design.nodes:
        if n.kind != "llm_api" or n.id in spares:
            continue
        p = _params(n)
        model_id = str(p["provider_model"])
        cheap = model_id in (SMALL_API, "anthropic/claude-3-haiku", "google/gemini-2.5-flash-lite")
        ref = SELF_HOSTED_SMALL if cheap else SELF_HOSTED
        out.append(Lever(f"Self-host {n.title}",
                         f"{model_id} → {ref['model'].split('/')[-1]} {ref['dtype']} on {ref['tp']} × {ref['gpu']}",
                         _replace(n.id, "llm_server", {**ref, "replicas": 1}, f"{ref['model'].split('/')[-1]} "
                                  "(lever)"),
                         "an open model of the same class; quality must be checked on your eval set"))
        if not cheap and "router" not in kinds:
            out.append(Lever(f"Route half of {n.title}'s traffic to a small model",
                             f"weighted router: {ROUTED_SHARE:.0%} to {SMALL_API}",
                             _route(n.id, "llm_api", {"provider_model": SMALL_API}),
                             f"assumes {ROUTED_SHARE:.0%} of requests are easy enough for the small model"))
    caches = [n for n in design.nodes if n.kind in ("response_cache", "semantic_cache")]
    if caches:
        c = caches[0]
        hit = float(_params(c)["hit_rate"])
        if hit < 0.9:
            new = round(min(hit + 0.10, 0.95), 2)
            out.append(Lever(f"Raise {c.title}'s hit rate by 10 points", f"{hit:.0%} → {new:.0%} hits",
                             _set(c.id, hit_rate=new), "e.g. a semantic cache or a lower similarity threshold"))
    elif any(n.kind == "client" for n in design.nodes) and any(n.kind in ("llm_api", "llm_server")
                                                               for n in design.nodes):
        out.append(Lever("Add a response cache", f"exact-match cache after the client, {ASSUMED_CACHE_HITS:.0%} "
                         "hits", _add_cache(ASSUMED_CACHE_HITS), f"{ASSUMED_CACHE_HITS:.0%} hit rate assumed: "
                         "measure repeated questions in your logs"))
    for n in design.nodes:
        if n.kind == "prompt_builder":
            p = _params(n)
            sys_t = int(p["system_prompt_tokens"])
            if sys_t >= 50:
                new = int(sys_t * (1 - PROMPT_TRIM))
                out.append(Lever(f"Trim {n.title}'s system prompt", f"{sys_t} → {new} tokens",
                                 _set(n.id, system_prompt_tokens=new)))
    return out


def price_levers(design: Design, sizing: dict[str, Any], seed: int, budget_runs: int = 60,
                 run: tuple[dict[str, Any], float, float] | None = None) -> dict[str, Any]:
    """Baseline and every lever, re-simulated: ``{"baseline": {...}, "levers": [...]}``, largest saving first.

    ``run`` is the report's own run (its JSON, measured window and warm-up in seconds). Costs at the mean rate are
    then simulated over that same window and seed, and where the baseline is the design as drawn and run, the
    baseline *is* that run: one configuration, one cost figure across the report.
    """
    rate = mean_rate(design.workload)
    if rate is None:
        return {"baseline": None, "levers": [], "skipped": "the workload has no declared rate"}
    peak = rate * peak_to_mean(design.workload)

    def checker(d: Design, r: float) -> SimCheck:
        window_s, warmup_s = check_window(r)  # about the same number of requests at the mean and at the peak
        return SimCheck(d, r, seed, window_s, warmup_s)

    mean_window = (run[1], run[2]) if run is not None else check_window(rate)

    def mean_checker(d: Design) -> SimCheck:
        return SimCheck(d, rate, seed, *mean_window)
    sized = {nid: e["replicas_at_peak"] for nid, e in sizing.get("nodes", {}).items() if e.get("replicas_at_peak")}
    base_design = design.clone()
    for nid, n in sized.items():
        base_design.node(nid).params["replicas"] = n
    is_run = run is not None and same_as_drawn_at_mean(design, sized)
    base_mean = check_from_run(base_design, run[0], rate) if run is not None and is_run else \
        mean_checker(base_design).check()
    base_peak = checker(base_design, peak).check()
    baseline = {"usd_per_day": base_mean.usd_per_day, "replicas": sized, "slo_met_at_peak": base_peak.met,
                "slo_met_at_mean": base_mean.met, "window_s": mean_window[0], "warmup_s": mean_window[1],
                "is_report_run": is_run}
    rows: list[dict[str, Any]] = []
    runs = 2
    for lever in candidate_levers(design)[:MAX_LEVERS * 2]:
        if runs >= budget_runs or len(rows) >= MAX_LEVERS:
            break
        variant = base_design.clone()
        try:
            lever.edit(variant)
        except (DesignError, StopIteration, KeyError):
            continue
        peak_check = checker(variant, peak)
        try:
            sz = size_at_peak(variant, seed=seed, checker=peak_check)
        except DesignError:
            continue
        counts = {nid: e["replicas_at_peak"] for nid, e in sz["nodes"].items() if e.get("replicas_at_peak")}
        after_peak = peak_check.check(counts)
        for nid, n in counts.items():
            variant.node(nid).params["replicas"] = n
        mean_check = mean_checker(variant).check()
        runs += peak_check.runs + 1
        peak_met = after_peak.met
        missed = after_peak.missed()
        replicas_after = {nid: e.get("replicas_at_peak") for nid, e in sz["nodes"].items()}
        rows.append({
            "title": lever.title, "change": lever.change, "method": "simulated",
            "saving_usd_per_day": base_mean.usd_per_day - mean_check.usd_per_day,
            "usd_per_day_after": mean_check.usd_per_day, "slo_met_after": bool(peak_met and mean_check.met),
            "slo_met_at_peak_after": bool(peak_met), "missed_after": missed or mean_check.missed(),
            "slo_after": after_peak.to_json()["slo"],
            "replicas_after": replicas_after, "assumption": lever.assumption,
        })
    rows.sort(key=lambda r: (not r["slo_met_after"], -r["saving_usd_per_day"]))
    return {"baseline": baseline, "levers": rows, "runs": runs}

"""Short text shown on a node card: the few parameters that say what the node is."""

from __future__ import annotations

from typing import Any

from simulation.design import Edge, Node

# Per kind, the parameters worth a glance on the canvas (first ones win when space is short).
KEY_PARAMS: dict[str, tuple[str, ...]] = {
    "llm_server": ("gpu", "tp", "pp", "model"),  # the title usually names the model already
    "llm_api": ("provider_model",),
    "response_cache": ("hit_rate",),
    "semantic_cache": ("hit_rate",),
    "vector_db": ("index", "top_k"),
    "reranker": ("candidates", "keep"),
    "router": ("strategy",),
    "load_balancer": ("policy",),
    "agent": ("max_iterations",),
    "autoscaler": ("target", "target_utilization"),
    "embedding_service": ("mode",),
    "keyword_index": ("top_k",),
    "classifier": ("task",),
    "diffusion_model": ("steps", "gpu"),
    "output_guardrail": ("mode",),
    "input_guardrail": ("block_rate",),
    "prompt_builder": ("system_prompt_tokens",),
    "api_gateway": ("rate_limit_per_user_rps",),
}
LABELS = {"hit_rate": "hit", "top_k": "top", "max_iterations": "≤", "block_rate": "block",
          "system_prompt_tokens": "sys", "rate_limit_per_user_rps": "rps/user", "target_utilization": "util",
          "candidates": "cand", "keep": "keep", "steps": "steps", "tp": "TP", "pp": "PP"}


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        if 0 < abs(value) < 1:
            return f"{value:.2g}"
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return format_dist(value)
    text = str(value)
    return text.rsplit("/", 1)[-1]  # "meta-llama/Llama-3.1-8B" reads better as its model name


def format_dist(d: dict[str, Any]) -> str:
    name = d.get("dist", "?")
    get = {k.removesuffix("_ms"): v for k, v in d.items()}
    if name == "fixed":
        return f"{get.get('value', '?'):g}"
    if name == "lognormal" and "p50" in get:
        return f"p50 {get['p50']:g}"
    if name in ("exponential",):
        return f"exp {get.get('mean', 0):g}"
    if "mean" in get:
        return f"{name} {get['mean']:g}"
    if name == "uniform":
        return f"{get.get('low', 0):g}–{get.get('high', 0):g}"
    return name


def node_summary(node: Node, kind_defaults: dict[str, Any]) -> str:
    """e.g. ``×2 · c 32 · top 20`` — replicas and concurrency when not 1, then the kind's key params."""
    params = {**kind_defaults, **node.params}
    parts: list[str] = []
    if int(params.get("replicas", 1)) != 1:
        parts.append(f"×{params['replicas']}")
    if "concurrency" in node.params and int(params["concurrency"]) != 1:  # kind defaults are noise here
        parts.append(f"c {params['concurrency']}")
    for name in KEY_PARAMS.get(node.kind, ()):
        if name in ("tp", "pp") and params.get(name) == 1:
            continue  # a single GPU per stage is the unremarkable case
        if name in params and params[name] not in ("", None, 0, 0.0):
            label = LABELS.get(name)
            value = format_value(params[name])
            parts.append(f"{label} {value}" if label else value)
    if not KEY_PARAMS.get(node.kind):
        for name in ("latency", "service_time", "handling_time"):
            if isinstance(params.get(name), dict):
                parts.append(format_dist(params[name]) + " ms")
                break
    return " · ".join(parts)


def edge_label(edge: Edge, share: float | None) -> str:
    """``miss``, ``70%``, ``+5 ms``, ``retry ≤3`` and the user's label, joined."""
    parts: list[str] = []
    if edge.when:
        parts.append(edge.when)
    if share is not None:
        parts.append(f"{share * 100:.0f}%")
    if edge.latency_ms:
        parts.append(f"+{edge.latency_ms:g} ms")
    if edge.retry_budget is not None:
        parts.append(f"retry ≤{edge.retry_budget}")
    if edge.label:
        parts.append(edge.label)
    return " · ".join(parts)

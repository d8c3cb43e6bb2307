"""Small design builders for tests."""

from __future__ import annotations

from typing import Any


def design(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], rate: float = 10.0, duration: float = 200.0,
           seed: int = 1, **extra: Any) -> dict[str, Any]:
    workload = {"arrival": {"process": "poisson", "rate_per_s": rate}, "duration_s": duration, "seed": seed}
    workload.update(extra.pop("workload", {}))
    return {"format": "genai-sim.design", "version": 1, "name": "test", "workload": workload,
            "nodes": [{"id": "users", "kind": "client"}, *nodes], "edges": edges, **extra}


def svc(node_id: str, mean_ms: float = 10.0, dist: str = "exponential", **params: Any) -> dict[str, Any]:
    st = {"dist": dist, "mean_ms": mean_ms} if dist == "exponential" else {"dist": "fixed", "value": mean_ms}
    return {"id": node_id, "kind": "service", "params": {"service_time": st, **params}}


def edge(a: str, b: str, **kw: Any) -> dict[str, Any]:
    return {"source": a, "target": b, **kw}

"""Shared building blocks for component declarations: latency parameters, generic stations, costs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulation.distributions import Dist, parse_dist
from simulation.engine.request import Request
from simulation.engine.runtime import NodeRuntime, Station
from simulation.params import Param

HOURS_PER_MONTH = 730.0  # 8760 h / 12, the usual cloud-billing month

ASSUMED = "assumption (no public figure found); set your own"


def latency_param(p50: float, p99: float, source: str, name: str = "latency",
                  help: str = "Service time per request.") -> Param:
    return Param(name, "dist", {"dist": "lognormal", "p50": p50, "p99": p99}, "ms", help=help, source=source)


def price_param(default: float, source: str, help: str = "Price of one replica per hour.") -> Param:
    return Param("usd_per_hour", "float", default, "USD/h", 0, 1e6, help=help, source=source)


def per_replica_cost(params: dict[str, Any]) -> float:
    return float(params.get("usd_per_hour", 0.0)) * int(params.get("replicas", 1))


class LatencyStation(Station):
    """A station whose service time is the ``latency`` distribution (ms), with optional per-kind hooks."""

    latency_key = "latency"

    def __init__(self, sim: Any, node: Any, params: dict[str, Any]) -> None:
        super().__init__(sim, node, params)
        self.latency: Dist = parse_dist(params[self.latency_key], f"nodes.{node.id}.params.{self.latency_key}")
        self.setup()

    def setup(self) -> None:
        """Per-kind initialisation (read extra params)."""

    def service_time(self, req: Request) -> float:
        return self.latency.sample(self.rng) / 1000.0

    def chance(self, p: float) -> bool:
        return p > 0 and self.rng.random() < p


class PassThrough(NodeRuntime):
    """Zero-time node (client, fan-out point): routes on at once."""

    def accept(self, req: Request) -> None:
        self.served += 1
        self.sim.finish(self, req)


def station(service: Callable[[LatencyStation, Request], float] | None = None,
            outcome: Callable[[LatencyStation, Request], str | None] | None = None,
            setup: Callable[[LatencyStation], None] | None = None,
            name: str = "KindStation") -> type[LatencyStation]:
    """Build a LatencyStation subclass from small functions (keeps each kind's behaviour in one place)."""
    attrs: dict[str, Any] = {}
    if service is not None:
        attrs["service_time"] = service
    if outcome is not None:
        attrs["outcome"] = outcome
    if setup is not None:
        attrs["setup"] = setup
    return type(name, (LatencyStation,), attrs)

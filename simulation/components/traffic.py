"""Traffic kinds: client, api_gateway, load_balancer, queue."""

from __future__ import annotations

from typing import Any

from kernels.sources import cite
from simulation.components.common import (
    ASSUMED,
    LatencyStation,
    PassThrough,
    latency_param,
    per_replica_cost,
    price_param,
)
from simulation.engine.request import Request
from simulation.params import Param
from simulation.registry import ComponentKind, register

register(ComponentKind(
    "client", "traffic", "Client", "Where the workload enters: users sending requests (see the design's workload).",
    (), PassThrough, icon="client", can_fail=False))


class Gateway(LatencyStation):
    """Auth plus a per-user token bucket; over-limit requests get a 429 (the node's error path)."""

    def setup(self) -> None:
        self.reject_rate = float(self.params["auth_reject_rate"])
        self.limit = float(self.params["rate_limit_per_user_rps"])
        self.burst = float(self.params["burst"])
        self.users = int(self.params["users"])
        self.buckets: dict[int, list[float]] = {}
        self.rate_limited = 0

    def accept(self, req: Request) -> None:
        now = self.sim.now
        if self.limit > 0:
            user = req.user if req.user else int(self.rng.integers(self.users))
            tokens, last = self.buckets.get(user, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.limit)
            if tokens < 1.0:
                self.buckets[user] = [tokens, now]
                self.rate_limited += 1
                self.sim.node_error(self, req, now, "dropped")
                return
            self.buckets[user] = [tokens - 1.0, now]
        super().accept(req)

    def outcome(self, req: Request) -> str | None:
        return "blocked" if self.chance(self.reject_rate) else None

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "rate_limited": self.rate_limited}


register(ComponentKind(
    "api_gateway", "traffic", "API gateway",
    "Ingress: authentication, per-user token-bucket rate limiting (429 when over), added latency.",
    (latency_param(0.2, 1.0, cite("pingap-benchmark", "kong-latency", detail="an L7 gateway without plugins adds ~0.2 ms p50 / 1 ms p99")),
     Param("auth_reject_rate", "float", 0.0, "fraction", 0, 1, help="Share of requests refused by authentication.",
           source=ASSUMED),
     Param("rate_limit_per_user_rps", "float", 0.0, "req/s", 0, 1e6,
           help="Token-bucket refill rate per user; 0 turns rate limiting off.", source="assumption: token-bucket rate limiting per user, as API gateways and Envoy do it; 0 = off"),
     Param("burst", "float", 10.0, "requests", 1, 1e6, help="Token-bucket size per user.", source=ASSUMED),
     Param("users", "int", 1000, "users", 1, 100_000_000, help="Distinct users the traffic comes from.",
           source=ASSUMED),
     price_param(0.10, ASSUMED)),
    Gateway, per_replica_cost, outcomes=("blocked",), icon="api_gateway",
    defaults_override={"concurrency": 1000}))


class Balancer(LatencyStation):
    """Picks one out edge per request by policy (the engine's weighted choice is the ``random`` policy)."""

    def setup(self) -> None:
        self.policy = self.params["policy"]
        self._rr = 0

    def route_on(self, req: Request) -> None:  # route by policy instead of edge weights
        plain = self.sim.routes[self.id].plain
        if len(plain) < 2 or self.policy == "random":
            self.sim.finish(self, req)
            return
        if self.policy == "round_robin":
            edge = plain[self._rr % len(plain)]
            self._rr += 1
        else:
            # Rotate the start so ties do not always favour the first target.
            self._rr += 1
            k = self._rr % len(plain)
            candidates = plain[k:] + plain[:k]
            if self.policy == "power_of_two":
                idx = self.rng.choice(len(plain), 2, replace=False)
                candidates = [plain[int(i)] for i in idx]
            edge = min(candidates, key=lambda e: _outstanding(self.sim.runtimes[e.target]))
        self.sim._follow(edge, req)


def _outstanding(rt: Any) -> float:
    busy = getattr(rt, "busy", 0)
    queued = getattr(rt, "queued", 0)
    servers = getattr(rt, "servers", 1) or 1
    return (busy + queued) / servers


register(ComponentKind(
    "load_balancer", "traffic", "Load balancer",
    "Spreads requests over its out edges: round robin, least outstanding, random (by edge weight) or power of two.",
    (latency_param(1.0, 2.0, cite("aws-alb-latency", detail="a cloud application load balancer adds ~1–2 ms")),
     Param("policy", "enum", "least_outstanding", choices=("round_robin", "least_outstanding", "random",
                                                            "power_of_two"),
           help="How the next target is chosen.", source="design choice: least-outstanding suits uneven request times"),
     price_param(0.0225, cite("aws-elb-pricing", detail="ALB hourly charge $0.0225 (us-east-1), excluding LCUs"))),
    Balancer, per_replica_cost, icon="load_balancer", defaults_override={"concurrency": 10000}))

register(ComponentKind(
    "queue", "traffic", "Queue (async buffer)",
    "An asynchronous buffer such as SQS: adds enqueue/dequeue delay and absorbs bursts.",
    (latency_param(10.0, 40.0, ASSUMED + " (managed queues add tens of ms send+receive)"),
     price_param(0.0, ASSUMED, "Hourly price; managed queues are mostly priced per request.")),
    LatencyStation, per_replica_cost, icon="queue", defaults_override={"concurrency": 100000}))

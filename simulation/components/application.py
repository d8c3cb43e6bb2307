"""Application kinds: service, router, prompt_builder, fanout, human_agent."""

from __future__ import annotations

from kernels.sources import cite
from simulation.components.common import (
    ASSUMED,
    LatencyStation,
    PassThrough,
    latency_param,
    per_replica_cost,
    price_param,
)
from simulation.distributions import parse_dist
from simulation.engine.request import Request
from simulation.params import Param
from simulation.registry import ComponentKind, register


class Service(LatencyStation):
    latency_key = "service_time"


register(ComponentKind(
    "service", "application", "Service",
    "A generic service: replicas × concurrency servers with one queue (an M/M/c station for Poisson arrivals and "
    "exponential service).",
    (Param("service_time", "dist", {"dist": "exponential", "mean_ms": 50}, "ms", help="Time to serve one request.",
           source=ASSUMED),
     price_param(0.10, ASSUMED)),
    Service, per_replica_cost, icon="service"))


class Router(LatencyStation):
    """Model routing: picks an out edge by weight; a classifier misroutes (1 − accuracy) of requests."""

    def setup(self) -> None:
        self.accuracy = float(self.params["accuracy"]) if self.params["strategy"] == "classifier" else 1.0
        self.misrouted = 0

    def outcome(self, req: Request) -> str | None:
        plain = self.sim.routes[self.id].plain
        if len(plain) > 1 and self.accuracy < 1.0 and self.chance(1.0 - self.accuracy):
            self.misrouted += 1
        return None


register(ComponentKind(
    "router", "application", "Model router",
    "Routes requests across models by edge weight (e.g. 80 % to a small model); a classifier adds latency and "
    "misroutes some requests.",
    (Param("strategy", "enum", "classifier", choices=("weighted", "classifier"),
           help="Plain weighted split, or a classifier deciding per request.", source=cite("routellm-paper", detail="a learned router sends easy requests to the small model")),
     Param("accuracy", "float", 0.95, "fraction", 0, 1, help="Share of requests the classifier routes correctly.",
           source=ASSUMED),
     latency_param(10.0, 30.0, "assumption: a small routing classifier (BERT-class) answers in 10–30 ms"),
     price_param(0.10, ASSUMED)),
    Router, per_replica_cost, icon="router", defaults_override={"concurrency": 64}))


class PromptBuilder(LatencyStation):
    def setup(self) -> None:
        self.add = int(self.params["system_prompt_tokens"]) + int(self.params["history_tokens"])

    def outcome(self, req: Request) -> str | None:
        req.context_tokens += self.add
        return None


register(ComponentKind(
    "prompt_builder", "application", "Prompt builder",
    "Adds the system prompt and conversation history to the request's prompt.",
    (Param("system_prompt_tokens", "int", 300, "tokens", 0, 1_000_000, help="System prompt length.",
           source=ASSUMED),
     Param("history_tokens", "int", 0, "tokens", 0, 10_000_000, help="Conversation history carried per request.",
           source=ASSUMED),
     latency_param(0.5, 2.0, ASSUMED + " (string templating)")),
    PromptBuilder, icon="prompt_builder", defaults_override={"concurrency": 1000}))

register(ComponentKind(
    "fanout", "application", "Fan-out / join",
    "Sends the request down every plain out edge in parallel; the branches join at the 'join' node (or the request "
    "finishes when all branches do).",
    (Param("join", "str", "", help="Id of the node where the branches meet; empty: finish when all are done."),),
    PassThrough, outcomes=(), icon="fanout", can_fail=False))


class HumanAgent(LatencyStation):
    latency_key = "handling_time"

    def setup(self) -> None:
        self.minutes = parse_dist(self.params["handling_time"], "handling_time")

    def service_time(self, req: Request) -> float:
        return self.minutes.sample(self.rng) * 60.0


register(ComponentKind(
    "human_agent", "application", "Human agent queue",
    "People handling escalations: minutes per case, paid by the hour.",
    (Param("handling_time", "dist", {"dist": "lognormal", "p50": 6, "p99": 30}, "min",
           help="Minutes one person spends per request.", source=ASSUMED),
     price_param(25.0, ASSUMED, "Loaded cost of one agent per hour.")),
    HumanAgent, per_replica_cost, icon="human_agent"))

"""Agent kinds: agent (bounded ReAct loop), tool, mcp_server."""

from __future__ import annotations

from typing import Any

from kernels.sources import cite
from simulation.components.common import ASSUMED, LatencyStation, latency_param, per_replica_cost, price_param
from simulation.distributions import parse_dist
from simulation.engine.request import Request
from simulation.params import Param
from simulation.registry import ComponentKind, register


class Agent(LatencyStation):
    """Each visit is one ReAct step: think → act. The request loops through the plain out edges (LLM, tools)
    back to the agent until its sampled iteration count (≤ max_iterations) is used up, then takes 'done'."""

    latency_key = "step_overhead"

    def setup(self) -> None:
        self.iterations = parse_dist(self.params["iterations"], "iterations")
        self.max_iter = int(self.params["max_iterations"])
        self.growth = int(self.params["context_growth_tokens"])
        self.loops = 0

    def outcome(self, req: Request) -> str | None:
        visits = req.visits if req.visits is not None else {}
        req.visits = visits
        key = self.id
        if key not in visits:
            visits[key] = 0
            visits[key + "#n"] = max(1, min(self.max_iter, int(round(self.iterations.sample(self.rng)))))
        else:
            req.context_tokens += self.growth
        visits[key] += 1
        if visits[key] > visits[key + "#n"] + self.max_iter:
            return "error"  # a 'done' path that leads back here would loop for ever: the request fails
        if visits[key] > visits[key + "#n"]:
            return "done"
        self.loops += 1
        return None

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "steps": self.loops}


register(ComponentKind(
    "agent", "agents", "Agent (ReAct loop)",
    "Loops think → act through its plain out edges (an LLM, then tools, back to the agent) for a sampled number of "
    "iterations capped by max_iterations, then follows its 'done' edge.",
    (Param("iterations", "dist", {"dist": "lognormal", "p50": 3, "p99": 8}, "steps",
           help="ReAct iterations a task needs.", source=ASSUMED),
     Param("max_iterations", "int", 10, "steps", 1, 1000, help="Hard cap on iterations (prevents runaway agents).",
           source=cite("react-paper", detail="assumption: a hard iteration cap stops runaway ReAct loops; 10 leaves room for the tail of typical tasks")),
     Param("context_growth_tokens", "int", 250, "tokens", 0, 1_000_000,
           help="Tokens each step adds to the prompt (thoughts, tool results).", source=ASSUMED),
     latency_param(2.0, 10.0, ASSUMED + " (orchestrator overhead per step)", name="step_overhead",
                   help="Framework overhead per step."),
     price_param(0.10, ASSUMED)),
    Agent, per_replica_cost, outcomes=("done",), icon="agent", defaults_override={"concurrency": 1000}))


class Tool(LatencyStation):
    def setup(self) -> None:
        self.fail = float(self.params["failure_rate"])
        self.add = int(self.params["output_tokens"])
        self.price = float(self.params["usd_per_call"])

    def outcome(self, req: Request) -> str | None:
        self.charge(req, self.price)
        if self.chance(self.fail):
            return "error"
        req.context_tokens += self.add
        return None


TOOL_PARAMS = (
    Param("failure_rate", "float", 0.01, "fraction", 0, 1, help="Share of calls that fail.", source=ASSUMED),
    Param("output_tokens", "int", 200, "tokens", 0, 1_000_000, help="Tokens the tool's result adds to the prompt.",
          source=ASSUMED),
    Param("usd_per_call", "float", 0.0, "USD", 0, 1000, help="Price per call (paid APIs, web search)."),
)

register(ComponentKind(
    "tool", "agents", "Tool (external API)",
    "A function the agent calls: an external API, a DB query, a sandbox; latency, failures, timeout.",
    (latency_param(150.0, 1000.0, ASSUMED + " (external HTTP APIs: hundreds of ms)"), *TOOL_PARAMS),
    Tool, per_replica_cost, outcomes=("error",), icon="tool", defaults_override={"concurrency": 1000}))

register(ComponentKind(
    "mcp_server", "agents", "MCP server",
    "Tools behind the Model Context Protocol: a network hop plus the tool's own time.",
    (latency_param(30.0, 200.0, ASSUMED), *TOOL_PARAMS, price_param(0.10, ASSUMED)),
    Tool, per_replica_cost, outcomes=("error",), icon="mcp_server", defaults_override={"concurrency": 256}))

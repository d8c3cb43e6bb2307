"""Operations kinds: autoscaler (attached to a node) and observability (cost only)."""

from __future__ import annotations

import math
from typing import Any

from kernels.sources import cite
from simulation.engine.request import Request
from simulation.engine.runtime import NodeRuntime
from simulation.params import Param
from simulation.registry import ComponentKind, register
from simulation.units import HOURS_PER_MONTH


class Autoscaler(NodeRuntime):
    """Every ``interval_s`` compares the target's utilisation with the goal and, after the scale-out delay,
    changes its replica count within [min, max]."""

    def __init__(self, sim: Any, node: Any, params: dict[str, Any]) -> None:
        super().__init__(sim, node, params)
        self.events: list[tuple[float, int]] = []
        if params["target"]:
            sim.call_later(0.0, self._tick)

    def accept(self, req: Request) -> None:  # pragma: no cover - structural check forbids edges
        self.sim.finish(self, req)

    def _tick(self) -> None:
        rt = self.sim.runtimes.get(self.params["target"])
        util = rt.load_fraction() if rt is not None else None
        if util is not None:
            want = math.ceil(rt.replicas * util / float(self.params["target_utilization"])) if util else 1
            want = max(int(self.params["min_replicas"]), min(int(self.params["max_replicas"]), want))
            if want != rt.replicas:
                self.sim.call_later(float(self.params["scale_out_delay_s"]) if want > rt.replicas else 0.0,
                                    self._apply, rt, want)
        self.sim.call_later(float(self.params["interval_s"]), self._tick)

    def _apply(self, rt: NodeRuntime, want: int) -> None:
        rt.set_replicas(want)
        self.events.append((self.sim.now, want))

    def stats(self) -> dict[str, Any]:
        return {"served": 0, "replicas": 1, "scaling_events": len(self.events)}


register(ComponentKind(
    "autoscaler", "operations", "Autoscaler",
    "Attached to one node (by id): adds replicas when utilisation stays above the target, after a scale-out delay.",
    (Param("target", "str", "", help="Id of the node it scales."),
     Param("target_utilization", "float", 0.7, "fraction", 0.05, 1, help="Utilisation it aims for.",
           source=cite("k8s-hpa", detail="a common autoscaler target; Kubernetes HPA examples use 50–80 %")),
     Param("scale_out_delay_s", "float", 120.0, "s", 0, 86400, help="Time to bring up a replica.",
           source="assumption: VM/pod start plus model load"),
     Param("interval_s", "float", 30.0, "s", 1, 86400, help="How often it checks."),
     Param("min_replicas", "int", 1, "replicas", 1, 10000),
     Param("max_replicas", "int", 10, "replicas", 1, 10000)),
    Autoscaler, icon="autoscaler", can_fail=False))


class CostOnly(NodeRuntime):
    def accept(self, req: Request) -> None:  # pragma: no cover - structural check forbids edges
        self.sim.finish(self, req)


register(ComponentKind(
    "observability", "operations", "Observability",
    "Logging, tracing and metrics: a monthly cost, no effect on requests.",
    (Param("usd_per_month", "float", 500.0, "USD/month", 0, 1e9, help="Monthly bill.",
           source="assumption; set your own"),),
    CostOnly, lambda p: float(p["usd_per_month"]) / HOURS_PER_MONTH, icon="observability", can_fail=False))

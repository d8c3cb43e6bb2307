"""The fault policy nodes share: client retries with exponential backoff, a circuit breaker, and what an
outage does to the work a node already holds (``outage_policy``).

``Station`` (generic nodes) carries the same rules inline on its hot path; the LLM runtimes (``llm_server``,
``llm_api``), which are not stations, call this helper so that the parameters they declare are applied.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.engine.request import Request
    from simulation.engine.runtime import NodeRuntime

BREAKER_WINDOW = 20  # calls the breaker looks back over (COMMON_PARAMS breaker_threshold help)
BREAKER_MIN_CALLS = 10  # it judges only once this many calls are in the window


class FaultPolicy:
    """Per-node retry/breaker state; ``node`` is the runtime whose parameters and random stream it uses."""

    def __init__(self, node: NodeRuntime, params: dict[str, Any]) -> None:
        self.node = node
        self.retries = int(params.get("retries", 0))
        self.backoff_s = float(params.get("retry_backoff_ms", 100.0)) / 1000.0
        self.threshold = float(params.get("breaker_threshold", 0.0))
        self.cooldown_s = float(params.get("breaker_cooldown_s", 30.0))
        self.fail_in_flight = str(params.get("outage_policy", "fail")) == "fail"
        self.recent: deque[bool] = deque(maxlen=BREAKER_WINDOW)
        self.open_until = -1.0
        self.trips = 0
        self.fast_failed = 0
        self.retried = 0
        self.errors = 0

    def open(self, now: float) -> bool:
        """The breaker is open: fail the call at once (counted) without trying the node."""
        if self.open_until > now:
            self.fast_failed += 1
            return True
        return False

    def succeeded(self) -> None:
        if self.threshold:
            self.recent.append(False)

    def failed(self, req: Request, enter: float, record_hop: bool = True) -> None:
        """A call failed: retry after a jittered exponential backoff while the request's budget lasts, else
        hand the request to the engine's error path (error edge or failure)."""
        node = self.node
        sim = node.sim
        now = sim.env._now
        self.errors += 1
        if self.threshold:
            self.recent.append(True)
            if len(self.recent) >= BREAKER_MIN_CALLS and sum(self.recent) / len(self.recent) >= self.threshold:
                self.open_until = now + self.cooldown_s
                self.trips += 1
                self.recent.clear()
        if req.retries < self.retries:
            req.retries += 1
            self.retried += 1
            delay = self.backoff_s * 2 ** (req.retries - 1) * (0.5 + node.rng.random())
            sim.call_later(delay, node.accept, req)
            return
        sim.node_error(node, req, enter, "error", record_hop=record_hop)

    def reset_stats(self) -> None:
        self.errors = self.retried = self.fast_failed = 0

    def stats(self) -> dict[str, Any]:
        return {"errors": self.errors, "retried": self.retried, "breaker_trips": self.trips,
                "fast_failed": self.fast_failed}


def outage_starts(node: NodeRuntime) -> list[float]:
    """Start times of the node's outage windows (where an outage policy acts on held work)."""
    return sorted({float(a) for a, b in node.outages if b > a})


def crossed_outage(starts: list[float], enter: float, now: float) -> bool:
    """Work that entered before an outage began and finishes after it began was in the node at the outage."""
    return any(enter < s <= now for s in starts)

"""Node behaviours: the base class and the generic M/M/c-style station most kinds use."""

from __future__ import annotations

from array import array
from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from simulation.design import Node
    from simulation.engine.core import Simulation
    from simulation.engine.request import Request


class NodeRuntime:
    """Base of every node behaviour. Subclasses call ``self.sim.finish(self, req, outcome)`` when done."""

    buffers = False  # holds a streamed answer until complete (output guardrail in buffering mode)

    def __init__(self, sim: Simulation, node: Node, params: dict[str, Any]) -> None:
        self.sim = sim
        self.node = node
        self.id = node.id
        self.params = params
        self.replicas = int(params.get("replicas", 1))
        self.rng: np.random.Generator = sim.rng(f"node:{node.id}")
        self.served = 0
        self.spent_usd = 0.0  # pay-per-use spend of measured requests (API tokens, tool calls)
        faults = node.faults or {}
        self.error_rate = float(faults.get("error_rate", 0.0))
        self.slowdown = float(faults.get("slowdown", 1.0))
        self.outages = [tuple(w) for w in faults.get("outages", [])]
        self.slow_windows = [tuple(w) for w in faults.get("slowdown_windows", [])]

    # -- engine hooks ----------------------------------------------------------------------------
    def accept(self, req: Request) -> None:
        raise NotImplementedError

    def stats(self) -> dict[str, Any]:
        return {"served": self.served, "replicas": self.replicas}

    def sample(self) -> dict[str, float]:
        """Instantaneous state for timelines (queue depth, busy servers...)."""
        return {}

    def reset_stats(self) -> None:
        """Called at the end of warm-up."""
        self.served = 0

    # -- scaling (the autoscaler drives these) ---------------------------------------------------
    def load_fraction(self) -> float | None:
        """Now: demand over capacity (1 = every server busy, above 1 = work waiting); None = not scalable."""
        return None

    def set_replicas(self, n: int) -> None:
        """Change the replica count to ``n`` (≥ 1); only runtimes whose ``load_fraction`` is not None can."""
        raise NotImplementedError(f"{type(self).__name__} cannot change its replica count")

    def charge(self, req: Request, usd: float) -> None:
        """Pay-per-use spend, kept on the request and on the node for the cost breakdown."""
        req.variable_cost_usd += usd
        if req.measured:
            self.spent_usd += usd

    # -- fault helpers ---------------------------------------------------------------------------
    def is_down(self, t: float) -> bool:
        return any(a <= t < b for a, b in self.outages)

    def slow_factor(self, t: float) -> float:
        f = self.slowdown
        for a, b, k in self.slow_windows:
            if a <= t < b:
                f *= k
        return f


class Station(NodeRuntime):
    """``replicas × concurrency`` servers sharing one FIFO queue, with a queue limit and a queue timeout.

    One shared queue models the node's own balancer sending work to the first free server (join the
    shortest queue); with Poisson arrivals and exponential service it is exactly M/M/c.
    """

    def __init__(self, sim: Simulation, node: Node, params: dict[str, Any]) -> None:
        super().__init__(sim, node, params)
        self.servers = self.replicas * int(params.get("concurrency", 1))
        self.queue_limit = int(params.get("queue_limit", 0))
        self.timeout_s = float(params.get("timeout_ms", 0.0)) / 1000.0
        self.busy = 0
        self.per_replica = int(params.get("concurrency", 1))
        self.retries = int(params.get("retries", 0))
        self.backoff_s = float(params.get("retry_backoff_ms", 100.0)) / 1000.0
        self.breaker_threshold = float(params.get("breaker_threshold", 0.0))
        self.breaker_cooldown = float(params.get("breaker_cooldown_s", 30.0))
        self.recent: deque[bool] = deque(maxlen=20)
        self.breaker_open_until = -1.0
        self.breaker_trips = 0
        self.fast_failed = 0
        self.retried = 0
        self.errors = 0
        self._lost_by_event: dict[int, int] = {}  # replica_loss event -> replicas it actually took
        for i, loss in enumerate((node.faults or {}).get("replica_loss", [])):
            sim.call_later(float(loss["at_s"]), self._lose_replicas, int(loss.get("replicas", 1)), i)
            sim.call_later(float(loss["at_s"]) + float(loss.get("recovery_s", 300.0)), self._recover_replicas, i)
        # outage_policy "fail": an outage fails the work the node holds (queued and in service), as a crash does
        self._outage_starts: list[float] = []
        if self.outages and str(params.get("outage_policy", "fail")) == "fail":
            from simulation.engine.resilience import outage_starts

            self._outage_starts = outage_starts(self)
            for t in self._outage_starts:
                sim.call_later(t, self._outage_begins)
        self.queue: deque[list[Any]] = deque()
        # Hot-path shortcuts: a request passes accept/_start/_done at every station.
        self._call_later = sim.call_later
        self._guarded = bool(self.breaker_threshold or self.outages)
        self._slowed = self.slowdown != 1.0 or bool(self.slow_windows)
        self.queued = 0  # live entries (timed-out ones stay in the deque until popped)
        self._last_t = 0.0
        self._busy_area = 0.0
        self._queue_area = 0.0
        self._cap_area = 0.0
        self._t0 = 0.0
        self.waits = array("d")  # 8 bytes a measured request
        self.dropped = 0
        self.timed_out = 0

    # subclasses -------------------------------------------------------------------------------
    def service_time(self, req: Request) -> float:
        raise NotImplementedError

    def outcome(self, req: Request) -> str | None:
        return None

    # mechanics --------------------------------------------------------------------------------
    def _account(self, now: float) -> None:
        dt = now - self._last_t
        if dt:
            self._busy_area += self.busy * dt
            self._queue_area += self.queued * dt
            self._cap_area += self.servers * dt  # servers change with replica loss and autoscaling
            self._last_t = now

    def accept(self, req: Request) -> None:
        now = self.sim.now
        if self._guarded:  # breaker or outage windows configured: the common case skips both checks
            if self.breaker_open_until > now:
                self.fast_failed += 1
                self.sim.node_error(self, req, now, "error")
                return
            if self.outages and self.is_down(now):
                self._failed(req, now)
                return
        self._account(now)
        if self.busy < self.servers:
            self._start(req, now, now)
            return
        if self.queue_limit and self.queued >= self.queue_limit:
            self.dropped += 1
            self.sim.node_error(self, req, now, "dropped")
            return
        entry = [req, now, True]
        self.queue.append(entry)
        self.queued += 1
        if self.timeout_s:
            self.sim.call_later(self.timeout_s, self._expire, entry)

    def _expire(self, entry: list[Any]) -> None:
        if not entry[2]:
            return
        entry[2] = False
        now = self.sim.now
        self._account(now)
        self.queued -= 1
        self.timed_out += 1
        self.sim.node_error(self, entry[0], entry[1], "timeout")

    def _start(self, req: Request, enter: float, now: float) -> None:
        self.busy += 1
        if req.measured:
            self.waits.append(now - enter)
        dt = self.service_time(req)
        if self._slowed:
            dt *= self.slow_factor(now)
        self._call_later(dt, self._done, req, enter)

    def _done(self, req: Request, enter: float) -> None:
        now = self.sim.now
        self._account(now)
        self.busy -= 1
        self.served += 1
        if self.queue:
            self.start_waiting(now)
        req.hops.append((self.id, enter, now))
        if (self.error_rate and self.rng.random() < self.error_rate) or (
                self._outage_starts and self._in_outage(enter, now)):
            self._failed(req, enter, record_hop=False)
            return
        if self.breaker_threshold:
            self.recent.append(False)
        self.route_on(req)

    def route_on(self, req: Request) -> None:
        """Hand a served request back to the engine (a balancer overrides this to pick its target)."""
        self.sim.finish(self, req, self.outcome(req))

    def start_waiting(self, now: float) -> None:
        """Start queued requests while servers are free (skipping entries that already timed out)."""
        queue = self.queue
        while queue and self.busy < self.servers:
            entry = queue.popleft()
            if entry[2]:
                entry[2] = False
                self.queued -= 1
                self._start(entry[0], entry[1], now)

    # resilience -------------------------------------------------------------------------------
    def _failed(self, req: Request, enter: float, record_hop: bool = True) -> None:
        """A call failed: retry with exponential backoff while the budget lasts, else take the error path."""
        now = self.sim.now
        self.errors += 1
        if self.breaker_threshold:
            self.recent.append(True)
            if len(self.recent) >= 10 and sum(self.recent) / len(self.recent) >= self.breaker_threshold:
                self.breaker_open_until = now + self.breaker_cooldown
                self.breaker_trips += 1
                self.recent.clear()
        if req.retries < self.retries:
            req.retries += 1
            self.retried += 1
            delay = self.backoff_s * 2 ** (req.retries - 1) * (0.5 + self.rng.random())
            self.sim.call_later(delay, self.accept, req)
            return
        self.sim.node_error(self, req, enter, "error", record_hop=record_hop)

    def _lose_replicas(self, lost: int, event: int | None = None) -> None:
        """GPU/replica loss (lost > 0) or recovery (lost < 0): the node keeps at least zero servers."""
        now = self.sim.now
        self._account(now)
        taken = min(max(lost, 0), self.replicas)
        if event is not None:
            self._lost_by_event[event] = taken  # recovery brings back what was lost, not what was asked for
        self.replicas = max(self.replicas - lost, 0)
        self.servers = self.replicas * self.per_replica
        self.start_waiting(now)

    def _recover_replicas(self, event: int) -> None:
        self._lose_replicas(-self._lost_by_event.pop(event, 0))

    def _in_outage(self, enter: float, now: float) -> bool:
        from simulation.engine.resilience import crossed_outage

        return crossed_outage(self._outage_starts, enter, now)

    def _outage_begins(self) -> None:
        """The node goes down: its queue is lost (each waiting request fails by the error path)."""
        now = self.sim.env._now
        self._account(now)
        waiting = [e for e in self.queue if e[2]]
        self.queue.clear()
        self.queued = 0
        for entry in waiting:
            entry[2] = False
            self._failed(entry[0], entry[1])

    # scaling ----------------------------------------------------------------------------------
    def load_fraction(self) -> float | None:
        return (self.busy + self.queued) / max(self.servers, 1)

    def set_replicas(self, n: int) -> None:
        """Servers follow the replica count; busy servers above the new count finish their request first."""
        now = self.sim.now
        self._account(now)
        self.replicas = n
        self.servers = n * self.per_replica
        self.start_waiting(now)

    # statistics -------------------------------------------------------------------------------
    def reset_stats(self) -> None:
        now = self.sim.now
        self._account(now)
        self._busy_area = self._queue_area = self._cap_area = 0.0
        self._t0 = now
        self.served = 0
        self.dropped = self.timed_out = 0
        self.errors = self.retried = self.fast_failed = 0

    def sample(self) -> dict[str, float]:
        return {"queue": float(self.queued), "busy": float(self.busy),
                "utilization": self.busy / self.servers if self.servers else 1.0}

    def stats(self) -> dict[str, Any]:
        now = self.sim.now
        self._account(now)
        span = max(now - self._t0, 1e-12)
        waits = np.asarray(self.waits) if self.waits else np.zeros(1)
        return {
            "utilization": self._busy_area / self._cap_area if self._cap_area else 0.0,
            "mean_replicas": self._cap_area / span / max(self.per_replica, 1) if self._cap_area else self.replicas,
            "mean_queue": self._queue_area / span,
            "mean_wait_ms": float(waits.mean() * 1000),
            "p99_wait_ms": float(np.percentile(waits, 99) * 1000),
            "served": self.served,
            "replicas": self.replicas,
            "servers": self.servers,
            "dropped": self.dropped,
            "timed_out": self.timed_out,
            "errors": self.errors,
            "retried": self.retried,
            "breaker_trips": self.breaker_trips,
            "fast_failed": self.fast_failed,
        }

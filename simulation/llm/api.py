"""The ``llm_api`` runtime: a hosted model bought per token.

Time to first token and output speed come from distributions (by default lognormals around the
catalog's published medians); requests-per-minute and tokens-per-minute limits are token buckets that
either queue the request until capacity returns or fail it at once with a 429 (the ``error`` outcome);
every answer is charged its input and output tokens at the model's list price.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.distributions import Dist, parse_dist
from simulation.engine.resilience import FaultPolicy, crossed_outage, outage_starts
from simulation.engine.runtime import NodeRuntime
from simulation.llm.catalog import api_model

if TYPE_CHECKING:
    from simulation.design import Node
    from simulation.engine.core import Simulation
    from simulation.engine.request import Request

# Published figures are medians; the tails are an assumption (no provider publishes percentiles,
# an assumption): TTFT p99 = 3 × p50, output speed p1 = half the median.
TTFT_P99_FACTOR = 3.0
SPEED_LOW_FACTOR = 0.5


class _Bucket:
    """Token bucket refilled continuously at ``per_minute / 60`` per second, holding at most a minute."""

    __slots__ = ("cap", "rate", "level", "t")

    def __init__(self, per_minute: float) -> None:
        self.cap = per_minute
        self.rate = per_minute / 60.0
        self.level = per_minute
        self.t = 0.0

    def refill(self, now: float) -> None:
        self.level = min(self.cap, self.level + (now - self.t) * self.rate)
        self.t = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` is available (after refill)."""
        short = amount - self.level
        return short / self.rate if short > 0 else 0.0


class LLMAPI(NodeRuntime):
    def __init__(self, sim: Simulation, node: Node, params: dict[str, Any]) -> None:
        super().__init__(sim, node, params)
        path = f"nodes.{node.id}.params"
        spec = api_model(params["provider_model"], f"{path}.provider_model")
        self.spec = spec
        if params.get("use_catalog_latency", True):
            p50 = spec.ttft_s * 1000.0
            self.ttft: Dist = parse_dist({"dist": "lognormal", "p50": p50, "p99": p50 * TTFT_P99_FACTOR}, path)
            # per-token gap (ms) lognormal: median = 1 / published speed, p99 = twice that (half speed)
            gap_ms = 1000.0 / spec.output_tokens_per_s
            self.speed: Dist = parse_dist({"dist": "lognormal", "p50": gap_ms, "p99": gap_ms / SPEED_LOW_FACTOR},
                                          path)
            self._gap_dist = True
        else:
            self.ttft = parse_dist(params["ttft"], f"{path}.ttft")
            self.speed = parse_dist(params["output_speed"], f"{path}.output_speed")
            self._gap_dist = False
        if params.get("use_catalog_prices", True):
            self.price_in, self.price_out = spec.input_usd_per_1m, spec.output_usd_per_1m
        else:
            self.price_in = float(params["input_usd_per_1m"])
            self.price_out = float(params["output_usd_per_1m"])
        limits = str(params.get("rate_limits", "catalog"))
        rpm = spec.rpm if limits == "catalog" else float(params.get("rpm", 0))
        tpm = spec.tpm if limits == "catalog" else float(params.get("tpm", 0))
        scale = self.replicas  # replicas = separate keys / deployments, each with its own limits
        self.rpm = _Bucket(rpm * scale) if limits != "none" and rpm > 0 else None
        self.tpm = _Bucket(tpm * scale) if limits != "none" and tpm > 0 else None
        self.on_limit = str(params.get("on_rate_limit", "queue"))
        self.max_out = int(params.get("max_output_tokens", 0))
        self.api_error_rate = float(params.get("error_rate", 0.0))
        self.queue_limit = int(params.get("queue_limit", 0))
        self.timeout_s = float(params.get("timeout_ms", 0.0)) / 1000.0
        self.queue: deque[list[Any]] = deque()
        self._retry_pending = False
        self.in_flight = 0
        self.throttled = 0
        self.waits: list[float] = []
        self._t0 = self._last = 0.0
        self._flight_area = self._queue_area = 0.0
        self.dropped = self.timed_out = 0
        # fault policy (retries, breaker, outage_policy): shared with llm_server, see engine/resilience.py
        self.fault = FaultPolicy(self, params)
        self._outage_starts = outage_starts(self) if self.outages and self.fault.fail_in_flight else []
        for t in self._outage_starts:
            sim.call_later(t, self._outage_begins)

    # -- mechanics ----------------------------------------------------------------------------------
    def _account(self, now: float) -> None:
        dt = now - self._last
        if dt:
            self._flight_area += self.in_flight * dt
            self._queue_area += len(self.queue) * dt
            self._last = now

    def _out(self, req: Request) -> int:
        """Tokens this call generates: the request's answer length, capped by max_output_tokens."""
        out = max(1, int(req.output_tokens))
        return min(out, self.max_out) if self.max_out else out

    def _tokens(self, req: Request) -> float:
        return float(req.prompt_tokens + self._out(req))

    def _admit(self, req: Request, now: float) -> float:
        """0 when the limits let req through now (and charges the buckets), else the seconds to wait."""
        wait = 0.0
        if self.rpm is not None:
            self.rpm.refill(now)
            wait = self.rpm.wait_for(1.0)
        if self.tpm is not None:
            self.tpm.refill(now)
            wait = max(wait, self.tpm.wait_for(self._tokens(req)))
        if wait > 0:
            return wait
        if self.rpm is not None:
            self.rpm.level -= 1.0
        if self.tpm is not None:
            self.tpm.level -= self._tokens(req)
        return 0.0

    def accept(self, req: Request) -> None:
        now = self.sim.now
        self._account(now)
        if self.fault.open_until > now and self.fault.open(now):
            self.sim.node_error(self, req, now, "error")  # breaker open: fail fast, no retry
            return
        if self.outages and self.is_down(now):
            self.fault.failed(req, now)
            return
        if self.tpm is not None and self._tokens(req) > self.tpm.cap:
            self.throttled += 1  # a single request above the per-minute token limit can never pass
            self.sim.node_error(self, req, now, "error")
            return
        if self.queue:
            self._enqueue(req, now)
            return
        wait = self._admit(req, now)
        if wait == 0.0:
            self._start(req, now, now)
            return
        self.throttled += 1
        if self.on_limit == "error":
            self.sim.node_error(self, req, now, "error")  # HTTP 429
            return
        self._enqueue(req, now)

    def _enqueue(self, req: Request, now: float) -> None:
        if self.queue_limit and len(self.queue) >= self.queue_limit:
            self.dropped += 1
            self.sim.node_error(self, req, now, "dropped")
            return
        entry = [req, now, True]
        self.queue.append(entry)
        if self.timeout_s:
            self.sim.call_later(self.timeout_s, self._expire, entry)
        self._schedule_retry(now)

    def _expire(self, entry: list[Any]) -> None:
        if not entry[2]:
            return
        now = self.sim.now
        self._account(now)
        entry[2] = False
        self.queue.remove(entry)
        self.timed_out += 1
        self.sim.node_error(self, entry[0], entry[1], "timeout")

    def _schedule_retry(self, now: float) -> None:
        if self._retry_pending or not self.queue:
            return
        head = self.queue[0][0]
        wait = 0.0
        if self.rpm is not None:
            self.rpm.refill(now)
            wait = self.rpm.wait_for(1.0)
        if self.tpm is not None:
            self.tpm.refill(now)
            wait = max(wait, self.tpm.wait_for(self._tokens(head)))
        self._retry_pending = True
        self.sim.call_later(max(wait, 1e-6), self._drain)

    def _drain(self) -> None:
        self._retry_pending = False
        now = self.sim.now
        self._account(now)
        while self.queue:
            req, enter, _live = self.queue[0]
            if self._admit(req, now) > 0:
                break
            entry = self.queue.popleft()
            entry[2] = False
            self._start(req, enter, now)
        self._schedule_retry(now)

    def _start(self, req: Request, enter: float, now: float) -> None:
        if req.measured:
            self.waits.append(now - enter)
        self.in_flight += 1
        ttft = self.ttft.sample(self.rng) / 1000.0
        draw = max(self.speed.sample(self.rng), 1e-6)
        speed = 1000.0 / draw if self._gap_dist else max(draw, 1e-3)
        if self.slowdown != 1.0 or self.slow_windows:
            factor = self.slow_factor(now)
            ttft *= factor
            speed /= factor
        out = self._out(req)
        gap = 1.0 / speed
        req.first_token = now + ttft
        req.itl_runs = [(gap, out - 1)] if out > 1 else []
        self.sim.call_later(ttft + gap * (out - 1), self._done, req, enter)

    def _done(self, req: Request, enter: float) -> None:
        now = self.sim.now
        self._account(now)
        self.in_flight -= 1
        self.served += 1
        req.hops.append((self.id, enter, now))
        if (self.api_error_rate and self.rng.random() < self.api_error_rate) or (
                self.error_rate and self.rng.random() < self.error_rate) or (
                self._outage_starts and crossed_outage(self._outage_starts, enter, now)):
            req.first_token, req.itl_runs = None, []  # the failed call's answer never arrived
            self.fault.failed(req, enter, record_hop=False)  # a 5xx or a dropped connection: retried if allowed
            return
        self.fault.succeeded()
        out = self._out(req)
        req.llm_done = now
        req.llm_output_tokens = out
        req.llm_calls += 1
        self.charge(req, (req.prompt_tokens * self.price_in + out * self.price_out) / 1e6)
        self.sim.finish(self, req)

    def _outage_begins(self) -> None:
        """outage_policy fail: the provider goes down; requests waiting in the client-side queue fail now
        (calls in flight fail when they would have answered)."""
        now = self.sim.env._now
        self._account(now)
        waiting = [e for e in self.queue if e[2]]
        self.queue.clear()
        for entry in waiting:
            entry[2] = False
            self.fault.failed(entry[0], entry[1])

    # -- statistics ----------------------------------------------------------------------------------
    def reset_stats(self) -> None:
        now = self.sim.now
        self._account(now)
        self.fault.reset_stats()
        self._t0 = now
        self._flight_area = self._queue_area = 0.0
        self.served = self.throttled = self.dropped = self.timed_out = 0

    def sample(self) -> dict[str, float]:
        return {"queue": float(len(self.queue)), "in_flight": float(self.in_flight)}

    def stats(self) -> dict[str, Any]:
        now = self.sim.now
        self._account(now)
        span = max(now - self._t0, 1e-12)
        waits = np.asarray(self.waits) if self.waits else np.zeros(1)
        rpm_cap = self.rpm.cap if self.rpm else 0.0
        return {
            "utilization": (self.served / span * 60.0 / rpm_cap) if rpm_cap else 0.0,
            "mean_queue": self._queue_area / span,
            "mean_wait_ms": float(waits.mean() * 1000),
            "p99_wait_ms": float(np.percentile(waits, 99) * 1000),
            "served": self.served,
            "replicas": self.replicas,
            "in_flight_mean": self._flight_area / span,
            "throttled": self.throttled,
            "dropped": self.dropped,
            "timed_out": self.timed_out,
            "usd_spent": self.spent_usd,
            "usd_per_1m_input": self.price_in,
            "usd_per_1m_output": self.price_out,
            **self.fault.stats(),
        }

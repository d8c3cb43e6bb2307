"""The SimPy engine: callback-based so a request costs a handful of events, not a process each."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from heapq import heappush
from pathlib import Path
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL

from simulation.arrivals import MAX_RATE_PER_S, parse_workload
from simulation.design import Design, Edge
from simulation.engine.completed import Completed
from simulation.engine.request import Request
from simulation.engine.runtime import NodeRuntime
from simulation.errors import DesignError
from simulation.metrics import RunResult
from simulation.registry import get_kind
from simulation.structure import structural_errors

ProgressFn = Callable[[float, float], None]  # (fraction done, simulated seconds)
TIMELINE_POINTS = 400
CHUNKS = 1000  # the run advances in chunks: progress, cancellation and timeline samples happen between them
MAX_FANOUT_DEPTH = 16  # fan-outs nested inside fan-out branches (a loop through a fan-out nests once per turn)
MAX_BRANCHES = 256  # branches one request may spawn in all; beyond it the request fails instead of exhausting memory
MAX_SEED = 2**63 - 1
MAX_DURATION_S = 366 * 86400.0  # a year of simulated time: the most the design file and the CLI accept
ENGINE_MAX_DURATION_S = 1e9  # the engine's own sanity bound (benchmarks run "until N requests" under it)
MAX_CALL_DEPTH = 64  # zero-time hops run inline up to this depth, then go through the event queue (no recursion)
_RETRY = "\x00retry:"  # prefix of the per-request counters of retry-budget edges (in Request.visits)
HOPS_KEPT = 5000  # requests whose per-node enter/leave records are kept (waterfalls, stage breakdowns)


class Cancelled(Exception):
    pass


@contextmanager
def rare_collections(gen0: int = 50_000) -> Iterator[None]:
    """Fewer cyclic-GC passes while events run: a run allocates millions of short-lived, acyclic objects
    (events, tuples), and the default threshold (700) spent 5–15 % of a run's CPU scanning them."""
    old = gc.get_threshold()
    gc.set_threshold(gen0, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _fire(event: _Call) -> None:
    event.fn(*event.args)


_FIRE = (_fire,)  # shared by every _Call: SimPy only iterates an event's callbacks, then sets them to None


class _Call:
    """The lightest event SimPy's ``step`` accepts: callbacks, an ok flag and our function.

    A ``simpy.Timeout`` per delay costs about twice as much; requests take several delays each.
    """

    __slots__ = ("callbacks", "fn", "args")
    _ok = True
    _value = None

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.callbacks = _FIRE
        self.fn = fn
        self.args = args


class _Route:
    """Pre-computed out edges of one node: conditional edges by outcome, plain edges with weights."""

    __slots__ = ("by_outcome", "plain", "cum", "total", "is_fanout", "join")

    def __init__(self, edges: list[Edge], is_fanout: bool, join: str | None) -> None:
        self.by_outcome: dict[str, list[Edge]] = {}
        self.plain: list[Edge] = []
        for e in edges:
            if e.when:
                self.by_outcome.setdefault(e.when, []).append(e)
            else:
                self.plain.append(e)
        self.cum = np.cumsum([e.weight for e in self.plain]) if self.plain else np.zeros(0)
        self.total = float(self.cum[-1]) if len(self.cum) else 0.0
        self.is_fanout = is_fanout
        self.join = join


class Simulation:
    def __init__(self, design: Design, seed: int | None = None, duration_s: float | None = None,
                 progress: ProgressFn | None = None, warmup_s: float | None = None,
                 record_hops: bool = True, keep_requests: bool = True, keep_token_timings: bool = True) -> None:
        self.design = design
        base = design.base_dir
        self.base_dir = Path(base) if base else None
        self.workload = workload = parse_workload(design.workload, "workload", self.base_dir)
        self.seed = workload.seed if seed is None else int(seed)
        if not 0 <= self.seed <= MAX_SEED:
            raise DesignError(f"must be an integer in 0…{MAX_SEED}, got {self.seed}",
                              "--seed" if seed is not None else "workload.seed")
        self.duration = float(duration_s if duration_s is not None else workload.duration_s)
        if not 0 < self.duration <= ENGINE_MAX_DURATION_S:  # NaN, inf or 1e12 s would never reach the end
            raise DesignError(f"must be a number of seconds in 0…{ENGINE_MAX_DURATION_S:.0f}, got {self.duration:g}",
                              "--duration" if duration_s is not None else "workload.duration_s")
        self.warmup = workload.warmup_s if warmup_s is None else float(warmup_s)
        if self.warmup >= self.duration:
            self.warmup = 0.0
        self.progress = progress
        self.record_hops = record_hops
        self._cancel = False
        self._seq = np.random.SeedSequence(self.seed)
        self.env = simpy.Environment()
        self.completed = Completed(keep_token_timings)  # every measured request, as columns
        self.keep_requests = keep_requests
        problems = structural_errors(design)
        if problems:
            raise DesignError(problems[0])
        self.runtimes: dict[str, NodeRuntime] = {}
        for node in design.nodes:
            kind = get_kind(node.kind)
            params = kind.resolved_params(node.params)
            if params.get("profile"):  # a profile file: confined to the design's folder, opened by its full path
                from simulation.loader import profile_file

                found = profile_file(str(params["profile"]), self.base_dir, f"nodes.{node.id}.params.profile")
                if found is not None:
                    params["profile"] = str(found)
            if kind.runtime is None:
                raise DesignError(f"kind {node.kind} cannot be simulated yet", f"nodes.{node.id}")
            rt = kind.runtime(self, node, params)
            rt.buffers = kind.buffers_output(params)
            self.runtimes[node.id] = rt
        self.routes = {
            n.id: _Route(design.out_edges(n.id), n.kind == "fanout",
                         (self.runtimes[n.id].params.get("join") or None) if n.kind == "fanout" else None)
            for n in design.nodes
        }
        self._route_rng = self.rng("routing")
        self.clients = [n.id for n in design.nodes if n.kind == "client"]
        self.done: list[Request] = []  # measured Request objects, when keep_requests (live views, waterfalls)
        self.arrived = 0
        self.measured_arrived = 0
        self.in_flight = 0
        self._next_id = 0
        self.timeline: dict[str, Any] = {"t": [], "completed": [], "nodes": {nid: [] for nid in self.runtimes}}
        self._classes = workload.classes
        self._class_rng = self.rng("classes")
        self._tok_rng = self.rng("tokens")
        weights = np.array([c.weight for c in self._classes], dtype=float)
        self._class_cum = np.cumsum(weights / weights.sum())
        self._joins: dict[int, list[Request]] = {}  # keyed by id() of the fanned-out request: one per instance
        self._depth = 0  # zero-time hops running inline (see _follow)

    # -- public helpers for node behaviours -----------------------------------------------------
    def rng(self, name: str) -> np.random.Generator:
        """An independent stream per name: same seed and names give the same numbers."""
        key = [int(b) for b in name.encode("utf-8")]
        return np.random.default_rng(np.random.SeedSequence(entropy=self.seed, spawn_key=tuple(key)))

    @property
    def now(self) -> float:
        """Simulated time (s). The only reader of SimPy's clock outside this module is ``now``."""
        return self.env._now

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` after ``delay`` simulated seconds: one entry in SimPy's event queue."""
        env = self.env
        heappush(env._queue, (env._now + (delay if delay > 0 else 0.0), NORMAL, next(env._eid), _Call(fn, args)))

    def idle(self) -> bool:
        """Nothing is scheduled any more."""
        return not self.env._queue

    def cancel(self) -> None:
        self._cancel = True

    # -- request life ---------------------------------------------------------------------------
    def _new_request(self, t: float, isl: int | None, osl: int | None) -> Request:
        idx = 0
        if len(self._classes) > 1:
            idx = int(np.searchsorted(self._class_cum, self._class_rng.random(), side="right"))
            idx = min(idx, len(self._classes) - 1)
        c = self._classes[idx]
        if isl is None:
            isl = max(1, int(round(c.input_tokens.sample(self._tok_rng))))
        if osl is None:
            osl = max(1, int(round(c.output_tokens.sample(self._tok_rng))))
        req = Request(self._next_id, c.name, t, isl, osl)
        self._next_id += 1
        req.measured = t >= self.warmup
        self.arrived += 1
        self.measured_arrived += req.measured
        self.in_flight += 1
        return req

    def _inject(self, req: Request, client: str) -> None:
        self.runtimes[client].accept(req)

    def finish(self, rt: NodeRuntime, req: Request, outcome: str | None = None) -> None:
        """Route ``req`` on from node ``rt`` by its out edges and the node's outcome."""
        route = self.routes[rt.id]
        if rt.buffers and req.first_token is not None:
            req.buffered = True
        if outcome is not None:
            edges = route.by_outcome.get(outcome)
            if edges:
                edge = edges[0]
                if edge.retry_budget is None or self._spend_retry(edge, req):
                    if outcome in ("error", "timeout", "fallback"):
                        req.fallback = True
                    self._follow(edge, req)
                    return
            if outcome == "blocked":
                self._end(req, "blocked")
                return
            if outcome in ("hit", "done"):  # a cache hit / finished agent answers without a matching edge
                self._leaf(req)
                return
            if outcome in ("error", "timeout", "dropped", "failed"):
                self._end(req, "failed" if outcome in ("error", "failed") else outcome)
                return
        if route.is_fanout and route.plain:
            self._fan_out(rt, req, route)
            return
        plain = route.plain
        if not plain:
            self._leaf(req)
            return
        if len(plain) == 1:
            edge = plain[0]
        else:
            x = self._route_rng.random() * route.total
            i = int(np.searchsorted(route.cum, x, side="right"))
            edge = plain[min(i, len(plain) - 1)]
        if edge.retry_budget is not None and not self._spend_retry(edge, req):
            self._end(req, "failed")  # the loop's retry budget is spent: the request gives up
            return
        self._follow(edge, req)

    @staticmethod
    def _spend_retry(edge: Edge, req: Request) -> bool:
        """Count one more pass over a retry edge; False once the edge's budget for this request is spent."""
        visits = req.visits
        if visits is None:
            visits = req.visits = {}
        key = f"{_RETRY}{edge.source}>{edge.target}>{edge.when}"
        used = visits.get(key, 0)
        if used >= (edge.retry_budget or 0):
            return False
        visits[key] = used + 1
        req.retries += 1
        return True

    def node_error(self, rt: NodeRuntime, req: Request, enter: float, kind: str, record_hop: bool = True) -> None:
        """A node failed a request (outage, error, full queue, timeout): take an error edge or fail it."""
        now = self.env._now
        if record_hop:
            req.hops.append((rt.id, enter, now))
        ft = req.first_token
        if ft is not None and (req.llm_done is None or ft > req.llm_done):
            req.first_token = None  # tokens of a call that then failed are no answer: TTFT falls back to E2E
        route = self.routes[rt.id]
        for outcome in ((kind, "error") if kind != "error" else ("error",)):
            edges = route.by_outcome.get(outcome) or route.by_outcome.get("fallback")
            if edges:
                edge = edges[0]
                if edge.retry_budget is not None and not self._spend_retry(edge, req):
                    break
                req.fallback = True
                # through the event queue, never a direct call: error edges between failing nodes would
                # otherwise recurse until the stack overflows
                self.call_later(0.0, self._follow, edge, req)
                return
        self._end(req, {"error": "failed", "dropped": "dropped", "timeout": "timeout"}.get(kind, "failed"))

    def _follow(self, edge: Edge, req: Request) -> None:
        target = self.runtimes[edge.target]
        if req.parent is not None and self._reaches_join(req, edge.target):
            self._branch_done(req)
            return
        self._hand_over(edge, target, req)

    def _hand_over(self, edge: Edge, target: NodeRuntime, req: Request) -> None:
        if edge.latency_ms:
            self.call_later(edge.latency_ms / 1000.0, target.accept, req)
        elif self._depth >= MAX_CALL_DEPTH:
            self.call_later(0.0, target.accept, req)  # a long chain of zero-time nodes: unwind the stack
        else:
            self._depth += 1
            try:
                target.accept(req)
            finally:
                self._depth -= 1

    @staticmethod
    def _reaches_join(req: Request, target: str) -> bool:
        """A branch that reaches its fan-out's join, or the join of a fan-out further out, ends its branch."""
        p = req.parent
        while p is not None:
            if p.join == target:
                return True
            p = p.parent
        return False

    def _fan_out(self, rt: NodeRuntime, req: Request, route: _Route) -> None:
        depth, root = 0, req
        while root.parent is not None:
            depth, root = depth + 1, root.parent
        spawned = (root.visits or {}).get(_RETRY + "branches", 0) + len(route.plain)
        if depth >= MAX_FANOUT_DEPTH or spawned > MAX_BRANCHES:
            self._end(req, "failed")  # a fan-out inside a loop multiplies without end: fail, do not exhaust memory
            return
        if root.visits is None:
            root.visits = {}
        root.visits[_RETRY + "branches"] = spawned
        req.pending = len(route.plain)
        req.join = route.join
        self._joins[id(req)] = []
        budgets = {k: v for k, v in req.visits.items() if k.startswith(_RETRY)} if req.visits else None
        for e in route.plain:
            child = Request(req.id, req.cls, req.arrival, req.input_tokens, req.output_tokens)
            child.context_tokens = req.context_tokens
            child.measured = req.measured
            child.parent = req
            child.hops = []
            if budgets:
                child.visits = dict(budgets)  # retry budgets carry into branches: loops stay bounded
            self._hand_over(e, self.runtimes[e.target], child)

    def _branch_done(self, child: Request) -> None:
        parent = child.parent
        assert parent is not None
        self._joins[id(parent)].append(child)
        parent.pending -= 1
        if parent.pending:
            return
        children = self._joins.pop(id(parent))
        parent.hops.extend(h for c in children for h in c.hops)
        base = parent.context_tokens
        parent.context_tokens = base + sum(c.context_tokens - base for c in children)
        # Branches start with no retrieved chunks: add theirs so a reranker after the join can trim them (hybrid).
        parent.retrieved += sum(c.retrieved for c in children)
        parent.chunk_tokens = max([c.chunk_tokens for c in children if c.retrieved] or [parent.chunk_tokens])
        parent.variable_cost_usd += sum(c.variable_cost_usd for c in children)
        bad = [c for c in children if c.status != "ok"]
        for c in children:
            if c.first_token is not None and (parent.first_token is None or c.llm_done > parent.llm_done):
                parent.first_token, parent.llm_done, parent.itl_runs = c.first_token, c.llm_done, c.itl_runs
                parent.llm_output_tokens = c.llm_output_tokens
        if bad:
            self._end(parent, bad[0].status)
            return
        join = parent.join
        if join:
            self.runtimes[join].accept(parent)
        else:
            self._leaf(parent)

    def _leaf(self, req: Request) -> None:
        if req.parent is not None:
            self._branch_done(req)
            return
        self._end(req, "ok")

    def _end(self, req: Request, status: str) -> None:
        if req.parent is not None:
            req.status = status
            self._branch_done(req)
            return
        req.status = status if req.status == "ok" else req.status
        req.end = self.env._now
        self.in_flight -= 1
        if req.measured:
            self.completed.add(req)
            if self.keep_requests:
                if len(self.done) >= HOPS_KEPT:
                    req.hops = None  # per-node records are kept for the first requests only: memory stays small
                self.done.append(req)
        if self._closed:
            think = self._think.sample(self._think_rng) / 1000.0 if self._think else 0.0
            # a user's next request comes no sooner than the closed loop's rate bound allows: with zero think
            # time and a zero-time path, time would otherwise never advance (an endless loop at one instant)
            think = max(think, self._min_cycle_s - (self.env._now - req.arrival))
            t = self.env._now + think
            if t < self.duration:
                self.call_later(think, self._closed_arrival, req.user)

    # -- arrivals -------------------------------------------------------------------------------
    _closed = False
    _think = None
    _min_cycle_s = 0.0

    def _closed_arrival(self, user: int) -> None:
        req = self._new_request(self.env._now, None, None)
        req.user = user
        self._inject(req, self.clients[user % len(self.clients)])

    def _start_arrivals(self) -> None:
        arrival = self.workload.arrival
        if arrival.closed:
            self._closed = True
            self._think = arrival.think_time()  # type: ignore[attr-defined]
            self._think_rng = self.rng("think")
            # all users together send at most MAX_RATE_PER_S requests a second, as open arrivals may
            self._min_cycle_s = int(arrival.rate_value()) / MAX_RATE_PER_S
            for user in range(int(arrival.rate_value())):
                self.call_later(0.0, self._closed_arrival, user)
            return
        gen = arrival.times(self.rng("arrivals"), self.duration, self.base_dir)
        clients = self.clients
        n_clients = len(clients)
        env = self.env

        def next_arrival(pending: list[Any] = [None]) -> None:  # noqa: B006
            item = pending[0]
            if item is not None:
                t, isl, osl = item
                req = self._new_request(t, isl, osl)
                self._inject(req, clients[req.id % n_clients] if n_clients > 1 else clients[0])
            nxt = next(gen, None)
            pending[0] = nxt
            if nxt is not None:
                self.call_later(nxt[0] - env._now, next_arrival)

        next_arrival()

    # -- running --------------------------------------------------------------------------------
    def run(self, drain_s: float | None = None) -> RunResult:
        with rare_collections():
            return self._run(drain_s)

    def _run(self, drain_s: float | None) -> RunResult:
        wall0 = time.perf_counter()
        self._start_arrivals()
        if self.warmup > 0:
            self.call_later(self.warmup, self._end_warmup)
        drain = drain_s if drain_s is not None else max(60.0, 0.5 * self.duration)
        horizon = self.duration + drain
        step = self.duration / CHUNKS
        sample_every = max(1, CHUNKS // TIMELINE_POINTS)
        cancelled = False
        t = 0.0
        i = 0
        try:
            while True:
                i += 1
                t = min(i * step, horizon)
                self.env.run(until=t)
                if i % sample_every == 0:
                    self._sample()
                if self._cancel:
                    raise Cancelled
                if self.progress:
                    self.progress(min(t / self.duration, 1.0), t)
                if t >= self.duration and (self.in_flight == 0 or t >= horizon):
                    break
                if t >= self.duration and not self.env._queue:
                    break
        except Cancelled:
            cancelled = True
        return RunResult.build(self, wall_s=time.perf_counter() - wall0, cancelled=cancelled, end_t=self.env._now)

    def _end_warmup(self) -> None:
        for rt in self.runtimes.values():
            rt.reset_stats()

    def _sample(self) -> None:
        tl = self.timeline
        tl["t"].append(self.env._now)
        tl["completed"].append(len(self.completed))
        for nid, rt in self.runtimes.items():
            tl["nodes"][nid].append(rt.sample())


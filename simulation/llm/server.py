"""The ``llm_server`` runtime: replicas × (an inference engine on tp × pp GPUs)."""

from __future__ import annotations

from array import array
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from kernels.errors import InputError
from kernels.perf import Profile, load_profile
from simulation.engine.resilience import FaultPolicy, outage_starts
from simulation.engine.runtime import NodeRuntime
from simulation.errors import DesignError
from simulation.llm.catalog import ModelSpec, model
from simulation.llm.engines import ENGINES, STEP_JITTER_CV, chunked_prefill
from simulation.llm.frontend import Frontend
from simulation.llm.memory import BLOCK_TOKENS, memory_plan
from simulation.llm.pipeline import PipelineEngine
from simulation.llm.scheduler import Engine, Seq
from simulation.llm.steptime import LockstepTimer, StepTimer, spec_decode_gain

if TYPE_CHECKING:
    from simulation.design import Node
    from simulation.engine.core import Simulation
    from simulation.engine.request import Request

ROUTINGS = ("round_robin", "least_outstanding", "kv_aware")


def profile_for(params: dict[str, Any], path: str) -> Profile:
    """The kernel profile that times this server: the ``profile`` parameter, else the GPU's built-in one."""
    name = str(params.get("profile") or params["gpu"])
    try:
        return load_profile(name)
    except InputError as exc:
        raise DesignError(str(exc), f"{path}.profile" if params.get("profile") else f"{path}.gpu") from None


def build_timer(params: dict[str, Any], path: str, plan: dict[str, Any] | None = None) -> StepTimer:
    """The step timer of one replica (with its draft model's timer under draft-model speculation)."""
    plan = plan or memory_plan(params, path)
    spec = model(params["model"], f"{path}.model")
    tp, pp = int(params.get("tp", 1)), int(params.get("pp", 1))
    _check_parallelism(spec, tp, pp, path)
    profile = profile_for(params, path)
    engine = ENGINES[str(params.get("engine", "vllm"))]
    method = str(params.get("speculative", "none"))
    k = int(params.get("spec_tokens", 0)) if method != "none" else 0
    draft = None
    if method == "draft_model":
        draft_id = params.get("draft_model") or ""
        if not draft_id:
            raise DesignError("speculative draft_model needs a draft_model id", f"{path}.draft_model")
        draft_spec = model(draft_id, f"{path}.draft_model")
        _check_draft(spec, draft_spec, f"{path}.draft_model")
        draft = StepTimer(draft_spec, profile, tp, 1, plan["dtype"], plan["kv_dtype"], engine)
        # the draft runs inside the target's step: no second host overhead
        draft.engine = replace(engine, step_overhead_ms=0.0, per_seq_overhead_us=0.0)
    timer = StepTimer(spec, profile, tp, pp, plan["dtype"], plan["kv_dtype"], engine, draft, k,
                      ep=int(plan.get("expert_parallel_gpus", 1)))
    # weights stay in their storage width (memory, streaming); an emulated precision multiplies in 16 bits
    timer.dtype = plan.get("compute_dtype", plan["dtype"])
    if draft is not None:
        draft.dtype = timer.dtype
    return timer


def _check_draft(target: ModelSpec, draft: ModelSpec, path: str) -> None:
    """A draft model must propose tokens of the target's vocabulary (vLLM verifies token ids, not text)."""
    if draft.vocab != target.vocab:
        raise DesignError(f"draft model {draft.id} (vocabulary {draft.vocab:,} tokens) does not share the "
                          f"tokenizer of {target.id} (vocabulary {target.vocab:,}): pick a draft of the same "
                          f"family, e.g. a smaller model of the same series", path)
    if draft.total_params_b >= target.total_params_b:
        raise DesignError(f"draft model {draft.id} ({draft.total_params_b:g}B) is not smaller than the target "
                          f"{target.id} ({target.total_params_b:g}B): it cannot speed decoding up", path)


def _check_parallelism(spec: ModelSpec, tp: int, pp: int, path: str) -> None:
    if not spec.is_mla and spec.heads % tp:
        raise DesignError(f"tp {tp} must divide the {spec.heads} attention heads of {spec.name}", f"{path}.tp")
    if pp > spec.layers:
        raise DesignError(f"pp {pp} exceeds the {spec.layers} layers of {spec.name}", f"{path}.pp")


class LLMServer(NodeRuntime):
    """Continuous-batching engines behind the node's own balancer; one SimPy event per step run."""

    def __init__(self, sim: Simulation, node: Node, params: dict[str, Any]) -> None:
        if "chunked_prefill" not in (node.params or {}):
            # the declared default (True, vLLM's) is filled in before the runtime sees the parameters; a design
            # that does not say runs its engine's own default (TensorRT-LLM schedules a prompt whole)
            params = {**params, "chunked_prefill": ENGINES[str(params.get("engine", "vllm"))].chunked_prefill}
        super().__init__(sim, node, params)
        path = f"nodes.{node.id}.params"
        self.plan = memory_plan(params, path)
        self.spec = model(params["model"], f"{path}.model")
        self.timer = build_timer(params, path, self.plan)
        method = str(params.get("speculative", "none"))
        k = int(params.get("spec_tokens", 0)) if method != "none" else 0
        self.gain = spec_decode_gain(k, float(params.get("spec_acceptance", 0.0)))
        self.max_len = int(params.get("max_model_len", 0) or self.spec.context_length)
        self.hit_rate = float(params.get("prefix_cache_hit_rate", 0.0))
        self.routing = str(params.get("replica_routing", "least_outstanding"))
        self.max_out = int(params.get("max_output_tokens", 0))
        self.queue_limit = int(params.get("queue_limit", 0))
        self.timeout_s = float(params.get("timeout_ms", 0.0)) / 1000.0
        slow = self.slow_factor if (self.slowdown != 1.0 or self.slow_windows) else None
        chunked = chunked_prefill(params)
        # what the client measures around the engine (simulation/llm/frontend.py)
        self.frontend_on = bool(params.get("api_frontend", True))
        self.rtt_ms = float(params.get("client_rtt_ms", 0.1))
        self.jitter = float(params.get("step_jitter", STEP_JITTER_CV))
        self._preset = ENGINES[str(params.get("engine", "vllm"))]
        plan = self.plan
        if plan["expert_parallel_gpus"] > 1 and self.replicas > 1:
            # DP + EP: the replicas step together (MoE layers need every rank), so they are one engine
            # with the replicas' pooled limits, timed as its slowest rank
            r = self.replicas
            engine = Engine(sim, LockstepTimer(self._jittered(self.timer, 0), r), plan["kv_blocks"] * r, plan["max_num_seqs"] * r,
                            plan["max_num_batched_tokens"] * r, chunked, plan["window_blocks_per_seq"], self.gain,
                            self._done, self._scheduled, slow)
            engine.max_chunk = plan["max_num_batched_tokens"]
            engine.frontend = Frontend(self._preset, self.rtt_ms) if self.frontend_on else None
            self.engines = [engine]
        else:
            self.engines = [self._new_engine() for _ in range(self.replicas)]
        for e in self.engines:
            e.prefix_caching = bool(params.get("prefix_caching", True))
        if not params.get("prefix_caching", True):
            self.hit_rate = 0.0
        self.up = list(self.engines)  # replicas in service: the balancer routes to these only
        self.lost: list[Engine] = []  # taken out by a replica_loss fault, back after its recovery time
        self.draining: list[Engine] = []  # scaled in: no new work, still finishing what they hold
        self.retired: list[Engine] = []   # scaled in and empty: not provisioned (reused, empty, on scale-out)
        self._per_engine = self.replicas // len(self.engines)
        self._rep_area = 0.0  # engine-seconds provisioned (up, lost, draining) since the stats window began
        self._rep_t = 0.0
        for loss in (node.faults or {}).get("replica_loss", []):
            lost = int(loss.get("replicas", 1))
            sim.call_later(float(loss["at_s"]), self._lose_replicas, lost)
            sim.call_later(float(loss["at_s"]) + float(loss.get("recovery_s", 300.0)), self._lose_replicas, -lost)
        self._window_blocks = plan["window_blocks_per_seq"]
        # a request must fit one engine (one virtual engine of a pipeline-parallel replica)
        self._kv_blocks = plan["kv_blocks"] // max(1, int(params.get("pp", 1))) if len(self.engines) == self.replicas \
            else plan["kv_blocks"]
        self._rr = 0
        self._uid = 0
        self.waits = array("d")  # 8 bytes a measured request
        self.rejected = 0
        self.dropped = 0
        self.timed_out = 0
        self._t0 = 0.0
        # fault policy (retries, breaker, outage_policy): shared with llm_api, see engine/resilience.py
        self.fault = FaultPolicy(self, params)
        if self.outages and self.fault.fail_in_flight:
            for t in outage_starts(self):
                sim.call_later(t, self._outage_begins)

    # -- requests ----------------------------------------------------------------------------------
    def accept(self, req: Request) -> None:
        now = self.sim.now
        if self.fault.open_until > now and self.fault.open(now):
            self.sim.node_error(self, req, now, "error")  # breaker open: fail fast, no retry
            return
        if (self.outages and self.is_down(now)) or not self.up:
            self.fault.failed(req, now)
            return
        prompt = req.input_tokens + req.context_tokens
        out = req.output_tokens
        if self.max_out and out > self.max_out:
            out = self.max_out  # a capped call (max_tokens): the request's own output_tokens stay for later LLMs
        if prompt < 1:
            prompt = 1
        if out < 1:
            out = 1
        blocks = -(-(prompt + out) // BLOCK_TOKENS) + self._window_blocks
        if prompt + out > self.max_len or blocks > self._kv_blocks:
            # vLLM answers 400 (prompt + max_tokens over max_model_len / the KV pool): an error outcome
            self.rejected += 1
            self.sim.node_error(self, req, now, "error")
            return
        if self.queue_limit and sum(len(e.waiting) for e in self.engines) >= self.queue_limit:
            self.dropped += 1
            self.sim.node_error(self, req, now, "dropped")
            return
        cached = 0
        if self.hit_rate > 0:
            cached = min(int(prompt * self.hit_rate) // BLOCK_TOKENS * BLOCK_TOKENS, prompt - 1)
        self._uid += 1
        seq = Seq(req, self._uid, now, prompt, out, cached)
        engine = self._pick(prompt)
        frontend = engine.frontend
        if frontend is None:
            engine.add(seq, now)
        else:
            # the API server tokenises it first (a FIFO shared with the streams it is sending)
            streaming = engine.decoding * engine.gain / engine.run_dt if engine.busy and engine.run_dt > 0 else 0.0
            delay = frontend.ingress(now, prompt, streaming)
            if not engine.add_ready(seq, now, now + delay):
                engine.in_frontend += 1
                self.sim.call_later(delay, self._admit, engine, seq)
        if self.timeout_s:
            self.sim.call_later(self.timeout_s, self._expire, seq, engine)

    def _new_engine(self) -> Engine:
        """One replica's engine, empty (a scaled-out replica starts with a cold KV cache)."""
        plan = self.plan
        slow = self.slow_factor if (self.slowdown != 1.0 or self.slow_windows) else None
        index = len(getattr(self, "engines", ()))
        pp = int(self.params.get("pp", 1))
        # pipeline parallel: pp virtual engines (micro-batches in flight), each with 1/pp of the KV blocks
        parts = [Engine(self.sim, self._jittered(self.timer, index * pp + k), plan["kv_blocks"] // pp,
                        plan["max_num_seqs"], plan["max_num_batched_tokens"], chunked_prefill(self.params),
                        plan["window_blocks_per_seq"], self.gain, self._done, self._scheduled, slow)
                 for k in range(pp)]
        engine = parts[0] if pp == 1 else PipelineEngine(parts)
        engine.prefix_caching = bool(self.params.get("prefix_caching", True))
        engine.frontend = Frontend(self._preset, self.rtt_ms) if self.frontend_on else None
        return engine  # type: ignore[return-value]

    def _jittered(self, timer: StepTimer, index: int) -> StepTimer:
        """Each replica's steps vary on their own seeded stream (replicas do not step in time)."""
        if self.jitter <= 0:
            return timer
        return timer.jittered(self.jitter, self.sim.rng(f"step-jitter/{self.id}/{index}"))

    def _admit(self, engine: Engine, seq: Seq) -> None:
        """The API server hands a tokenised request to the engine."""
        now = self.sim.now
        engine.in_frontend -= 1
        if seq.timed_out:
            return
        if engine in self.lost:
            self.sim.node_error(self, seq.req, seq.enter, "error")
            return
        engine.add(seq, now)

    def _account_replicas(self, now: float) -> None:
        self._rep_area += (len(self.up) + len(self.lost) + len(self.draining)) * (now - self._rep_t)
        self._rep_t = now

    def _lose_replicas(self, lost: int) -> None:
        """GPU loss (lost > 0): replicas leave service and their requests fail; recovery (lost < 0)."""
        now = self.sim.now
        self._account_replicas(now)
        if lost > 0:
            for engine in self.up[-lost:] if lost < len(self.up) else list(self.up):
                self.up.remove(engine)
                self.lost.append(engine)
                for seq in engine.fail_all(now):
                    self.fault.failed(seq.req, seq.enter)
        else:
            for _ in range(min(-lost, len(self.lost))):
                self.up.append(self.lost.pop())
        self.replicas = len(self.up) * self._per_engine

    def _outage_begins(self) -> None:
        """outage_policy fail: the node goes down with its work; every queued and running sequence fails."""
        now = self.sim.env._now
        for engine in list(self.up) + list(self.draining):
            for seq in engine.fail_all(now):
                self.fault.failed(seq.req, seq.enter)
        if self.draining:
            self._drained(now)

    # -- scaling -------------------------------------------------------------------------------------
    def load_fraction(self) -> float | None:
        """Demand over capacity of the replicas in service: the fuller of KV blocks (held plus what the queue's
        prompts need) and batch slots (running plus queued over max_num_seqs), averaged over replicas. This is
        what vLLM exports for autoscaling (gpu_cache_usage_perc, num_requests_waiting). None under expert
        parallelism, where the experts are spread over all replicas and the replicas step as one engine."""
        if self.plan["expert_parallel_gpus"] > 1:
            return None  # the experts are spread over every replica: the plan itself depends on the count
        if not self.up:
            return 1.0
        total = 0.0
        for e in self.up:
            need = sum(-(-s.prompt // BLOCK_TOKENS) for s in e.waiting)
            kv = (e.total_blocks - e.free + need) / e.total_blocks if e.total_blocks else 0.0
            total += max(kv, (len(e.running) + len(e.waiting) + e.in_frontend) / e.max_seqs)
        return total / len(self.up)

    def set_replicas(self, n: int) -> None:
        """Scale out with empty engines; scale in by draining the least-loaded replicas: the balancer stops
        sending them work and they leave once every sequence they hold has finished."""
        if self.plan["expert_parallel_gpus"] > 1:
            raise NotImplementedError("llm_server with expert-parallel replicas cannot change its replica count")
        now = self.sim.now
        self._account_replicas(now)
        n = max(int(n), 0)
        while len(self.up) < n:
            if self.retired:
                engine = self.retired.pop()  # empty already: the same as a fresh one
            else:
                engine = self._new_engine()
                self.engines.append(engine)
            self.up.append(engine)
        if len(self.up) > n:
            for engine in sorted(self.up, key=Engine.outstanding)[:len(self.up) - n]:
                self.up.remove(engine)
                (self.draining if engine.outstanding() else self.retired).append(engine)
        self.replicas = len(self.up)

    def _drained(self, now: float) -> None:
        """A draining replica finished its last sequence: it stops counting as provisioned."""
        for engine in [e for e in self.draining if not e.outstanding()]:
            self._account_replicas(now)
            self.draining.remove(engine)
            self.retired.append(engine)

    def _pick(self, prompt: int) -> Engine:
        engines = self.up
        if len(engines) == 1:
            return engines[0]
        if self.routing == "round_robin":
            self._rr = (self._rr + 1) % len(engines)
            return engines[self._rr]
        if self.routing == "kv_aware":
            return max(engines, key=lambda e: e.free * BLOCK_TOKENS - len(e.waiting) * prompt)
        return min(engines, key=Engine.outstanding)

    def _expire(self, seq: Seq, engine: Engine) -> None:
        now = self.sim.now
        if not seq.scheduled and seq.state == 0 and seq not in engine.waiting:
            seq.timed_out = True  # still in the API server: never reaches the engine
            self.timed_out += 1
            self.sim.node_error(self, seq.req, seq.enter, "timeout")
            return
        if engine.remove_waiting(seq, now):
            if self.draining:
                self._drained(now)
            self.timed_out += 1
            self.sim.node_error(self, seq.req, seq.enter, "timeout")

    def _scheduled(self, seq: Seq, now: float) -> None:
        if seq.req.measured:
            self.waits.append(now - seq.enter)

    def _done(self, seq: Seq, now: float) -> None:
        if self.draining:
            self._drained(now)
        # with an API server in front, the way back (final chunk, half a round trip) was charged on the way in
        # (simulation/llm/frontend.py): the client's clock is the engine's from here on
        req = seq.req
        req.llm_done = now
        req.itl_runs = seq.itl
        req.llm_output_tokens = seq.out
        req.llm_calls += 1
        self.served += 1
        req.hops.append((self.id, seq.enter, now))
        if self.error_rate and self.rng.random() < self.error_rate:
            self.fault.failed(req, seq.enter, record_hop=False)
            return
        self.fault.succeeded()
        self.sim.finish(self, req)

    # -- statistics --------------------------------------------------------------------------------
    def reset_stats(self) -> None:
        now = self.sim.now
        for e in self.engines:
            e.reset_stats(now)
        self._account_replicas(now)
        self._rep_area = 0.0
        self.served = 0
        self.rejected = self.dropped = self.timed_out = 0
        self.fault.reset_stats()
        self._t0 = now

    def _provisioned(self) -> list[Engine]:
        return self.up + self.lost + self.draining if self.lost or self.draining else self.up

    def sample(self) -> dict[str, float]:
        engines = self._provisioned() or self.engines
        return {
            "queue": float(sum(len(e.waiting) for e in engines)),
            "batch_size": float(sum(len(e.running) for e in engines)),
            "kv_usage": sum(e.kv_usage() for e in engines) / len(engines),
            "utilization": sum(e.occupancy() for e in engines) / len(engines),
        }

    def stats(self) -> dict[str, Any]:
        engines = self.engines
        # the window ends at the run's duration, or later if work went on (never at an idle tail of chunks)
        last = max(e.last_t for e in engines)
        now = min(self.sim.now, max(self.sim.duration, last))
        span = max(now - self._t0, 1e-12)
        for e in engines:
            e._account_queue(now)
        busy = sum(e.busy_time for e in engines)
        waits = np.asarray(self.waits) if self.waits else np.zeros(1)
        plan = self.plan
        self._account_replicas(now)
        # engine-seconds provisioned: replicas × span without scaling; follows autoscaling, loss and drains
        area = max(self._rep_area, 1e-12)
        return {
            # continuous batching keeps the GPU busy at any load, so "utilization" is how full the binding
            # limit (max_num_seqs, KV blocks or token budget) was on average; "busy" is the GPU-busy share
            "utilization": min(sum(e.occupancy_area for e in engines) / area, 1.0),
            "busy": min(busy / area, 1.0),
            "mean_queue": sum(e.queue_area for e in engines) / span,
            "mean_wait_ms": float(waits.mean() * 1000),
            "p99_wait_ms": float(np.percentile(waits, 99) * 1000),
            "served": self.served,
            "replicas": self.replicas,
            "batch_size": sum(e.batch_area for e in engines) / busy if busy else 0.0,
            "kv_usage": sum(e.kv_area for e in engines) / area,
            "mean_replicas": self._rep_area / span * self._per_engine,
            "preemptions": sum(e.preemptions for e in engines),
            "prefill_tokens_per_s": sum(e.prefill_tokens for e in engines) / span,
            "decode_tokens_per_s": sum(e.decode_tokens for e in engines) / span,
            "rejected": self.rejected,
            "dropped": self.dropped,
            "timed_out": self.timed_out,
            "gpus": plan["gpus"] * self.replicas,
            "kv_blocks_per_replica": plan["kv_blocks"],
            "kv_tokens_per_replica": plan["kv_tokens"],
            "weights_gb": plan["weights_gb"],
            "max_num_seqs": plan["max_num_seqs"],
            "max_num_batched_tokens": plan["max_num_batched_tokens"],
            **self.fault.stats(),
        }

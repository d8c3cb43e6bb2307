"""Pipeline parallelism with micro-batches in flight: a replica on pp stages as pp virtual engines.

vLLM runs a pipeline-parallel replica as ``pipeline_parallel_size`` virtual engines, each with its own
scheduler and ``num_gpu_blocks // pp`` of the KV blocks (vllm/core/scheduler.py, V0; V1 keeps pp batches
in flight with a batch queue of the same depth). While one micro-batch runs on stage 2 the next runs on
stage 1, so at high load pp batches progress at once and throughput grows with the stages; a lone batch
still crosses every stage in turn (step latency = all layers + the hand-offs, as StepTimer times it). A new
request goes to the virtual engine with the fewest unfinished requests (vLLM V0 ``add_request``).

The server sees one engine: this class sums the virtual engines' state and statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulation.llm.scheduler import Engine, Seq


def _mean(values: list[Any]) -> float:
    return sum(values) / len(values)


def _over_parts(name: str, combine: Callable[[list[Any]], Any]) -> property:
    """A read-only attribute of the whole: ``combine`` (sum, max, any, _mean) of the virtual engines' values."""
    return property(lambda self: combine([getattr(p, name) for p in self.parts]))


class PipelineEngine:
    """pp virtual engines (one per micro-batch in flight) behind the Engine interface the server uses."""

    def __init__(self, parts: list[Engine]) -> None:
        self.parts = parts
        self.frontend: Any = None
        self.in_frontend = 0
        first = parts[0]
        self.max_seqs = sum(p.max_seqs for p in parts)
        self.gain = first.gain
        self.max_chunk = first.max_chunk

    # -- entry ------------------------------------------------------------------------------------
    def add(self, seq: Seq, now: float) -> None:
        min(self.parts, key=Engine.outstanding).add(seq, now)

    def add_ready(self, seq: Seq, now: float, ready: float) -> bool:
        return min(self.parts, key=Engine.outstanding).add_ready(seq, now, ready)

    def remove_waiting(self, seq: Seq, now: float) -> bool:
        return any(p.remove_waiting(seq, now) for p in self.parts)

    def outstanding(self) -> int:
        return sum(p.outstanding() for p in self.parts) + self.in_frontend

    def fail_all(self, now: float) -> list[Seq]:
        return [s for p in self.parts for s in p.fail_all(now)]

    # -- state the server and balancer read ------------------------------------------------------------
    @property
    def waiting(self) -> list[Seq]:
        return [s for p in self.parts for s in p.waiting]

    @property
    def running(self) -> dict[int, Seq]:
        out: dict[int, Seq] = {}
        for p in self.parts:
            out.update(p.running)
        return out

    total_blocks = _over_parts("total_blocks", sum)
    free = _over_parts("free", sum)
    decoding = _over_parts("decoding", sum)
    busy = _over_parts("busy", any)
    run_dt = _over_parts("run_dt", max)

    @property
    def prefix_caching(self) -> bool:
        return self.parts[0].prefix_caching

    @prefix_caching.setter
    def prefix_caching(self, value: bool) -> None:
        for p in self.parts:
            p.prefix_caching = value

    def kv_usage(self) -> float:
        total = self.total_blocks
        return (total - self.free) / total if total else 0.0

    def occupancy(self) -> float:
        return sum(p.occupancy() for p in self.parts) / len(self.parts)

    # -- statistics ---------------------------------------------------------------------------------------
    def reset_stats(self, now: float) -> None:
        for p in self.parts:
            p.reset_stats(now)

    def _account_queue(self, now: float) -> None:
        for p in self.parts:
            p._account_queue(now)

    def itl_samples(self) -> tuple[list[float], list[float]]:
        values: list[float] = []
        weights: list[float] = []
        for p in self.parts:
            v, w = p.itl_samples()
            values += v
            weights += w
        return values, weights

    last_t = _over_parts("last_t", max)

    # the GPUs are shared by the micro-batches: busy time is the union, approximated by the busiest stage's
    # share (each virtual engine's step spans every stage); areas of batch/KV/queue add up
    busy_time = _over_parts("busy_time", max)
    batch_area = _over_parts("batch_area", sum)
    kv_area = _over_parts("kv_area", _mean)
    queue_area = _over_parts("queue_area", sum)
    occupancy_area = _over_parts("occupancy_area", _mean)
    preemptions = _over_parts("preemptions", sum)
    prefill_tokens = _over_parts("prefill_tokens", sum)
    decode_tokens = _over_parts("decode_tokens", sum)

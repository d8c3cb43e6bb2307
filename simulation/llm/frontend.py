"""What a client measures around the engine: the API server process, the network and step-time variation.

A real ``vllm serve`` (or trtllm-serve, SGLang) answers HTTP in one Python process in front of the engine.
Every request costs it a fixed piece of work (parse, chat template, request objects) plus tokenisation per
prompt token, and every streamed token costs it an incremental detokenisation and one SSE chunk. That
process is a single FIFO server: requests that arrive together leave it one after another, so a cohort of
closed-loop clients reaches the engine spread over several steps instead of in one. Add the client's round
trip and a small step-to-step variation of the GPU step and fixed-length closed loops lose their lockstep
as real servers do (issue 17). TTFT and E2E include all of it, as the client measures them.

Speed: one extra event per request on the way in and one on the way out; the FIFO is a clock, not a queue.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.llm.engines import EnginePreset

_JITTER_TABLE = 4096  # factors drawn once per engine and cycled (a step's factor costs one index)


class JitterTimer:
    """A step timer whose every step (or fused run of steps) is scaled by a seeded lognormal factor, mean 1."""

    __slots__ = ("inner", "spec_k", "_f", "_i")

    def __init__(self, inner: Any, cv: float, rng: np.random.Generator) -> None:
        self.inner = inner
        self.spec_k = inner.spec_k
        sigma = float(np.sqrt(np.log1p(cv * cv)))
        self._f = rng.lognormal(-sigma * sigma / 2.0, sigma, _JITTER_TABLE).tolist()
        self._i = 0

    def decode_s(self, batch: int, kv_mean: float) -> float:
        i = self._i
        self._i = (i + 1) & (_JITTER_TABLE - 1)
        return self.inner.decode_s(batch, kv_mean) * self._f[i]

    def mixed_s(self, batch: int, kv_mean: float, chunks: list[tuple[int, int]], sampled: int) -> float:
        i = self._i
        self._i = (i + 1) & (_JITTER_TABLE - 1)
        return self.inner.mixed_s(batch, kv_mean, chunks, sampled) * self._f[i]

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def __getattr__(self, name: str) -> Any:  # spec, tp, pp, ... of the wrapped timer
        return getattr(self.inner, name)


class Frontend:
    """The API server of one engine replica (a FIFO clock) and the client's network round trip."""

    __slots__ = ("request_s", "tokenize_s", "stream_s", "half_rtt_s", "free_at")

    def __init__(self, engine: EnginePreset, rtt_ms: float) -> None:
        self.request_s = engine.api_request_ms / 1e3
        self.tokenize_s = engine.api_tokenize_us / 1e6
        self.stream_s = engine.api_stream_us / 1e6
        self.half_rtt_s = rtt_ms / 2e3
        self.free_at = 0.0

    def ingress(self, now: float, prompt: int, streaming_tokens_per_s: float) -> float:
        """Delay from the client sending a request to the engine queueing it.

        The API server's share taken by streaming (tokens/s × cost per token) slows its request work.
        """
        start = now + self.half_rtt_s
        if self.free_at > start:
            start = self.free_at
        busy = streaming_tokens_per_s * self.stream_s
        work = (self.request_s + self.tokenize_s * prompt) / (1.0 - (busy if busy < 0.9 else 0.9))
        self.free_at = start + work
        return self.free_at - now

    def first_token_delay(self) -> float:
        """The first token's trip: detokenised, sent as one chunk, over the network."""
        return self.stream_s + self.half_rtt_s

    def egress(self, now: float) -> float:
        """Delay from the engine's last token to the client holding the whole answer (the final chunk)."""
        start = now if now > self.free_at else self.free_at
        self.free_at = start + self.stream_s
        return self.free_at + self.half_rtt_s - now

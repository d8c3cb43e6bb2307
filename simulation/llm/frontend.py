"""What a client measures around the engine: the API server process, the network and step-time variation.

A real ``vllm serve`` (or trtllm-serve, SGLang) answers HTTP in one Python process in front of the engine.
Every request costs it a fixed piece of work (parse, chat template, request objects) plus tokenisation per
prompt token, and every streamed token costs it an incremental detokenisation and one SSE chunk. That
process is a single FIFO server: requests that arrive together leave it one after another, so a cohort of
closed-loop clients reaches the engine spread over several steps instead of in one. Add the client's round
trip and a small step-to-step variation of the GPU step and fixed-length closed loops lose their lockstep
as real servers do (issue 17). TTFT and E2E include all of it, as the client measures them.

Speed: the FIFO is a clock, not a queue, and the way back costs no event. Every request pays the same fixed
delays after its last token (the final chunk and half a round trip); they are charged up front instead,
with the way in. That leaves every latency the client measures (TTFT, TPOT, ITL, E2E) and the moment a
closed-loop client's next request reaches the engine exactly as they are; only the clock of the client's
own sends moves earlier by those ~0.1 ms. The way in needs an event only when the engine would look at its
queue before the request is through the API server (Engine.add_ready).
"""

from __future__ import annotations

from simulation.llm.engines import EnginePreset


class Frontend:
    """The API server of one engine replica (a FIFO clock) and the client's network round trip."""

    __slots__ = ("request_s", "tokenize_s", "stream_s", "half_rtt_s", "way_back_s", "free_at")

    def __init__(self, engine: EnginePreset, rtt_ms: float) -> None:
        self.request_s = engine.api_request_ms / 1e3
        self.tokenize_s = engine.api_tokenize_us / 1e6
        self.stream_s = engine.api_stream_us / 1e6
        self.half_rtt_s = rtt_ms / 2e3
        # the final chunk and half a round trip after the last token: the same for every request
        self.way_back_s = self.stream_s + self.half_rtt_s
        self.free_at = 0.0

    def ingress(self, now: float, prompt: int, streaming_tokens_per_s: float) -> float:
        """Delay from the client sending a request to the engine queueing it, plus the fixed way back.

        The API server's share taken by streaming (tokens/s × cost per token) slows its request work. The way
        back (the final chunk and half a round trip, the same for every request) is charged here, up front.
        """
        start = now + self.half_rtt_s + self.way_back_s  # the way in, and the way back charged up front
        if self.free_at > start:
            start = self.free_at
        busy = streaming_tokens_per_s * self.stream_s
        work = (self.request_s + self.tokenize_s * prompt) / (1.0 - (busy if busy < 0.9 else 0.9))
        self.free_at = start + work
        return self.free_at - now

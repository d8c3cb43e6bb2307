"""Inference-engine presets: scheduler defaults and per-step host overhead (vLLM, TensorRT-LLM, SGLang)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EnginePreset:
    name: str
    max_num_seqs_large: int      # default on GPUs with >= 70 GiB
    max_num_seqs_small: int
    max_batched_tokens_large: int
    max_batched_tokens_small: int
    step_overhead_ms: float      # host-side scheduling / input preparation / output processing per step
    per_seq_overhead_us: float   # host work per running sequence per step (detokenise, stop checks)
    source: str
    # the serving frontend (OpenAI-compatible API server process in front of the engine)
    api_request_ms: float = 1.0        # per request: HTTP parse, chat template, request/response objects
    api_tokenize_us: float = 1.0       # per prompt token (fast Rust tokenizer)
    api_stream_us: float = 20.0        # per streamed output token (incremental detokenise + one SSE chunk)
    frontend_source: str = ""
    chunked_prefill: bool = True       # the engine's default when the design does not say
    fp8_kv_with_fp8_weights: bool = False  # kv_dtype auto: FP8 KV cache with FP8 weights (else 16-bit KV)
    unchunked_budget_floor: int = 32768    # without chunking the step budget rises to hold a whole prompt
    defaults_source: str = ""


# Step-to-step variation of one engine step (coefficient of variation of a lognormal factor on each step or
# fused run). Sourced from the spread of measured inter-token latency at concurrency 1 (a batch of one, so
# nothing but the step itself varies): NVIDIA NIM TensorRT-LLM genai-perf sweeps of Llama-3-8B/70B on
# A100/H100 (benchmarks/data/nim_llama3_genai_perf.csv, 72 runs at concurrency 1): (ITL p95 / mean − 1) / 1.645
# has median 0.014 (range 0.004–0.040). A lower bound: p95 over per-request means hides within-request jitter.
STEP_JITTER_CV = 0.014
STEP_JITTER_SOURCE = ("NVIDIA NIM genai-perf sweeps (Llama-3-8B/70B, A100/H100), concurrency-1 ITL p95/mean: "
                      "median CV 1.4 % (benchmarks/data/nim_llama3_genai_perf.csv)")

FRONTEND_SOURCE = (
    "per request ~1 ms: HF tokenizer encode of a 131-token chat prompt takes 1.3–2.8 ms including the chat "
    "template (tenstorrent/tt-inference-server issue #2173, 2026-02-23, "
    "https://github.com/tenstorrent/tt-inference-server/issues/2173); per prompt token ~1 µs: Hugging Face "
    "tokenizers README (\"less than 20 seconds to tokenize a GB of text\", ~0.1 µs/token on all cores, ~1 µs on "
    "one), https://github.com/huggingface/tokenizers; per streamed token ~20 µs: vLLM's API server spends its "
    "time in incremental detokenisation and one JSON/SSE chunk per token (vLLM PR #12287 'Online serving "
    "performance improvements' breaks this work up because it blocked the event loop, "
    "https://github.com/vllm-project/vllm/pull/12287; vLLM blog 'vLLM v0.6.0: 2.7x Throughput Improvement', "
    "2024-09-05, https://blog.vllm.ai/2024/09/05/perf-update.html) [order-of-magnitude estimate]")


LARGE_GPU_GIB = 70.0  # vLLM picks its larger defaults on devices with >= 70 GiB

ENGINES: dict[str, EnginePreset] = {
    "vllm": EnginePreset(
        "vllm", 1024, 256, 8192, 2048, 0.9, 4.0,
        "limits: vLLM v1 EngineArgs defaults for the OpenAI server (>= 70 GiB: 1024 seqs / 8192 tokens, else "
        "256 / 2048; LLMServingSim's RTX 4090 vLLM run records 256 / 2048); host overhead fitted "
        "to the LLMServingSim vLLM 0.19.0 RTX PRO 6000 Llama-3.1-8B run (benchmarks/llm_validation.py) — vLLM: Engine "
        "arguments, https://docs.vllm.ai/en/latest/configuration/engine_args.html (read 2026-12-06)",
        frontend_source=FRONTEND_SOURCE),
    "trtllm": EnginePreset(
        "trtllm", 2048, 2048, 8192, 8192, 0.5, 2.0,
        "limits: trtllm-serve defaults max_batch_size 2048, max_num_tokens 8192; host overhead assumed ~half of "
        "vLLM's (C++ batch manager) [assumption] — NVIDIA: TensorRT-LLM trtllm-serve, "
        "https://nvidia.github.io/TensorRT-LLM/commands/trtllm-serve.html (read 2026-12-06)",
        api_request_ms=1.0, api_tokenize_us=1.0, api_stream_us=10.0,
        chunked_prefill=False, fp8_kv_with_fp8_weights=True, unchunked_budget_floor=0,
        defaults_source="TensorRT-LLM LLM API (trtllm-serve): enable_chunked_prefill defaults to False and "
        "max_num_tokens 8192 stays the step budget (a prompt is scheduled whole; one longer than the budget runs "
        "alone); NVIDIA's FP8 checkpoints quantise the KV cache too (hf_quant_config.json kv_cache_quant_algo "
        "FP8, e.g. https://huggingface.co/nvidia/Llama-3.3-70B-Instruct-FP8, read 2026-12-06)",
        frontend_source="trtllm-serve / NIM: the same OpenAI-compatible Python frontend; streaming assumed half of "
        "vLLM's per token (C++ detokenisation in the executor) [assumption]; " + FRONTEND_SOURCE),
    "sglang": EnginePreset(
        "sglang", 1024, 256, 8192, 2048, 0.7, 3.0,
        "limits: SGLang chunked_prefill_size 8192 on large GPUs (2048 on small), max_running_requests sized "
        "from KV; host overhead between vLLM and TensorRT-LLM (overlap scheduler) [assumption] — SGLang: server "
        "arguments, https://docs.sglang.ai/backend/server_arguments.html (read 2026-12-06)",
        frontend_source="SGLang: tokenizer and detokenizer managers in their own processes (sgl-project/sglang PR "
        "#653 'Detokenize incrementally when streaming'); same figures as vLLM [assumption]; " + FRONTEND_SOURCE),
}


def preset(name: str) -> EnginePreset:
    return ENGINES[name]


def engine_limits(params: dict[str, Any], gpu_memory_gib: float) -> tuple[int, int]:
    """(max_num_seqs, max_num_batched_tokens): the parameters, or the engine's default where 0."""
    e = ENGINES[str(params.get("engine", "vllm"))]
    large = gpu_memory_gib >= LARGE_GPU_GIB
    seqs = int(params.get("max_num_seqs", 0) or (e.max_num_seqs_large if large else e.max_num_seqs_small))
    tokens = int(params.get("max_num_batched_tokens", 0)
                 or (e.max_batched_tokens_large if large else e.max_batched_tokens_small))
    if not chunked_prefill(params):
        # without chunking a whole prompt must fit one step (vLLM raises the budget to max_model_len)
        tokens = max(tokens, e.unchunked_budget_floor)
    return seqs, tokens


def chunked_prefill(params: dict[str, Any]) -> bool:
    """The design's chunked_prefill, else the engine's default (vLLM/SGLang chunk, TensorRT-LLM does not)."""
    value = params.get("chunked_prefill")
    if value is None:
        return ENGINES[str(params.get("engine", "vllm"))].chunked_prefill
    return bool(value)

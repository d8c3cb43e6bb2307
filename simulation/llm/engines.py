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


LARGE_GPU_GIB = 70.0  # vLLM picks its larger defaults on devices with >= 70 GiB

ENGINES: dict[str, EnginePreset] = {
    "vllm": EnginePreset(
        "vllm", 1024, 256, 8192, 2048, 0.9, 4.0,
        "limits: vLLM v1 EngineArgs defaults for the OpenAI server (>= 70 GiB: 1024 seqs / 8192 tokens, else "
        "256 / 2048; LLMServingSim's RTX 4090 vLLM run records 256 / 2048); host overhead fitted "
        "to the LLMServingSim vLLM 0.19.0 RTX PRO 6000 Llama-3.1-8B run (benchmarks/llm_validation.py) — vLLM: Engine "
        "arguments, https://docs.vllm.ai/en/latest/configuration/engine_args.html (read 2026-12-06)"),
    "trtllm": EnginePreset(
        "trtllm", 2048, 2048, 8192, 8192, 0.5, 2.0,
        "limits: trtllm-serve defaults max_batch_size 2048, max_num_tokens 8192; host overhead assumed ~half of "
        "vLLM's (C++ batch manager) [assumption] — NVIDIA: TensorRT-LLM trtllm-serve, "
        "https://nvidia.github.io/TensorRT-LLM/commands/trtllm-serve.html (read 2026-12-06)"),
    "sglang": EnginePreset(
        "sglang", 1024, 256, 8192, 2048, 0.7, 3.0,
        "limits: SGLang chunked_prefill_size 8192 on large GPUs (2048 on small), max_running_requests sized "
        "from KV; host overhead between vLLM and TensorRT-LLM (overlap scheduler) [assumption] — SGLang: server "
        "arguments, https://docs.sglang.ai/backend/server_arguments.html (read 2026-12-06)"),
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
    if not params.get("chunked_prefill", True):
        # without chunking a whole prompt must fit one step (vLLM raises the budget to max_model_len)
        tokens = max(tokens, 32768)
    return seqs, tokens

"""GPU memory plan of one engine replica: weights, activation reserve and the paged KV pool.

Per GPU: usable = memory × driver share; budget = gpu_memory_utilization × usable; KV pool = budget −
weights/(tp·pp) − activation reserve, cut into 16-token blocks (vLLM's default block size).
"""

from __future__ import annotations

import math
from typing import Any

from kernels.hardware import gpu as catalog_gpu
from simulation.errors import DesignError
from simulation.llm.catalog import ModelSpec, model

BLOCK_TOKENS = 16  # vLLM default KV block size (cache_config.block_size 16 in the LLMServingSim meta.json)
GIB = 2.0 ** 30
# Catalog "GB" of GPU memory are GiB (nvidia-smi H100 81,559 MiB); torch sees ~98% of it:
# RTX 4090 (24 GiB) reports device_total_memory_bytes 25,250,627,584 (= 0.98 × 24 GiB) in
# LLMServingSim's RTX4090/Llama-3.1-8B/vllm/meta.json.
DRIVER_SHARE = 0.98
# Fixed non-KV memory per GPU beyond weights and peak activations: CUDA context share seen by torch,
# NCCL buffers, CUDA-graph pools. Fitted so the RTX 4090 / Llama-3.1-8B plan gives vLLM 0.19.0's
# recorded num_gpu_blocks 2588 (same meta.json).
FIXED_RESERVE_BYTES = 0.55e9
SAMPLER_COPIES = 3  # fp32 logits + softmax/top-p temporaries in vLLM's profile run

WEIGHT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5, "fp4": 0.5}
KV_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0}
# 4-bit weights carry group scales (AWQ/GPTQ group 128: +3–6%, an assumption).
QUANT_SCALE_OVERHEAD = {"int4": 0.05, "fp4": 0.05}


def weight_bytes(spec: ModelSpec, dtype: str) -> float:
    """All weights (every MoE expert); embeddings and LM head stay 16-bit under 4-bit quantisation."""
    b = WEIGHT_BYTES[dtype]
    embed_params = spec.vocab * spec.hidden * (1 if spec.tie_embeddings else 2)
    body = spec.total_params_b * 1e9 - embed_params
    if b < 1.0:
        return body * b * (1.0 + QUANT_SCALE_OVERHEAD.get(dtype, 0.0)) + embed_params * 2.0
    return spec.total_params_b * 1e9 * b


def expert_bytes(spec: ModelSpec, dtype: str) -> float:
    """Weights of the routed experts (gate, up, down of every expert in every MoE layer)."""
    if spec.moe is None:
        return 0.0
    m = spec.moe
    b = WEIGHT_BYTES[dtype] * (1.0 + QUANT_SCALE_OVERHEAD.get(dtype, 0.0))
    return m.moe_layers * m.experts * 3.0 * m.expert_intermediate * spec.hidden * b


def ep_group(params: dict[str, Any], spec: ModelSpec) -> int:
    """GPUs the experts are spread over: replicas × tp with expert parallelism (vLLM DP + EP), else 1."""
    if spec.moe is None or not params.get("expert_parallel", False):
        return 1
    return int(params.get("replicas", 1)) * int(params.get("tp", 1))


def kv_bytes_per_token(spec: ModelSpec, kv_dtype: str, full_only: bool = True) -> float:
    """KV bytes one token adds across the model: 2 × layers × kv_heads × head_dim × bytes (MLA: latent).

    With ``full_only`` the sliding-window layers (which keep at most ``window`` tokens) are left out
    when the model also has full-attention layers; they are charged per sequence instead.
    """
    layers = spec.full_layers if (full_only and spec.full_layers and spec.window_layers) else spec.layers
    return layers * spec.kv_elements_per_token_layer() * KV_BYTES[kv_dtype]


def window_bytes_per_sequence(spec: ModelSpec, kv_dtype: str) -> float:
    """KV of the sliding-window layers of one sequence at its cap (hybrid models only)."""
    if not (spec.window_layers and spec.full_layers):
        return 0.0
    return spec.window_layers * spec.sliding_window * spec.kv_elements_per_token_layer() * KV_BYTES[kv_dtype]


def activation_bytes(spec: ModelSpec, tokens: int, tp: int) -> float:
    """Peak activations of one forward over ``tokens`` tokens on one GPU (MLP dominates)."""
    if spec.moe:
        inter = spec.moe.top_k * spec.moe.expert_intermediate + spec.moe.shared * spec.moe.expert_intermediate
    else:
        inter = spec.intermediate
    return tokens * (3.0 * inter / tp + 6.0 * spec.hidden) * 2.0


def memory_plan(params: dict[str, Any], path: str = "params") -> dict[str, Any]:
    """The memory arithmetic of one replica; raises DesignError (with the numbers) when it does not fit.

    ``params`` holds the llm_server parameters: model, gpu, tp, pp, dtype, kv_dtype,
    gpu_memory_utilization, max_num_seqs, max_num_batched_tokens (0 = engine default).
    """
    spec = model(params["model"], f"{path}.model")
    g = catalog_gpu_checked(params["gpu"], f"{path}.gpu")
    tp, pp = int(params.get("tp", 1)), int(params.get("pp", 1))
    dtype = str(params.get("dtype", "bf16"))
    kv_dtype = str(params.get("kv_dtype", "auto"))
    if kv_dtype == "auto":
        kv_dtype = "bf16" if WEIGHT_BYTES.get(dtype, 2.0) != 2.0 else dtype
    if dtype not in WEIGHT_BYTES:
        raise DesignError(f"must be one of {', '.join(WEIGHT_BYTES)}, got {dtype!r}", f"{path}.dtype")
    if kv_dtype not in KV_BYTES:
        raise DesignError(f"must be one of auto, {', '.join(KV_BYTES)}, got {kv_dtype!r}", f"{path}.kv_dtype")
    util = float(params.get("gpu_memory_utilization", 0.9))
    from simulation.llm.engines import engine_limits

    max_seqs, max_tokens = engine_limits(params, g.memory_gb)
    gpus = tp * pp
    usable = g.memory_gb * GIB * DRIVER_SHARE
    budget = util * usable
    weights_total = weight_bytes(spec, dtype)
    weights = weights_total / gpus
    ep = ep_group(params, spec)
    if ep > 1:
        # experts are spread over the whole expert-parallel group; the rest is split by tp × pp as usual
        experts = expert_bytes(spec, dtype)
        weights = (weights_total - experts) / gpus + experts / (ep * pp)
    act = activation_bytes(spec, max_tokens, tp)
    logits = max_seqs * spec.vocab * 4.0 * SAMPLER_COPIES
    reserve = FIXED_RESERVE_BYTES + act + logits
    kv_free = budget - weights - reserve
    kv_heads_gpu = max(1.0, spec.kv_heads / tp) if not spec.is_mla else 1.0
    per_token_total = kv_bytes_per_token(spec, kv_dtype)
    # each GPU holds its 1/pp of the layers and its share of KV heads (replicated when kv_heads < tp)
    per_token_gpu = per_token_total / pp * (kv_heads_gpu / spec.kv_heads if not spec.is_mla else 1.0)
    name = f"{spec.name} in {dtype}"
    where = f"{gpus} × {g.id} (tp {tp} × pp {pp}) at gpu_memory_utilization {util:g}"
    if kv_free <= 0:
        need = (weights_total + gpus * reserve) / 1e9
        have = gpus * budget / 1e9
        raise DesignError(
            f"{name} does not fit on {where}: weights {weights_total / 1e9:.1f} GB "
            f"({spec.total_params_b:g}B params × {WEIGHT_BYTES[dtype]:g} B) + activation reserve "
            f"{gpus * reserve / 1e9:.1f} GB = {need:.1f} GB > {have:.1f} GB usable "
            f"({gpus} × {g.memory_gb:g} GiB × {DRIVER_SHARE:g} × {util:g}); "
            f"raise tp/pp, quantise (fp8/int4) or use a larger GPU", path)
    kv_tokens = int(kv_free / per_token_gpu)
    blocks = kv_tokens // BLOCK_TOKENS
    if blocks < 1:
        raise DesignError(f"{name} on {where} leaves {kv_free / 1e6:.0f} MB per GPU for KV cache, less than "
                          f"one {BLOCK_TOKENS}-token block ({per_token_gpu * BLOCK_TOKENS / 1e6:.1f} MB)", path)
    window_seq = window_bytes_per_sequence(spec, kv_dtype)
    window_blocks = math.ceil(window_seq / per_token_total / BLOCK_TOKENS) if window_seq else 0
    return {
        "model": spec.id,
        "gpu": g.id,
        "gpus": gpus,
        "dtype": dtype,
        "kv_dtype": kv_dtype,
        "gpu_memory_gb": g.memory_gb,
        "usable_gb_per_gpu": usable / 1e9,
        "budget_gb_per_gpu": budget / 1e9,
        "weights_gb": weights_total / 1e9,
        "weights_gb_per_gpu": weights / 1e9,
        "expert_parallel_gpus": ep,
        "activation_reserve_gb_per_gpu": reserve / 1e9,
        "kv_pool_gb_per_gpu": kv_free / 1e9,
        "kv_pool_gb": kv_free * gpus / 1e9,
        "kv_bytes_per_token": per_token_total,
        "kv_tokens": blocks * BLOCK_TOKENS,
        "kv_blocks": blocks,
        "block_tokens": BLOCK_TOKENS,
        "window_blocks_per_seq": window_blocks,
        "max_num_seqs": max_seqs,
        "max_num_batched_tokens": max_tokens,
        "formula": (f"KV pool = {util:g} × {g.memory_gb:g} GiB × {DRIVER_SHARE:g} − weights "
                    f"{weights / 1e9:.2f} GB − reserve {reserve / 1e9:.2f} GB = {kv_free / 1e9:.2f} GB per GPU; "
                    f"{per_token_total / 1024:.0f} KiB/token → {blocks} blocks of {BLOCK_TOKENS} tokens"),
    }


def catalog_gpu_checked(gpu_id: str, path: str):
    from kernels.errors import InputError

    try:
        return catalog_gpu(gpu_id)
    except InputError as exc:
        raise DesignError(str(exc), path) from None

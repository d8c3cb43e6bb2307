"""FLOPs and bytes moved by each modelled kernel: the roofline minimum time is max(flops/peak, bytes/bw)."""

from __future__ import annotations

from kernels.errors import InputError

# Bytes per element of the weight / KV dtype.
ELEMENT_BYTES: dict[str, float] = {
    "fp32": 4.0, "tf32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5, "int4": 0.5,
}
# 4-bit formats are weight-only in vLLM (W4A16): activations stay 16-bit.
_ACTIVATION_BYTES = {"fp4": 2.0, "int4": 2.0}


def element_bytes(dtype: str) -> float:
    try:
        return ELEMENT_BYTES[dtype]
    except KeyError:
        raise InputError(f'unknown dtype "{dtype}"; known: {", ".join(ELEMENT_BYTES)}') from None


def gemm(m: float, n: float, k: float, dtype: str) -> tuple[float, float]:
    """Y[m,n] = X[m,k] @ W[n,k]^T: FLOPs and bytes (X, W read once, Y written; 16-bit output)."""
    w = element_bytes(dtype)
    a = _ACTIVATION_BYTES.get(dtype, w)
    out = 4.0 if dtype in ("fp32", "tf32") else 2.0
    return 2.0 * m * n * k, m * k * a + n * k * w + m * n * out


def causal_pairs(tokens: float, context: float) -> float:
    """Query-key pairs of causal attention: query i of the new tokens sees context - tokens + i + 1 keys."""
    return tokens * (context - tokens) + tokens * (tokens + 1) / 2.0


def attention_prefill(tokens: float, context: float, heads: float, kv_heads: float, head_dim: float,
                      batch: float, dtype: str) -> tuple[float, float]:
    """FLOPs (QK^T and PV, causal) and bytes (Q, O, the whole K/V context, and the new KV written)."""
    e = element_bytes(dtype)
    flops = 4.0 * batch * heads * head_dim * causal_pairs(tokens, context)
    nbytes = e * batch * head_dim * (2.0 * tokens * heads + 2.0 * context * kv_heads + 2.0 * tokens * kv_heads)
    return flops, nbytes


def attention_decode(batch: float, kv_len: float, heads: float, kv_heads: float, head_dim: float,
                     dtype: str) -> tuple[float, float]:
    """One new token per sequence against kv_len cached tokens (the KV read dominates)."""
    e = element_bytes(dtype)
    flops = 4.0 * batch * heads * head_dim * kv_len
    nbytes = e * batch * head_dim * (2.0 * kv_len * kv_heads + 2.0 * heads + 2.0 * kv_heads)
    return flops, nbytes


def allreduce_bus_bytes(nbytes: float, n_gpus: int) -> float:
    """Bytes each GPU sends in a ring all-reduce (nccl-tests 'bus bandwidth' convention)."""
    return 2.0 * (n_gpus - 1) / n_gpus * nbytes

"""Duration of one engine step (one forward over the batch) from a kernel profile.

Per layer on one GPU of a tp × pp engine: QKV, O and MLP GEMMs at the step's token count with the
TP-sharded widths (MoE: the experts the tokens touch), prefill attention per chunk (tokens × context),
decode attention (batch × mean KV length), two all-reduces under TP and the small element-wise ops;
then the LM head for the sequences that sample, pipeline hand-offs under PP, the profile's per-step GPU
overhead and the engine's host overhead. Results are memoized: a simulation asks for the same
decode shapes many times.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from kernels.perf import Profile
from kernels.roofline import ELEMENT_BYTES
from simulation.llm.catalog import ModelSpec
from simulation.llm.engines import EnginePreset

# aiconfigurator applies mem_bw_empirical_scaling_factor 0.8 to every GPU (sources.json 'aiconfigurator'):
# used for streaming the weights of extra MoE experts, which no GEMM table covers.
STREAM_EFFICIENCY = 0.8
JITTER_MASK = 4095  # step-variation factors are drawn once per engine and cycled (4096 of them)


def spec_decode_gain(k: int, alpha: float) -> float:
    """Expected tokens per verify step with k drafted tokens at acceptance rate alpha: (1−α^(k+1))/(1−α)."""
    if k <= 0:
        return 1.0
    if alpha >= 1.0:
        return float(k + 1)
    return (1.0 - alpha ** (k + 1)) / (1.0 - alpha)


def _kv_bucket(kv: float) -> int:
    """Quantise a mean KV length to ~1.5–3 % steps so memoized decode times are reused."""
    n = int(kv)
    bits = n.bit_length() - 6
    step = 1 << (bits if bits > 4 else 4)
    q = (n + (step >> 1)) // step * step
    return q if q > step else step


class StepTimer:
    """Times steps of one engine replica (one model on tp × pp GPUs of one profile)."""

    def __init__(self, spec: ModelSpec, profile: Profile, tp: int, pp: int, dtype: str, kv_dtype: str,
                 engine: EnginePreset, draft: StepTimer | None = None, spec_k: int = 0, ep: int = 1) -> None:
        self.spec = spec
        self.profile = profile
        self.tp, self.pp = tp, pp
        self.dtype = dtype
        self.kv_dtype = kv_dtype
        self.engine = engine
        self.draft = draft
        self.spec_k = spec_k if draft is not None or spec_k else 0
        self.ep = ep  # expert-parallel group (GPUs sharing the experts); 1 = experts TP-sharded per replica
        s = spec
        self.heads = max(1, s.heads // tp)
        self.kv_heads = max(1, s.kv_heads // tp) if not s.is_mla else 1
        self.window = s.sliding_window
        self.window_layers = s.window_layers
        self.full_layers = s.layers - self.window_layers
        self._decode_cache: dict[tuple[int, int], float] = {}
        self._mixed_cache: dict[tuple, float] = {}
        self.jitter: list[float] | None = None  # step-to-step variation factors (see jittered), cycled
        self._ji = 0
        self.bytes_w = ELEMENT_BYTES[dtype]

    # -- per-layer pieces ---------------------------------------------------------------------------
    def _gemms_ms(self, t: int) -> float:
        """Linear layers of one transformer layer for t tokens (per GPU)."""
        s, p, tp, dt = self.spec, self.profile, self.tp, self.dtype
        h = s.hidden
        if s.is_mla:
            a = s.attention
            qk, v, rank, rope = a["qk_head_dim"], a["v_head_dim"], a["kv_lora_rank"], a["qk_rope_head_dim"]
            q_rank = int(a.get("q_lora_rank", 1536))
            attn = (p.gemm_ms(t, q_rank + rank + rope, h, dt)
                    + p.gemm_ms(t, max(1, s.heads * qk // tp), q_rank, dt)
                    + p.gemm_ms(t, max(1, s.heads * (qk - rope + v) // tp), rank, dt)
                    + p.gemm_ms(t, h, max(1, s.heads * v // tp), dt))
        else:
            qkv = (s.heads + 2 * s.kv_heads) * s.head_dim // tp
            attn = p.gemm_ms(t, max(1, qkv), h, dt) + p.gemm_ms(t, h, max(1, s.heads * s.head_dim // tp), dt)
        return attn + self._mlp_ms(t)

    def _mlp_ms(self, t: int) -> float:
        s, p, tp, dt = self.spec, self.profile, self.tp, self.dtype
        h = s.hidden
        moe = s.moe
        if moe is None:
            inter = max(1, s.intermediate // tp)
            return p.gemm_ms(t, 2 * inter, h, dt) + p.gemm_ms(t, h, inter, dt)
        if self.ep > 1:
            # expert parallel: every data-parallel rank brings t tokens (ranks step together); this GPU
            # holds experts/ep whole experts and gets its share of the routed pairs; tokens are exchanged
            # by an all-gather + reduce-scatter (vLLM's default all2all) of t tokens per rank, each about
            # as long as an all-reduce of that size (2 x RTX PRO 6000, 1.3 MB: all_reduce 91 µs,
            # all_gather 95 µs, reduce_scatter 101 µs; LLMServingSim hardware.yaml, kernels/public_data.py)
            inter = moe.expert_intermediate
            group_tokens = t * self.ep // tp
            routed = max(1, t * moe.top_k // tp)
            active = moe.experts / self.ep * (1.0 - (1.0 - moe.top_k / moe.experts) ** group_tokens)
            exchange = 2.0 * p.allreduce_ms(t * h * 2.0, self.ep)
        else:
            inter = max(1, moe.expert_intermediate // tp)
            routed = t * moe.top_k
            active = moe.experts * (1.0 - (1.0 - moe.top_k / moe.experts) ** t)
            exchange = 0.0
        # grouped GEMM: the routed tokens through one expert's shapes, plus streaming the other active experts
        extra_bytes = max(active - 1.0, 0.0) * 3.0 * inter * h * self.bytes_w
        ms = (p.gemm_ms(routed, 2 * inter, h, dt) + p.gemm_ms(routed, h, inter, dt)
              + extra_bytes / (p.mem_bw_gbs * 1e9 * STREAM_EFFICIENCY) * 1e3
              + p.gemm_ms(t, moe.experts, h, "bf16") + exchange)  # router
        if moe.shared:
            shared = max(1, moe.shared * moe.expert_intermediate // tp)
            ms += p.gemm_ms(t, 2 * shared, h, dt) + p.gemm_ms(t, h, shared, dt)
        # MoE models whose first layers are dense (DeepSeek) pay the dense MLP there
        dense_layers = s.layers - moe.moe_layers
        if dense_layers > 0:
            inter_d = max(1, s.intermediate // tp)
            dense = p.gemm_ms(t, 2 * inter_d, h, dt) + p.gemm_ms(t, h, inter_d, dt)
            ms = (ms * moe.moe_layers + dense * dense_layers) / s.layers
        return ms

    def _decode_attn_ms(self, batch: int, kv: int) -> float:
        """Decode attention of one layer averaged over full and sliding-window layers."""
        if batch <= 0:
            return 0.0
        p, s = self.profile, self.spec
        hd = s.head_dim if not s.is_mla else (s.attention["kv_lora_rank"] + s.attention["qk_rope_head_dim"]) // 2
        full = p.attention_decode_ms(batch, kv, self.heads, self.kv_heads, hd, self.kv_dtype)
        if not self.window_layers:
            return full
        win = p.attention_decode_ms(batch, min(kv, self.window), self.heads, self.kv_heads, hd, self.kv_dtype)
        return (full * self.full_layers + win * self.window_layers) / s.layers

    def _prefill_attn_ms(self, tokens: int, context: int) -> float:
        p, s = self.profile, self.spec
        if s.is_mla:
            heads, kv, hd = self.heads, self.heads, s.attention["qk_head_dim"]
        else:
            heads, kv, hd = self.heads, self.kv_heads, s.head_dim
        full = p.attention_prefill_ms(tokens, context, heads, kv, hd, 1, "bf16")
        if not self.window_layers or context <= self.window:
            return full
        ctx = max(tokens, min(context, self.window + tokens))
        win = p.attention_prefill_ms(tokens, ctx, heads, kv, hd, 1, "bf16")
        return (full * self.full_layers + win * self.window_layers) / s.layers

    def _forward_ms(self, tokens: int, sampled: int, attn_ms_per_layer: float) -> float:
        """One forward of ``tokens`` tokens (``sampled`` sequences emit a token) over all layers."""
        s, p, tp = self.spec, self.profile, self.tp
        layer = self._gemms_ms(tokens) + attn_ms_per_layer
        act_bytes = tokens * s.hidden * 2.0
        if tp > 1:
            layer += 2.0 * p.allreduce_ms(act_bytes, tp)
        inter = (s.moe.top_k * s.moe.expert_intermediate) if s.moe else s.intermediate
        layer += p.memcpy_ms(tokens * (6.0 * s.hidden + 2.0 * inter / tp) * 2.0 / 2.0)  # norms, rope, act, adds
        ms = layer * s.layers
        ms += p.gemm_ms(max(1, sampled), max(1, s.vocab // tp), s.hidden, "bf16")  # LM head
        if self.pp > 1:
            hop = act_bytes / (p.interconnect_gbs * 1e9 or p.mem_bw_gbs * 1e9) * 1e3 + p.launch_overhead_ms
            ms += (self.pp - 1) * hop
        return ms + p.step_overhead_ms

    def _host_ms(self, seqs: int) -> float:
        return self.engine.step_overhead_ms + self.engine.per_seq_overhead_us * seqs / 1000.0

    # -- public ---------------------------------------------------------------------------------------
    def decode_s(self, batch: int, kv_mean: float) -> float:
        """Seconds of a pure-decode step: ``batch`` sequences with ``kv_mean`` cached tokens on average."""
        kv = _kv_bucket(kv_mean)
        key = (batch, kv)
        hit = self._decode_cache.get(key)
        if hit is not None:
            return hit if self.jitter is None else self._varied(hit)
        k = self.spec_k
        tokens = batch * (k + 1)
        # the verify pass: every sequence's k drafted tokens plus one go through the target together (GEMMs
        # at batch·(k+1) tokens), attention reads each KV once for k+1 queries (+15 % for the extra queries
        # [assumption]) and the LM head scores all k+1 positions of every sequence (rejection sampling)
        ms = self._forward_ms(tokens, tokens, self._decode_attn_ms(batch, kv) * (1.0 if not k else 1.15))
        if k and self.draft is not None:
            ms += k * self.draft.decode_s(batch, kv_mean) * 1e3
        ms += self._host_ms(batch)
        sec = ms / 1e3
        self._decode_cache[key] = sec
        return sec if self.jitter is None else self._varied(sec)

    def mixed_s(self, batch: int, kv_mean: float, chunks: list[tuple[int, int]], sampled: int) -> float:
        """Seconds of a step with ``batch`` decodes plus prefill chunks [(new tokens, context after)]."""
        if not chunks:
            return self.decode_s(batch, kv_mean)
        kv = _kv_bucket(kv_mean) if batch else 0
        if len(chunks) == 1:
            c, x = chunks[0]
            ckey: tuple = ((c, _kv_bucket(x) if x > 4 * c else x),)
        else:
            ckey = tuple((c, _kv_bucket(x) if x > 4 * c else x) for c, x in chunks)
        key = (batch, kv, ckey, sampled)
        hit = self._mixed_cache.get(key)
        if hit is not None:
            return hit if self.jitter is None else self._varied(hit)
        k = self.spec_k
        tokens = batch * (k + 1) + sum(c for c, _ in chunks)
        attn = self._decode_attn_ms(batch, kv) + sum(self._prefill_attn_ms(c, max(c, x)) for c, x in ckey)
        ms = self._forward_ms(tokens, sampled + batch * (k + 1), attn)
        if k and self.draft is not None and batch:
            ms += k * self.draft.decode_s(batch, kv_mean) * 1e3
        ms += self._host_ms(batch + len(chunks))
        sec = ms / 1e3
        if len(self._mixed_cache) > 200_000:
            self._mixed_cache.clear()
        self._mixed_cache[key] = sec
        return sec if self.jitter is None else self._varied(sec)

    def _varied(self, sec: float) -> float:
        """``sec`` scaled by the next of this engine's step-variation factors (see jittered)."""
        i = self._ji
        self._ji = (i + 1) & JITTER_MASK
        return sec * self.jitter[i]  # type: ignore[index]

    def jittered(self, cv: float, rng: Any) -> StepTimer:
        """A view of this timer (same memo tables) whose every step is scaled by a seeded lognormal factor of
        mean 1 and coefficient of variation ``cv``: one engine's step-to-step variation."""
        view = copy.copy(self)
        sigma = math.sqrt(math.log1p(cv * cv))
        view.jitter = rng.lognormal(-sigma * sigma / 2.0, sigma, JITTER_MASK + 1).tolist()
        view._ji = 0
        return view

    def describe(self) -> dict[str, Any]:
        """A few reference step times for reports (ms)."""
        return {
            "decode_b1_kv1k_ms": self.decode_s(1, 1024) * 1e3,
            "decode_b32_kv1k_ms": self.decode_s(32, 1024) * 1e3,
            "prefill_2048_ms": self.mixed_s(0, 0, [(2048, 2048)], 1) * 1e3,
            "weights_stream_floor_ms": self.spec.active_params_b * 1e9 * self.bytes_w
            / (self.tp * self.pp) / (self.profile.mem_bw_gbs * 1e9) * 1e3 if math.isfinite(self.bytes_w) else 0.0,
        }


class LockstepTimer:
    """Data-parallel ranks that step together (vLLM DP + expert parallelism) seen as one engine.

    The combined batch is spread over ``ranks`` ranks: decodes evenly, prefill chunks to the least
    loaded rank; the step lasts as long as the slowest rank, because every MoE layer waits for all.
    """

    def __init__(self, inner: StepTimer, ranks: int) -> None:
        self.inner = inner
        self.ranks = ranks
        self.spec_k = inner.spec_k

    def decode_s(self, batch: int, kv_mean: float) -> float:
        return self.inner.decode_s(-(-batch // self.ranks), kv_mean)

    def mixed_s(self, batch: int, kv_mean: float, chunks: list[tuple[int, int]], sampled: int) -> float:
        if not chunks:
            return self.decode_s(batch, kv_mean)
        per_rank = -(-batch // self.ranks)
        bins: list[list[tuple[int, int]]] = [[] for _ in range(self.ranks)]
        loads = [0] * self.ranks
        for c in sorted(chunks, reverse=True):
            i = loads.index(min(loads))
            bins[i].append(c)
            loads[i] += c[0]
        times = [self.inner.mixed_s(per_rank, kv_mean, b, len(b)) for b in bins if b]
        if per_rank and len(times) < self.ranks:
            times.append(self.inner.decode_s(per_rank, kv_mean))
        return max(times)

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

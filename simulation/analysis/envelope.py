"""Back-of-envelope maths for a design: every figure an interviewer expects, each with formula and inputs.

The figures are closed-form bounds and averages an interviewer expects. They use the same
catalogs as the simulator (model architectures, GPU datasheets, API prices, the memory plan of
``simulation.llm.memory``), so where both apply the report can show them side by side: each figure may
name ``sim_key``, a fact of the run (see ``run_facts``) that measures the same quantity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from simulation.design import Design, Node
from simulation.distributions import parse_dist
from simulation.errors import DesignError
from simulation.registry import get_kind
from simulation.units import HOURS_PER_MONTH
from simulation.workload import request_classes, workload_of

SECONDS_PER_DAY = 86400.0
DAYS_PER_MONTH = HOURS_PER_MONTH / 24.0  # 30.42: the billing month the simulator uses
TARGET_UTILIZATION = 0.8  # size replicas to run at ≤ 80 % at peak (queueing delay explodes above ~85 %)
DTYPES_SHOWN = ("bf16", "fp8", "int4")
# Comparable hosted model for the API-vs-self-hosted line: a small model for ≤ 15B params, else a frontier one
# (prices from assets/catalogs/api_models.json, which cites each provider.)
API_REFERENCE_SMALL = "openai/gpt-4o-mini"
API_REFERENCE_LARGE = "openai/gpt-4o"
# Self-hosted alternative for API-only designs: Llama-3.1-70B on 4 × H100 SXM (the vllm-cluster-70b template).
SELF_HOSTED_REFERENCE = {"model": "meta-llama/Llama-3.1-70B", "gpu": "h100-sxm", "tp": 4, "dtype": "bf16"}
GAP_EXPLAINED = 0.20  # envelope and simulation differing by more than this get a stated reason
MIN_UTILIZATION_SHOWN = 0.01  # idle stations add nothing to a capacity discussion
LATENCY_KEYS = {"service": "service_time", "human_agent": "handling_time", "agent": "step_overhead",
                "reranker": "overhead", "vector_db": "extra_latency"}


@dataclass
class Figure:
    """One number with its derivation. ``sim_key`` names the run fact measuring the same quantity."""

    key: str
    label: str
    value: float
    unit: str
    formula: str
    inputs: str
    group: str
    node: str | None = None
    sim_key: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("key", "label", "value", "unit", "formula", "inputs", "group",
                                              "node", "sim_key", "note")}


@dataclass
class Flow:
    """Mean traffic at one node: requests per arriving request (``share``) and mean context tokens added so far."""

    share: float = 0.0
    context_tokens: float = 0.0
    retrieved: float = 0.0
    chunk_tokens: float = 0.0


@dataclass
class Envelope:
    figures: list[Figure] = field(default_factory=list)
    flows: dict[str, Flow] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)  # inputs other modules reuse (review, report)

    def add(self, *args: Any, **kwargs: Any) -> Figure:
        fig = Figure(*args, **kwargs)
        self.figures.append(fig)
        return fig

    def get(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)

    def value(self, key: str, default: float = math.nan) -> float:
        fig = self.get(key)
        return fig.value if fig else default

    def groups(self) -> list[str]:
        seen: list[str] = []
        for f in self.figures:
            if f.group not in seen:
                seen.append(f.group)
        return seen


# -- formatting ---------------------------------------------------------------------------------------
def fmt(value: float, digits: int = 3) -> str:
    """A readable number: thousands separators, ``digits`` significant figures for small values."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    v = float(value)
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}" if digits <= 3 else f"{v:.1f}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(a))))
    return f"{v:.{min(decimals, 6)}f}"


def usd(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if value == 0:
        return "$0"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return f"${value:.4f}" if abs(value) >= 0.001 else f"${value:.6f}"


# -- traffic flow -------------------------------------------------------------------------------------
def _resolved(node: Node) -> dict[str, Any]:
    return get_kind(node.kind).resolved_params(node.params)


def _dist_mean(spec: Any, default: float = 0.0) -> float:
    try:
        return float(parse_dist(spec, "dist").mean())
    except (DesignError, KeyError, TypeError, ValueError):
        return default


def _branch_split(design: Design, node: Node, params: dict[str, Any]) -> list[tuple[str, float]]:
    """(target, fraction of this node's requests) for each out edge, as the engine routes them."""
    out = design.out_edges(node.id)
    plain = [e for e in out if not e.when]
    by_when: dict[str, list] = {}
    for e in out:
        if e.when:
            by_when.setdefault(e.when, []).append(e)
    total_w = sum(max(e.weight, 0.0) for e in plain) or 1.0
    split: list[tuple[str, float]] = []

    def plain_share(fraction: float) -> None:
        if node.kind == "fanout":
            split.extend((e.target, fraction) for e in plain)
        else:
            split.extend((e.target, fraction * max(e.weight, 0.0) / total_w) for e in plain)

    kind = node.kind
    if kind in ("response_cache", "semantic_cache"):
        hit = float(params.get("hit_rate", 0.0))
        split.extend((e.target, hit / len(by_when["hit"])) for e in by_when.get("hit", []))
        if by_when.get("miss"):
            split.extend((e.target, (1 - hit) / len(by_when["miss"])) for e in by_when["miss"])
        else:
            plain_share(1 - hit)
        return split
    blocked = 0.0
    if kind in ("input_guardrail", "output_guardrail"):
        blocked = float(params.get("block_rate", 0.0))
    elif kind == "classifier":
        blocked = float(params.get("flag_rate", 0.0))
    elif kind == "api_gateway":
        blocked = float(params.get("auth_reject_rate", 0.0))
    split.extend((e.target, blocked / len(by_when["blocked"])) for e in by_when.get("blocked", []))
    if kind == "agent":
        iters = min(_dist_mean(params.get("iterations"), 1.0), float(params.get("max_iterations", 10)))
        plain_share(max(iters, 1.0))
        split.extend((e.target, 1.0 / len(by_when["done"])) for e in by_when.get("done", []))
        return split
    plain_share(1.0 - blocked)
    return split


def _add_context(node: Node, params: dict[str, Any], flow: Flow) -> Flow:
    """The context tokens a node adds to requests passing through it (mirrors the runtimes' outcome())."""
    f = Flow(flow.share, flow.context_tokens, flow.retrieved, flow.chunk_tokens)
    kind = node.kind
    if kind == "prompt_builder":
        f.context_tokens += int(params["system_prompt_tokens"]) + int(params["history_tokens"])
    elif kind in ("vector_db", "keyword_index"):
        f.context_tokens += int(params["top_k"]) * int(params["chunk_tokens"])
        f.retrieved += int(params["top_k"])
        f.chunk_tokens = float(params["chunk_tokens"])
    elif kind == "reranker":
        keep = int(params["keep"])
        if f.retrieved > keep:
            f.context_tokens -= (f.retrieved - keep) * f.chunk_tokens
            f.retrieved = keep
    elif kind == "database":
        f.context_tokens += int(params.get("tokens_added", 0))
    elif kind in ("tool", "mcp_server"):
        f.context_tokens += int(params.get("output_tokens", 0))
    return f


def _tool_tokens_into(design: Design, agent: str, params: dict[str, dict[str, Any]]) -> float:
    """Mean output tokens a step's tool adds: the tools that report back to ``agent``, by their edge weights from
    whichever node picks them (equal weights when they are not reached from one chooser)."""
    tools = [e.source for e in design.in_edges(agent)
             if e.when in (None, "error") and design.has_node(e.source)
             and design.node(e.source).kind in ("tool", "mcp_server")]
    if not tools:
        return 0.0
    weights = {t: sum(max(e.weight, 0.0) for e in design.in_edges(t) if not e.when) or 1.0 for t in set(tools)}
    total = sum(weights.values()) or 1.0
    return sum(w * float(params[t].get("output_tokens", 0) or 0) for t, w in weights.items()) / total


def traffic_flow(design: Design) -> dict[str, Flow]:
    """Mean visits per arriving request at each node, and the mean context tokens requests carry there.

    Edges back into an agent (the ReAct loop) and retry edges are not followed again: the agent's
    iteration count already multiplies the traffic of its step edges.
    """
    flows: dict[str, Flow] = {n.id: Flow() for n in design.nodes}
    nodes = {n.id: n for n in design.nodes}
    params = {n.id: _resolved(n) for n in design.nodes}
    clients = [n.id for n in design.nodes if n.kind == "client"]
    if not clients:
        return flows
    per_client = 1.0 / len(clients)
    # Breadth-first propagation of flow "packets"; a packet stops at an agent it already passed through.
    queue: list[tuple[str, float, Flow, frozenset[str]]] = [(c, per_client, Flow(), frozenset()) for c in clients]
    steps = 0
    while queue and steps < 20000:
        steps += 1
        nid, share, incoming, agents = queue.pop(0)
        if share < 1e-9 or nid not in nodes:
            continue
        node = nodes[nid]
        if node.kind == "agent" and nid in agents:
            continue  # loop back into the agent: counted by its iterations
        f = flows[nid]
        total = f.share + share
        f.context_tokens = (f.context_tokens * f.share + incoming.context_tokens * share) / total
        f.retrieved = (f.retrieved * f.share + incoming.retrieved * share) / total
        f.chunk_tokens = max(f.chunk_tokens, incoming.chunk_tokens)
        f.share = total
        after = _add_context(node, params[nid], incoming)
        done_after, done_targets = after, set()
        if node.kind == "agent":
            agents = agents | {nid}
            iters = min(_dist_mean(params[nid].get("iterations"), 1.0), float(params[nid]["max_iterations"]))
            # each step appends the agent's growth plus the tool's output: step i carries i − 1 steps of it
            # (the mean step (n − 1) ÷ 2), and the final answer carries all n
            per_step = int(params[nid]["context_growth_tokens"]) + _tool_tokens_into(design, nid, params)
            done_after = Flow(after.share, after.context_tokens + per_step * iters, after.retrieved,
                              after.chunk_tokens)
            after.context_tokens += per_step * max(iters - 1, 0) / 2
            done_targets = {e.target for e in design.out_edges(nid) if e.when == "done"}
        for target, frac in _branch_split(design, node, params[nid]):
            queue.append((target, share * frac, done_after if target in done_targets else after, agents))
    return flows


# -- workload -----------------------------------------------------------------------------------------
def _token_means(design: Design) -> tuple[float, float]:
    classes = request_classes(design.workload)
    total = sum(c.weight for c in classes) or 1.0
    tin = sum(c.weight * c.input_tokens.mean() for c in classes) / total
    tout = sum(c.weight * c.output_tokens.mean() for c in classes) / total
    # the engine gives every request at least one input and one output token (Simulation._new_request)
    return max(tin, 1.0), max(tout, 1.0)


def _workload_figures(env: Envelope, design: Design) -> None:
    g = "Workload and scale"
    wl = workload_of(design.workload)
    rate = wl.mean_rate()
    if rate is None:
        conc = wl.arrival.rate_value()
        env.facts.update(rate=None, peak=None)
        env.add("workload.concurrency", "Closed-loop users", conc, "users", "N users, each sends after the last answer",
                f"concurrency = {fmt(conc)}", g)
        return
    ptm, ptm_src = wl.peak_to_mean, wl.peak_to_mean_source
    peak = wl.peak_rate()
    tin, tout = _token_means(design)
    per_day = rate * SECONDS_PER_DAY
    env.facts.update(rate=rate, peak=peak, peak_to_mean=ptm, input_tokens=tin, output_tokens=tout)
    env.add("workload.requests_per_day", "Requests per day", per_day, "req/day", "λ × 86,400 s",
            f"{fmt(rate, 4)} req/s × 86,400", g)
    env.add("workload.mean_qps", "Mean rate", rate, "req/s", "requests/day ÷ 86,400", f"{fmt(per_day)} ÷ 86,400", g,
            sim_key="throughput.arrival_per_s")
    env.add("workload.peak_qps", "Peak rate", peak, "req/s", "mean × peak-to-mean",
            f"{fmt(rate, 4)} × {fmt(ptm)} ({ptm_src})", g)
    env.add("workload.requests_per_month", "Requests per month", per_day * DAYS_PER_MONTH, "req/month",
            "requests/day × 30.4", f"{fmt(per_day)} × {DAYS_PER_MONTH:.2f} (730-hour month)", g)
    env.add("workload.input_tokens", "Mean user input", tin, "tokens", "E[input tokens]",
            "from the workload's input_tokens distribution", g, sim_key="tokens.input_mean")
    env.add("workload.output_tokens", "Mean output", tout, "tokens", "E[output tokens]",
            "from the workload's output_tokens distribution", g, sim_key="tokens.output_mean")
    env.add("workload.output_tokens_per_day", "Output tokens per day", per_day * tout, "tokens/day",
            "requests/day × E[output] (an upper bound: cache hits generate nothing)",
            f"{fmt(per_day)} × {fmt(tout)}", g)


# -- LLM maths (pure functions: the tests check them against hand-computed values) ----------------------
def llm_model_figures(model_id: str, dtype: str = "bf16", kv_dtype: str | None = None,
                      context_tokens: float = 1000.0) -> dict[str, float]:
    """Architecture-only figures of one model: params, 12·L·d², weights, KV per token and per sequence, 2P."""
    from simulation.llm.catalog import model
    from simulation.llm.memory import KV_BYTES, WEIGHT_BYTES, kv_bytes_per_token, weight_bytes

    spec = model(model_id)
    if not kv_dtype or kv_dtype == "auto":  # the memory plan's rule: 16-bit weights keep their dtype, else bf16
        kv_dtype = dtype if WEIGHT_BYTES.get(dtype) == 2.0 and dtype in KV_BYTES else "bf16"
    kv_tok = kv_bytes_per_token(spec, kv_dtype)
    return {
        "params": spec.total_params_b * 1e9,
        "active_params": spec.active_params_b * 1e9,
        "params_12ld2": 12.0 * spec.layers * spec.hidden ** 2,
        "weights_bytes": weight_bytes(spec, dtype),
        "kv_bytes_per_token": kv_tok,
        "kv_dtype_bytes": KV_BYTES[kv_dtype],
        "kv_bytes_per_sequence": kv_tok * context_tokens,
        "flops_per_token": 2.0 * spec.active_params_b * 1e9,
        "layers": spec.layers, "hidden": spec.hidden, "kv_heads": spec.kv_heads, "head_dim": spec.head_dim,
        "context_length": spec.context_length,
    }


def decode_bound_tokens_per_s(weights_bytes: float, mem_bw_gbs: float, tp: int = 1, batch: int = 1,
                              kv_bytes_per_seq: float = 0.0) -> float:
    """Tokens/s of one replica when each decode step must read all weights plus the batch's KV once."""
    step_s = (weights_bytes + batch * kv_bytes_per_seq) / (tp * mem_bw_gbs * 1e9)
    return batch / step_s


def prefill_bound_s(prompt_tokens: float, flops_per_token: float, peak_tflops: float, tp: int = 1) -> float:
    """Compute-bound prefill time: 2P × prompt tokens at the GPUs' dense peak."""
    return prompt_tokens * flops_per_token / (tp * peak_tflops * 1e12)


def plural_gpus(n: int) -> str:
    return f"{n:,} GPU" + ("" if n == 1 else "s")


def _share_reason(design: Design, share: float) -> str:
    """Why a share of the requests reaches a node: the caches in front (their miss share), else the routing."""
    caches = [n for n in design.nodes if n.kind in ("response_cache", "semantic_cache")]
    if share < 1 and caches:
        hits = [float(get_kind(n.kind).resolved_params(n.params).get("hit_rate", 0.0)) for n in caches]
        if len(caches) == 1:
            return f"cache-miss share ({caches[0].title}: {hits[0]:.0%} hits)"
        return "share past the caches (" + ", ".join(f"{n.title} {h:.0%} hits" for n, h in zip(caches, hits)) + ")"
    return "share of requests reaching it (routing, retries, agent steps)"


def _llm_server_figures(env: Envelope, design: Design, node: Node, params: dict[str, Any], flow: Flow) -> None:
    from kernels.hardware import gpu
    from simulation.llm.catalog import model
    from simulation.llm.memory import WEIGHT_BYTES, memory_plan

    g = f"LLM server · {node.title}"
    nid = node.id
    spec = model(params["model"])
    dev = gpu(params["gpu"])
    tp, pp, replicas = int(params["tp"]), int(params["pp"]), int(params["replicas"])
    dtype = str(params["dtype"])
    gpus = tp * pp
    tin = env.facts.get("input_tokens", 0.0)
    tout = env.facts.get("output_tokens", 0.0)
    prompt = tin + flow.context_tokens
    seq_len = prompt + tout
    base = llm_model_figures(spec.id, dtype, params["kv_dtype"], seq_len)
    P = base["params"]
    L, d = spec.layers, spec.hidden
    env.add(f"{nid}.params", "Parameters (catalog)", P / 1e9, "B", "P from config.json (all experts for MoE)",
            f"{spec.name}: {fmt(P / 1e9, 4)}B", g, nid)
    env.add(f"{nid}.params_12ld2", "Cross-check 12·L·d²", base["params_12ld2"] / 1e9, "B",
            "12 × layers × hidden² (attention 4d² + MLP 8d²; excludes embeddings, GQA and wider MLPs shift it)",
            f"12 × {L} × {d}² = {fmt(base['params_12ld2'] / 1e9, 4)}B ({base['params_12ld2'] / P:.0%} of P)", g, nid)
    for dt in DTYPES_SHOWN:
        wb = llm_model_figures(spec.id, dt)["weights_bytes"]
        mark = " ← this node" if dt == dtype else ""
        env.add(f"{nid}.weights_gb.{dt}", f"Weights in {dt}{mark}", wb / 1e9, "GB", "P × bytes/param",
                f"{fmt(P / 1e9, 4)}B × {WEIGHT_BYTES[dt]:g} B" + (" (+5 % group scales, 16-bit embeddings)"
                                                                 if WEIGHT_BYTES[dt] < 1 else ""), g, nid)
    weights = base["weights_bytes"]
    kv_tok = base["kv_bytes_per_token"]
    kv_b = base["kv_dtype_bytes"]
    env.add(f"{nid}.kv_kib_per_token", "KV cache per token", kv_tok / 1024, "KiB",
            "2 × layers × kv_heads × head_dim × bytes(kv)",
            f"2 × {L} × {spec.kv_heads} × {spec.head_dim} × {kv_b:g} B = {fmt(kv_tok)} B" if not spec.is_mla
            else "MLA latent per layer", g, nid)
    env.add(f"{nid}.kv_mb_per_seq", "KV per sequence (mean prompt + output)", kv_tok * seq_len / 1e6, "MB",
            "KV/token × (prompt + output)",
            f"{fmt(kv_tok / 1024)} KiB × ({fmt(prompt)} + {fmt(tout)}) tokens", g, nid)
    env.add(f"{nid}.kv_gb_full_context", "KV of one full-context sequence", kv_tok * spec.context_length / 1e9,
            "GB", "KV/token × context window", f"{fmt(kv_tok / 1024)} KiB × {spec.context_length:,}", g, nid)
    try:
        plan = memory_plan(params, f"nodes.{nid}.params")
    except DesignError as exc:
        env.facts.setdefault("does_not_fit", {})[nid] = str(exc)
        env.add(f"{nid}.fits", "Fits in GPU memory", 0.0, "", "weights + reserve ≤ util × memory × GPUs",
                str(exc)[:300], g, nid, note="does not fit")
        return
    env.facts.setdefault("plans", {})[nid] = plan
    env.add(f"{nid}.kv_pool_gb", "KV pool per replica", plan["kv_pool_gb"], "GB",
            "util × memory × GPUs − weights − activation reserve", plan["formula"], g, nid)
    max_seqs_kv = plan["kv_tokens"] / max(seq_len, 1.0)
    max_seqs = min(max_seqs_kv, plan["max_num_seqs"])
    env.facts.setdefault("max_seqs_kv", {})[nid] = max_seqs_kv
    env.add(f"{nid}.max_seqs", "Max concurrent sequences per replica", max_seqs, "seqs",
            "min(KV pool tokens ÷ (prompt + output), max_num_seqs)",
            f"min({plan['kv_tokens']:,} ÷ {fmt(seq_len)}, {plan['max_num_seqs']}) = min({fmt(max_seqs_kv)}, "
            f"{plan['max_num_seqs']})", g, nid)
    flops = base["flops_per_token"]
    peak = dev.compute_tflops(dtype if dtype in ("fp8", "int8") else "bf16")
    env.add(f"{nid}.gflops_per_token", "FLOPs per token (2P)", flops / 1e9, "GFLOP",
            "2 × active params", f"2 × {fmt(spec.active_params_b, 4)}B", g, nid)
    prefill_s = prefill_bound_s(prompt, flops, peak, tp)
    env.add(f"{nid}.prefill_ms", "Prefill of the mean prompt (compute bound)", prefill_s * 1000, "ms",
            "prompt × 2P ÷ (tp × peak FLOP/s)",
            f"{fmt(prompt)} × {fmt(flops / 1e9)} GFLOP ÷ ({tp} × {fmt(peak)} TFLOP/s); real kernels reach ~50–70 %",
            g, nid)
    from simulation.llm.steptime import spec_decode_gain

    k_spec = int(params.get("spec_tokens", 0)) if params.get("speculative", "none") != "none" else 0
    alpha = float(params.get("spec_acceptance", 0.0))
    gain = spec_decode_gain(k_spec, alpha)
    single = decode_bound_tokens_per_s(weights, dev.mem_bw_gbs, tp) * gain
    env.add(f"{nid}.decode_single_tps", "Decode bound, one sequence", single, "tok/s",
            "tp × HBM bandwidth ÷ weight bytes" + (" × tokens per verify step" if gain > 1 else ""),
            f"{tp} × {fmt(dev.mem_bw_gbs)} GB/s ÷ {fmt(weights / 1e9)} GB"
            + (f" × {gain:.2f}" if gain > 1 else "") + f" → TPOT ≥ {fmt(1000 / single)} ms", g, nid)
    if gain > 1:
        env.add(f"{nid}.spec_tokens_per_step", "Speculative decoding: tokens per verify step", gain, "tokens",
                "(1 − α^(k+1)) ÷ (1 − α) (Leviathan et al., 2023, arXiv:2211.17192)",
                f"k = {k_spec} drafted, α = {alpha:g} accepted; the draft's own steps are not counted (an upper "
                "bound on the gain)", g, nid)
    # Batch the envelope sizes with: the KV/seq limit, and the TPOT SLO if there is one.
    kv_avg = kv_tok * (prompt + tout / 2)
    batch = max(1.0, math.floor(max_seqs))
    tpot_slo = next((v for k, v in design.slo.items() if k.startswith(("tpot_", "itl_"))), None)
    why = "KV pool / max_num_seqs"
    if tpot_slo:
        b_slo = (tpot_slo / 1000 * tp * dev.mem_bw_gbs * 1e9 - weights) / max(kv_avg, 1.0)
        if b_slo < batch:
            batch, why = max(1.0, math.floor(b_slo)), f"TPOT SLO {fmt(tpot_slo)} ms"
    step_s = (weights + batch * kv_avg) / (tp * dev.mem_bw_gbs * 1e9) / gain
    agg = batch / step_s
    env.add(f"{nid}.decode_batch_tps", f"Decode bound at batch {int(batch)}", agg, "tok/s",
            "B ÷ ((weights + B × KV/seq) ÷ (tp × bandwidth))",
            f"B = {int(batch)} ({why}); step ≥ {fmt(step_s * 1000)} ms", g, nid)
    per_req_s = prefill_s + tout * step_s / batch
    capacity = 1.0 / per_req_s if per_req_s > 0 else math.inf
    env.add(f"{nid}.capacity_rps", "Requests/s one replica can serve (bound)", capacity, "req/s",
            "1 ÷ (prefill + output × step ÷ B)",
            f"1 ÷ ({fmt(prefill_s * 1000)} ms + {fmt(tout)} × {fmt(step_s * 1000)} ms ÷ {int(batch)})", g, nid)
    rate = env.facts.get("rate")
    if rate and flow.share > 0:  # a node no traffic reaches has no per-token cost
        node_rate, node_peak = rate * flow.share, env.facts["peak"] * flow.share
        need = max(1, math.ceil(node_peak / (capacity * TARGET_UTILIZATION)))
        env.facts.setdefault("replicas_needed", {})[nid] = need
        at_node = "" if abs(flow.share - 1.0) < 1e-9 else (
            f"peak {fmt(env.facts['peak'])} req/s × {fmt(flow.share)} {_share_reason(design, flow.share)} = "
            f"{fmt(node_peak)} req/s at this node; ")
        env.add(f"{nid}.replicas_needed", "Replicas needed at peak", need, "replicas",
                f"⌈peak rate{' × share reaching the node' if at_node else ''} ÷ (capacity × "
                f"{TARGET_UTILIZATION:.0%})⌉",
                f"{at_node}⌈{fmt(node_peak)} ÷ ({fmt(capacity)} × {TARGET_UTILIZATION})⌉; the design has {replicas} "
                f"({plural_gpus(replicas * gpus)})", g, nid)
        env.add(f"{nid}.prefill_tps", "Prefill tokens/s demanded", node_rate * prompt, "tok/s",
                "λ at node × mean prompt", f"{fmt(node_rate)} × {fmt(prompt)}", g, nid,
                sim_key=f"nodes.{nid}.prefill_tokens_per_s")
        env.add(f"{nid}.decode_tps", "Output tokens/s demanded", node_rate * tout, "tok/s",
                "λ at node × mean output", f"{fmt(node_rate)} × {fmt(tout)}", g, nid,
                sim_key=f"nodes.{nid}.decode_tokens_per_s")
        hourly = get_kind("llm_server").hourly_cost(params)
        env.add(f"{nid}.usd_per_1m_output", "GPU cost per 1M output tokens", hourly / (node_rate * tout * 3600) * 1e6,
                "USD", "GPU $/h ÷ output tokens/h × 1M",
                f"{usd(hourly)}/h ÷ ({fmt(node_rate * tout)} tok/s × 3600)", g, nid)
        _break_even(env, g, nid, prompt, tout, hourly, capacity, gpus, dev.usd_per_hour,
                    API_REFERENCE_SMALL if P <= 15e9 else API_REFERENCE_LARGE)


def _break_even(env: Envelope, g: str, nid: str, prompt: float, tout: float, hourly: float, capacity: float,
                gpus: int, gpu_price: float, api_id: str) -> None:
    from simulation.llm.catalog import api_model

    api = api_model(api_id)
    api_req = (prompt * api.input_usd_per_1m + tout * api.output_usd_per_1m) / 1e6
    replica_month = gpus * gpu_price * HOURS_PER_MONTH
    # Self-hosting pays once one replica's fixed bill is below the API bill for the same requests.
    breakeven = replica_month / api_req / DAYS_PER_MONTH if api_req else math.inf
    env.add(f"{nid}.api_usd_per_request", f"Same request on {api.name}", api_req, "USD",
            "prompt × $in + output × $out (per 1M)",
            f"{fmt(prompt)} × ${api.input_usd_per_1m:g} + {fmt(tout)} × ${api.output_usd_per_1m:g} per 1M", g, nid)
    env.add(f"{nid}.breakeven_req_per_day", f"Break-even vs {api.name}", breakeven, "req/day",
            "one replica's monthly GPU bill ÷ API $/request ÷ 30.4",
            f"{gpus} GPU × {usd(gpu_price)}/h × 730 = {usd(replica_month)}/month ÷ {usd(api_req)}; one replica "
            f"serves ≤ {fmt(capacity * SECONDS_PER_DAY * TARGET_UTILIZATION)} req/day at {TARGET_UTILIZATION:.0%}",
            g, nid)


def _llm_api_figures(env: Envelope, node: Node, params: dict[str, Any], flow: Flow) -> None:
    from simulation.llm.catalog import api_model

    g = f"LLM API · {node.title}"
    nid = node.id
    spec = api_model(params["provider_model"])
    if params.get("use_catalog_prices", True):
        pin, pout, src = spec.input_usd_per_1m, spec.output_usd_per_1m, f"{spec.name} list price"
    else:
        pin, pout, src = float(params["input_usd_per_1m"]), float(params["output_usd_per_1m"]), "node's prices"
    tin, tout = env.facts.get("input_tokens", 0.0), env.facts.get("output_tokens", 0.0)
    prompt = tin + flow.context_tokens
    per_call = (prompt * pin + tout * pout) / 1e6
    env.add(f"{nid}.tokens_per_call", "Tokens per call", prompt + tout, "tokens", "input + context + output",
            f"{fmt(tin)} + {fmt(flow.context_tokens)} + {fmt(tout)}", g, nid)
    env.add(f"{nid}.usd_per_call", "Cost per call", per_call, "USD", "prompt × $in + output × $out (per 1M)",
            f"{fmt(prompt)} × ${pin:g} + {fmt(tout)} × ${pout:g} per 1M ({src})", g, nid,
            sim_key=f"nodes.{nid}.usd_per_call")
    rate = env.facts.get("rate")
    if not rate:
        return
    calls = rate * flow.share * SECONDS_PER_DAY
    env.add(f"{nid}.calls_per_day", "Calls per day", calls, "calls/day", "requests/day × share reaching the node",
            f"{fmt(rate * SECONDS_PER_DAY)} × {flow.share:.3g}", g, nid, sim_key=f"nodes.{nid}.per_day")
    env.add(f"{nid}.usd_per_day", "Spend per day", calls * per_call, "USD/day", "calls/day × cost per call",
            f"{fmt(calls)} × {usd(per_call)}", g, nid, sim_key=f"cost.by_node.{nid}.usd_per_day")
    rpm = rate * flow.share * 60
    peak_rpm = env.facts["peak"] * flow.share * 60
    limit = spec.rpm if params.get("rate_limits") == "catalog" else float(params.get("rpm", 0))
    if params.get("rate_limits") != "none" and limit:
        env.add(f"{nid}.rpm_headroom", "Rate-limit headroom at peak", limit / peak_rpm if peak_rpm else math.inf,
                "×", "RPM limit ÷ peak RPM", f"{fmt(limit)} ÷ {fmt(peak_rpm)} (mean {fmt(rpm)} RPM)", g, nid)
    gpus = SELF_HOSTED_REFERENCE["tp"]
    from kernels.hardware import gpu

    ref = llm_model_figures(SELF_HOSTED_REFERENCE["model"], SELF_HOSTED_REFERENCE["dtype"])
    month_fixed = gpus * gpu(SELF_HOSTED_REFERENCE["gpu"]).usd_per_hour * HOURS_PER_MONTH
    be = month_fixed / per_call / DAYS_PER_MONTH if per_call else math.inf
    env.add(f"{nid}.breakeven_req_per_day", "Break-even vs self-hosting a 70B model", be, "calls/day",
            "one 4 × H100 replica's monthly bill ÷ API $/call ÷ 30.4",
            f"{usd(month_fixed)}/month ÷ {usd(per_call)} (Llama-3.1-70B bf16, {fmt(ref['weights_bytes'] / 1e9)} GB "
            f"weights); today {fmt(calls)} calls/day", g, nid)


def _station_figures(env: Envelope, node: Node, params: dict[str, Any], flow: Flow) -> None:
    """Offered load of a generic station: λ × E[S] ÷ servers (M/M/c utilisation), beside the simulated one."""
    key = LATENCY_KEYS.get(node.kind, "latency")
    if key not in params or not env.facts.get("rate"):
        return
    mean_ms = _dist_mean(params[key])
    if node.kind == "human_agent":
        mean_ms *= 60_000.0
    if node.kind == "reranker":
        mean_ms += float(params["per_candidate_ms"]) * (flow.retrieved or float(params["candidates"]))
    if node.kind == "vector_db" or mean_ms <= 0:
        return
    servers = int(params["replicas"]) * int(params["concurrency"])
    lam = env.facts["rate"] * flow.share
    rho = lam * mean_ms / 1000 / servers
    if rho < MIN_UTILIZATION_SHOWN:
        return
    env.add(f"{node.id}.utilization", f"Utilisation of {node.title}", rho, "", "λ × E[S] ÷ (replicas × concurrency)",
            f"{fmt(lam)} req/s × {fmt(mean_ms)} ms ÷ {servers}", "Utilisation (offered load)", node.id,
            sim_key=f"nodes.{node.id}.utilization")


def _tool_figures(env: Envelope, node: Node, params: dict[str, Any], flow: Flow) -> None:
    """A tool priced per call: calls/day follow the agent's iterations (the flow already multiplies them)."""
    price = float(params.get("usd_per_call", 0.0) or 0.0)
    rate = env.facts.get("rate")
    if not rate or flow.share <= 0:
        return
    g = f"Tool · {node.title}"
    calls = rate * flow.share * SECONDS_PER_DAY
    env.add(f"{node.id}.calls_per_day", "Calls per day", calls, "calls/day",
            "requests/day × calls per request (agent iterations × tool choice)",
            f"{fmt(rate * SECONDS_PER_DAY)} × {flow.share:.3g}", g, node.id, sim_key=f"nodes.{node.id}.per_day")
    if price:
        env.add(f"{node.id}.usd_per_day", "Spend per day", calls * price, "USD/day", "calls/day × price per call",
                f"{fmt(calls)} × {usd(price)}", g, node.id, sim_key=f"cost.by_node.{node.id}.usd_per_day")


def _agent_figures(env: Envelope, node: Node, params: dict[str, Any], flow: Flow) -> None:
    """Context growth: each step appends tool output, so step i's prompt carries i − 1 steps of growth."""
    iters = min(_dist_mean(params.get("iterations"), 1.0), float(params.get("max_iterations", 10)))
    growth = int(params.get("context_growth_tokens", 0))
    if not growth or flow.share <= 0:
        return
    g = f"Agent · {node.title}"
    env.add(f"{node.id}.iterations", "Mean iterations per request", iters, "", "E[iterations], capped",
            f"mean of {params.get('iterations')}, at most {params.get('max_iterations')}", g, node.id)
    env.add(f"{node.id}.context_growth", "Mean context added per LLM step", growth * max(iters - 1, 0) / 2, "tokens",
            "growth × (E[iterations] − 1) ÷ 2 (step i carries i − 1 steps)",
            f"{growth} × ({fmt(iters)} − 1) ÷ 2", g, node.id)
    env.add(f"{node.id}.tokens_per_request", "Extra prompt tokens per request from growth",
            growth * iters * max(iters - 1, 0) / 2, "tokens", "growth × n(n − 1) ÷ 2 over n steps",
            f"{growth} × {fmt(iters)} × ({fmt(iters)} − 1) ÷ 2 (quadratic in the step count)", g, node.id)


def _edge_latency_figures(env: Envelope, design: Design) -> None:
    """Network latency on edges, weighted by the traffic that crosses each edge."""
    total = 0.0
    parts = []
    params = {n.id: _resolved(n) for n in design.nodes}
    nodes = {n.id: n for n in design.nodes}
    for e in design.edges:
        if not e.latency_ms or e.source not in nodes:
            continue
        src = nodes[e.source]
        split = dict(_branch_split(design, src, params[src.id]))
        share = env.flows.get(e.source, Flow()).share * split.get(e.target, 0.0)
        if share <= 0:
            continue
        total += share * e.latency_ms
        parts.append(f"{src.title}→{nodes[e.target].title if e.target in nodes else e.target} "
                     f"{fmt(e.latency_ms)} ms × {share:.2g}")
    if total:
        env.facts["edge_latency_ms"] = total
        env.add("latency.edges_ms", "Network latency on edges (mean per request)", total, "ms",
                "Σ edge latency × share of requests crossing it", "; ".join(parts)[:300], "Latency budget")


def _cost_figures(env: Envelope, design: Design, flows: dict[str, Flow]) -> None:
    g = "Cost"
    fixed = 0.0
    parts = []
    for n in design.nodes:
        p = _resolved(n)
        h = get_kind(n.kind).hourly_cost(p)
        if n.kind == "observability":
            h = float(p.get("usd_per_month", 0.0)) / HOURS_PER_MONTH if not h else h
        if h:
            parts.append(f"{n.title} {usd(h)}")
        fixed += h
    env.add("cost.fixed_usd_per_hour", "Provisioned cost", fixed, "USD/h", "Σ nodes' hourly cost (all replicas)",
            " + ".join(parts) or "nothing provisioned", g)
    variable = sum(f.value for f in env.figures if f.key.endswith(".usd_per_day")) / 24.0
    rate = env.facts.get("rate")
    total_h = fixed + variable
    env.add("cost.usd_per_day", "Cost per day", total_h * 24, "USD/day", "(provisioned + pay-per-use) × 24",
            f"({usd(fixed)} + {usd(variable)}) × 24", g, sim_key="cost.usd_per_day")
    env.add("cost.usd_per_month", "Cost per month", total_h * HOURS_PER_MONTH, "USD/month", "$/hour × 730",
            f"{usd(total_h)} × 730", g, sim_key="cost.usd_per_month")
    if rate:
        env.add("cost.usd_per_request", "Cost per request", total_h / (rate * 3600), "USD", "$/hour ÷ requests/hour",
                f"{usd(total_h)} ÷ {fmt(rate * 3600)}", g, sim_key="cost.usd_per_request")
    budget = design.budget.get("usd_per_month")
    if budget:
        env.add("cost.budget_share", "Share of the monthly budget", total_h * HOURS_PER_MONTH / budget, "",
                "cost per month ÷ budget", f"{usd(total_h * HOURS_PER_MONTH)} ÷ {usd(budget)}", g)


def envelope(design: Design) -> Envelope:
    """All back-of-envelope figures of ``design`` (never raises for a model that does not fit: it says so)."""
    env = Envelope()
    env.flows = traffic_flow(design)
    _workload_figures(env, design)
    for n in design.nodes:
        params = _resolved(n)
        flow = env.flows.get(n.id, Flow())
        if n.kind == "llm_server":
            _llm_server_figures(env, design, n, params, flow)
        elif n.kind == "llm_api" and flow.share > 0:  # an idle fallback has no traffic to estimate
            _llm_api_figures(env, n, params, flow)
    for n in design.nodes:
        if n.kind in ("tool", "mcp_server"):
            _tool_figures(env, n, _resolved(n), env.flows.get(n.id, Flow()))
        elif n.kind == "agent":
            _agent_figures(env, n, _resolved(n), env.flows.get(n.id, Flow()))
    for n in design.nodes:
        if n.kind not in ("llm_server", "llm_api", "client", "fanout") and env.flows.get(n.id, Flow()).share > 0:
            _station_figures(env, n, _resolved(n), env.flows[n.id])
    _edge_latency_figures(env, design)
    _cost_figures(env, design, env.flows)
    return env


# -- the run's side of the comparison -------------------------------------------------------------------
def run_facts(result: Any, run_json: dict[str, Any] | None = None) -> dict[str, float]:
    """Flat dotted facts of a run: its §6 JSON plus per-day rates the envelope compares with."""
    data = run_json if run_json is not None else result.to_json()
    facts: dict[str, float] = {}

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
            facts[prefix] = float(obj)

    walk("", {k: v for k, v in data.items() if k != "review"})
    window = float(result.window_s)
    facts["window_s"] = window
    facts["throughput.arrival_per_s"] = data["requests"]["arrived"] / window
    ok = result.ok
    if ok.any():
        facts["tokens.input_mean"] = float(result.input_tokens[ok].mean())
        facts["tokens.output_mean"] = float(result.output_tokens[ok].mean())
    cost = data["cost"]
    facts["cost.usd_per_day"] = cost["usd_per_hour"] * 24
    for nid, c in cost["by_node"].items():
        facts[f"cost.by_node.{nid}.usd_per_day"] = c["usd_per_hour"] * 24
    for nid, s in data["nodes"].items():
        served = s.get("served", 0)
        facts[f"nodes.{nid}.per_day"] = served / window * SECONDS_PER_DAY
        spent = result.node_cost.get(nid, {}).get("variable_usd_per_hour", 0.0) * window / 3600
        if served and spent:
            facts[f"nodes.{nid}.usd_per_call"] = spent / served
    return facts


def compare(env: Envelope, facts: dict[str, float]) -> list[dict[str, Any]]:
    """Rows of figures that have a simulated counterpart: envelope, simulated, ratio."""
    rows = []
    for f in env.figures:
        if f.sim_key and f.sim_key in facts:
            sim = facts[f.sim_key]
            ratio = sim / f.value if f.value else math.nan
            rows.append({"key": f.key, "label": f.label, "unit": f.unit, "envelope": f.value, "simulated": sim,
                         "ratio": ratio, "node": f.node, "sim_key": f.sim_key})
    return rows


def _ancestors(design: Design, nid: str) -> set[str]:
    seen: set[str] = set()
    todo = [nid]
    while todo:
        for e in design.in_edges(todo.pop()):
            if e.source not in seen:
                seen.add(e.source)
                todo.append(e.source)
    return seen


def explain_gap(row: dict[str, Any], design: Design, env: Envelope, run_json: dict[str, Any],
                facts: dict[str, float]) -> str:
    """Why the simulation and the envelope differ on one figure: the measured causes, most specific first."""
    reasons: list[str] = []
    nid = row.get("node")
    nodes = run_json.get("nodes", {})
    req = run_json.get("requests", {})
    completed = int(req.get("completed", 0))
    key = str(row.get("sim_key", ""))
    if nid and nid in nodes:
        st = nodes[nid]
        title = design.node(nid).title if design.has_node(nid) else nid
        window = facts.get("window_s", 0.0)
        rate = env.facts.get("rate") or 0.0
        flow = env.flows.get(nid)
        if window and flow and rate:
            exp, got = rate * flow.share, float(st.get("served", 0)) / window
            if exp and abs(got / exp - 1) > GAP_EXPLAINED:
                reasons.append(f"{title} served {fmt(got)} calls/s against {fmt(exp)} expected (random branch, "
                               "cache and loop outcomes over the window)")
        for k, what in (("preemptions", "preemptions recompute prefill"), ("rejected", "requests rejected"),
                        ("throttled", "calls throttled by rate limits"), ("dropped", "requests dropped"),
                        ("timed_out", "requests timed out")):
            if st.get(k):
                reasons.append(f"{int(st[k]):,} {what} at {title}")
        if st.get("prefix_hit_tokens") or (design.has_node(nid) and float(design.node(nid).params.get(
                "prefix_cache_hit_rate", 0) or 0)):
            reasons.append("prefix caching removes the cached share of prefill")
    if key.startswith("cost.") and not nid:
        by = run_json.get("cost", {}).get("by_node", {})
        gaps = []
        for n, c in by.items():
            e = env.value(f"{n}.usd_per_day")
            sim = c.get("usd_per_hour", 0.0) * 24
            if math.isfinite(e) and abs(sim - e) > 0:
                gaps.append((abs(sim - e), n, sim, e))
        if gaps:
            _, n, sim, e = max(gaps)
            reasons.append(f"largest gap at {design.node(n).title if design.has_node(n) else n}: "
                           f"{usd(sim)}/day simulated vs {usd(e)}/day estimated")
    if nid and design.has_node(nid) and design.node(nid).kind in ("llm_api", "llm_server") and \
            any(design.node(a).kind == "agent" for a in _ancestors(design, nid)) and row["ratio"] > 1:
        reasons.append("agent loops: every step's prompt carries the earlier steps, tool outputs and nested agents' "
                       "reports, which the estimate averages over one loop")
    blocked = int(req.get("blocked", 0)) + int(req.get("failed", 0)) + int(req.get("dropped", 0))
    if blocked and req.get("arrived"):
        reasons.append(f"{blocked / req['arrived']:.1%} of requests blocked or failed before finishing")
    if completed < 500 and not reasons:
        reasons.append(f"only {completed:,} requests in the window: sampling noise on a heavy-tailed mix")
    if key.startswith("tokens."):
        reasons.append("the sampled mean of a heavy-tailed token distribution, and output caps (max tokens)")
    return "; ".join(reasons[:3]) or "the envelope's averages ignore queueing and the spread of request sizes"

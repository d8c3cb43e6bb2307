"""Design review: structural problems plus the red flags an interviewer raises.

Each finding is ``{severity, rule, node, message, why, fix}``. Without a run the review uses the
back-of-envelope figures; with a run (``result``) it adds what the simulation measured: utilisation,
missed SLOs and the stage that missed them, the real cost against the budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from simulation.analysis.envelope import Envelope, envelope, fmt, usd
from simulation.analysis.structure import structural_issues
from simulation.design import Design
from simulation.errors import DesignError
from simulation.registry import get_kind
from simulation.structure import Digraph

UTILIZATION_LIMIT = 0.85  # above ~85 % queueing delay grows steeply (M/M/c)
KV_HEADROOM_MIN = 0.20  # weights within 15–20 % of memory leave no room for the KV cache
HNSW_MAX_VECTORS = 1e8  # HNSW graphs live in RAM: beyond ~100M vectors per node, IVF(-PQ) or sharding
AGENT_ITERATIONS_MAX = 50  # a cap this high does not bound cost or latency in practice
LLM_KINDS = ("llm_server", "llm_api")
# Nodes that are managed, in-process or pass-through: one replica is not a single point of failure there.
NO_SPOF_KINDS = {"client", "fanout", "prompt_builder", "llm_api", "queue", "load_balancer", "api_gateway",
                 "human_agent", "tool", "mcp_server", "autoscaler", "observability"}
THREATS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    # (threat, label, guardrail checks_* flags that defend it, why): OWASP Top 10 for LLM Applications (owasp.org)
    ("direct_injection", "Direct prompt injection", ("prompt_injection",),
     "users can tell the model to ignore its instructions"),
    ("indirect_injection", "Indirect injection (retrieved/tool content)", ("indirect_injection",),
     "instructions hidden in documents or tool output reach the model as trusted context"),
    ("jailbreak", "Jailbreak", ("jailbreak",), "role-play and encoding tricks get around the model's policy"),
    ("data_leakage", "Data leakage (PII)", ("pii",), "answers can repeat personal data from the prompt or documents"),
    ("tool_abuse", "Tool abuse", ("tool_abuse",), "an injected instruction can call tools with the user's rights"),
)
# Stateful or GPU-backed nodes: losing the only replica loses data or minutes of warm-up, so it is a warning.
STATEFUL_KINDS = {"llm_server", "vector_db", "database", "keyword_index", "response_cache", "semantic_cache",
                  "embedding_service", "reranker", "diffusion_model"}
RETRIEVAL_KINDS = ("vector_db", "keyword_index", "database")
TOOL_KINDS = ("tool", "mcp_server", "agent")


def _issue(severity: str, rule: str, node: str | None, message: str, why: str = "", fix: str = "") -> dict[str, Any]:
    return {"severity": severity, "rule": rule, "node": node, "message": message, "why": why, "fix": fix}


def _graph(design: Design) -> Digraph:
    g = Digraph(n.id for n in design.nodes)
    ids = {n.id for n in design.nodes}
    for e in design.edges:
        if e.source in ids and e.target in ids:
            g.add_edge(e.source, e.target)
    return g


def _reachable_avoiding(g: Digraph, sources: Iterable[str], avoid: set[str]) -> set[str]:
    sources = list(sources)
    return g.reachable_avoiding(sources, avoid - set(sources))


def _params(design: Design) -> dict[str, dict[str, Any]]:
    out = {}
    for n in design.nodes:
        try:
            out[n.id] = get_kind(n.kind).resolved_params(n.params)
        except DesignError:
            out[n.id] = dict(n.params)
    return out


# -- rules from the design alone ----------------------------------------------------------------------
def _memory_rules(design: Design, env: Envelope, params: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for nid, msg in env.facts.get("does_not_fit", {}).items():
        if " cannot run on " in msg:  # simulation/llm/hardware_support.py: a precision the GPU lacks
            out.append(_issue("error", "dtype-unsupported", nid, msg, "the engine refuses to start",
                              "pick a precision the GPU runs (see the message) or another GPU"))
            continue
        out.append(_issue("error", "model-does-not-fit", nid, msg,
                          "the engine cannot start: weights and activations exceed the GPUs' memory",
                          "raise tp/pp, quantise the weights (fp8/int4), pick a larger GPU or a smaller model"))
    for nid, plan in env.facts.get("plans", {}).items():
        if plan.get("dtype_emulation"):
            out.append(_issue("warning", "dtype-emulated", nid, plan["dtype_emulation"],
                              "the GPU has no tensor cores for this precision: memory shrinks, speed does not",
                              "use a GPU that runs it natively, or the 16-bit weights"))
        budget = plan["budget_gb_per_gpu"] * plan["gpus"]
        share = plan["kv_pool_gb"] / budget if budget else 0.0
        seqs = env.facts.get("max_seqs_kv", {}).get(nid, math.inf)
        if share < KV_HEADROOM_MIN or seqs < 8:
            out.append(_issue(
                "warning", "kv-headroom", nid,
                f"Only {plan['kv_pool_gb']:.1f} GB ({share:.0%}) of the memory budget is left for the KV cache: "
                f"about {fmt(seqs)} sequences of mean length fit per replica.",
                "with little room for the KV cache the batch stays small, and throughput with it",
                "add GPUs (tp), use fp8 weights or KV, or a GPU with more memory"))
    return out


def _envelope_load_rules(design: Design, env: Envelope) -> list[dict[str, Any]]:
    out = []
    for f in env.figures:
        if f.key.endswith(".utilization") and f.value > UTILIZATION_LIMIT:
            out.append(_issue("warning", "high-utilization", f.node,
                              f"Offered load puts {f.label.removeprefix('Utilisation of ')} at {f.value:.0%} "
                              f"(λ × E[S] ÷ servers).",
                              "above ~85 % the queue, and with it the tail latency, grows without bound",
                              "add replicas or concurrency, or put a cache in front"))
    for nid, need in env.facts.get("replicas_needed", {}).items():
        have = int(get_kind("llm_server").resolved_params(design.node(nid).params)["replicas"])
        if need > have:
            out.append(_issue("warning", "under-provisioned-at-peak", nid,
                              f"The envelope needs {need} replicas for the peak rate at {0.8:.0%} utilisation; "
                              f"the design has {have}.",
                              "peak traffic (the workload's peak_to_mean × the mean, 2× by default) would queue",
                              "add replicas or an autoscaler with max_replicas ≥ the envelope figure"))
    return out


def _budget_rules(design: Design, env: Envelope, result: Any) -> list[dict[str, Any]]:
    out = []
    if result is not None:
        cost = result.cost()
        actual = {"usd_per_month": cost["usd_per_month"], "usd_per_request": cost["usd_per_request"],
                  "usd_per_hour": cost["usd_per_hour"]}
        severity, basis = "error", "simulated"
    else:
        actual = {"usd_per_month": env.value("cost.usd_per_month"), "usd_per_request": env.value("cost.usd_per_request"),
                  "usd_per_hour": env.value("cost.usd_per_month") / 730.0}
        severity, basis = "warning", "estimated"
    for key, limit in design.budget.items():
        value = actual.get(key, math.nan)
        if math.isfinite(value) and value > limit:
            top = ""
            if result is not None:
                by = result.cost()["by_node"]
                big = max(by, key=lambda n: by[n]["usd_per_hour"]) if by else None
                top = f" Largest item: {big} ({by[big]['share']:.0%})." if big else ""
            out.append(_issue(severity, "budget-exceeded", None,
                              f"The {basis} {key.replace('_', ' ')} {usd(value)} exceeds the budget {usd(limit)} "
                              f"by {value / limit - 1:.0%}.{top}",
                              "the design would not be approved as drawn",
                              "pull the cost levers: cache, route easy traffic to a small model, quantise, right-size "
                              "replicas"))
    return out


def _guardrail_rules(design: Design, g: Digraph, kinds: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    clients = [n for n, k in kinds.items() if k == "client"]
    llms = [n for n, k in kinds.items() if k in LLM_KINDS]
    if not llms:
        return out
    input_guards = {n for n, k in kinds.items() if k == "input_guardrail"}
    open_llms = [n for n in llms if n in _reachable_avoiding(g, clients, input_guards)]
    for n in open_llms:
        out.append(_issue("warning", "no-input-guardrail", n,
                          f"A path from the client reaches {design.node(n).title} without an input guardrail.",
                          "prompt injection and jailbreaks reach the model unchecked",
                          "add an input guardrail (injection/jailbreak classifier) before the model"))
    output_guards = {n for n, k in kinds.items() if k == "output_guardrail"}
    for n in llms:
        after = _reachable_avoiding(g, [n], output_guards)
        ends = [m for m in after if g.out_degree(m) == 0 and kinds.get(m) not in ("output_guardrail",)]
        if ends:
            out.append(_issue("warning", "no-output-guardrail", n,
                              f"Answers of {design.node(n).title} reach the user without an output guardrail.",
                              "PII leaks, toxic or ungrounded answers go out unchecked",
                              "add an output guardrail in streaming mode (PII, toxicity, grounding checks)"))
    return out


def _ingress_rules(design: Design, kinds: dict[str, str], params: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    if not any(k in LLM_KINDS or k == "agent" for k in kinds.values()):
        return []
    gateways = [n for n, k in kinds.items() if k == "api_gateway"]
    if not gateways:
        return [_issue("warning", "no-ingress-protection", None,
                       "No API gateway: nothing authenticates callers or rate-limits them.",
                       "one client can exhaust the GPU fleet or the API quota, and the token bill",
                       "add an API gateway with auth and a per-user token bucket")]
    out = []
    for n in gateways:
        if not float(params[n].get("rate_limit_per_user_rps", 0)):
            out.append(_issue("info", "no-rate-limit", n,
                              f"{design.node(n).title} authenticates but rate_limit_per_user_rps is 0 (off).",
                              "a runaway client or agent loop is not throttled",
                              "set a per-user limit, e.g. 100 requests/min"))
    return out


def _redundancy_rules(design: Design, env: Envelope, kinds: dict[str, str],
                      params: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    scaled = {params[n]["target"] for n, k in kinds.items()
              if k == "autoscaler" and int(params[n].get("min_replicas", 1)) >= 2}
    out = []
    for n in design.nodes:
        if n.kind in NO_SPOF_KINDS or n.id in scaled or env.flows.get(n.id) is None:
            continue
        if env.flows[n.id].share <= 0:
            continue
        if n.kind == "embedding_service" and params[n.id].get("mode") == "api":
            continue
        if int(params[n.id].get("replicas", 1)) == 1:
            severity = "warning" if n.kind in STATEFUL_KINDS else "info"
            out.append(_issue(severity, "single-replica", n.id,
                              f"{n.title} runs one replica on the request path.",
                              "one crash or deploy takes the whole service down",
                              "run ≥ 2 replicas (or an autoscaler with min_replicas 2) across zones"))
    return out


def _model_mix_rules(design: Design, kinds: dict[str, str], params: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    llms = [n for n, k in kinds.items() if k in LLM_KINDS]
    if llms and not any(k in ("response_cache", "semantic_cache") for k in kinds.values()):
        out.append(_issue("warning", "no-cache", None, "No response or semantic cache in front of the model.",
                          "repeated questions pay full price and full latency (the report's cost levers price a cache by re-simulation)",
                          "add an exact-match or semantic cache before the LLM"))
    models = {params[n].get("model") or params[n].get("provider_model") for n in llms}
    if len(models) == 1 and not any(k == "router" for k in kinds.values()):
        out.append(_issue("info", "one-model-for-everything", llms[0],
                          f"Every request goes to the same model ({next(iter(models))}).",
                          "'one model for all' ignores cost: easy traffic can go to a small model (the report's cost "
                          "levers price the routing by re-simulation)",
                          "add a router that sends simple queries to a smaller model"))
    return out


def _context_rules(design: Design, env: Envelope, kinds: dict[str, str],
                   params: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    from simulation.llm.catalog import model

    out = []
    tin, tout = env.facts.get("input_tokens", 0.0), env.facts.get("output_tokens", 0.0)
    for n, k in kinds.items():
        flow = env.flows.get(n)
        if k == "llm_server" and flow and flow.share > 0:
            try:
                window = int(params[n].get("max_model_len") or 0) or model(params[n]["model"]).context_length
            except DesignError:
                continue
            need = tin + flow.context_tokens + tout
            if need > window:
                out.append(_issue("error", "unbounded-context", n,
                                  f"Mean prompt {fmt(tin + flow.context_tokens)} (input + retrieved + history) + "
                                  f"output {fmt(tout)} = {fmt(need)} tokens exceeds the {window:,}-token window.",
                                  "requests over the window fail (HTTP 400) and long prompts cost quadratic attention",
                                  "lower top_k × chunk_tokens, cap history, or rerank to fewer chunks"))
        if k == "agent" and int(params[n].get("max_iterations", 10)) > AGENT_ITERATIONS_MAX:
            out.append(_issue("warning", "unbounded-agent", n,
                              f"{design.node(n).title} allows {params[n]['max_iterations']} iterations.",
                              "runaway agents multiply cost and latency",
                              "cap max_iterations (≤ 10 is usual) and add a step budget"))
        if k == "output_guardrail" and params[n].get("mode") == "buffering":
            out.append(_issue("warning", "buffering-guardrail", n,
                              f"{design.node(n).title} buffers the whole answer before releasing it: TTFT = E2E.",
                              "users see nothing until generation ends, which destroys the streaming TTFT",
                              "switch to streaming mode (check chunks as they pass)"))
        if k == "vector_db" and params[n].get("index") == "hnsw":
            per_shard = float(params[n]["vectors"]) / int(params[n]["shards"])
            if per_shard > HNSW_MAX_VECTORS:
                out.append(_issue("warning", "hnsw-scale", n,
                                  f"HNSW over {fmt(per_shard)} vectors per shard.",
                                  "HNSW graphs beyond ~100M vectors need too much RAM per node",
                                  "use IVF(-PQ) or more shards"))
        if k == "reranker" and flow:
            candidates = flow.retrieved or float(params[n]["candidates"])
            keep = int(params[n]["keep"])
            if keep > candidates:
                out.append(_issue("error", "reranker-keep", n,
                                  f"Reranker keeps {keep} of only {fmt(candidates)} candidates.",
                                  "a reranker that keeps everything costs latency and filters nothing",
                                  "retrieve more candidates (top_k 20–50) or keep fewer (5)"))
    return out


# Context windows of hosted models (tokens), from each provider's model documentation: OpenAI "Models" pages
# (platform.openai.com/docs/models/gpt-4o, …/gpt-4o-mini), Anthropic "Models overview"
# (docs.anthropic.com/en/docs/about-claude/models), Google "Gemini models" (ai.google.dev/gemini-api/docs/models).
API_CONTEXT_WINDOWS = {
    "openai/gpt-4o": 128_000, "openai/gpt-4o-mini": 128_000,
    "anthropic/claude-sonnet-4.5": 200_000, "anthropic/claude-haiku-4.5": 200_000,
    "anthropic/claude-3.5-haiku": 200_000, "anthropic/claude-3-haiku": 200_000,
    "google/gemini-2.5-flash": 1_048_576, "google/gemini-2.5-flash-lite": 1_048_576,
    "google/gemini-2.5-pro": 1_048_576,
}
# Weight dtypes and the GPU capability they need: a GPU "has" a dtype when its datasheet lists tensor throughput
# for it (the catalog's peak_tflops keys). 4-bit weight-only kernels (AWQ/GPTQ Marlin) dequantise to 16-bit, so
# int4 runs wherever int4 or bf16 tensor cores exist.
DTYPE_NEEDS = {"fp8": ("fp8",), "int8": ("int8",), "int4": ("int4", "bf16"), "fp4": ("fp4",), "bf16": ("bf16", "fp16"),
               "fp16": ("fp16",)}
QUANTILE_SAMPLES = 20_000


def token_quantile(design: Design, which: str, q: float) -> float:
    """The q-quantile of the workload's input or output tokens (over its request classes), by a seeded sample."""
    import numpy as np

    from simulation.workload import request_classes

    classes = request_classes(design.workload)
    total = sum(c.weight for c in classes) or 1.0
    rng = np.random.default_rng(0)
    draws = []
    for c in classes:
        n = max(1, int(QUANTILE_SAMPLES * c.weight / total))
        dist = c.input_tokens if which == "input" else c.output_tokens
        draws.append(dist.fresh().draw(rng, n))
    return float(np.quantile(np.concatenate(draws), q))


def _slo_stat(key: str) -> float | None:
    """0.95 for e2e_p95_ms, None for a mean."""
    stat = key.split("_")[1] if key.count("_") >= 2 else ""
    return float(stat[1:]) / 100 if stat.startswith("p") and stat[1:].isdigit() else None


def _downstream_llm(g: Digraph, kinds: dict[str, str], nid: str) -> bool:
    return any(kinds.get(m) in LLM_KINDS for m in g.reachable_avoiding(g.succ.get(nid, ()), set()))


def _impossible_rules(design: Design, env: Envelope, g: Digraph, kinds: dict[str, str],
                      params: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors for designs that cannot work whatever the load: context windows, KV pool, physics, dtypes."""
    from kernels.hardware import gpu
    from simulation.llm.catalog import model
    from simulation.llm.hardware_support import support as dtype_support
    from simulation.llm.steptime import spec_decode_gain

    out: list[dict[str, Any]] = []
    p99_in = token_quantile(design, "input", 0.99)
    for nid, kind in kinds.items():
        flow = env.flows.get(nid)
        if kind not in LLM_KINDS or not flow or flow.share <= 0:
            continue
        p = params[nid]
        title = design.node(nid).title
        prompt99 = p99_in + flow.context_tokens
        if kind == "llm_api":
            window = API_CONTEXT_WINDOWS.get(str(p.get("provider_model")))
            if window and prompt99 > window:
                out.append(_issue("error", "prompt-exceeds-context-window", nid,
                                  f"p99 prompt {fmt(prompt99)} tokens (input p99 {fmt(p99_in)} + "
                                  f"{fmt(flow.context_tokens)} added on the path) exceeds the {window:,}-token "
                                  f"context window of {p['provider_model']}.",
                                  "the provider rejects those calls (HTTP 400): at least 1 % of requests fail",
                                  "cap the history and retrieved context, summarise, or pick a longer-context model"))
            continue
        try:
            spec = model(p["model"])
            dev = gpu(p["gpu"])
        except (DesignError, Exception):  # unknown ids are the loader's error, reported there
            continue
        dtype = str(p.get("dtype", "bf16"))
        needs = DTYPE_NEEDS.get(dtype)
        # GPUs in the support matrix are judged there (refused: an error from the memory plan; emulated: a
        # warning); this catalog check covers the rest.
        if needs and not dtype_support(p["gpu"], dtype) and not any(k in dev.peak_tflops for k in needs):
            out.append(_issue("error", "dtype-unsupported", nid,
                              f"{title} stores weights in {dtype}, but {dev.name} has no {dtype} tensor cores "
                              f"(it computes in {', '.join(k for k in dev.peak_tflops if k != 'fp32')}).",
                              "the engine refuses the checkpoint or falls back to slow emulation; the simulated "
                              "speed and memory would be fiction",
                              "use a dtype the GPU supports (" + ", ".join(
                                  d for d, ks in DTYPE_NEEDS.items() if any(k in dev.peak_tflops for k in ks))
                              + ") or a GPU with native support"))
        plan = env.facts.get("plans", {}).get(nid)
        if plan and plan.get("kv_tokens", 0) < prompt99:
            out.append(_issue("error", "kv-pool-below-p99-prompt", nid,
                              f"The KV pool of one {title} replica holds {plan['kv_tokens']:,} tokens, fewer than "
                              f"the p99 prompt ({fmt(prompt99)} tokens).",
                              "the longest prompts can never be scheduled: the engine rejects them even when idle",
                              "more GPUs per replica (tp), fp8 KV cache, a larger GPU, or cap the prompt length"))
        # Single-request physical bounds: nothing (batching, queueing) can beat them.
        tp = int(p.get("tp", 1))
        k = int(p.get("spec_tokens", 0)) if p.get("speculative", "none") != "none" else 0
        gain = spec_decode_gain(k, float(p.get("spec_acceptance", 0.0)))
        try:
            peak = dev.compute_tflops(dtype if dtype in ("fp8", "int8") else "bf16")
        except Exception:
            continue
        weights = env.facts.get("plans", {}).get(nid, {}).get("weights_gb")
        weights_b = float(weights) * 1e9 if weights else spec.total_params_b * 1e9 * 2
        tpot_min_ms = weights_b / (tp * dev.mem_bw_gbs * 1e9) / gain * 1000
        flops = 2 * spec.active_params_b * 1e9
        last = not _downstream_llm(g, kinds, nid)
        for key, target in design.slo.items():
            metric = key.split("_")[0]
            if metric not in ("ttft", "tpot", "itl", "e2e") or (metric != "ttft" and not last):
                continue
            q = _slo_stat(key)
            if q is not None and flow.share <= 1 - q + 1e-9:
                continue  # enough requests skip this node to meet the percentile elsewhere
            if metric == "ttft":
                tokens = (token_quantile(design, "input", q) if q else env.facts.get("input_tokens", 0.0)
                          ) + flow.context_tokens
                bound = tokens * flops / (tp * peak * 1e12) * 1000
                what = f"prefilling {fmt(tokens)} prompt tokens at {fmt(peak)} TFLOP/s × {tp} GPU"
            elif metric in ("tpot", "itl"):
                bound = tpot_min_ms
                what = (f"reading {fmt(weights_b / 1e9)} GB of weights per decode step at {fmt(dev.mem_bw_gbs)} GB/s "
                        f"× {tp} GPU" + (f", {gain:.2f} tokens per step with speculative decoding" if gain > 1 else ""))
            else:
                tokens = (token_quantile(design, "output", q) if q else env.facts.get("output_tokens", 0.0))
                bound = max(tokens - 1, 0) * tpot_min_ms
                what = f"{fmt(tokens)} output tokens at ≥ {fmt(tpot_min_ms)} ms each"
            if metric == "itl" and gain > 1:
                continue  # an accepted draft run emits tokens together: ITL has no per-token floor
            share = flow.share if q is None else 1.0
            if target < bound * share:
                out.append(_issue("error", "slo-below-physical-bound", nid,
                                  f"{key} {fmt(target)} ms is below what one request alone can reach on {title}: "
                                  f"{fmt(bound)} ms ({what}).",
                                  "no replica count or batch policy can meet it: it is a single-request floor at "
                                  "datasheet peak", "relax the SLO, or change the model, GPU, tp, dtype or output "
                                  "length"))
    return out


def _operations_rules(design: Design, kinds: dict[str, str], params: dict[str, dict[str, Any]]
                      ) -> list[dict[str, Any]]:
    """What a production design needs beyond the request path: a fallback, monitoring, an evaluation."""
    llms = [n for n, k in kinds.items() if k in LLM_KINDS]
    if not llms:
        return []
    out = []
    backed = {e.source for e in design.edges if e.when in ("error", "timeout", "fallback")}
    spares = {e.target for e in design.edges if e.when in ("error", "timeout", "fallback")}  # last resorts
    bare = [n for n in llms if n not in backed and n not in spares]
    if bare:
        out.append(_issue("warning", "no-fallback", bare[0],
                          "No fallback model or provider for " + ", ".join(design.node(n).title for n in bare) + ".",
                          "a provider outage, a 429 storm or a crashed GPU fleet fails every request that needs it",
                          "add an error/timeout edge to a second provider or a smaller self-hosted model (and a "
                          "cached or canned answer as the last resort)"))
    if not any(k == "observability" for k in kinds.values()):
        out.append(_issue("warning", "no-monitoring", None,
                          "No monitoring: nothing collects traces, latency percentiles, token spend or errors.",
                          "SLO misses, cost spikes and quality drift go unnoticed until users complain",
                          "add an observability node (traces per request, TTFT/TPOT/E2E percentiles, tokens and $ "
                          "per tenant, error and block rates) with alerts on the SLOs"))
    judged = any(k == "output_guardrail" and params[n].get("checks_hallucination") for n, k in kinds.items())
    judged |= any(k == "classifier" and params[n].get("task") == "other"
                  and any(w in design.node(n).title.lower() for w in ("eval", "judge", "grader", "quality"))
                  for n, k in kinds.items())
    if not judged:
        out.append(_issue("warning", "no-evaluation", None,
                          "No evaluation: nothing checks answers for grounding or quality online.",
                          "a prompt, model or index change can lower quality with no signal",
                          "add an output guardrail with the grounding (hallucination) check or an evaluation "
                          "classifier sampling answers, plus an offline golden set run before each release"))
    return out


def threat_coverage(design: Design) -> list[dict[str, Any]]:
    """Per threat of the seed's model: is it relevant here, and which guardrail nodes declare a check for it."""
    params = _params(design)
    kinds = {n.id: n.kind for n in design.nodes}
    has_retrieval = any(k in RETRIEVAL_KINDS for k in kinds.values())
    has_tools = any(k in TOOL_KINDS for k in kinds.values())
    rows = []
    for threat, label, checks, why in THREATS:
        relevant = (threat != "indirect_injection" or has_retrieval or has_tools) and (threat != "tool_abuse"
                                                                                       or has_tools)
        covered = [design.node(n).title for n, p in params.items()
                   if kinds[n] in ("input_guardrail", "output_guardrail", "pii_redactor")
                   and any(p.get(f"checks_{c}") for c in checks)]
        rows.append({"threat": threat, "label": label, "relevant": relevant, "covered_by": covered, "why": why})
    return rows


def _threat_rules(design: Design, kinds: dict[str, str]) -> list[dict[str, Any]]:
    if not any(k in LLM_KINDS for k in kinds.values()):
        return []
    missing = [r for r in threat_coverage(design) if r["relevant"] and not r["covered_by"]]
    if not missing:
        return []
    checks = {t[0]: t[2][0] for t in THREATS}
    return [_issue("warning", "threat-uncovered", None,
                   "No guardrail checks for: " + ", ".join(r["label"].lower() for r in missing) + ".",
                   "; ".join(r["why"] for r in missing),
                   "enable " + ", ".join(f"checks_{checks[r['threat']]}" for r in missing)
                   + " on a guardrail on the path")]


# -- rules that need a run ----------------------------------------------------------------------------
def stage_breakdown(result: Any, metric: str = "e2e", threshold_ms: float | None = None) -> list[tuple[str, float]]:
    """Mean ms per node over recorded requests (those slower than ``threshold_ms`` when given), largest first.

    For ``metric="ttft"`` each stage counts only up to the request's first token: a generating LLM contributes its
    queue wait and prefill, not the whole answer.
    """
    hops = getattr(result, "hops", None) or []
    if not hops:
        return []
    values = result.e2e_ms if metric != "ttft" else result.ttft_ms
    arrival = getattr(result, "arrival", None)
    totals: dict[str, float] = {}
    count = 0
    for i, path in enumerate(hops):
        if threshold_ms is not None and i < len(values) and values[i] <= threshold_ms:
            continue
        count += 1
        cut = math.inf
        if metric == "ttft" and arrival is not None and i < len(values) and math.isfinite(values[i]):
            cut = float(arrival[i]) + float(values[i]) / 1000.0
        for node, enter, leave in path:
            totals[node] = totals.get(node, 0.0) + max(min(leave, cut) - enter, 0.0) * 1000.0
    if not count:
        return []
    return sorted(((n, t / count) for n, t in totals.items()), key=lambda x: -x[1])


def measured_causes(design: Design, stats: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(node, cause) the run measured that make requests slow or fail: throttling, KV exhaustion, rejections,
    drops, timeouts, then the longest queue wait. Most severe first."""
    out: list[tuple[str, str]] = []

    def name(n: str) -> str:
        return design.node(n).title if design.has_node(n) else n

    for nid, st in stats.items():
        if st.get("throttled"):
            out.append((nid, f"{int(st['throttled']):,} calls throttled by {name(nid)}'s rate limit (RPM/TPM)"))
        if st.get("rejected"):
            out.append((nid, f"{int(st['rejected']):,} prompts rejected by {name(nid)}: longer than its KV pool "
                             "or context window"))
        if st.get("preemptions"):
            out.append((nid, f"{int(st['preemptions']):,} preemptions at {name(nid)}: its KV cache ran out and "
                             "sequences recomputed their prefill"))
        for key, what in (("dropped", "dropped by a full queue"), ("timed_out", "timed out")):
            if st.get(key):
                out.append((nid, f"{int(st[key]):,} requests {what} at {name(nid)}"))
    waits = [(float(st.get("mean_wait_ms", 0.0) or 0.0), nid) for nid, st in stats.items()]
    wait, nid = max(waits, default=(0.0, None))
    if nid is not None and wait >= 1.0:
        st = stats[nid]
        out.append((nid, f"the longest queue wait is at {name(nid)}: mean {wait:,.0f} ms, p99 "
                         f"{float(st.get('p99_wait_ms', 0.0)):,.0f} ms"))
    return out


def _run_rules(design: Design, result: Any) -> list[dict[str, Any]]:
    out = []
    for nid, s in result.node_stats.items():
        u = s.get("utilization")
        if u is not None and u > UTILIZATION_LIMIT and design.has_node(nid):
            out.append(_issue("warning", "high-utilization", nid,
                              f"{design.node(nid).title} ran at {u:.0%} utilisation (mean queue "
                              f"{s.get('mean_queue', 0):.1f}, p99 wait {s.get('p99_wait_ms', 0):.0f} ms).",
                              "above ~85 % small bursts queue up and the tail latency explodes",
                              "add replicas/concurrency or an autoscaler"))
    c = result.counts
    lost = c["dropped"] + c["timeout"] + c["failed"] + c.get("unfinished", 0)
    if c["arrived"] and lost / c["arrived"] > 0.01 and "error_rate_max" not in result.slo:
        # Without an error-rate SLO a shedding system would otherwise look healthy (fast survivors).
        worst = max(result.node_stats, key=lambda n: sum(result.node_stats[n].get(k, 0) or 0
                                                         for k in ("dropped", "timed_out", "errors")))
        out.append(_issue("error", "requests-lost", worst,
                          f"{lost / c['arrived']:.1%} of requests were lost ({c['dropped']:,} dropped, "
                          f"{c['timeout']:,} timed out, {c['failed']:,} failed"
                          + (f", {c['unfinished']:,} unfinished" if c.get("unfinished") else "") + "); most at "
                          f"{design.node(worst).title if design.has_node(worst) else worst}.",
                          "latency figures only cover the requests that survived",
                          "add capacity before this node, or set an error_rate_max SLO to track it"))
    for key, rep in result.slo_report().items():
        if rep["met"]:
            continue
        if key == "error_rate_max":
            out.append(_issue("error", "slo-missed", None,
                              f"Error rate {rep['actual']:.2%} exceeds the {rep['target']:.2%} SLO.",
                              "failed requests burn the error budget", "add fallbacks, retries or capacity"))
            continue
        metric = key.split("_")[0]
        stages = stage_breakdown(result, "ttft" if metric == "ttft" else "e2e", rep["target"])
        causes = measured_causes(design, result.node_stats)

        def name(n: str) -> str:
            return design.node(n).title if design.has_node(n) else n

        worst = causes[0][0] if causes else (stages[0][0] if stages else None)
        where = ", ".join(f"{name(n)} {ms:.0f} ms" for n, ms in stages[:3])
        text = (f"{key}: {rep['actual']:.0f} ms" if math.isfinite(rep["actual"])
                else f"{key}: no completed request to measure") + f" vs target {rep['target']:.0f} ms"
        if causes:
            text += "; measured cause: " + "; ".join(c for _, c in causes[:2])
        if where:
            text += f"; in the slow requests the time {'to the first token ' if metric == 'ttft' else ''}goes to " \
                    f"{where}"
        out.append(_issue("error", "slo-missed", worst, text + ".",
                          "the design does not meet its service-level objective",
                          f"relieve {name(worst)}: add capacity, raise its limits or shorten its work" if worst
                          else "scale the slowest stage"))
    return out


def review_design(design: Design, result: Any = None) -> list[dict[str, Any]]:
    issues = [{**i, "why": i.get("why", ""), "fix": i.get("fix", "")} for i in structural_issues(design)]
    if any(i["severity"] == "error" for i in issues):
        return issues  # the graph itself is broken; the rest would only repeat it
    params = _params(design)
    kinds = {n.id: n.kind for n in design.nodes}
    g = _graph(design)
    try:
        env = envelope(design)
    except DesignError as exc:
        return issues + [_issue("error", "envelope", None, str(exc))]
    issues += _memory_rules(design, env, params)
    issues += _envelope_load_rules(design, env) if result is None else []
    issues += _budget_rules(design, env, result)
    issues += _guardrail_rules(design, g, kinds)
    issues += _ingress_rules(design, kinds, params)
    issues += _redundancy_rules(design, env, kinds, params)
    issues += _model_mix_rules(design, kinds, params)
    issues += _context_rules(design, env, kinds, params)
    issues += _threat_rules(design, kinds)
    issues += _impossible_rules(design, env, g, kinds, params)
    issues += _operations_rules(design, kinds, params)
    if result is not None:
        issues += _run_rules(design, result)
        issues += _overload_rules(design, result)
    else:  # what run checks before its first event (a run that happened passed it)
        from simulation.engine.preflight import runtime_issues

        issues += runtime_issues(design, issues)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(issues, key=lambda i: order.get(i["severity"], 3))


def _overload_rules(design: Design, result: Any) -> list[dict[str, Any]]:
    """Overload, as a run shows it: a node whose bounded queue filled and shed requests, and requests that
    were still waiting when the run ended (queues are bounded by default: COMMON_PARAMS queue_limit)."""
    out = []
    for nid, s in result.node_stats.items():
        dropped = int(s.get("dropped", 0) or 0)
        if not dropped or not design.has_node(nid):
            continue
        node = design.node(nid)
        limit = int(get_kind(node.kind).resolved_params(node.params).get("queue_limit", 0))
        out.append(_issue("warning", "queue-overflow", nid,
                          f"{node.title} is overloaded: its queue reached its bound ({limit:,} requests) and it "
                          f"shed {dropped:,} requests.",
                          "arrivals exceed what the node can serve; a longer queue would only add waiting time",
                          "add replicas or concurrency, rate-limit earlier (gateway), or raise queue_limit"))
    c = result.counts
    unfinished = int(c.get("unfinished", 0))
    if c["arrived"] and unfinished / c["arrived"] > 0.01:
        out.append(_issue("warning", "unfinished-at-end", None,
                          f"{unfinished:,} requests ({unfinished / c['arrived']:.1%}) were still queued or running "
                          "when the run ended.",
                          "the design is overloaded, or its requests take longer than the run's drain time",
                          "add capacity, or run longer to see whether the backlog drains"))
    return out

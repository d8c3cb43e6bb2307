"""Design review: structural problems plus the red flags an interviewer raises (seed000 §4.2, §5).

Each finding is ``{severity, rule, node, message, why, fix}``. Without a run the review uses the
back-of-envelope figures; with a run (``result``) it adds what the simulation measured: utilisation,
missed SLOs and the stage that missed them, the real cost against the budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import networkx as nx

from simulation.analysis.envelope import Envelope, envelope, fmt, usd
from simulation.analysis.structure import structural_issues
from simulation.design import Design
from simulation.errors import DesignError
from simulation.registry import get_kind

UTILIZATION_LIMIT = 0.85  # above ~85 % queueing delay grows steeply (M/M/c; seed000 §5.2)
KV_HEADROOM_MIN = 0.20  # weights within 15–20 % of memory leave no room for the KV cache (seed000 §5.1)
HNSW_MAX_VECTORS = 1e8  # seed000 L563: HNSW below 100M vectors, IVF/sharding above
AGENT_ITERATIONS_MAX = 50  # a cap this high does not bound cost or latency in practice
LLM_KINDS = ("llm_server", "llm_api")
# Nodes that are managed, in-process or pass-through: one replica is not a single point of failure there.
NO_SPOF_KINDS = {"client", "fanout", "prompt_builder", "llm_api", "queue", "load_balancer", "api_gateway",
                 "human_agent", "tool", "mcp_server", "autoscaler", "observability"}
THREATS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    # (threat, label, guardrail checks_* flags that defend it, why) — seed000 L1395–L1401
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


def _graph(design: Design) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in design.nodes)
    ids = {n.id for n in design.nodes}
    for e in design.edges:
        if e.source in ids and e.target in ids:
            g.add_edge(e.source, e.target)
    return g


def _reachable_avoiding(g: nx.DiGraph, sources: Iterable[str], avoid: set[str]) -> set[str]:
    h = g.subgraph([n for n in g.nodes if n not in avoid or n in sources])
    seen: set[str] = set()
    for s in sources:
        if s in h:
            seen |= nx.descendants(h, s) | {s}
    return seen


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
        out.append(_issue("error", "model-does-not-fit", nid, msg,
                          "the engine cannot start: weights and activations exceed the GPUs' memory",
                          "raise tp/pp, quantise the weights (fp8/int4), pick a larger GPU or a smaller model"))
    for nid, plan in env.facts.get("plans", {}).items():
        budget = plan["budget_gb_per_gpu"] * plan["gpus"]
        share = plan["kv_pool_gb"] / budget if budget else 0.0
        seqs = env.facts.get("max_seqs_kv", {}).get(nid, math.inf)
        if share < KV_HEADROOM_MIN or seqs < 8:
            out.append(_issue(
                "warning", "kv-headroom", nid,
                f"Only {plan['kv_pool_gb']:.1f} GB ({share:.0%}) of the memory budget is left for the KV cache: "
                f"about {fmt(seqs)} sequences of mean length fit per replica.",
                "weights within 15–20 % of memory leave no KV room, so the batch collapses and throughput with it "
                "(seed000 §5.1)", "add GPUs (tp), use fp8 weights or KV, or a GPU with more memory"))
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
                              "peak traffic (2× the mean unless the workload says otherwise) would queue",
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


def _guardrail_rules(design: Design, g: nx.DiGraph, kinds: dict[str, str]) -> list[dict[str, Any]]:
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
                          "prompt injection and jailbreaks reach the model unchecked (seed000 L1669 'Skip guardrails')",
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
                       "one client can exhaust the GPU fleet or the API quota, and the token bill (seed000 L1086)",
                       "add an API gateway with auth and a per-user token bucket")]
    out = []
    for n in gateways:
        if not float(params[n].get("rate_limit_per_user_rps", 0)):
            out.append(_issue("info", "no-rate-limit", n,
                              f"{design.node(n).title} authenticates but rate_limit_per_user_rps is 0 (off).",
                              "a runaway client or agent loop is not throttled",
                              "set a per-user limit, e.g. 100 requests/min (seed001 L1505)"))
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
                              "one crash or deploy takes the whole service down (seed000 L1084, L1089)",
                              "run ≥ 2 replicas (or an autoscaler with min_replicas 2) across zones"))
    return out


def _model_mix_rules(design: Design, kinds: dict[str, str], params: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    llms = [n for n, k in kinds.items() if k in LLM_KINDS]
    if llms and not any(k in ("response_cache", "semantic_cache") for k in kinds.values()):
        out.append(_issue("warning", "no-cache", None, "No response or semantic cache in front of the model.",
                          "repeated questions pay full price and latency; caches save 20–50 % (seed000 L1381–L1382)",
                          "add an exact-match or semantic cache before the LLM"))
    models = {params[n].get("model") or params[n].get("provider_model") for n in llms}
    if len(models) == 1 and not any(k == "router" for k in kinds.values()):
        out.append(_issue("info", "one-model-for-everything", llms[0],
                          f"Every request goes to the same model ({next(iter(models))}).",
                          "'one model for all' ignores cost: routing easy traffic to a small model saves 40–60 % "
                          "(seed000 L1383, L1668)", "add a router that sends simple queries to a smaller model"))
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
                              "runaway agents multiply cost and latency (seed000 L1453)",
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
                                  "HNSW graphs beyond ~100M vectors need too much RAM per node (seed000 L563)",
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
                   "; ".join(r["why"] for r in missing) + " (seed000 L1395–L1401)",
                   "enable " + ", ".join(f"checks_{checks[r['threat']]}" for r in missing)
                   + " on a guardrail on the path")]


# -- rules that need a run ----------------------------------------------------------------------------
def stage_breakdown(result: Any, metric: str = "e2e", threshold_ms: float | None = None) -> list[tuple[str, float]]:
    """Mean ms per node over recorded requests (those slower than ``threshold_ms`` when given), largest first."""
    hops = getattr(result, "hops", None) or []
    if not hops:
        return []
    values = result.e2e_ms if metric != "ttft" else result.ttft_ms
    totals: dict[str, float] = {}
    count = 0
    for i, path in enumerate(hops):
        if threshold_ms is not None and i < len(values) and values[i] <= threshold_ms:
            continue
        count += 1
        for node, enter, leave in path:
            totals[node] = totals.get(node, 0.0) + (leave - enter) * 1000.0
    if not count:
        return []
    return sorted(((n, t / count) for n, t in totals.items()), key=lambda x: -x[1])


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
        worst = stages[0][0] if stages else None

        def name(n: str) -> str:
            return design.node(n).title if design.has_node(n) else n

        where = ", ".join(f"{name(n)} {ms:.0f} ms" for n, ms in stages[:3])
        out.append(_issue("error", "slo-missed", worst,
                          (f"{key}: {rep['actual']:.0f} ms" if math.isfinite(rep["actual"])
                           else f"{key}: no completed request to measure") + f" vs target {rep['target']:.0f} ms"
                          + (f"; in the slow requests the time goes to {where}." if where else "."),
                          "the design does not meet its service-level objective",
                          f"speed up or scale {name(worst)}" if worst else "scale the slowest stage"))
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

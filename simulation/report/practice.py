"""Report sections that follow a worked interview answer: capacity and scaling at the peak, failure modes and
fallbacks, monitoring and alert thresholds, evaluation plan, retrieval sizing, unit economics and ROI, the
before → after comparison, and the automatic rate sweep. Every figure comes from the design, its run or a
re-simulation (``simulation.report.sizing``); sections with nothing to say for a design are left out.
"""

from __future__ import annotations

import math
from typing import Any

from simulation.analysis.envelope import Envelope, fmt, usd
from simulation.design import Design
from simulation.registry import get_kind
from simulation.report import charts
from simulation.report.document import Bullets, Image, Para, Section, Table
from simulation.report.sizing import SimCheck, check_from_run, check_window, node_busy, same_as_drawn_at_mean
from simulation.workload import mean_rate, peak_to_mean

LLM_KINDS = ("llm_server", "llm_api")
RETRIEVAL_KINDS = ("vector_db", "keyword_index")
WARN_SHARE = 0.8  # warn when a latency signal reaches 80 % of its SLO target, page at the target
GOLDEN_HALF_WIDTH = 0.02  # golden-set size: ±2 points at 95 % confidence on a pass rate
Z95 = 1.96


def tokens_text(v: float | None) -> str:
    """A token count: a whole number (a mean of a distribution rounds to the nearest token)."""
    return "–" if v is None or not math.isfinite(v) else f"{round(v):,}"


def _title(design: Design, nid: str) -> str:
    return design.node(nid).title if design.has_node(nid) else nid


def _params(design: Design, nid: str) -> dict[str, Any]:
    n = design.node(nid)
    return get_kind(n.kind).resolved_params(n.params)


def _slo_text(key: str, v: float | None) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.2%}" if key == "error_rate_max" else f"{fmt(v)} ms"


def _verdict(check: dict[str, Any] | None) -> str:
    if not check:
        return "–"
    if check["slo_met"]:
        return "✔ meets every SLO"
    missed = [f"{k} {_slo_text(k, v['actual'])} vs {_slo_text(k, v['target'])}" for k, v in check["slo"].items()
              if not v["met"]]
    return "✘ misses " + "; ".join(missed)


# -- capacity and scaling -------------------------------------------------------------------------------
def sizing_section(design: Design, env: Envelope, sizing: dict[str, Any], run_json: dict[str, Any]) -> Section:
    s = Section("sizing", "Capacity at the peak (simulated) and scaling policy")
    ptm = sizing["peak_to_mean"]
    src = ("the workload's peak_to_mean" if "peak_to_mean" in design.workload else
           "the diurnal arrival's peak_to_mean" if (design.workload.get("arrival") or {}).get("process") == "diurnal"
           else "the default peak-hour factor; set workload.peak_to_mean to declare yours")
    nodes = sizing.get("nodes") or {}
    if not nodes:
        drawn = sizing.get("as_drawn_at_peak")
        if drawn:
            s.add(Para(f"No self-hosted GPU node to size: capacity here is bought per call (APIs) or set by the "
                       f"stations' concurrency. The design as drawn, simulated at the peak of "
                       f"{fmt(sizing['peak_rate_per_s'])} req/s ({fmt(ptm)} × the mean; {src}) for "
                       f"{fmt(sizing['window_s'])} s: {_verdict(drawn)}.", "ok" if drawn["slo_met"] else "bad"))
        else:
            s.add(Para("No self-hosted GPU node to size: capacity here is bought per call (APIs) or set by the "
                       "stations' concurrency (see the bottlenecks).", "note"))
        return s
    peak = sizing.get("peak_rate_per_s")
    if peak is None:
        s.add(Para("The workload is a closed loop or a trace, so it declares no peak rate; size with "
                   "`genai-sim capacity` instead.", "note"))
        return s
    rate = mean_rate(design.workload) or 0.0
    s.add(Para(f"Peak = mean rate × peak-to-mean = {fmt(rate)} × {fmt(ptm)} = {fmt(peak)} req/s ({src}). Each "
               f"count below was simulated at that constant rate for {fmt(sizing['window_s'])} s after a "
               f"{fmt(sizing['warmup_s'])} s warm-up (seed {sizing['seed']}); the answer is the fewest replicas that "
               "meet every SLO there, and one fewer was simulated too. The analytic bound is only a cross-check."))
    rows = []
    banners = []
    for nid, e in nodes.items():
        title = _title(design, nid)
        p = _params(design, nid)
        gpus_per = int(p.get("tp", 1)) * int(p.get("pp", 1)) if design.node(nid).kind == "llm_server" else 1
        hourly = get_kind(design.node(nid).kind).hourly_cost({**p, "replicas": 1})
        need, now = e.get("replicas_at_peak"), e["replicas_now"]
        bound = e.get("analytic_bound")
        if need is None:
            rows.append([title, str(now), "none found", "–", "–", "–" if bound is None else str(bound)])
            banners.append(Para(f"{title}: {e.get('reason', 'no replica count meets the SLOs at the peak')}.", "bad"))
            continue
        below = e.get("one_fewer")
        rows.append([title, str(now), f"{need} ({need * gpus_per} GPUs)",
                     _verdict(below) if below else "– (one is the minimum)",
                     "–" if e.get("busy_at_peak") is None else f"{e['busy_at_peak']:.0%}",
                     "–" if bound is None else str(bound)])
        delta = (need - now) * hourly * 24
        if need > now:
            banners.append(Para(f"{title}: {now} replica{'s' if now != 1 else ''} "
                                f"{_verdict(e['now_at_peak_check']) if e.get('now_at_peak_check') else 'miss'} at "
                                f"the peak; {need} are needed (+{need - now}, +{usd(delta)}/day).", "bad"))
        elif need < now:
            banners.append(Para(f"{title}: {need} replicas meet every SLO at the peak; {now} are provisioned, so "
                                f"right-sizing saves {usd(-delta)}/day (checked in the cost levers).", "ok"))
        else:
            banners.append(Para(f"{title}: the {now} provisioned replicas are the fewest that meet every SLO at the "
                                "peak.", "ok"))
    s.add(*banners)
    s.add(Table(["Component", "Now", "Needed at peak (simulated)", "One fewer at peak (simulated)", "Busy at peak",
                 "Analytic bound"], rows, "Replicas at the peak", numeric=(1, 4, 5), widths=(18, 7, 17, 36, 9, 13)))
    s.add(Para("Busy = share of time a replica's engine is working (the run's `busy`). The analytic bound assumes "
               "decode reads the weights once per step at full bandwidth and runs at 80 % of that; when it is below "
               "the simulated answer, the gap is the scheduler (prefill chunks stalling decodes, KV growth), which "
               "is why the answer comes from the simulation.", "note"))
    s.add(Para("Scaling policy", "lead"), Bullets(_scaling_policy(design, sizing, run_json)))
    return s


def _scaling_policy(design: Design, sizing: dict[str, Any], run_json: dict[str, Any]) -> list[str]:
    items = []
    scalers = {get_kind("autoscaler").resolved_params(n.params)["target"]: n for n in design.nodes
               if n.kind == "autoscaler"}
    for nid, e in (sizing.get("nodes") or {}).items():
        need = e.get("replicas_at_peak")
        if not need:
            continue
        title = _title(design, nid)
        busy_now = node_busy(run_json["nodes"].get(nid, {}))
        busy_peak = e.get("busy_at_peak")
        text = f"{title}: {need} replicas at the peak"
        batch = e.get("batch_at_peak")
        if batch:
            text += (f"; at the peak each replica runs a batch of {fmt(batch)} sequences. An engine is busy nearly "
                     f"all the time under load, so scale on the running batch per replica (above {fmt(batch)}) and "
                     "on queue wait, not on busy share")
        elif busy_peak is not None and busy_now is not None:
            text += (f"; busy {busy_now:.0%} at the simulated load and {busy_peak:.0%} at the peak. Scale out "
                     f"before busy passes {busy_peak:.0%} (the level at which {need} replicas still meet the SLOs)")
        scaler = scalers.get(nid)
        if scaler:
            sp = get_kind("autoscaler").resolved_params(scaler.params)
            ok = int(sp["max_replicas"]) >= need
            text += (f". The autoscaler {scaler.title} allows {sp['min_replicas']}–{sp['max_replicas']} replicas "
                     f"with a {fmt(float(sp['scale_out_delay_s']))} s scale-out delay"
                     + ("" if ok else f": raise max_replicas to at least {need}"))
        else:
            p = _params(design, nid)
            weights = None
            if design.node(nid).kind == "llm_server":
                from simulation.llm.memory import memory_plan

                try:
                    weights = memory_plan(p, "scaling")["weights_gb"]
                except Exception:
                    weights = None
            text += (". No autoscaler: provision the peak count, or scale on a schedule ahead of the daily peak"
                     + (f" — a new replica must first load {fmt(weights)} GB of weights, so reactive scaling "
                        "lags the queue" if weights else ""))
        items.append(text + ".")
    return items


# -- failure modes ---------------------------------------------------------------------------------------
def failure_section(design: Design, env: Envelope, sizing: dict[str, Any], run_json: dict[str, Any]) -> Section:
    s = Section("failures", "Failure modes and fallbacks")
    nodes = run_json["nodes"]
    fallback = {e.source: e for e in design.edges if e.when in ("error", "timeout", "fallback")}
    rows = []
    for n in design.nodes:
        if n.kind not in LLM_KINDS or env.flows.get(n.id) is None or env.flows[n.id].share <= 0:
            continue
        st = nodes.get(n.id, {})
        fb = fallback.get(n.id)
        guard = f"fails over to {_title(design, fb.target)} ({fb.when} edge)" if fb else "✘ no fallback: requests fail"
        if n.kind == "llm_api":
            head = env.value(f"{n.id}.rpm_headroom")
            rows.append([f"{n.title}: provider outage or 429s", guard,
                         f"throttled {int(st.get('throttled', 0)):,}, dropped {int(st.get('dropped', 0)):,}"
                         + (f"; RPM limit {fmt(head)}× the peak" if math.isfinite(head) else "")])
        else:
            e = (sizing.get("nodes") or {}).get(n.id, {})
            need, below = e.get("replicas_at_peak"), e.get("one_fewer")
            lose = (f"losing one of {need} at the peak: {_verdict(below)}" if need and below else
                    "a single replica: its loss stops the service" if need == 1 else "–")
            rows.append([f"{n.title}: a replica fails", guard + ("; run N+1 replicas" if below and not
                                                                 below["slo_met"] else ""), lose])
            pre, rej = int(st.get("preemptions", 0)), int(st.get("rejected", 0))
            rows.append([f"{n.title}: KV cache exhausted", "preemption (recompute) by the engine",
                         f"{pre:,} preemptions, {rej:,} rejected, KV use {st.get('kv_usage', 0):.0%}"])
    for n in design.nodes:
        if n.kind in RETRIEVAL_KINDS + ("embedding_service", "reranker", "database"):
            reps = int(_params(design, n.id).get("replicas", 1))
            fb = fallback.get(n.id)
            rows.append([f"{n.title}: down", (f"falls back to {_title(design, fb.target)}" if fb else
                                              f"{reps} replica{'s' if reps != 1 else ''}; no fallback edge"),
                         f"errors {int(nodes.get(n.id, {}).get('errors', 0)):,}"])
        if n.faults:
            rows.append([f"{n.title}: injected faults", ", ".join(sorted(n.faults)),
                         f"errors {int(nodes.get(n.id, {}).get('errors', 0)):,}, timed out "
                         f"{int(nodes.get(n.id, {}).get('timed_out', 0)):,}"])
    req = run_json["requests"]
    if rows:
        s.add(Table(["Failure", "What the design does", "Measured in the run"], rows, "Failure modes",
                    widths=(30, 36, 34)))
    s.add(Para(f"In the run: {req['failed']:,} failed, {req['timeout']:,} timed out, {req['dropped']:,} dropped of "
               f"{req['arrived']:,} arrivals.", "note"))
    return s


# -- monitoring ------------------------------------------------------------------------------------------
def monitoring_section(design: Design, sizing: dict[str, Any], run_json: dict[str, Any]) -> Section:
    s = Section("monitoring", "Monitoring and alert thresholds")
    has_obs = any(n.kind == "observability" for n in design.nodes)
    s.add(Para("Thresholds come from this design's SLOs and from the busy share at which the sized replicas still "
               "met them at the peak; 'now' is the simulated value." + ("" if has_obs else
                                                                        " The design has no observability node "
                                                                        "yet: these signals need one."),
               "p" if has_obs else "bad"))
    rows = []
    m = run_json["metrics"]
    for key, target in design.slo.items():
        if key == "error_rate_max":
            rows.append(["error rate", f"warn {target * WARN_SHARE:.2%}, page {target:.2%}",
                         f"{run_json['slo'][key]['actual']:.2%}", "error budget of the SLO"])
            continue
        metric, stat = key.split("_")[0], key.split("_")[1]
        now = m.get(f"{metric}_ms", {}).get(stat)
        rows.append([f"{metric.upper()} {stat}", f"warn {fmt(target * WARN_SHARE)} ms, page {fmt(target)} ms "
                     "(5-minute window)", _slo_text(key, now), "the SLO itself"])
    for nid, e in (sizing.get("nodes") or {}).items():
        st = run_json["nodes"].get(nid, {})
        if e.get("batch_at_peak"):
            rows.append([f"{_title(design, nid)} running batch per replica", f"scale out above "
                         f"{fmt(e['batch_at_peak'])}", fmt(st.get("batch_size", 0.0)),
                         "the batch at which the peak count still met the SLOs"])
        elif e.get("busy_at_peak") is not None:
            rows.append([f"{_title(design, nid)} busy", f"scale out above {e['busy_at_peak']:.0%}",
                         f"{node_busy(st):.0%}" if node_busy(st) is not None else "–",
                         "the busy share at which the peak count still met the SLOs"])
        if "kv_usage" in st:
            rows.append([f"{_title(design, nid)} KV use / preemptions", "warn KV > 90 %, page on any preemption",
                         f"{st['kv_usage']:.0%} / {int(st.get('preemptions', 0)):,}",
                         "preempted sequences recompute their prefill: TTFT and TPOT jump"])
    for n in design.nodes:
        st = run_json["nodes"].get(n.id, {})
        if n.kind == "llm_api":
            rows.append([f"{n.title} 429s", "page on a sustained rise", f"{int(st.get('throttled', 0)):,}",
                         "the provider's rate limit: requests queue or fail"])
        if n.kind in ("response_cache", "semantic_cache") and "hit_rate" in st:
            planned = float(_params(design, n.id)["hit_rate"])
            rows.append([f"{n.title} hit rate", f"warn below {max(planned - 0.1, 0):.0%}", f"{st['hit_rate']:.0%}",
                         "every lost hit is a paid model call"])
        if n.kind in ("input_guardrail", "output_guardrail"):
            rate = float(_params(design, n.id)["block_rate"])
            if rate:
                rows.append([f"{n.title} block rate", f"warn above {2 * rate:.1%} or below {rate / 2:.1%}",
                             f"{rate:.1%} (design)", "an attack wave, or a broken check letting everything pass"])
    per_month = design.budget.get("usd_per_month")
    day = run_json["cost"]["usd_per_hour"] * 24
    rows.append(["spend per day", f"warn above {usd(per_month / 30.4)}" if per_month else "track against plan",
                 usd(day), "token spend follows traffic and prompt length"])
    s.add(Table(["Signal", "Alert", "Now (simulated)", "Why"], rows, "Signals and thresholds",
                widths=(24, 30, 16, 30)))
    return s


# -- evaluation ------------------------------------------------------------------------------------------
def evaluation_section(design: Design, env: Envelope, run_json: dict[str, Any]) -> Section:
    s = Section("evaluation", "Evaluation plan and quality bar")
    kinds = {n.kind for n in design.nodes}
    n_golden = math.ceil(Z95 ** 2 * 0.9 * 0.1 / GOLDEN_HALF_WIDTH ** 2)
    items = [f"Offline golden set before every prompt, model or index change: {n_golden:,} labelled cases measure a "
             f"90 % pass rate to ±{GOLDEN_HALF_WIDTH:.0%} at 95 % confidence (n = 1.96² × p(1−p) ÷ "
             f"{GOLDEN_HALF_WIDTH}²). The bar: no regression beyond that interval."]
    if kinds & set(RETRIEVAL_KINDS):
        recall = [float(_params(design, n.id).get("recall", 0)) for n in design.nodes if n.kind == "vector_db"]
        items.append("Retrieval: recall@k and precision@k of the retriever on the golden questions"
                     + (f"; the index itself returns {recall[0]:.0%} of the exact nearest neighbours (ANN recall "
                        "in the design), so answer-level recall can only be lower" if recall else "")
                     + ". Answers: faithfulness and answer relevance as defined by RAGAS (Es et al., 2023, "
                       "arXiv:2309.15217).")
    if "agent" in kinds:
        items.append("Agent: task success rate, steps per task and tool-error rate on scripted tasks; the design "
                     "allows " + ", ".join(f"{_params(design, n.id)['max_iterations']} iterations ({n.title})"
                                            for n in design.nodes if n.kind == "agent") + ".")
    if "router" in kinds:
        items.append("Router: misroute rate on a labelled sample ("
                     + ", ".join(f"{n.title} accuracy {float(_params(design, n.id)['accuracy']):.0%}"
                                 for n in design.nodes if n.kind == "router")
                     + " in the design); a hard query sent to the small model is a quality loss, not a cost win.")
    guards = [n for n in design.nodes if n.kind in ("input_guardrail", "output_guardrail")]
    if guards:
        items.append("Guardrails: false-positive rate on benign traffic and catch rate on a red-team set; the "
                     "design blocks " + ", ".join(f"{float(_params(design, n.id)['block_rate']):.1%} at {n.title}"
                                                 for n in guards) + ".")
    spares = {e.target for e in design.edges if e.when in ("error", "timeout", "fallback")}
    apis = [n for n in design.nodes if n.kind == "llm_api" and n.id not in spares]
    rate = mean_rate(design.workload)
    if apis and rate:
        judge = max(apis, key=lambda n: env.value(f"{n.id}.usd_per_call", 0.0))
        per_call = env.value(f"{judge.id}.usd_per_call")
        if math.isfinite(per_call):
            daily = rate * 86400 * 0.01
            items.append(f"Online: grade 1 % of answers with a model judge ({fmt(daily)} judgements/day; at the "
                         f"price of one {judge.title} call, {usd(per_call)}, that is {usd(daily * per_call)}/day), "
                         "plus user feedback (thumbs, escalations).")
    s.add(Bullets(items))
    return s


# -- retrieval sizing ------------------------------------------------------------------------------------
def rag_section(design: Design, env: Envelope, run_json: dict[str, Any]) -> Section | None:
    dbs = [n for n in design.nodes if n.kind in RETRIEVAL_KINDS]
    if not dbs:
        return None
    s = Section("rag", "Retrieval sizing: index memory, chunking, recall")
    rows = []
    for n in dbs:
        p = _params(design, n.id)
        st = run_json["nodes"].get(n.id, {})
        if n.kind == "vector_db":
            raw_gb = float(p["vectors"]) * int(p["dimension"]) * 4 / 1e9
            mem = st.get("memory_gb")
            rows.append([n.title, f"{fmt(float(p['vectors']))} × {p['dimension']} dims × 4 B = {fmt(raw_gb)} GB raw; "
                         f"{p['index']} index {fmt(mem) + ' GB' if mem else '–'} over {p['shards']} shard(s), "
                         f"{p['replicas']} replica(s)",
                         f"top {p['top_k']} × {p['chunk_tokens']} tokens = {int(p['top_k']) * int(p['chunk_tokens']):,}"
                         " tokens of context", f"ANN recall {float(p['recall']):.0%}"])
        else:
            rows.append([n.title, "inverted index", f"top {p.get('top_k', '–')} × {p.get('chunk_tokens', '–')} "
                         "tokens", "–"])
    s.add(Table(["Index", "Memory", "Chunking", "Recall"], rows, "Retrieval", widths=(18, 38, 26, 18)))
    ctx = [(n, env.flows[n.id].context_tokens) for n in design.nodes if n.kind in LLM_KINDS
           and env.flows.get(n.id) and env.flows[n.id].share > 0]
    if ctx:
        tin = env.facts.get("input_tokens", 0.0)
        items = [f"{n.title}: {tokens_text(c)} context tokens added to the question ({tokens_text(tin)} tokens) "
                 f"({c / (c + tin):.0%} of the prompt)" for n, c in ctx if c > 0]
        rr = [n for n in design.nodes if n.kind == "reranker"]
        if rr:
            p = _params(design, rr[0].id)
            items.append(f"{rr[0].title} keeps {p['keep']} of the candidates: fewer context tokens per call and the "
                         "best chunks first; its latency grows with the candidate count.")
        if items:
            s.add(Bullets(items))
    return s


# -- unit economics and ROI ------------------------------------------------------------------------------
def roi_section(design: Design, env: Envelope, run_json: dict[str, Any]) -> Section:
    s = Section("roi", "Unit economics and ROI")
    cost = run_json["cost"]
    rows = [["cost per request (simulated)", usd(cost["usd_per_request"])],
            ["cost per 1M output tokens (simulated)", usd(cost["usd_per_1m_output_tokens"])],
            ["cost per month (simulated)", usd(cost["usd_per_month"])]]
    for f in env.figures:
        if f.key.endswith(".breakeven_req_per_day") and f.node and env.flows.get(f.node) \
                and env.flows[f.node].share > 0:
            rows.append([f"{f.label} ({_title(design, f.node)})" if f.node else f.label,
                         f"{fmt(f.value)} {f.unit}"])
    humans = [n for n in design.nodes if n.kind == "human_agent"]
    if humans:
        h = humans[0]
        p = _params(design, h.id)
        from simulation.distributions import parse_dist

        minutes = parse_dist(p["handling_time"], "handling_time").mean()
        human_cost = float(p["usd_per_hour"]) * minutes / 60
        share = env.flows.get(h.id).share if env.flows.get(h.id) else 0.0
        rows.append([f"one request handled by {h.title}", f"{usd(human_cost)} ({fmt(minutes)} min × "
                     f"{usd(float(p['usd_per_hour']))}/h)"])
        rows.append(["share escalated to people (design)", f"{share:.0%}"])
        if cost["usd_per_request"] < human_cost:
            rows.append(["saving per automated request", usd(human_cost * (1 - share) - cost["usd_per_request"])])
    s.add(Table(["Figure", "Value"], rows, "Unit economics", numeric=(1,), widths=(60, 40)))
    return s


# -- before → after --------------------------------------------------------------------------------------
def before_after_section(design: Design, before: Design | None, run_json: dict[str, Any],
                         seed: int) -> Section | None:
    if before is None:
        return None
    s = Section("before-after", "Before → after")
    rate = mean_rate(before.workload)
    window, warmup = check_window(rate)
    b = SimCheck(before, None, seed, window, warmup).check()
    after_run = run_json
    rows = []
    for metric in ("ttft_ms", "e2e_ms"):
        for stat in ("p50", "p95", "p99"):
            bv = b.metrics[metric][stat]
            av = after_run["metrics"][metric][stat]
            change = f"{av / bv - 1:+.0%}" if bv else "–"
            rows.append([f"{metric[:-3].upper()} {stat}", f"{fmt(bv)} ms", f"{fmt(av)} ms", change])
    bday, aday = b.usd_per_day, after_run["cost"]["usd_per_hour"] * 24
    rows.append(["cost per day", usd(bday), usd(aday), f"{aday / bday - 1:+.0%}" if bday else "–"])
    for key in design.slo:
        bs, as_ = b.slo.get(key), after_run["slo"].get(key)
        if bs and as_:
            rows.append([f"SLO {key}", "✔ met" if bs["met"] else "✘ missed", "✔ met" if as_["met"] else "✘ missed",
                         ""])
    s.add(Para(f"Before: “{before.name}”, simulated here with the same seed; after: this design's run."),
          Table(["Metric", "Before", "After", "Change"], rows, "Before → after", numeric=(1, 2, 3),
                widths=(34, 22, 22, 22)))
    changes = _design_changes(before, design)
    if changes:
        s.add(Para("What changed:", "lead"), Bullets(changes))
    return s


def _design_changes(before: Design, after: Design) -> list[str]:
    import json

    def show(v: Any) -> str:
        text = json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v)
        return text if len(text) <= 60 else text[:59] + "…"

    out = []
    bnodes = {n.id: n for n in before.nodes}
    for nid, n in bnodes.items():
        if not after.has_node(nid):
            out.append(f"removed {n.title}")
    for n in after.nodes:
        if n.id not in bnodes:
            out.append(f"added {n.title} ({get_kind(n.kind).label})")
            continue
        old = bnodes[n.id]
        for k in sorted(set(old.params) | set(n.params)):
            if old.params.get(k) != n.params.get(k):
                out.append(f"{n.title}: {k} {show(old.params.get(k, 'default'))} → {show(n.params.get(k, 'default'))}")
    return out[:20]


# -- automatic sweep -------------------------------------------------------------------------------------
def auto_sweep(design: Design, seed: int, run: tuple[dict[str, Any], float] | None = None
               ) -> list[dict[str, Any]] | None:
    """A small rate sweep (half the mean, the mean, the peak, 1.5 × the peak) with the design as drawn.

    ``run`` is the report's own run (its JSON and measured window): where the design already arrives at a
    constant mean rate, the 1× point *is* that run, so the sweep and the rest of the report quote one cost."""
    rate = mean_rate(design.workload)
    if rate is None:
        return None
    ptm = peak_to_mean(design.workload)
    rows = []
    for factor in (0.5, 1.0, ptm, 1.5 * ptm):
        r = rate * factor
        window, warmup = check_window(r)
        is_run = factor == 1.0 and run is not None and same_as_drawn_at_mean(design)
        if is_run and run is not None:
            c, window = check_from_run(design, run[0], r), run[1]
        else:
            c = SimCheck(design, r, seed, window, warmup).check()
        row: dict[str, Any] = {"rate_per_s": r, "x_mean": factor, "slo_met": c.met, "usd_per_day": c.usd_per_day,
                               "window_s": window, "is_report_run": is_run}
        for key, v in c.slo.items():
            row[key] = v["actual"]
        busiest = max(c.busy.items(), key=lambda kv: kv[1], default=(None, None))
        row["busiest"], row["busy"] = busiest
        rows.append(row)
    return rows


def sweep_blocks(design: Design, rows: list[dict[str, Any]]) -> list[Any]:
    lat = [k for k in design.slo if k != "error_rate_max"]
    same = next((r for r in rows if r.get("is_report_run")), None)
    blocks: list[Any] = [Para("No sweep is stored with this design, so the report ran a small one: the arrival rate "
                              "at ½×, 1×, the peak and 1.5× the peak, with the replicas as drawn"
                              + (f"; the 1× row is the report's own run ({fmt(same['window_s'])} s), the others "
                                 f"short runs of about {fmt(max(r['window_s'] for r in rows if r is not same))} s "
                                 "with the same seed." if same else
                                 f", each over about {fmt(max(r['window_s'] for r in rows))} s with the same seed."),
                              "note")]
    if lat:
        blocks.append(Image("sweep_auto", "Latency SLO metrics vs arrival rate (automatic sweep).",
                            svg=charts.line_chart([r["rate_per_s"] for r in rows],
                                                  {k: [r.get(k) or math.nan for r in rows] for k in lat},
                                                  "SLO metrics vs arrival rate", "arrival rate (req/s)", "ms")))
    table = []
    for r in rows:
        cells = [f"{fmt(r['rate_per_s'])} ({fmt(r['x_mean'])}×)"]
        cells += [_slo_text(k, r.get(k)) for k in design.slo]
        cells += [f"{_title(design, r['busiest'])} {r['busy']:.0%}" if r["busiest"] else "–", usd(r["usd_per_day"]),
                  "✔" if r["slo_met"] else "✘"]
        table.append(cells)
    blocks.append(Table(["Rate (req/s)", *design.slo, "Busiest (busy)", "Cost/day", "SLOs"], table,
                        "Automatic rate sweep"))
    return blocks

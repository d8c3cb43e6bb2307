"""Builds the interview-ready report from a design, its run and the re-simulations that size it and price its levers."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from simulation.analysis.envelope import (
    DAYS_PER_MONTH,
    GAP_EXPLAINED,
    SECONDS_PER_DAY,
    Envelope,
    compare,
    envelope,
    explain_gap,
    fmt,
    run_facts,
    usd,
)
from simulation.analysis.review import review_design, stage_breakdown, threat_coverage
from simulation.design import Design
from simulation.errors import DesignError
from simulation.registry import get_kind
from simulation.report import charts
from simulation.report.document import Bullets, Image, Para, Report, Section, Table
from simulation.report.levers import price_levers
from simulation.report.practice import (
    auto_sweep,
    before_after_section,
    evaluation_section,
    failure_section,
    monitoring_section,
    rag_section,
    roi_section,
    sizing_section,
    sweep_blocks,
    tokens_text,
)
from simulation.report.sizing import node_busy, size_at_peak
from simulation.workload import peak_to_mean

LLM_KINDS = ("llm_server", "llm_api")
STATS = ("mean", "p50", "p90", "p95", "p99")
LATENCY_NAMES = {"ttft_ms": "TTFT (time to first token)", "tpot_ms": "TPOT (per output token)",
                 "itl_ms": "ITL (inter-token gap)", "e2e_ms": "E2E (end to end)"}
SMALL_MODEL_B = 15.0  # billions of parameters: at or below, routing to "a smaller model" is no lever
AGREE = 0.05  # seed figure reproduced when the run is within 5 % of it

DiagramRenderer = Callable[[Design], bytes]


SCALE_UNITS = ("calls/day", "req/day", "tokens/day", "req/month")


def value_text(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if unit.upper().startswith("USD"):
        return usd(value) + unit[3:].replace("USD", "")
    if unit == "":
        return f"{value:.1%}" if abs(value) < 10 else fmt(value)
    if unit in SCALE_UNITS and abs(value) >= 10_000 and not float(value).is_integer():
        # a per-day or per-month volume derived from a rate: 4 significant figures, not 14,999,995
        value = float(round(value, 3 - int(math.floor(math.log10(abs(value))))))
    if unit in ("replicas", "seqs", "tokens", *SCALE_UNITS) and float(value).is_integer():
        return f"{int(value):,} {unit[:-1] if value == 1 and unit in ('replicas', 'seqs', 'tokens') else unit}"
    return f"{fmt(value)} {unit}".strip()


def budget_label(key: str) -> str:
    """``usd_per_month`` → "per month": the amount is already printed in dollars."""
    return key.removeprefix("usd_").replace("_", " ")


def ms(v: float | None) -> str:
    return "–" if v is None or not math.isfinite(v) else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}")


def ms_text(v: float) -> str:
    """A duration with its unit and sensible precision: 0.3 ms, 6.2 ms, 1,887 ms, 12.4 s."""
    if v is None or not math.isfinite(v):
        return "–"
    if abs(v) >= 10_000:
        return f"{v / 1000:,.1f} s"
    if abs(v) >= 10:
        return f"{v:,.0f} ms"
    return f"{v:.1f} ms"


def share_text(x: float) -> str:
    """A share with the precision it needs: 46%, 0.8%, < 0.1%."""
    if x >= 0.01:
        return f"{x:.0%}"
    return f"{x:.1%}" if x >= 0.001 else "< 0.1%"


def pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def resolve(facts: dict[str, float], path: str | None) -> float | None:
    if not path:
        return None
    return facts.get(path)


# -- derived facts shared by several sections ---------------------------------------------------------
def _derived(design: Design, env: Envelope, facts: dict[str, float]) -> None:
    llms = [n.id for n in design.nodes if n.kind in LLM_KINDS]
    calls = sum(facts.get(f"nodes.{n}.per_day", 0.0) for n in llms)
    spend = sum(facts.get(f"cost.by_node.{n}.usd_per_day", 0.0) for n in llms)
    facts["derived.llm_calls_per_day"] = calls
    facts["derived.llm_usd_per_day"] = spend
    if calls:
        facts["derived.llm_usd_per_call"] = spend / calls
    rate = env.facts.get("rate") or 0.0
    e_calls = sum(rate * env.flows[n].share * SECONDS_PER_DAY for n in llms)
    e_spend = sum(env.value(f"{n}.usd_per_day", 0.0) for n in llms)
    env.facts["derived"] = {"derived.llm_calls_per_day": e_calls, "derived.llm_usd_per_day": e_spend,
                            "derived.llm_usd_per_call": e_spend / e_calls if e_calls else math.nan}


def _env_value(env: Envelope, key: str | None) -> float | None:
    if not key:
        return None
    if key in env.facts.get("derived", {}):
        return env.facts["derived"][key]
    fig = env.get(key)
    return fig.value if fig else None


# -- sections ---------------------------------------------------------------------------------------------
def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _slo_actual_text(key: str, v: float) -> str:
    if key == "error_rate_max":
        return f"{v:.2%}"
    return "–" if v is None or not math.isfinite(v) else f"{ms(v)} ms"


def summary(design: Design, env: Envelope, run_json: dict[str, Any], path_data: dict[str, Any],
            issues: list[dict[str, Any]], lever_rows: list[dict[str, Any]],
            sizing: dict[str, Any], baseline: dict[str, Any] | None = None) -> tuple[Section, dict[str, Any]]:
    """Verdict against the SLOs and budget, the main bottleneck and the top cost lever, from the run's numbers."""
    s = Section("summary", "Executive summary")
    slo, cost = run_json["slo"], run_json["cost"]
    missed = [k for k, v in slo.items() if not v["met"]]
    budget = [(k, float(limit), cost.get(k)) for k, limit in design.budget.items() if cost.get(k) is not None]
    over = [k for k, limit, actual in budget if actual > limit]
    parts = []
    if slo:
        every = {1: "the SLO", 2: "both SLOs"}.get(len(slo), f"all {len(slo)} SLOs")
        parts.append(f"Meets {every}" if not missed else
                     f"Misses {len(missed)} of {plural(len(slo), 'SLO')} ("
                     + "; ".join(f"{k} {_slo_actual_text(k, slo[k]['actual'])} vs target "
                                 f"{_slo_target_text(k, slo[k]['target'])}" for k in missed) + ")")
    for k, limit, actual in budget:
        unit = k.replace("usd_per_", "/")
        parts.append(f"{'over' if actual > limit else 'within'} the {usd(limit)}{unit} budget "
                     f"({usd(actual)}{unit}, {pct(actual, limit)} of it)")
    if parts:
        text = parts[0] + ("; " + "; ".join(parts[1:]) if len(parts) > 1 else "") + "."
        s.add(Para(text[0].upper() + text[1:], "bad" if (missed or over) else "ok"))
    else:
        s.add(Para("No SLOs or budget are set, so the design cannot be judged; the figures below describe it.",
                   "note"))
    m = run_json["metrics"]
    e2e = m["e2e_ms"]
    per_day = env.value("workload.requests_per_day")
    load = (f"{fmt(per_day)} requests/day ({fmt(env.value('workload.mean_qps'))} req/s mean, "
            f"{fmt(env.value('workload.peak_qps'))} req/s peak)" if math.isfinite(per_day) else "a closed loop")
    streams = any(n.kind in LLM_KINDS for n in design.nodes)
    bullets = [f"Load: {load}. Simulated {run_json['requests']['completed']:,} requests: end-to-end p50 "
               f"{ms(e2e['p50'])} ms, p95 {ms(e2e['p95'])} ms, p99 {ms(e2e['p99'])} ms"
               + (f"; time to first token p95 {ms(m['ttft_ms']['p95'])} ms." if streams else ".")]
    stages = path_data.get("stages") or []
    busiest = max(((n, b) for n, st in run_json["nodes"].items() if (b := node_busy(st)) is not None),
                  key=lambda x: x[1], default=None)
    data: dict[str, Any] = {"slo_missed": missed, "budget_over": over}
    if stages:
        total = sum(v for _, v in stages) or 1.0
        node, t = stages[0]
        data.update(bottleneck=node, bottleneck_ms=t, bottleneck_share=t / total)
        text = (f"Main bottleneck: {_title(design, node)}, {pct(t, total)} of the time a request spends in the "
                f"system ({ms_text(t)} per request)")
        if busiest:
            data.update(busiest=busiest[0], busiest_utilization=busiest[1])
            who, u = _title(design, busiest[0]), busiest[1]
            engine = "batch_size" in run_json["nodes"].get(busiest[0], {})
            if u > 0.85 and engine:
                text += (f"; {who} is busy {u:.0%} of the time, as a continuous-batching engine under steady load "
                         "is (its batch, KV use and queue wait say how close it is to its limit).")
            elif u > 0.85:
                text += f"; {who} is busy {u:.0%} of the time, where queueing delay grows steeply."
            elif u >= 0.5:
                text += f"; the busiest component is {who}, busy {u:.0%} of the time."
            else:
                text += (f"; no component is busy more than {u:.0%} of the time, so this is service time, not "
                         "queueing (only a faster component or a different design shortens it).")
        else:
            text += "."
        bullets.append(text)
    name, top_day, total_day = largest_cost(design, run_json)
    bullets.append(f"Cost: {usd(total_day)}/day, {usd(cost['usd_per_month'])}/month, {usd(cost['usd_per_request'])} "
                   f"per request; the largest item is {name} ({usd(top_day)}/day, {pct(top_day, total_day)}).")
    for nid, e in (sizing.get("nodes") or {}).items():
        need, now = e.get("replicas_at_peak"), e["replicas_now"]
        if need and need != now:
            fewer = (f"; {need - 1} miss {', '.join(e.get('one_fewer_missed') or [])}" if need > 1 else "")
            bullets.append(f"Capacity: {_title(design, nid)} needs {need} replicas at the peak "
                           f"({fmt(e['peak_rate_per_s'])} req/s, simulated{fewer}); {now} are provisioned.")
    good = [r for r in lever_rows if r["slo_met_after"] and r["saving_usd_per_day"] > 0]
    if good:
        top = good[0]
        data["top_lever"] = top
        base = baseline or {}
        base_day = base.get("usd_per_day") or total_day
        if base.get("is_report_run", True):
            of = f"of today's {usd(base_day)}/day"
        else:
            counts = ", ".join(f"{_title(design, n)} × {c}" for n, c in (base.get("replicas") or {}).items())
            of = (f"of {usd(base_day)}/day, the simulated cost at the mean rate with {counts or 'the design'}, the "
                  f"count the peak needs; the run above, as drawn, costs {usd(total_day)}/day")
        bullets.append(f"Top cost lever: {top['title'][0].lower() + top['title'][1:]} ({top['change']}), saving "
                       f"{usd(top['saving_usd_per_day'])}/day ({pct(top['saving_usd_per_day'], base_day)} {of}) "
                       "with every SLO still met at the peak (re-simulated).")
    else:
        data["top_lever"] = None
        bullets.append("Top cost lever: none of the re-simulated changes saves money while meeting every SLO at the "
                       f"peak; the largest cost is {name}.")
    counts = Counter(i["severity"] for i in issues)
    uncovered = [t["label"] for t in threat_coverage(design) if t["relevant"] and not t["covered_by"]]
    bullets.append(f"Design review: {plural(counts.get('error', 0), 'error')}, "
                   f"{plural(counts.get('warning', 0), 'warning')}"
                   + (f"; threats not covered: {', '.join(u[0].lower() + u[1:] for u in uncovered)}." if uncovered
                      else "; every relevant threat has a defence."))
    s.add(Bullets(bullets))
    data["text"] = [b.text for b in s.blocks if isinstance(b, Para)] + bullets
    return s, data


def requirements(design: Design, env: Envelope, run_json: dict[str, Any]) -> Section:
    s = Section("requirements", "1. Problem and requirements")
    if design.description:
        s.add(Para(design.description, "lead"))
    rows = []
    for key in ("workload.requests_per_day", "workload.mean_qps", "workload.peak_qps", "workload.requests_per_month",
                "workload.input_tokens", "workload.output_tokens", "workload.output_tokens_per_day"):
        f = env.get(key)
        if f:
            rows.append([f.label, value_text(f.value, f.unit), f.inputs])
    a = design.workload.get("arrival", {})
    rows.append(["Arrival process", str(a.get("process", "poisson")),
                 ", ".join(f"{k} {v}" for k, v in a.items() if k != "process")])
    rows.append(["Simulated window", f"{fmt(run_json['simulated_s'])} s", f"seed {run_json['seed']}, warm-up "
                 f"{fmt(float(design.workload.get('warmup_s', 0)))} s excluded"])
    s.add(Table(["Requirement", "Value", "Derivation"], rows, "Scale", widths=(24, 24, 52)))
    slo_rows = [[k, _slo_target_text(k, v)] for k, v in design.slo.items()]
    for k, v in design.budget.items():
        slo_rows.append([f"budget {budget_label(k)}", usd(v)])
    if slo_rows:
        s.add(Table(["Objective", "Target"], slo_rows, "Service-level objectives and budget", numeric=(1,),
                    widths=(50, 50)))
    else:
        s.add(Para("No SLOs or budget are set: the report can describe the design but not judge it.", "note"))
    return s


def _slo_quantile(key: str) -> float | None:
    """0.95 for ``e2e_p95_ms``: the share of requests an SLO on that percentile requires below its target."""
    for part in key.split("_"):
        if part.startswith("p") and part[1:].replace(".", "", 1).isdigit():
            return float(part[1:]) / 100
    return None


def _slo_target_text(key: str, v: float) -> str:
    return f"≤ {v:.2%}" if key == "error_rate_max" else f"≤ {fmt(v)} ms"


def architecture(design: Design, params: dict[str, dict[str, Any]], run_json: dict[str, Any],
                 diagram_png: bytes | None) -> Section:
    s = Section("architecture", "2. Architecture")
    if diagram_png:
        s.add(Image("diagram", "The design as drawn on the canvas.", png=diagram_png))
    else:
        nodes = [(n.id, n.title, float(n.pos[0]), float(n.pos[1])) for n in design.nodes]
        edges = [(e.source, e.target, e.label or (e.when or "") or (f"{e.weight:g}" if e.weight != 1 else ""))
                 for e in design.edges]
        s.add(Image("diagram", "The design (boxes at their canvas positions).", svg=charts.diagram_svg(nodes, edges)))
    rows = []
    by_node = run_json["cost"]["by_node"]
    for n in design.nodes:
        kind = get_kind(n.kind)
        given = {k: v for k, v in n.params.items() if k not in ("replicas",) and not k.startswith("usd_per")
                 and not (k == "use_catalog_prices" and v is False)}
        key = ", ".join(f"{k}: {_short(v)}" for k, v in list(given.items())[:4]) + (" …" if len(given) > 4 else "")
        rows.append([n.title, kind.label, str(params[n.id].get("replicas", 1)), key or "defaults",
                     usd(by_node.get(n.id, {}).get("usd_per_hour", 0.0) * 24)])
    s.add(Table(["Component", "Kind", "Replicas", "Key parameters (as set in the design)", "Cost (USD/day)"], rows,
                "Components", numeric=(2, 4), widths=(20, 14, 9, 43, 14)))
    paths = []
    for e in design.edges:
        cond = f" [{e.when}]" if e.when else (f" ({e.weight:g})" if e.weight != 1 else "")
        paths.append(f"{_title(design, e.source)} → {_title(design, e.target)}{cond}"
                     + (f" — {e.label}" if e.label else ""))
    if paths:
        s.add(Para("Flow (edge conditions in brackets, weights in parentheses):", "note"), Bullets(paths))
    return s


def _title(design: Design, nid: str) -> str:
    return design.node(nid).title if design.has_node(nid) else nid


def _short(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, dict):
        if "dist" in v:
            return v["dist"] + "(" + ", ".join(f"{k} {x:g}" if isinstance(x, (int, float)) and not isinstance(x, bool)
                                               else f"{k} {_short(x)}"
                                               for k, x in v.items() if k != "dist") + ")"
        return "{…}"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    text = str(v)
    return text if len(text) <= 40 else text[:39] + "…"


def request_path(design: Design, result: Any) -> tuple[Section, dict[str, Any]]:
    s = Section("request-path", "3. Request path (latency waterfall)")
    hops = result.hops or []
    data: dict[str, Any] = {}
    if not hops:
        s.add(Para("The run recorded no per-node hops.", "note"))
        return s, data
    llm_ids = {n.id for n in design.nodes if n.kind in LLM_KINDS}
    sigs = Counter(tuple(h[0] for h in path) for path in hops)
    with_llm = [(sig, c) for sig, c in sigs.most_common() if llm_ids & set(sig)]
    chosen = (with_llm or sigs.most_common())[0][0]
    share = sigs[chosen] / len(hops)
    idx = [i for i, path in enumerate(hops) if tuple(h[0] for h in path) == chosen]
    starts = np.zeros(len(chosen))
    ends = np.zeros(len(chosen))
    for i in idx:
        t0 = result.arrival[i]
        for j, (_, enter, leave) in enumerate(hops[i]):
            starts[j] += (enter - t0) * 1000
            ends[j] += (leave - t0) * 1000
    starts /= len(idx)
    ends /= len(idx)
    e2e = float(np.mean(result.e2e_ms[idx]))
    stages = [(_title(design, n), float(a), float(b)) for n, a, b in zip(chosen, starts, ends)]
    data["waterfall"] = {"path": list(chosen), "share": share, "e2e_mean_ms": e2e, "stages": stages}
    s.add(Para(f"The most common path through the model(s), taken by {share:.0%} of the recorded requests "
               f"({len(idx):,} of {len(hops):,}); bars show the mean time each stage starts and ends after "
               f"arrival (queueing included). Mean end-to-end on this path: {ms(e2e)} ms."))
    s.add(Image("waterfall", "Latency waterfall of the most common request path (mean over its requests; "
                "the dashed line is the mean end-to-end latency).",
                svg=charts.waterfall_chart(stages, "Request path: when each stage starts and ends", e2e)))
    breakdown = stage_breakdown(result, "e2e")
    transit = _transit_ms(hops, getattr(result, "arrival", None))
    total = (sum(v for _, v in breakdown) + transit) or 1.0
    rows = [[_title(design, n), ms_text(v), share_text(v / total)] for n, v in breakdown[:12]]
    if transit > 0.001 * total:
        rows.append(["in transit between components (edge network latency)", ms_text(transit),
                     share_text(transit / total)])
    s.add(Table(["Stage", "Mean time per request", "Share of time"], rows,
                "Where the time goes (all recorded requests)", numeric=(1, 2), widths=(50, 25, 25)))
    data["stages"] = breakdown
    data["transit_ms"] = transit
    return s, data


def _transit_ms(hops: list[Any], arrival: Any = None) -> float:
    """Mean ms per request spent outside every node (network on edges): gaps between one stage's end and the
    next stage's start, overlapping parallel branches counted once."""
    if not hops:
        return 0.0
    total = 0.0
    for i, path in enumerate(hops):
        reach = float(arrival[i]) if arrival is not None and i < len(arrival) else None
        for _, enter, leave in sorted(path, key=lambda h: h[1]):
            if reach is not None and enter > reach:
                total += enter - reach
            reach = leave if reach is None else max(reach, leave)
    return total / len(hops) * 1000.0


def envelope_section(design: Design, env: Envelope, facts: dict[str, float], sizing: dict[str, Any],
                     run_json: dict[str, Any]) -> Section:
    s = Section("envelope", "4. Back-of-envelope calculations")
    s.add(Para("Closed-form figures an interviewer expects, each with its formula and inputs. They use the same "
               "catalogs as the simulator (architectures from config.json, GPU datasheets, list prices); bounds are "
               "marked as such."))
    for group in env.groups():
        rows = [[f.label, f.formula, f.inputs, value_text(f.value, f.unit)] for f in env.figures if f.group == group]
        s.add(Table(["Figure", "Formula", "Inputs", "Result"], rows, group, numeric=(3,), widths=(22, 26, 34, 18)))
    rows = []
    for r in compare(env, facts):
        ratio = "–" if not math.isfinite(r["ratio"]) else f"{r['ratio']:.2f}"
        why = explain_gap(r, design, env, run_json, facts) if math.isfinite(r["ratio"]) and abs(r["ratio"] - 1) > \
            GAP_EXPLAINED else ""
        rows.append([r["label"] + (f" ({_title(design, r['node'])})" if r["node"] else ""),
                     value_text(r["envelope"], r["unit"]), value_text(r["simulated"], r["unit"]), ratio, why])
    for nid, e in (sizing.get("nodes") or {}).items():
        if e.get("analytic_bound") is not None:
            need = e.get("replicas_at_peak")
            ratio = need / e["analytic_bound"] if need else math.nan
            rows.append([f"Replicas needed at peak ({_title(design, nid)})", value_text(e["analytic_bound"], "replicas"),
                         value_text(float(need), "replicas") if need else "none meets the SLOs",
                         f"{ratio:.2f}" if math.isfinite(ratio) else "–",
                         "" if math.isfinite(ratio) and abs(ratio - 1) <= GAP_EXPLAINED else
                         "the bound assumes every decode step reads the weights once at full bandwidth; the simulated "
                         "engine also runs prefill chunks in those steps, grows the KV reads and queues at the peak"
                         " — the report uses the simulated count"])
    if rows:
        s.add(Table(["Figure", "Envelope", "Simulated", "Sim ÷ env", f"Why they differ (over {GAP_EXPLAINED:.0%})"],
                    rows, "Envelope beside the simulation (same quantity, two methods)", numeric=(1, 2, 3),
                    widths=(24, 14, 14, 9, 39)))
    seeds = seed_figures(design, env, facts)
    if seeds:
        s.add(Para("The worked answer's own figures, checked: 'correct' and 'inconsistent' judge that answer's "
                   "arithmetic; the last two columns are this design's numbers.", "note"))
        s.add(Table(["Figure", "Worked answer says", "Simulated", "Envelope", "Verdict", "Why"],
                    [[r["label"], r["seed"], r["simulated_text"], r["envelope_text"], r["verdict_text"],
                      r["explanation"]] for r in seeds], "Worked answer vs simulated vs envelope", numeric=(2, 3),
                    widths=(16, 9, 13, 13, 16, 33)))
    return s


def seed_figures(design: Design, env: Envelope, facts: dict[str, float]) -> list[dict[str, Any]]:
    rows = []
    for item in design.extra.get("seed_figures") or []:
        if not isinstance(item, dict):
            continue
        unit = str(item.get("unit", ""))
        scale = float(item.get("scale", 1.0))
        sim = resolve(facts, item.get("metric"))
        sim = None if sim is None else sim * scale
        env_v = _env_value(env, item.get("envelope") or item.get("metric"))
        env_v = None if env_v is None else env_v * scale
        seed_v = item.get("seed_value")
        verdict = str(item.get("verdict", ""))
        check = ""
        if isinstance(seed_v, (int, float)) and sim is not None and seed_v:
            diff = sim / float(seed_v) - 1
            if verdict == "target":
                check = "✔ met" if sim <= float(seed_v) else "✘ missed"
            else:
                check = "✔ reproduced" if abs(diff) <= AGREE else f"✘ differs {diff:+.0%}"
        elif isinstance(seed_v, (int, float)) and env_v is not None and seed_v:
            diff = env_v / float(seed_v) - 1
            check = "✔ reproduced" if abs(diff) <= AGREE else f"✘ differs {diff:+.0%}"
        label = {"correct": "answer correct", "inconsistent": "⚠ answer inconsistent", "target": "target"}.get(
            verdict, verdict)
        rows.append({"label": str(item.get("label", "")), "seed": str(item.get("seed", "")), "seed_value": seed_v,
                     "simulated": sim, "envelope": env_v, "verdict": verdict, "check": check,
                     "simulated_text": "–" if sim is None else value_text(sim, unit),
                     "envelope_text": "–" if env_v is None else value_text(env_v, unit),
                     "verdict_text": "; ".join(x for x in (label, check) if x),
                     "explanation": str(item.get("explanation", "")) + (f" ({item['source']})" if item.get("source")
                                                                        else "")})
    return rows


def results(design: Design, result: Any, run_json: dict[str, Any]) -> Section:
    s = Section("results", "5. Simulated results against the SLOs")
    slo = run_json["slo"]
    met = all(v["met"] for v in slo.values()) if slo else None
    cost = run_json["cost"]
    budget_rows = []
    for k, limit in design.budget.items():
        actual = cost.get(k)
        if actual is not None:
            budget_rows.append([f"budget {budget_label(k)}", usd(limit), usd(actual),
                                "✔ within" if actual <= limit else "✘ over"])
    ok_budget = all(r[3].startswith("✔") for r in budget_rows)
    if met is None and not budget_rows:
        s.add(Para("No SLOs or budget to judge against.", "note"))
    else:
        verdict = "meets every SLO" if met in (None, True) else "misses at least one SLO"
        verdict += " and stays within budget" if ok_budget else " and is over budget"
        s.add(Para(f"The design {verdict}.", "ok" if (met in (None, True) and ok_budget) else "bad"))
    rows = []
    for k, v in slo.items():
        actual = _slo_actual_text(k, v["actual"])
        rows.append([k, _slo_target_text(k, v["target"]), actual, "✔ met" if v["met"] else "✘ missed"])
    rows += budget_rows
    if rows:
        s.add(Table(["Objective", "Target", "Simulated", "Verdict"], rows, "Pass/fail", numeric=(1, 2)))
    m = run_json["metrics"]
    streams = any(n.kind in LLM_KINDS for n in design.nodes)
    names = [name for name in ("ttft_ms", "tpot_ms", "itl_ms", "e2e_ms")
             if streams or name in ("ttft_ms", "e2e_ms") or any(m[name][st] for st in STATS)]
    mrows = [[LATENCY_NAMES[name]] + [ms(m[name][st]) for st in STATS] for name in names]
    s.add(Table(["Latency (ms)", *STATS], mrows, "Latency over completed requests after warm-up",
                numeric=(1, 2, 3, 4, 5), widths=(30, 14, 14, 14, 14, 14)))
    if not streams:
        s.add(Para("No LLM node streams tokens in this design, so TTFT equals end-to-end latency and TPOT/ITL do "
                   "not apply.", "note"))
    req = run_json["requests"]
    thr = run_json["throughput"]
    s.add(Table(["Requests", "Count / rate"], [
        ["arrived", f"{req['arrived']:,}"], ["completed", f"{req['completed']:,}"],
        ["failed / timeout / dropped", f"{req['failed']:,} / {req['timeout']:,} / {req['dropped']:,}"],
        ["blocked by guardrails", f"{req['blocked']:,}"],
        ["throughput", f"{fmt(thr['request_per_s'])} req/s, {fmt(thr['output_tokens_per_s'])} output tok/s"],
        ["goodput (met every SLO)", f"{fmt(run_json['goodput_per_s'])} req/s"]], "Volume", numeric=(1,)))
    s.add(Table(["Cost", "Value"], [
        ["per hour", usd(cost["usd_per_hour"])], ["per request", usd(cost["usd_per_request"])],
        ["per 1M output tokens", usd(cost["usd_per_1m_output_tokens"])],
        ["per day", usd(cost["usd_per_hour"] * 24)], ["per month (730 h)", usd(cost["usd_per_month"])]],
        "Cost at the simulated volume", numeric=(1,)))
    ok = result.ok
    markers = {f"SLO {k.replace('_ms', '').replace('_', ' ')} ≤ {fmt(v)} ms": (float(v), _slo_quantile(k))
               for k, v in design.slo.items() if k.startswith(("e2e", "ttft"))}
    series = {"E2E": result.e2e_ms[ok]}
    if np.any(np.abs(result.ttft_ms[ok] - result.e2e_ms[ok]) > 1e-6):
        series["TTFT"] = result.ttft_ms[ok]
    s.add(Image("latency_cdf", "Latency CDF of completed requests. Dashed lines are the SLO targets; a ringed point "
                "is where the curve must pass above (e.g. 95 % of requests by the p95 target).",
                svg=charts.cdf_chart(series, "Latency CDF", markers=markers)))
    items = sorted(((_title(design, n), c["usd_per_hour"] * 24) for n, c in cost["by_node"].items()),
                   key=lambda x: -x[1])
    s.add(Image("cost_breakdown", "Cost per day by component (provisioned + pay-per-use).",
                svg=charts.bar_chart(items, "Cost per day by component (USD/day)", "/day", usd)))
    return s


def bottlenecks(design: Design, run_json: dict[str, Any], path_data: dict[str, Any]) -> Section:
    s = Section("bottlenecks", "Bottlenecks")
    nodes = run_json["nodes"]
    ranked = sorted(((n, st, b) for n, st in nodes.items() if (b := node_busy(st)) is not None),
                    key=lambda x: -x[2])
    rows = []
    for n, st, busy in ranked[:12]:
        extra = ""
        if "batch_size" in st:
            extra = (f"batch {fmt(st['batch_size'])} (batch occupancy {st.get('utilization', 0):.0%} of its binding "
                     "limit), "
                     f"KV {st.get('kv_usage', 0):.0%}, preemptions {int(st.get('preemptions', 0))}")
        elif "hit_rate" in st:
            extra = f"hit rate {st['hit_rate']:.0%}"
        elif st.get("throttled"):
            extra = f"throttled {int(st['throttled']):,}"
        rows.append([_title(design, n), f"{busy:.0%}", fmt(st.get("mean_queue", 0.0)),
                     ms(st.get("p99_wait_ms", 0.0)), f"{int(st.get('served', 0)):,}", extra])
    if ranked:
        top, st, busy = ranked[0]
        stages = path_data.get("stages") or []
        slowest = f" The largest share of latency is spent in {_title(design, stages[0][0])} ({ms(stages[0][1])} ms " \
                  "per request)." if stages else ""
        waits = [(n, float(v.get("mean_wait_ms", 0.0))) for n, v in nodes.items() if v.get("mean_wait_ms")]
        wait = max(waits, key=lambda x: x[1], default=None)
        queue = (f" The longest queue wait is at {_title(design, wait[0])} ({ms(wait[1])} ms mean)." if wait and
                 wait[1] >= 1.0 else " No queue wait above 1 ms: latency is service time.")
        s.add(Para(f"Busiest component: {_title(design, top)}, busy {busy:.0%} of the time.{slowest}{queue} "
                   "'Busy' is the share of time a component is working (the run's busy). For a queueing station, "
                   "waiting grows steeply above about 85 % busy (M/M/c); a continuous-batching LLM engine is busy "
                   "almost all the time under any steady load, so for it the batch, KV use and preemptions are the "
                   "signals."))
    s.add(Table(["Component", "Busy", "Mean queue (requests)", "p99 wait (ms)", "Served (requests)",
                 "Detail"], rows, "Load per component", numeric=(1, 2, 3, 4), widths=(24, 9, 13, 12, 12, 30)))
    return s


def review_section(design: Design, issues: list[dict[str, Any]]) -> Section:
    s = Section("review", "Design review")
    counts = Counter(i["severity"] for i in issues)
    s.add(Para(f"{plural(counts.get('error', 0), 'error')}, {plural(counts.get('warning', 0), 'warning')}, "
               f"{plural(counts.get('info', 0), 'note')}. Errors are designs that cannot work as drawn; warnings are "
               "what an interviewer would challenge.", "bad" if counts.get("error") else "p"))
    mark = {"error": "✘ error", "warning": "⚠ warning", "info": "note"}
    rows = [[mark.get(i["severity"], i["severity"]), _title(design, i["node"]) if i.get("node") else "–",
             f"{i['message']} (rule {i['rule']})", i.get("why", ""), i.get("fix", "")] for i in issues]
    if rows:
        s.add(Table(["Severity", "Component", "Finding", "Why it matters", "Fix"], rows, "Findings",
                    widths=(11, 14, 30, 23, 22)))
    trows = []
    for t in threat_coverage(design):
        status = ("✔ " + ", ".join(t["covered_by"])) if t["covered_by"] else ("✘ not covered" if t["relevant"]
                                                                              else "n/a (no such path)")
        trows.append([t["label"], status, t["why"]])
    s.add(Table(["Threat", "Defended by", "Risk"], trows, "Threat-model coverage (OWASP Top 10 for LLM "
                "Applications: prompt injection, sensitive information disclosure, excessive agency)",
                widths=(28, 30, 42)))
    return s


def tradeoffs(design: Design, auto_rows: list[dict[str, Any]] | None = None) -> Section:
    s = Section("tradeoffs", "Trade-offs from sweeps")
    sweeps = design.extra.get("sweeps")
    entries = sweeps if isinstance(sweeps, list) else ([sweeps] if isinstance(sweeps, dict) else [])
    shown = 0
    for k, entry in enumerate(entries):
        rows = entry.get("rows") if isinstance(entry, dict) else None
        if rows is None and isinstance(entry, dict) and isinstance(entry.get("points"), list):
            # simulation.analysis.sweep's stored shape: {"axes": [{"path"}], "points": [{"set", "mean"}]}
            rows = [{**(p.get("set") or {}), **{k: v for k, v in (p.get("mean") or {}).items() if v is not None}}
                    for p in entry["points"] if isinstance(p, dict)]
            axes = entry.get("axes") or []
            if axes and isinstance(axes[0], dict) and not entry.get("x"):
                entry = {**entry, "x": axes[0].get("path")}
            rows = [r for r in rows if r]
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            continue
        cols = list(rows[0])
        numeric = [c for c in cols if all(isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool)
                                          for r in rows)]
        varying = [c for c in numeric if len({r[c] for r in rows}) > 1]
        if not varying:
            continue
        x = str(entry.get("x") or varying[0])
        x = x if x in varying else varying[0]
        rows = sorted(rows, key=lambda r: r[x])
        lat = [c for c in varying if c != x and c.endswith("_ms")][:4]
        thr = [c for c in varying if c != x and ("per_s" in c or "throughput" in c)][:3]
        title = str(entry.get("title") or entry.get("name") or f"Sweep {k + 1}")
        s.add(Para(title, "lead"))
        if lat:
            s.add(Image(f"sweep{k}_latency", f"{title}: latency vs {x}.",
                        svg=charts.line_chart([r[x] for r in rows], {c: [r[c] for r in rows] for c in lat},
                                              f"Latency vs {x}", x, "ms")))
        if thr:
            s.add(Image(f"sweep{k}_throughput", f"{title}: throughput vs {x}.",
                        svg=charts.line_chart([r[x] for r in rows], {c: [r[c] for r in rows] for c in thr},
                                              f"Throughput vs {x}", x, "per second")))
        keep = [x] + [c for c in cols if c != x][:7]
        s.add(Table(keep, [[_short(r.get(c, "")) if not isinstance(r.get(c), float) else fmt(r[c]) for c in keep]
                           for r in rows[:25]], f"{title} (first {min(len(rows), 25)} rows)"))
        shown += 1
    if not shown and auto_rows:
        s.add(*sweep_blocks(design, auto_rows))
    elif not shown:
        s.add(Para("No sweep is stored with this design and its workload has no declared rate to sweep; run "
                   "`genai-sim sweep FILE --set PATH=V1,V2 -o sweep.csv` and store it with the design.", "note"))
    return s


def model_spend(design: Design, run_json: dict[str, Any]) -> tuple[float, float]:
    """(USD/day on LLM API calls, USD/day on self-hosted model GPUs) at the simulated volume."""
    by_node = run_json["cost"]["by_node"]

    def day(kind: str) -> float:
        return sum(by_node.get(n.id, {}).get("usd_per_hour", 0.0) * 24 for n in design.nodes if n.kind == kind)

    return day("llm_api"), day("llm_server")


def largest_cost(design: Design, run_json: dict[str, Any]) -> tuple[str, float, float]:
    """(component title, USD/day, USD/day in total)."""
    by_node = run_json["cost"]["by_node"]
    total = run_json["cost"]["usd_per_hour"] * 24
    if not by_node:
        return "–", 0.0, total
    nid, c = max(by_node.items(), key=lambda x: x[1].get("usd_per_hour", 0.0))
    return _title(design, nid), c.get("usd_per_hour", 0.0) * 24, total


def cost_levers(design: Design, run_json: dict[str, Any], priced: dict[str, Any]) -> Section:
    s = Section("cost-levers", "Cost levers (re-simulated)")
    per_day = run_json["cost"]["usd_per_hour"] * 24
    llm_day, gpu_day = model_spend(design, run_json)
    name, top_day, total = largest_cost(design, run_json)
    s.add(Para(f"Today: {usd(per_day)}/day ({usd(run_json['cost']['usd_per_month'])}/month), of which LLM API tokens "
               f"{usd(llm_day)}/day and self-hosted model GPUs {usd(gpu_day)}/day; the largest single cost is {name} "
               f"at {usd(top_day)}/day ({pct(top_day, total)})."))
    base = priced.get("baseline")
    rows = priced.get("levers") or []
    if base is None:
        s.add(Para("The workload has no declared rate (closed loop or trace), so levers cannot be re-simulated at a "
                   "fixed volume.", "note"))
        return s
    replicas = ", ".join(f"{_title(design, n)} × {c}" for n, c in base["replicas"].items())
    if base.get("is_report_run"):
        against = (f"today's cost above ({usd(base['usd_per_day'])}/day: the report's own run"
                   + (f", with {replicas}, the count the peak needs" if replicas else "") + ")")
    else:
        against = (f"a baseline of {usd(base['usd_per_day'])}/day, the design "
                   + (f"with {replicas}, the count the peak needs, " if replicas else "")
                   + f"simulated at a constant mean rate (the run above, as drawn, costs {usd(per_day)}/day)")
    s.add(Para(f"Each lever below is an edit of the design that was re-sized at the peak (whole replicas, real GPU "
               f"counts) and re-simulated: the saving is the simulated cost per day at the mean rate against {against}"
               f"; every variant runs over the same {fmt(base.get('window_s', 0))} s window and seed, so random "
               "differences cancel between lever and baseline. The verdict is the simulated one at the peak after "
               "the change.", "note"))
    if rows:
        table = []
        for r in rows:
            verdict = "✔ meets every SLO" if r["slo_met_after"] else "✘ misses " + ", ".join(r["missed_after"])
            after = ", ".join(f"{_title(design, n)} × {c}" for n, c in (r.get("replicas_after") or {}).items()
                              if c) or "–"
            saving = usd(r["saving_usd_per_day"]) if r["saving_usd_per_day"] >= 0 else \
                f"costs {usd(-r['saving_usd_per_day'])} more"
            table.append([r["title"], r["change"], saving, after, verdict, r.get("assumption", "")])
        s.add(Table(["Lever", "Change", "Saving (USD/day)", "Replicas after", "SLOs at peak after", "Assumption"],
                    table, "Levers: meeting the SLOs first, then largest saving", numeric=(2,),
                    widths=(19, 20, 11, 16, 16, 18)))
    else:
        s.add(Para("No lever applies to this design (nothing billed per token or per GPU).", "note"))
    return s


def assumptions(design: Design, env: Envelope, params: dict[str, dict[str, Any]]) -> Section:
    s = Section("assumptions", "10. Assumptions and provenance of every timing")
    items = []
    if env.facts.get("peak_to_mean"):
        declared = "peak_to_mean" in design.workload or design.workload.get("arrival", {}).get("process") == "diurnal"
        items.append(f"Peak rate = {fmt(env.facts['peak_to_mean'])} × mean "
                     + ("(declared by the workload)." if declared else "(the default; declare workload.peak_to_mean "
                                                                      "for your traffic)."))
    items += ["A month is 730 hours (30.4 days), the usual cloud-billing month.",
              "Percentiles are over completed requests after warm-up; TTFT/TPOT/ITL follow `vllm bench serve`.",
              "Prices are the built-in catalogs' list prices (each dated at its source); the design may override them."]
    s.add(Bullets(items))
    rows = []
    for n in design.nodes:
        kind = get_kind(n.kind)
        p = params[n.id]
        if n.kind == "llm_server":
            rows.append([n.title, "step times (GEMM, attention, all-reduce)", _profile_source(p)])
        elif n.kind == "llm_api":
            from simulation.llm.catalog import api_model

            try:
                spec = api_model(p["provider_model"])
            except DesignError:
                continue
            if p.get("use_catalog_latency", True):
                src = "; ".join(f"{k}: {v}" for k, v in spec.sources.items()) or "api_models.json"
                rows.append([n.title, f"TTFT {spec.ttft_s:g} s, {spec.output_tokens_per_s:g} tok/s", src])
            else:
                rows.append([n.title, f"TTFT {_short(p['ttft'])}, speed {_short(p['output_speed'])}",
                             "set in the design file"])
        else:
            for prm in kind.params:
                if prm.type == "dist" and prm.unit in ("ms", "min"):
                    src = "set in the design file" if prm.name in n.params else (prm.source or "kind default")
                    rows.append([n.title, f"{prm.name} {_short(p[prm.name])} {prm.unit}", src])
    s.add(Table(["Component", "Timing", "Source"], rows, "Where each timing comes from"))
    return s


def _profile_source(p: dict[str, Any]) -> str:
    from kernels.errors import InputError
    from kernels.perf import load_profile

    spec = p.get("profile") or p.get("gpu")
    try:
        prof = load_profile(spec)
    except (InputError, OSError, ValueError) as exc:
        return f"profile {spec!s}: unavailable ({exc})"
    return f"profile {prof.id} ({prof.device}): {prof.source}"


def interview(design: Design, env: Envelope, run_json: dict[str, Any], issues: list[dict[str, Any]],
              sizing: dict[str, Any] | None = None) -> Section:
    s = Section("interview", "11. 45-minute interview outline")
    rate = env.facts.get("rate")
    scale = (f"{fmt(env.value('workload.requests_per_day'))} requests/day = {fmt(rate)} req/s mean, "
             f"{fmt(env.value('workload.peak_qps'))} at peak" if rate else "a closed loop of users")
    slos = ", ".join(f"{k} {_slo_target_text(k, v)}" for k, v in design.slo.items()) or "none set"
    llms = [n for n in design.nodes if n.kind in LLM_KINDS]
    deep = []
    sized = (sizing or {}).get("nodes") or {}
    for n in llms:
        parts: list[str] = []
        if n.kind == "llm_server":
            dtype = str(get_kind(n.kind).resolved_params(n.params)["dtype"])
            for key, text in ((f"weights_gb.{dtype}", "weights {} GB"), ("kv_kib_per_token", "KV {} KiB/token"),
                              ("max_seqs", "{} sequences per replica")):
                v = env.value(f"{n.id}.{key}")
                if v is not None and math.isfinite(v):
                    parts.append(text.format(fmt(v)))
            need, bound = (sized.get(n.id) or {}).get("replicas_at_peak"), env.value(f"{n.id}.replicas_needed")
            if need:
                parts.append(plural(int(need), "replica") + " at the peak (simulated)"
                             + (f"; the analytic bound gives {math.ceil(bound):,}" if bound and math.isfinite(bound)
                                else ""))
            elif bound is not None and math.isfinite(bound):
                parts.append(plural(math.ceil(bound), "replica") + " at the peak (analytic bound, not simulated)")
        else:
            per_call, calls = env.value(f"{n.id}.usd_per_call"), env.value(f"{n.id}.calls_per_day")
            if per_call is not None and math.isfinite(per_call) and per_call > 0:
                parts.append(f"{usd(per_call)} per call")
            if calls is not None and math.isfinite(calls) and calls > 0:
                parts.append(f"{fmt(calls)} calls/day")
        if parts:  # a fallback that takes no traffic has nothing to say here
            deep.append(f"{n.title}: " + ", ".join(parts))
    flags = [i for i in issues if i["severity"] in ("error", "warning")][:5]
    table = [
        ["0–8 min", "Requirements", f"Scale: {scale}. Tokens: {tokens_text(env.value('workload.input_tokens'))} in / "
         f"{tokens_text(env.value('workload.output_tokens'))} out per request. SLOs: {slos}. Budget: "
         + (", ".join(f"{usd(v)} {budget_label(k)}" for k, v in design.budget.items()) or "none") + "."],
        ["8–20 min", "Architecture", "Draw API → orchestration → LLM → response: "
         + " → ".join(_title(design, n) for n in _main_path(design)) + ". Explain each box's purpose and latency."],
        ["20–38 min", "Deep dive", "Model and capacity: " + ("; ".join(deep) or "no LLM") + ". Then retrieval, "
         "evaluation plan and security (threat table)."],
        ["38–45 min", "Trade-offs", f"Cost {usd(run_json['cost']['usd_per_month'])}/month; the re-simulated cost levers; "
         "latency vs throughput from the sweep."],
    ]
    s.add(Table(["Time", "Phase", "What to say (numbers from this report)"], table,
                "A common 45-minute split: requirements, architecture, deep dive, trade-offs"))
    questions = [f"{i['message']} — expect: “{i['fix']}”" for i in flags if i.get("fix")]
    questions += ["How do you know it works? (the evaluation plan: golden set, retrieval recall@k, faithfulness)",
                  "What happens when the model provider is down? (the failure-modes table and its fallbacks)"]
    s.add(Para("Questions the interviewer is likely to ask:", "lead"), Bullets(questions))
    return s


def _main_path(design: Design) -> list[str]:
    clients = [n.id for n in design.nodes if n.kind == "client"]
    if not clients:
        return []
    path, seen = [clients[0]], {clients[0]}
    while True:
        outs = [e for e in design.out_edges(path[-1]) if e.target not in seen and e.when not in ("hit", "blocked",
                                                                                              "error", "timeout")]
        if not outs:
            return path
        nxt = max(outs, key=lambda e: e.weight).target
        path.append(nxt)
        seen.add(nxt)


def build_report(design: Design, result: Any, diagram_png: bytes | None = None, *,
                 resimulate: bool = True) -> Report:
    """Every section for ``design`` and its run ``result``, with the re-simulations that size it at the peak,
    price its cost levers and sweep its rate (``resimulate=False`` skips them: a quick draft)."""
    run_json = result.to_json()
    env = envelope(design)
    facts = run_facts(result, run_json)
    _derived(design, env, facts)
    params = {n.id: get_kind(n.kind).resolved_params(n.params) for n in design.nodes}
    issues = result.review or review_design(design, result)
    seed = int(run_json["seed"])
    bounds = {k: float(v) for k, v in (env.facts.get("replicas_needed") or {}).items()}
    if resimulate:
        sizing = size_at_peak(design, seed=seed, bounds=bounds)
        own_run = (run_json, float(result.window_s), max(float(result.horizon_s) - float(result.window_s), 0.0))
        priced = price_levers(design, sizing, seed, run=own_run)
        priced["levers"] = sorted(_right_size_rows(design, sizing) + priced["levers"],
                                  key=lambda r: (not r["slo_met_after"], -r["saving_usd_per_day"]))
        stored = design.extra.get("sweeps")
        auto_rows = None if stored else auto_sweep(design, seed, run=own_run[:2])
        before = _before_design(design)
    else:
        sizing = {"peak_to_mean": peak_to_mean(design.workload), "peak_rate_per_s": None, "nodes": {}}
        priced, auto_rows, before = {"baseline": None, "levers": []}, None, None
    priced["sizing_nodes"] = sizing.get("nodes") or {}
    path_section, path_data = request_path(design, result)
    summary_section, summary_data = summary(design, env, run_json, path_data, issues, priced["levers"], sizing,
                                            priced.get("baseline"))
    sections = [
        summary_section,
        requirements(design, env, run_json),
        architecture(design, params, run_json, diagram_png),
        path_section,
        envelope_section(design, env, facts, sizing, run_json),
        results(design, result, run_json),
        sizing_section(design, env, sizing, run_json),
        bottlenecks(design, run_json, path_data),
        review_section(design, issues),
        failure_section(design, env, sizing, run_json),
        monitoring_section(design, sizing, run_json),
        evaluation_section(design, env, run_json),
        rag_section(design, env, run_json),
        before_after_section(design, before, run_json, seed),
        tradeoffs(design, auto_rows),
        cost_levers(design, run_json, priced),
        roi_section(design, env, run_json),
        assumptions(design, env, params),
        interview(design, env, run_json, issues, sizing),
    ]
    sections = [x for x in sections if x is not None]
    for k, sec in enumerate(sections[1:], start=1):
        sec.title = f"{k}. {re.sub(r'^[0-9]+[.] ', '', sec.title)}"
    subtitle = (f"Simulated {fmt(run_json['simulated_s'])} s with seed {run_json['seed']}; "
                f"{run_json['requests']['completed']:,} requests completed.")
    lever_rows = priced["levers"]
    data = {"run": run_json, "facts": facts, "envelope": [f.to_dict() for f in env.figures],
            "seed_figures": seed_figures(design, env, facts), "review": issues, "waterfall": path_data.get("waterfall"),
            "summary": summary_data, "levers": lever_rows, "sizing": sizing, "sweep": auto_rows,
            "lever_baseline": priced.get("baseline")}
    return Report(design.name, subtitle, sections, data)


def _right_size_rows(design: Design, sizing: dict[str, Any]) -> list[dict[str, Any]]:
    """Right-sizing from the simulated peak count: fewer replicas that still meet every SLO at the peak."""
    rows = []
    for nid, e in (sizing.get("nodes") or {}).items():
        need, now = e.get("replicas_at_peak"), e["replicas_now"]
        if need and need < now:
            kind = get_kind(design.node(nid).kind)
            hourly = kind.hourly_cost({**kind.resolved_params(design.node(nid).params), "replicas": 1})
            rows.append({"title": f"Right-size {_title(design, nid)}", "change": f"{now} → {need} replicas",
                         "saving_usd_per_day": (now - need) * hourly * 24, "method": "simulated",
                         "slo_met_after": True, "slo_met_at_peak_after": True, "missed_after": [],
                         "replicas_after": {nid: need}, "slo_after": e["at_peak"]["slo"],
                         "assumption": f"{need} met every SLO at the peak; {need - 1} missed "
                                       + ", ".join(e.get("one_fewer_missed") or []) if need > 1 else
                                       "one replica met every SLO at the peak"})
    return rows


def _before_design(design: Design) -> Design | None:
    """The design a latency case improves on: ``notes.before`` names its file (relative to this design)."""
    notes = design.extra.get("notes")
    name = notes.get("before") if isinstance(notes, dict) else None
    if not isinstance(name, str) or not name:
        return None
    from pathlib import Path

    from simulation.loader import load_design
    from simulation.safe_paths import resolve_user_file

    base = design.extra.get("_base_dir")
    try:
        return load_design(resolve_user_file(name, Path(base) if base else None, "notes.before"))
    except (DesignError, OSError):
        return None


__all__ = ["build_report", "DAYS_PER_MONTH"]

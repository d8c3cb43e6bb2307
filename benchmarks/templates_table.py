"""Seed figures vs simulated results for the built-in templates (assets/templates/*.genai.json).

Each template may list ``seed_figures``: a figure a seed states, the dotted path of the matching simulated
number in the run's SPEC §6 JSON (``metrics.e2e_ms.mean``, ``cost.usd_per_month``, ``nodes.llm.gpus``) or a
``derived.*`` name computed below, and the line it comes from. This script runs every template at its own
duration and seed and prints two Markdown tables: seed vs simulated, and a summary of every template (SLO
pass/fail, cost against budget). Simulated figures resolve through the same flat facts the report uses
(simulation.analysis.envelope.run_facts). Runs are seeded, so reruns print the same numbers.

    .venv/bin/python benchmarks/templates_table.py            # print the tables
    .venv/bin/python benchmarks/templates_table.py --write    # refresh the block in docs/templates.md
    .venv/bin/python benchmarks/templates_table.py --check    # exit 1 if docs/templates.md is out of date
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulation.analysis.envelope import run_facts
from simulation.loader import load_design
from simulation.run import run_design
from simulation.templates import template_paths

DOC = Path(__file__).resolve().parents[1] / "docs" / "templates.md"
START, END = "<!-- templates-table:start -->", "<!-- templates-table:end -->"

Result = dict[str, Any]


def stem(path: Path) -> str:
    return path.name.removesuffix(".genai.json")


def run_facts_of(data: dict[str, Any], base_dir: Path | None = None) -> Result:
    """Run a design dict; return the report's flat facts (simulation.analysis.envelope.run_facts) plus the
    §6 JSON under "json", so seed figures resolve here exactly as they do in the report."""
    design = load_design(copy.deepcopy(data))
    design.base_dir = str(base_dir) if base_dir else None
    t0 = time.perf_counter()
    result = run_design(design)
    wall = time.perf_counter() - t0
    out = result.to_json()
    facts: Result = dict(run_facts(result, out))
    llms = [n["id"] for n in data["nodes"] if n["kind"] in ("llm_api", "llm_server")]
    calls = sum(facts.get(f"nodes.{i}.per_day", 0.0) for i in llms)
    spend = sum(facts.get(f"cost.by_node.{i}.usd_per_day", 0.0) for i in llms)
    facts.update({"derived.llm_calls_per_day": calls, "derived.llm_usd_per_day": spend})
    if calls:
        facts["derived.llm_usd_per_call"] = spend / calls
    facts["json"] = out
    facts["wall_s"] = wall
    return facts


# -- derived figures: numbers that need a second run or two templates ------------------------------------------


def saving_vs_baseline(data: dict[str, Any], result: Result, results: dict[str, Result]) -> float:
    """Cost per request saved against the same traffic with the caches off and every request on the priciest
    hosted model (the 'one model for all, no cache' design the seed's levers start from)."""
    base = copy.deepcopy(data)
    apis = {n["id"]: n for n in base["nodes"] if n["kind"] == "llm_api"}
    priciest = max(apis, key=lambda i: _output_price(apis[i]))
    for node in base["nodes"]:
        if node["kind"] in ("response_cache", "semantic_cache"):
            node.setdefault("params", {})["hit_rate"] = 0.0
    for edge in base["edges"]:
        if edge["target"] in apis:
            edge["weight"] = 1.0 if edge["target"] == priciest else 0.0
    baseline = run_facts_of(base)
    return 1.0 - result["cost.usd_per_request"] / baseline["cost.usd_per_request"]


def _output_price(node: dict[str, Any]) -> float:
    from simulation.llm.catalog import api_model

    return api_model(node.get("params", {}).get("provider_model", "openai/gpt-4o-mini"), "x").output_usd_per_1m


def api_over_selfhosted(data: dict[str, Any], result: Result, results: dict[str, Result]) -> float | None:
    other = results.get("vllm-cluster-70b")
    if other is None:
        return None
    return result["cost.usd_per_month"] / other["cost.usd_per_month"]


DERIVED: dict[str, Callable[[dict[str, Any], Result, dict[str, Result]], float | None]] = {
    "saving_vs_baseline": saving_vs_baseline,
    "api_over_selfhosted": api_over_selfhosted,
}


# -- formatting --------------------------------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "ms":
        return f"{value / 1000:,.2f} s" if value >= 10_000 else f"{value:,.0f} ms" if value >= 100 else \
            f"{value:,.1f} ms"
    if unit == "USD/month":
        return f"${value:,.0f}/month"
    if unit == "fraction":
        return f"{100 * value:.0f} %"
    if unit == "ratio":
        return f"{value:.2f}×"
    if unit == "USD/day":
        return f"${value:,.0f}/day"
    if unit == "USD":
        return f"${value:,.4f}"
    return f"{value:,.0f} {unit}" if abs(value) >= 100 else f"{value:,.3g} {unit}"


def seed_table(templates: list[tuple[Path, dict[str, Any], Result]], results: dict[str, Result]) -> list[str]:
    lines = ["| Template | Figure | Seed says | Simulated | Verdict on the seed | Source |",
             "|---|---|---|---|---|---|"]
    for path, data, result in templates:
        for fig in data.get("seed_figures", []):
            metric = fig.get("metric")
            if not metric:
                value = None
            elif metric.startswith("derived.") and metric.removeprefix("derived.") in DERIVED:
                value = DERIVED[metric.removeprefix("derived.")](data, result, results)
            else:
                value = result.get(metric)
            if value is not None:
                value *= float(fig.get("scale", 1.0))
            sim = fmt(value, fig.get("unit", "")) if metric else "(envelope)" if fig.get("envelope") else "(an input)"
            verdict = fig.get("verdict", "")
            lines.append(f"| {stem(path)} | {fig['label']} | {fig['seed']} | {sim} | {verdict} | {fig['source']} |")
    return lines


def summary_table(templates: list[tuple[Path, dict[str, Any], Result]]) -> list[str]:
    lines = ["| Template | Simulated | TTFT p95 | E2E p95 | Completed | SLOs | $/month (budget) |",
             "|---|---|---|---|---|---|---|"]
    for path, data, facts in templates:
        result = facts["json"]
        slo = result["slo"]
        met = sum(1 for s in slo.values() if s["met"])
        failed = [k for k, s in slo.items() if not s["met"]]
        slo_text = f"{met}/{len(slo)} met" + (f" (missed: {', '.join(failed)})" if failed else "")
        req = result["requests"]
        done = f"{req['completed']:,} of {req['arrived']:,}"
        budget = data.get("budget", {}).get("usd_per_month")
        cost = f"${result['cost']['usd_per_month']:,.0f}" + (f" (${budget:,.0f})" if budget else "")
        m = result["metrics"]
        lines.append(f"| {stem(path)} | {result['simulated_s']:,.0f} s | {fmt(m['ttft_ms']['p95'], 'ms')} | "
                     f"{fmt(m['e2e_ms']['p95'], 'ms')} | {done} | {slo_text} | {cost} |")
    return lines


def build(verbose: bool = True) -> str:
    templates: list[tuple[Path, dict[str, Any], Result]] = []
    results: dict[str, Result] = {}
    # The self-hosted design runs first so the API design can be priced against it.
    paths = sorted(template_paths(), key=lambda p: (stem(p) != "vllm-cluster-70b", p.name))
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        facts = run_facts_of(data, path.parent)
        results[stem(path)] = facts
        templates.append((path, data, facts))
        if verbose:
            print(f"ran {path.name}: {facts['simulated_s']:.0f} s simulated in {facts['wall_s']:.1f} s",
                  file=sys.stderr)
    templates.sort(key=lambda t: t[0].name)
    lines = ["### Seed figures vs simulated", "", *seed_table(templates, results), "",
             "### Every template at its own duration and seed", "", *summary_table(templates)]
    return "\n".join(lines) + "\n"


def replace_block(doc: str, block: str) -> str:
    if START not in doc or END not in doc:
        raise SystemExit(f"{DOC} has no {START} … {END} block")
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}{END}{tail}"


def main(argv: list[str]) -> int:
    block = build()
    if "--write" in argv:
        DOC.write_text(replace_block(DOC.read_text(encoding="utf-8"), block), encoding="utf-8")
        print(f"updated {DOC}")
        return 0
    if "--check" in argv:
        doc = DOC.read_text(encoding="utf-8")
        if replace_block(doc, block) != doc:
            print(f"{DOC} is out of date: run benchmarks/templates_table.py --write", file=sys.stderr)
            return 1
        print("docs/templates.md is up to date")
        return 0
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

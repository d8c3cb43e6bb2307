"""Every built-in template (assets/templates/*.genai.json) loads, passes review, runs and reports.

The fast tests run each template for a short simulated time; the slow ones run every template at its own
duration and seed and check that the designs meant to meet their SLOs and budget do.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from simulation.analysis.review import review_design
from simulation.loader import load_design
from simulation.run import run_design
from simulation.templates import list_templates, template_paths
from simulation.workload import mean_rate

PATHS = template_paths()
IDS = [p.name.removesuffix(".genai.json") for p in PATHS]

# SPEC §11 / issue 9: the seeds' templates that must ship.
REQUIRED = {
    "seed-chatbot-100k", "latency-before", "latency-after", "vllm-cluster-70b", "api-70b-class", "react-agent",
    "multi-agent-supervisor", "guardrails-defence", "cache-routing", "advanced-rag", "smart-compose",
    "chatgpt-assistant", "image-captioning", "text-to-image",
    # the case studies added with issue 14
    "query-rewriting", "self-rag", "parent-document-rag", "translation", "semantic-product-search",
    "fine-tuned-deployment", "agent-tool-safety",
}
# Designs that are meant to miss an SLO, and why.
MEANT_TO_FAIL = {
    "latency-before": "the 3 s baseline of the latency case; 'latency-after' is the fix",
}
SHORT_S = 120.0  # at most this many simulated seconds per template in the fast tests…
SHORT_ARRIVALS = 2000  # …and about this many arrivals, so high-rate templates stay quick
MAX_NAME = 32    # characters; the canvas elides longer titles (designer/canvas/items.py NODE_W)


def raw(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def short_duration(workload: dict[str, Any]) -> float:
    own = float(workload.get("duration_s", SHORT_S))
    rate = mean_rate(workload) or 1.0
    return min(SHORT_S, own, max(20.0, SHORT_ARRIVALS / rate))


INTERNAL_REFERENCE = re.compile(r"shared/|reference/|catalog\.md|SPEC §|seed ?0\d\d|\bL\d{2,5}\b|digest")


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_template_text_is_in_the_products_own_words(path: Path) -> None:
    """Descriptions and figure notes cite public sources, never internal notes, specs or line numbers."""
    data = raw(path)
    texts = [data["description"], data["name"]] + [str(v) for f in data.get("seed_figures", []) for v in f.values()]
    for text in texts:
        assert not INTERNAL_REFERENCE.search(text), (path.name, INTERNAL_REFERENCE.search(text).group(0), text[:120])


def test_required_templates_ship() -> None:
    missing = REQUIRED - set(IDS)
    assert not missing, f"missing templates: {sorted(missing)}"
    listed = {t["file"] for t in list_templates()}
    assert {f"{name}.genai.json" for name in REQUIRED} <= listed


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_template_is_documented(path: Path) -> None:
    data = raw(path)
    assert len(data.get("description", "")) >= 150, "describe the workload and where the parameters come from"
    workload = data["workload"]
    for key in ("arrival", "duration_s", "seed", "input_tokens", "output_tokens"):
        assert key in workload, f"workload.{key} missing"
    assert data.get("slo"), "no SLOs"
    positions = [tuple(n["pos"]) for n in data["nodes"]]
    assert len(set(positions)) == len(positions), "two nodes at the same canvas position"
    for node in data["nodes"]:
        assert node.get("name"), f"node {node['id']} has no display name"
        assert len(node["name"]) <= MAX_NAME, f"node name too long for the canvas: {node['name']!r}"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_seed_figures_are_complete(path: Path) -> None:
    for i, fig in enumerate(raw(path).get("seed_figures", [])):
        for key in ("label", "seed", "explanation"):
            assert fig.get(key), f"seed_figures[{i}].{key} missing"
        assert "metric" in fig or "envelope" in fig, f"seed_figures[{i}] names no simulated counterpart"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_template_loads_reviews_and_runs(path: Path) -> None:
    design = load_design(path)
    errors = [i["rule"] for i in review_design(design) if i["severity"] == "error"]
    # the latency baseline's SLO is below what one request can reach on its hardware: the review says so
    assert errors == (["slo-below-physical-bound"] if path.name.startswith("latency-before") else []), errors
    result = run_design(design, duration_s=short_duration(design.workload))
    out = result.to_json()
    assert not out["cancelled"]
    assert out["requests"]["arrived"] > 0
    assert out["requests"]["completed"] > 0, "nothing finished in the short run"
    e2e = out["metrics"]["e2e_ms"]
    assert math.isfinite(e2e["p50"]) and e2e["p50"] > 0
    cost = out["cost"]["usd_per_hour"]
    assert math.isfinite(cost) and cost > 0
    json.dumps(out)  # the §6 JSON serialises


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_template_meets_its_slos_and_budget(path: Path) -> None:
    name = path.name.removesuffix(".genai.json")
    out = run_design(load_design(path)).to_json()
    missed = {k: v for k, v in out["slo"].items() if not v["met"]}
    if name in MEANT_TO_FAIL:
        assert missed, f"{name} should miss an SLO ({MEANT_TO_FAIL[name]})"
        return
    assert not missed, missed
    assert not [i for i in out["review"] if i["severity"] == "error"], out["review"]
    budget = raw(path).get("budget", {}).get("usd_per_month")
    if budget:
        assert out["cost"]["usd_per_month"] <= budget
    assert out["requests"]["failed"] + out["requests"]["dropped"] + out["requests"]["timeout"] \
        <= 0.02 * out["requests"]["arrived"]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("simulation.report") is None,
                    reason="the report module (simulation.report) is not built yet")
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_template_produces_a_report(path: Path, tmp_path: Path) -> None:
    from simulation.report.cli import generate_report

    out = tmp_path / "report.md"
    design = load_design(path)
    generate_report(design, out, duration_s=short_duration(design.workload))
    text = out.read_text(encoding="utf-8")
    assert raw(path)["name"] in text
    for fig in raw(path).get("seed_figures", []):
        assert fig["label"] in text, f"seed figure {fig['label']!r} missing from the report"


def test_reranker_trims_a_hybrid_fanout() -> None:
    """advanced-rag's hybrid search: chunks retrieved on both fan-out branches reach the reranker after the
    join, so it keeps `keep` of them (the engine once dropped the branches' chunk counts at the join)."""
    def node(nid: str, kind: str, **params: Any) -> dict[str, Any]:
        return {"id": nid, "kind": kind, "params": params}

    design = load_design({
        "format": "genai-sim.design", "version": 1, "name": "hybrid",
        "workload": {"arrival": {"process": "poisson", "rate_per_s": 5.0}, "duration_s": 60, "seed": 3,
                     "input_tokens": {"dist": "fixed", "value": 100},
                     "output_tokens": {"dist": "fixed", "value": 1}},
        "nodes": [{"id": "users", "kind": "client"},
                  node("hybrid", "fanout", join="rerank"),
                  node("dense", "vector_db", top_k=20, chunk_tokens=500, usd_per_hour=0.0),
                  node("bm25", "keyword_index", top_k=20, chunk_tokens=500, usd_per_hour=0.0),
                  node("rerank", "reranker", keep=5, usd_per_hour=0.0),
                  node("llm", "llm_api", use_catalog_prices=False, input_usd_per_1m=1.0, output_usd_per_1m=0.0,
                       rate_limits="none")],
        "edges": [{"source": "users", "target": "hybrid"}, {"source": "hybrid", "target": "dense"},
                  {"source": "hybrid", "target": "bm25"}, {"source": "dense", "target": "rerank"},
                  {"source": "bm25", "target": "rerank"}, {"source": "rerank", "target": "llm"}],
    })
    per_request = run_design(design).cost()["usd_per_request"]
    prompt_tokens = per_request * 1e6  # $1 per 1M input tokens
    assert prompt_tokens == pytest.approx(100 + 5 * 500, rel=0.02)


def _fresh_check(design, counts: dict[str, int], rate: float, window: float, warmup: float, seed: int):
    """One run at ``rate`` with ``counts`` replicas, built from scratch (not through the sizing's cache)."""
    from simulation.engine.core import Simulation
    from simulation.report.sizing import at_rate

    d = design.clone()
    d.workload = at_rate(d.workload, rate)
    for nid, n in counts.items():
        d.node(nid).params["replicas"] = n
    return Simulation(d, seed=seed, duration_s=warmup + window, warmup_s=warmup).run().to_json()["slo"]


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_recommended_replicas_meet_the_slos_at_the_peak_and_one_fewer_misses(path: Path) -> None:
    """The report's sizing (what it prints as replicas at peak) checked by independent runs at that peak: the
    recommended count meets every SLO and one fewer misses at least one; the template itself meets its SLOs at
    its own peak."""
    from simulation.report.sizing import size_at_peak

    name = path.name.removesuffix(".genai.json")
    design = load_design(path)
    sizing = size_at_peak(design)
    seed, window, warmup = sizing["seed"], sizing["window_s"], sizing["warmup_s"]
    peak = sizing["peak_rate_per_s"]
    if name in MEANT_TO_FAIL:
        assert sizing["feasible"] is not True  # no replica count rescues the baseline
        return
    if not sizing["nodes"]:  # no self-hosted node: the design as drawn must meet its SLOs at the peak
        assert sizing["as_drawn_at_peak"]["slo_met"], sizing["as_drawn_at_peak"]
        slo = _fresh_check(design, {}, peak, window, warmup, seed)
        assert all(v["met"] for v in slo.values()), slo
        return
    assert sizing["feasible"], sizing
    counts = {nid: e["replicas_at_peak"] for nid, e in sizing["nodes"].items()}
    slo = _fresh_check(design, counts, peak, window, warmup, seed)
    assert all(v["met"] for v in slo.values()), (counts, slo)
    for nid, n in counts.items():
        assert sizing["nodes"][nid]["method"] == "simulated"
        if n > 1:
            fewer = _fresh_check(design, {**counts, nid: n - 1}, peak, window, warmup, seed)
            assert not all(v["met"] for v in fewer.values()), (nid, n - 1, fewer)
    drawn = {n.id: int(n.params.get("replicas", 1)) for n in design.nodes if n.id in counts}
    assert all(drawn[nid] >= counts[nid] for nid in counts), f"{name} is under-provisioned for its peak: {drawn}"

"""Design-review rules: each red flag fires on a design that has it, with severity, node, why and fix."""

from __future__ import annotations

import pytest

from simulation.analysis.review import review_design, threat_coverage
from simulation.loader import load_design
from simulation.run import run_design
from simulation.templates import TEMPLATES_DIR
from tests.simulation.helpers import design, edge, svc

LLM_API = {"id": "llm", "kind": "llm_api", "params": {"provider_model": "openai/gpt-4o-mini"}}


def rules(issues: list[dict], node: str | None = "*") -> set[str]:
    return {i["rule"] for i in issues if node == "*" or i["node"] == node}


def review(nodes, edges, **kw) -> list[dict]:
    return review_design(load_design(design(nodes, edges, **kw)))


def test_every_issue_has_the_full_shape() -> None:
    issues = review([LLM_API], [edge("users", "llm")])
    assert issues
    for i in issues:
        assert set(i) >= {"severity", "rule", "node", "message", "why", "fix"}
        assert i["severity"] in ("error", "warning", "info")


def test_bare_llm_raises_the_red_flags() -> None:
    found = rules(review([LLM_API], [edge("users", "llm")]))
    assert {"no-input-guardrail", "no-output-guardrail", "no-ingress-protection", "no-cache",
            "one-model-for-everything", "threat-uncovered"} <= found


def test_model_that_does_not_fit_is_an_error() -> None:
    issues = review([{"id": "llm", "kind": "llm_server", "params": {"model": "meta-llama/Llama-3.1-70B",
                                                                     "gpu": "l4"}}], [edge("users", "llm")])
    bad = [i for i in issues if i["rule"] == "model-does-not-fit"]
    assert bad and bad[0]["severity"] == "error" and bad[0]["node"] == "llm"


def test_small_kv_headroom_warns() -> None:
    # 70B fp8 (70.6 GB) on one 80 GB H100 leaves ~0 % of the budget for KV
    issues = review([{"id": "llm", "kind": "llm_server", "params": {"model": "meta-llama/Llama-3.1-70B",
                                                                     "gpu": "h100-sxm", "dtype": "fp8"}}],
                    [edge("users", "llm")])
    assert "kv-headroom" in rules(issues, "llm") or "model-does-not-fit" in rules(issues, "llm")
    issues = review([{"id": "llm", "kind": "llm_server", "params": {"model": "meta-llama/Llama-3.1-70B",
                                                                     "gpu": "h200-sxm", "tp": 2, "dtype": "fp8"}}],
                    [edge("users", "llm")])
    assert "kv-headroom" not in rules(issues, "llm")


def test_retrieval_checks() -> None:
    nodes = [{"id": "vdb", "kind": "vector_db", "params": {"vectors": 2e8, "top_k": 3}},
             {"id": "rr", "kind": "reranker", "params": {"keep": 5}},
             {"id": "llm", "kind": "llm_server", "params": {"model": "meta-llama/Llama-2-7b"}}]
    issues = review(nodes, [edge("users", "vdb"), edge("vdb", "rr"), edge("rr", "llm")])
    assert "hnsw-scale" in rules(issues, "vdb")
    assert "reranker-keep" in rules(issues, "rr")
    # 20 chunks × 300 tokens overflow Llama-2's 4,096-token window
    nodes[0]["params"] = {"top_k": 20, "chunk_tokens": 300}
    nodes[1]["params"] = {"keep": 20}
    issues = review(nodes, [edge("users", "vdb"), edge("vdb", "rr"), edge("rr", "llm")])
    assert "unbounded-context" in rules(issues, "llm")
    assert "hnsw-scale" not in rules(issues)


def test_buffering_output_guardrail_and_agent_cap() -> None:
    nodes = [LLM_API, {"id": "out", "kind": "output_guardrail", "params": {"mode": "buffering"}}]
    assert "buffering-guardrail" in rules(review(nodes, [edge("users", "llm"), edge("llm", "out")]), "out")
    nodes[1]["params"]["mode"] = "streaming"
    assert "buffering-guardrail" not in rules(review(nodes, [edge("users", "llm"), edge("llm", "out")]))
    agent = [{"id": "ag", "kind": "agent", "params": {"max_iterations": 500}}, LLM_API]
    issues = review(agent, [edge("users", "ag"), edge("ag", "llm"), edge("llm", "ag"), edge("ag", "llm", when="done")])
    assert "unbounded-agent" in rules(issues, "ag")


def test_guarded_path_is_clean_of_guardrail_flags() -> None:
    nodes = [{"id": "gw", "kind": "api_gateway", "params": {"rate_limit_per_user_rps": 2}},
             {"id": "in", "kind": "input_guardrail"}, LLM_API, {"id": "out", "kind": "output_guardrail"}]
    issues = review(nodes, [edge("users", "gw"), edge("gw", "in"), edge("in", "llm"), edge("llm", "out")])
    assert not {"no-input-guardrail", "no-output-guardrail", "no-ingress-protection", "no-rate-limit"} & rules(issues)


def test_single_replica_on_the_path() -> None:
    issues = review([{"id": "vdb", "kind": "vector_db"}, LLM_API], [edge("users", "vdb"), edge("vdb", "llm")])
    spof = [i for i in issues if i["rule"] == "single-replica"]
    assert [i["node"] for i in spof] == ["vdb"] and spof[0]["severity"] == "warning"


def test_threat_coverage_of_the_seed_chatbot() -> None:
    d = load_design(TEMPLATES_DIR / "seed-chatbot-100k.genai.json")
    rows = {r["threat"]: r for r in threat_coverage(d)}
    assert rows["direct_injection"]["covered_by"] == ["Safety layer (Perspective, PII)"]
    assert rows["data_leakage"]["covered_by"]
    assert not rows["jailbreak"]["covered_by"] and rows["jailbreak"]["relevant"]
    assert not rows["tool_abuse"]["relevant"]  # no tools in this design


def test_run_rules_name_the_stage_that_misses_the_slo() -> None:
    d = load_design(design([svc("fast", 5.0), svc("slow", 400.0, dist="fixed")],
                           [edge("users", "fast"), edge("fast", "slow")], rate=2.0, duration=120.0,
                           slo={"e2e_p95_ms": 100}, budget={"usd_per_month": 1.0}))
    result = run_design(d)
    issues = review_design(d, result)
    slo = [i for i in issues if i["rule"] == "slo-missed"]
    assert slo and slo[0]["node"] == "slow" and slo[0]["severity"] == "error"
    budget = [i for i in issues if i["rule"] == "budget-exceeded"]
    assert budget and budget[0]["severity"] == "error"


def test_high_utilization_from_the_run_and_from_the_envelope() -> None:
    d = load_design(design([svc("svc", 100.0, concurrency=1)], [edge("users", "svc")], rate=9.5, duration=300.0))
    assert "high-utilization" in rules(review_design(d), "svc")
    assert "high-utilization" in rules(review_design(d, run_design(d)), "svc")


@pytest.mark.parametrize("path", sorted(TEMPLATES_DIR.glob("*.genai.json")), ids=lambda p: p.stem)
def test_templates_have_no_review_errors(path) -> None:
    errors = [i for i in review_design(load_design(path)) if i["severity"] == "error"]
    assert not errors, errors

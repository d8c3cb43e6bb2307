"""Design-review rules: each red flag fires on a design that has it, with severity, node, why and fix."""

from __future__ import annotations

from pathlib import Path

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
    if path.stem == "latency-before.genai":  # the 3 s baseline of the latency case: physics says it cannot make 500 ms
        assert [i["rule"] for i in errors] == ["slo-below-physical-bound"], errors
        return
    assert not errors, errors


# -- designs that cannot work: validate exits 1 -----------------------------------------------------------
DESIGNS = Path(__file__).parent / "designs"
IMPOSSIBLE = {
    "impossible-context-window": "prompt-exceeds-context-window",
    "impossible-kv-pool": "kv-pool-below-p99-prompt",
    "impossible-slo": "slo-below-physical-bound",
    "impossible-dtype": "dtype-unsupported",
}


@pytest.mark.parametrize("name", sorted(IMPOSSIBLE))
def test_validate_exits_1_on_a_design_that_cannot_work(name, capsys) -> None:
    from genai_sim.cli import main

    path = DESIGNS / f"{name}.genai.json"
    issues = review_design(load_design(path))
    errors = [i for i in issues if i["severity"] == "error"]
    assert [i["rule"] for i in errors] == [IMPOSSIBLE[name]], errors
    assert errors[0]["node"] == "llm" and errors[0]["why"] and errors[0]["fix"]
    assert main(["validate", str(path)]) == 1
    assert IMPOSSIBLE[name] in capsys.readouterr().out


def test_physical_bound_figures_by_hand() -> None:
    """Llama-3.1-70B bf16 (141.1 GB) over 2 × 3,350 GB/s: one decode step ≥ 21.06 ms; 10 ms TPOT is impossible,
    25 ms is not. fp8 on the same GPUs halves the floor."""
    base = load_design(DESIGNS / "impossible-slo.genai.json")
    msg = next(i["message"] for i in review_design(base) if i["rule"] == "slo-below-physical-bound")
    assert "21.1 ms" in msg
    ok = base.clone()
    ok.slo = {"tpot_p95_ms": 25.0}
    assert "slo-below-physical-bound" not in rules(review_design(ok))
    spec = base.clone()  # speculative decoding lowers the floor: 3 drafted at 0.8 acceptance = 2.95 tokens/step
    spec.node("llm").params.update(speculative="ngram", spec_tokens=3, spec_acceptance=0.8)
    assert "slo-below-physical-bound" not in rules(review_design(spec))


def test_dtype_rule_reads_the_gpu_catalog() -> None:
    d = load_design(DESIGNS / "impossible-dtype.genai.json")
    # refused where no engine runs it (an error); Ampere runs fp8 weight-only (Marlin), so a warning with its cost
    for gpu, dtype, bad in (("v100-32gb", "fp8", True), ("a100-80gb", "fp8", False), ("h100-sxm", "fp8", False),
                            ("a100-80gb", "int4", False), ("v100-32gb", "int8", True), ("l4", "fp8", False)):
        d.node("llm").params.update(gpu=gpu, dtype=dtype)
        found = rules(review_design(d))
        assert ("dtype-unsupported" in found) is bad, (gpu, dtype)
        assert ("dtype-emulated" in found) is ((gpu, dtype) == ("a100-80gb", "fp8")), (gpu, dtype)


def test_kv_pool_rule_follows_the_p99_prompt() -> None:
    d = load_design(DESIGNS / "impossible-kv-pool.genai.json")
    d.workload["input_tokens"] = {"dist": "lognormal", "p50": 2000, "p99": 20000}
    assert "kv-pool-below-p99-prompt" not in rules(review_design(d))


def test_context_window_counts_retrieved_context() -> None:
    d = load_design(DESIGNS / "impossible-context-window.genai.json")
    d.workload["input_tokens"] = {"dist": "fixed", "value": 1000}
    assert "prompt-exceeds-context-window" not in rules(review_design(d))


def test_production_warnings_fallback_monitoring_evaluation() -> None:
    bare = rules(review([LLM_API], [edge("users", "llm")]))
    assert {"no-fallback", "no-monitoring", "no-evaluation"} <= bare
    backup = {"id": "backup", "kind": "llm_api", "params": {"provider_model": "anthropic/claude-3-haiku"}}
    obs = {"id": "obs", "kind": "observability"}
    guard = {"id": "out", "kind": "output_guardrail", "params": {"checks_hallucination": True}}
    found = rules(review([LLM_API, backup, obs, guard],
                         [edge("users", "llm"), edge("llm", "backup", when="error"), edge("backup", "out"),
                          edge("llm", "out")]), "*")
    assert not {"no-monitoring", "no-evaluation"} & found
    issues = review([LLM_API, backup, obs, guard], [edge("users", "llm"), edge("llm", "backup", when="error"),
                                                    edge("backup", "out"), edge("llm", "out")])
    fallback = [i for i in issues if i["rule"] == "no-fallback"]
    assert all("Llm" not in i["message"] or i["node"] != "llm" for i in fallback)
    assert all(i["node"] != "llm" for i in fallback)


def test_slo_miss_names_the_measured_cause() -> None:
    """A run where the API throttles: the explanation names the throttling, not the users."""
    api = {"id": "llm", "kind": "llm_api", "params": {"provider_model": "openai/gpt-4o-mini", "rate_limits": "custom",
                                                        "rpm": 60, "tpm": 1e9}}
    d = load_design(design([api], [edge("users", "llm")], rate=5.0, duration=120.0, slo={"e2e_p95_ms": 5000}))
    issues = [i for i in review_design(d, run_design(d)) if i["rule"] == "slo-missed"]
    assert issues and "throttl" in issues[0]["message"] and issues[0]["node"] == "llm"

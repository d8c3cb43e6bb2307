"""Back-of-envelope figures against values worked out by hand (catalog architectures, GPU datasheets)."""

from __future__ import annotations

import math

import pytest

from simulation.analysis.envelope import (
    compare,
    decode_bound_tokens_per_s,
    envelope,
    llm_model_figures,
    prefill_bound_s,
    run_facts,
    traffic_flow,
)
from simulation.llm.memory import memory_plan
from simulation.loader import load_design
from simulation.run import run_design
from simulation.templates import TEMPLATES_DIR
from tests.simulation.helpers import design, edge

H100_BW = 3350.0  # GB/s, assets/catalogs/gpus.json h100-sxm
H100_BF16 = 989.0  # dense TFLOP/s


def test_llama31_70b_bf16_by_hand() -> None:
    f = llm_model_figures("meta-llama/Llama-3.1-70B", "bf16", context_tokens=1000)
    assert f["params"] == pytest.approx(70.554e9)
    assert f["params_12ld2"] == 12 * 80 * 8192 ** 2 == 64_424_509_440
    assert f["weights_bytes"] == pytest.approx(141.108e9)           # 70.554e9 × 2 B
    assert f["kv_bytes_per_token"] == 2 * 80 * 8 * 128 * 2 == 327_680  # 320 KiB
    assert f["kv_bytes_per_sequence"] == pytest.approx(327_680_000)
    assert f["flops_per_token"] == pytest.approx(141.108e9)          # 2P
    # 4 × 3,350 GB/s ÷ 141.108 GB = 94.96 tok/s; TPOT ≥ 10.53 ms
    assert decode_bound_tokens_per_s(f["weights_bytes"], H100_BW, tp=4) == pytest.approx(94.964, rel=1e-4)
    # 1,000 prompt tokens × 141.108 GFLOP ÷ (4 × 989 TFLOP/s) = 35.67 ms
    assert prefill_bound_s(1000, f["flops_per_token"], H100_BF16, tp=4) * 1000 == pytest.approx(35.669, rel=1e-4)


def test_llama31_70b_fp8_by_hand() -> None:
    f = llm_model_figures("meta-llama/Llama-3.1-70B", "fp8")
    assert f["weights_bytes"] == pytest.approx(70.554e9)  # 1 B/param
    assert f["kv_bytes_per_token"] == 327_680  # kv_dtype auto keeps a bf16 cache under fp8 weights (as vLLM)
    assert llm_model_figures("meta-llama/Llama-3.1-70B", "fp8", "fp8")["kv_bytes_per_token"] == 163_840
    # fp8 on 2 × H100: 2 × 3,350 ÷ 70.554 = 94.96 tok/s, the same bound as bf16 on 4 GPUs
    assert decode_bound_tokens_per_s(f["weights_bytes"], H100_BW, tp=2) == pytest.approx(94.964, rel=1e-4)


def test_llama31_8b_by_hand() -> None:
    f = llm_model_figures("meta-llama/Llama-3.1-8B", "bf16", context_tokens=4096)
    assert f["params_12ld2"] == 12 * 32 * 4096 ** 2 == 6_442_450_944
    assert f["weights_bytes"] == pytest.approx(16.06e9)
    assert f["kv_bytes_per_token"] == 2 * 32 * 8 * 128 * 2 == 131_072  # 128 KiB
    assert f["kv_bytes_per_sequence"] == 131_072 * 4096 == 2 ** 29  # 0.5 GiB per 4K-token sequence
    assert decode_bound_tokens_per_s(f["weights_bytes"], H100_BW) == pytest.approx(208.59, rel=1e-4)
    # batch 64 at 1,000 tokens of KV each: step = (16.06 + 64 × 0.131) GB ÷ 3,350 GB/s = 7.298 ms → 8,769 tok/s
    assert decode_bound_tokens_per_s(f["weights_bytes"], H100_BW, batch=64, kv_bytes_per_seq=131_072_000) \
        == pytest.approx(64 / ((16.06e9 + 64 * 131_072_000) / 3350e9), rel=1e-9)


def test_design_envelope_uses_the_memory_plan() -> None:
    d = load_design(design([{"id": "llm", "kind": "llm_server",
                             "params": {"model": "meta-llama/Llama-3.1-70B", "gpu": "h100-sxm", "tp": 4}}],
                           [edge("users", "llm")], rate=2.0,
                           workload={"input_tokens": {"dist": "fixed", "value": 900},
                                     "output_tokens": {"dist": "fixed", "value": 100}}))
    env = envelope(d)
    plan = memory_plan({"model": "meta-llama/Llama-3.1-70B", "gpu": "h100-sxm", "tp": 4, "pp": 1, "dtype": "bf16",
                        "kv_dtype": "auto", "gpu_memory_utilization": 0.9, "max_num_seqs": 0,
                        "max_num_batched_tokens": 0})
    assert env.value("llm.kv_pool_gb") == pytest.approx(plan["kv_pool_gb"])
    assert env.value("llm.max_seqs") == pytest.approx(min(plan["kv_tokens"] / 1000, plan["max_num_seqs"]))
    assert env.value("workload.requests_per_day") == pytest.approx(172_800)
    assert env.value("workload.peak_qps") == pytest.approx(4.0)  # assumed 2× peak-to-mean
    assert env.value("llm.decode_tps") == pytest.approx(200.0)  # 2 req/s × 100 tokens
    assert env.value("llm.kv_kib_per_token") == pytest.approx(320.0)
    assert env.value("llm.replicas_needed") >= 1
    assert env.value("cost.usd_per_month") == pytest.approx(4 * 3.78 * 730, rel=1e-3)


def test_model_that_does_not_fit_is_reported_not_raised() -> None:
    d = load_design(design([{"id": "llm", "kind": "llm_server",
                             "params": {"model": "meta-llama/Llama-3.1-70B", "gpu": "l4"}}], [edge("users", "llm")]))
    env = envelope(d)
    assert "llm" in env.facts["does_not_fit"]
    assert env.get("llm.fits").note == "does not fit"


def test_traffic_flow_follows_cache_and_weights() -> None:
    d = load_design(TEMPLATES_DIR / "seed-chatbot-100k.genai.json")
    flows = traffic_flow(d)
    assert flows["intent"].share == pytest.approx(0.7)
    assert flows["gpt35"].share == pytest.approx(0.56)
    assert flows["gpt4"].share == pytest.approx(0.14)
    assert flows["gpt35"].context_tokens == pytest.approx(300 + 5 * 500)  # rerank keeps 5 of 20 chunks
    assert flows["gpt4"].context_tokens == pytest.approx(300 + 5 * 500 + 1400)


def test_seed_chatbot_envelope_reproduces_the_seed_cost_table() -> None:
    env = envelope(load_design(TEMPLATES_DIR / "seed-chatbot-100k.genai.json"))
    assert env.value("gpt35.calls_per_day") == pytest.approx(56_000, rel=1e-5)
    assert env.value("gpt4.calls_per_day") == pytest.approx(14_000, rel=1e-5)
    assert env.value("gpt35.tokens_per_call") == pytest.approx(3000)
    assert env.value("gpt4.tokens_per_call") == pytest.approx(4400)
    assert env.value("gpt35.usd_per_day") == pytest.approx(252, rel=1e-5)
    assert env.value("gpt4.usd_per_day") == pytest.approx(1848, rel=1e-5)
    # + Pinecone 70, Redis 10, ECS 50 as the worked answer states, + the monitoring it leaves out ($500/month)
    assert env.value("cost.usd_per_day") == pytest.approx(2230 + 500 / 730 * 24, rel=1e-4)


@pytest.mark.parametrize("path", sorted(TEMPLATES_DIR.glob("*.genai.json")), ids=lambda p: p.stem)
def test_every_template_has_finite_figures(path) -> None:
    env = envelope(load_design(path))
    assert env.figures
    for f in env.figures:
        assert isinstance(f.value, (int, float)) and not math.isnan(f.value), f.key
        assert f.formula and f.label


def _one_agent(growth: int = 250, tool_tokens: int = 200, price: float = 0.005) -> dict:
    return design([{"id": "agent", "kind": "agent", "params": {"iterations": {"dist": "fixed", "value": 4},
                                                              "max_iterations": 10, "context_growth_tokens": growth}},
                   {"id": "llm", "kind": "llm_api", "params": {"provider_model": "openai/gpt-4o-mini"}},
                   {"id": "tool", "kind": "tool", "params": {"output_tokens": tool_tokens, "usd_per_call": price}},
                   {"id": "answer", "kind": "llm_api", "params": {"provider_model": "openai/gpt-4o-mini"}}],
                  [edge("users", "agent"), edge("agent", "llm"), edge("llm", "tool"), edge("tool", "agent"),
                   edge("agent", "answer", when="done")], rate=1.0, duration=600.0,
                  workload={"input_tokens": {"dist": "fixed", "value": 100},
                            "output_tokens": {"dist": "fixed", "value": 50}})


def test_agent_context_growth_and_tool_prices_by_hand() -> None:
    """4 iterations; each step appends 250 + 200 tool tokens. Step prompts carry (4 − 1) ÷ 2 = 1.5 steps of growth
    on average (675 tokens), the final answer all 4 (1,800). The tool is called 4 times a request at $0.005."""
    env = envelope(load_design(_one_agent()))
    assert env.flows["llm"].context_tokens == pytest.approx(1.5 * 450)
    assert env.flows["answer"].context_tokens == pytest.approx(4 * 450)
    assert env.value("tool.calls_per_day") == pytest.approx(4 * 86_400)
    assert env.value("tool.usd_per_day") == pytest.approx(4 * 86_400 * 0.005)
    assert env.value("agent.tokens_per_request") == pytest.approx(250 * 4 * 3 / 2)
    # the tool spend is part of the daily cost
    assert env.value("cost.usd_per_day") >= env.value("tool.usd_per_day")


def test_agent_envelope_agrees_with_the_simulation_within_20_percent() -> None:
    d = load_design(_one_agent())
    result = run_design(d, duration_s=600.0)
    rows = {r["key"]: r for r in compare(envelope(d), run_facts(result))}
    for key in ("llm.usd_per_call", "answer.usd_per_call", "tool.usd_per_day", "cost.usd_per_day"):
        assert rows[key]["ratio"] == pytest.approx(1.0, abs=0.2), (key, rows[key])


def test_edge_latency_and_speculative_decoding_figures() -> None:
    d = load_design(design([{"id": "llm", "kind": "llm_server",
                             "params": {"model": "meta-llama/Llama-3.1-8B", "speculative": "ngram", "spec_tokens": 4,
                                        "spec_acceptance": 0.7}}],
                           [edge("users", "llm", latency_ms=40.0)], rate=1.0))
    env = envelope(d)
    assert env.value("latency.edges_ms") == pytest.approx(40.0)
    gain = (1 - 0.7 ** 5) / (1 - 0.7)
    assert env.value("llm.spec_tokens_per_step") == pytest.approx(gain)
    plain = d.clone()
    plain.node("llm").params["speculative"] = "none"
    assert env.value("llm.decode_single_tps") == pytest.approx(envelope(plain).value("llm.decode_single_tps") * gain)


def test_replicas_at_peak_show_the_share_reaching_the_node() -> None:
    """rag-pipeline: peak 8 req/s × 0.70 cache-miss share = 5.60 req/s at the LLM, shown in the inputs."""
    from simulation.analysis.envelope import envelope
    from simulation.loader import load_design
    from simulation.templates import TEMPLATES_DIR

    d = load_design(TEMPLATES_DIR / "rag-pipeline.genai.json")
    fig = envelope(d).get("llm.replicas_needed")
    assert fig is not None and "share reaching the node" in fig.formula
    assert "peak 8.00 req/s × 0.700 cache-miss share" in fig.inputs and "= 5.60 req/s at this node" in fig.inputs

"""Model / API catalogs and the memory plan."""

import pytest

from simulation.errors import DesignError
from simulation.llm.catalog import api_model, api_model_ids, model, model_ids, resolve_model_id
from simulation.llm.memory import kv_bytes_per_token, memory_plan, weight_bytes
from simulation.registry import get_kind

REQUIRED = ["meta-llama/Llama-2-7b", "meta-llama/Llama-2-13b", "meta-llama/Llama-2-70b", "meta-llama/Llama-3.1-8B",
            "meta-llama/Llama-3.1-70B", "meta-llama/Llama-3.1-405B", "mistralai/Mistral-7B-v0.1",
            "mistralai/Mixtral-8x7B-v0.1", "Qwen/Qwen3-8B", "Qwen/Qwen3-32B", "Qwen/Qwen3-30B-A3B",
            "Qwen/Qwen3-235B-A22B", "openai/gpt-oss-20b", "openai/gpt-oss-120b", "google/gemma-2-9b",
            "microsoft/Phi-3-mini-4k-instruct"]


def test_required_models_present():
    assert set(REQUIRED) <= set(model_ids())


@pytest.mark.parametrize("alias, base", [
    ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B"),
    ("meta-llama/Meta-Llama-3.1-70B-Instruct", "meta-llama/Llama-3.1-70B"),
    ("Qwen/Qwen3-30B-A3B-Instruct-2507", "Qwen/Qwen3-30B-A3B"),
    ("meta-llama/Llama-2-7b-chat-hf", "meta-llama/Llama-2-7b"),
    ("google/gemma-2-9b-it", "google/gemma-2-9b"),
    ("META-LLAMA/LLAMA-3.1-8B", "meta-llama/Llama-3.1-8B"),
])
def test_variants_resolve_to_base(alias, base):
    assert resolve_model_id(alias) == base
    assert model(alias).id == base


def test_unknown_model_is_a_design_error():
    with pytest.raises(DesignError, match="nodes.llm.params.model: unknown model"):
        model("acme/NotAModel-7B", "nodes.llm.params.model")


@pytest.mark.parametrize("mid, kv_bytes", [
    ("meta-llama/Llama-3.1-8B", 131072), ("meta-llama/Llama-2-7b", 524288), ("Qwen/Qwen3-32B", 262144),
    ("meta-llama/Llama-3.1-405B", 516096), ("microsoft/Phi-3-mini-4k-instruct", 393216),
    ("openai/gpt-oss-120b", 36864),  # only the 18 full-attention layers grow (catalog.md B.2)
    ("deepseek-ai/DeepSeek-V3", 70272),  # MLA latent, not 2 × layers × heads × dim
])
def test_kv_bytes_per_token_match_reference(mid, kv_bytes):
    assert kv_bytes_per_token(model(mid), "bf16") == kv_bytes


def test_moe_weights_count_every_expert():
    assert weight_bytes(model("mistralai/Mixtral-8x7B-v0.1"), "bf16") == pytest.approx(93.4e9, rel=1e-3)
    assert weight_bytes(model("Qwen/Qwen3-30B-A3B"), "fp8") == pytest.approx(30.53e9, rel=1e-3)


def test_api_catalog():
    assert "openai/gpt-4o-mini" in api_model_ids()
    m = api_model("openai/gpt-4o")
    assert (m.input_usd_per_1m, m.output_usd_per_1m) == (2.5, 10.0)
    with pytest.raises(DesignError):
        api_model("nobody/llm")


def _params(**kw):
    base = {"model": "meta-llama/Llama-3.1-8B", "gpu": "h100-sxm", "tp": 1, "pp": 1, "dtype": "bf16",
            "kv_dtype": "auto", "gpu_memory_utilization": 0.9, "engine": "vllm"}
    base.update(kw)
    return base


def test_memory_plan_reproduces_vllm_block_count_on_rtx4090():
    # vLLM 0.19.0 recorded num_gpu_blocks 2588 (validation/e2e/llmservingsim/RTX4090 meta.json)
    plan = memory_plan(_params(gpu="rtx-4090", max_num_seqs=256, max_num_batched_tokens=2048))
    assert plan["kv_blocks"] == pytest.approx(2588, rel=0.02)
    assert plan["weights_gb"] == pytest.approx(16.06, rel=1e-3)


def test_too_large_model_is_refused_with_the_arithmetic():
    with pytest.raises(DesignError) as err:
        memory_plan(_params(model="meta-llama/Llama-3.1-70B"), "nodes.llm.params")
    msg = str(err.value)
    assert msg.startswith("nodes.llm.params: ")
    assert "does not fit" in msg and "141.1 GB" in msg and "70.554B params × 2 B" in msg
    # the same model fits on two GPUs, or quantised to int4 on one
    assert memory_plan(_params(model="meta-llama/Llama-3.1-70B", tp=2))["kv_blocks"] > 0
    assert memory_plan(_params(model="meta-llama/Llama-3.1-70B", dtype="int4"))["kv_blocks"] > 0


def test_fp8_kv_doubles_the_kv_pool_tokens():
    bf16 = memory_plan(_params())["kv_tokens"]
    fp8 = memory_plan(_params(kv_dtype="fp8"))["kv_tokens"]
    assert fp8 == pytest.approx(2 * bf16, rel=0.01)


def test_hourly_cost_is_gpus_times_catalog_price():
    kind = get_kind("llm_server")
    params = kind.resolved_params({"gpu": "h100-sxm", "tp": 4, "pp": 2, "replicas": 3})
    assert kind.hourly_cost(params) == pytest.approx(3 * 4 * 2 * 3.78)
    assert get_kind("llm_api").hourly_cost(get_kind("llm_api").defaults()) == 0.0


def test_every_server_param_is_documented():
    for kind in ("llm_server", "llm_api"):
        for p in get_kind(kind).params:
            assert p.help and p.source, (kind, p.name)

"""llm_server (self-hosted: replicas × an engine on tp × pp GPUs) and llm_api (hosted, priced per token) kinds."""

from __future__ import annotations

from typing import Any

from kernels.sources import cite
from simulation.params import Param
from simulation.registry import ComponentKind, register

ENGINE_SRC = cite("vllm-engine-args", "trtllm-serve", "sglang-args",
                  detail="the engine preset's scheduler defaults (vLLM v1, trtllm-serve, SGLang)")
VLLM_SRC = cite("vllm-engine-args", detail="vLLM EngineArgs default")
CAT_B = "the model catalog (each entry cites its Hugging Face config.json)"
CAT_C = "the hosted-API catalog (each entry cites the provider's price page and its latency source)"


def _server_runtime(sim: Any, node: Any, params: dict[str, Any]) -> Any:
    from simulation.llm.server import LLMServer

    return LLMServer(sim, node, params)


def _api_runtime(sim: Any, node: Any, params: dict[str, Any]) -> Any:
    from simulation.llm.api import LLMAPI

    return LLMAPI(sim, node, params)


def server_hourly_cost(params: dict[str, Any]) -> float:
    """replicas × tp × pp × the GPU's catalog $/GPU-hour."""
    from kernels.errors import InputError
    from kernels.hardware import gpu

    try:
        price = gpu(params.get("gpu", "h100-sxm")).usd_per_hour
    except InputError:
        return 0.0
    return int(params.get("replicas", 1)) * int(params.get("tp", 1)) * int(params.get("pp", 1)) * price


SERVER_PARAMS: tuple[Param, ...] = (
    Param("model", "catalog", "meta-llama/Llama-3.1-8B", catalog="models",
          help="Hugging Face model id; -Instruct/-chat variants resolve to their base architecture.",
          source=CAT_B),
    Param("gpu", "catalog", "h100-sxm", catalog="gpus", help="GPU type of every engine replica.",
          source="the GPU catalog (each figure cites its datasheet or price page)"),
    Param("tp", "int", 1, "GPUs", 1, 64, help="Tensor-parallel degree (GPUs one layer is split over).",
          source="tensor_parallel_size 1: " + VLLM_SRC),
    Param("pp", "int", 1, "stages", 1, 64, help="Pipeline-parallel stages (layers split over stages).",
          source="pipeline_parallel_size 1: " + VLLM_SRC),
    Param("dtype", "enum", "bf16", choices=("bf16", "fp16", "fp8", "int8", "int4", "fp4"),
          help="Weight precision (fp8/int8 W8A8, int4/fp4 weight-only with 16-bit activations).",
          source="dtype auto = the checkpoint's bf16: " + VLLM_SRC),
    Param("kv_dtype", "enum", "auto", choices=("auto", "bf16", "fp16", "fp8"),
          help="KV-cache precision; auto = the activation precision (bf16).", source="kv_cache_dtype auto: " + VLLM_SRC),
    Param("engine", "enum", "vllm", choices=("vllm", "trtllm", "sglang"),
          help="Inference engine preset: scheduler defaults and per-step host overhead.", source=ENGINE_SRC),
    Param("max_num_seqs", "int", 0, "sequences", 0, 65536,
          help="Most sequences in one batch; 0 = the engine default (vLLM: 1024 on ≥70 GiB GPUs, else 256).",
          source=ENGINE_SRC),
    Param("max_num_batched_tokens", "int", 0, "tokens", 0, 1_048_576,
          help="Token budget of one step (decodes + prefill chunks); 0 = engine default (vLLM: 8192 / 2048).",
          source=ENGINE_SRC),
    Param("max_model_len", "int", 0, "tokens", 0, 10_000_000,
          help="Longest prompt + output accepted; 0 = the model's context length. Longer requests fail (400).",
          source="max_position_embeddings from " + CAT_B),
    Param("gpu_memory_utilization", "float", 0.9, "fraction", 0.05, 1.0,
          help="Share of GPU memory the engine may use (weights + activations + KV cache).",
          source="gpu_memory_utilization 0.9: " + VLLM_SRC),
    Param("chunked_prefill", "bool", True,
          help="Split long prompts into chunks that share steps with decodes (vLLM v1 always chunks).",
          source=cite("vllm-optimization", detail="vLLM v1 chunks prefills by default")),
    Param("prefix_caching", "bool", True,
          help="Automatic prefix caching: freed KV blocks stay cached, so a preempted sequence recomputes "
               "little; enables prefix_cache_hit_rate.", source=cite("vllm-prefix-caching", detail="vLLM v1 enables automatic prefix caching by default")),
    Param("prefix_cache_hit_rate", "float", 0.0, "fraction", 0.0, 0.99,
          help="Share of prompt tokens found in the prefix cache (whole 16-token blocks are skipped).",
          source="assumption: 0 for independent prompts; shared system prompts raise it"),
    Param("speculative", "enum", "none", choices=("none", "ngram", "draft_model"),
          help="Speculative decoding: k drafted tokens verified in one step.", source=cite("vllm-spec-decode", "speculative-decoding-paper", detail="off by default in vLLM")),
    Param("spec_tokens", "int", 4, "tokens", 1, 16, help="Tokens drafted per step (k).",
          source=cite("vllm-spec-decode", detail="num_speculative_tokens examples use 3–5"), advanced=True),
    Param("spec_acceptance", "float", 0.7, "fraction", 0.0, 0.99,
          help="Per-token acceptance rate α; tokens per step = (1 − α^(k+1)) / (1 − α).",
          source=cite("speculative-decoding-paper", detail="assumption: α 0.6–0.8 is typical for a same-family draft model"), advanced=True),
    Param("draft_model", "str", "", help="Draft model id (catalog) when speculative = draft_model.",
          source=CAT_B, advanced=True),
    Param("expert_parallel", "bool", False,
          help="MoE only: spread the experts over all replicas × tp GPUs (vLLM data parallel + expert "
               "parallel); each GPU holds a share of the experts and the ranks exchange tokens every layer.",
          source="enable_expert_parallel False: " + VLLM_SRC, advanced=True),
    Param("max_output_tokens", "int", 0, "tokens", 0, 10_000_000,
          help="Most tokens this call generates (the request's max_tokens): it produces min(the request's "
               "output_tokens, cap); later LLMs on the path still produce the full answer. Use it for "
               "intermediate calls (HyDE writer, graders, planners, agent steps); 0 = no cap.",
          source=cite("openai-chat-api", detail="the OpenAI-compatible max_tokens request field; 0 = unset")),
    Param("replica_routing", "enum", "least_outstanding", choices=("round_robin", "least_outstanding", "kv_aware"),
          help="How the node's balancer picks a replica: in turn, fewest requests, or most free KV cache.",
          source="assumption: least-outstanding is the usual L7 balancer default"),
    Param("profile", "str", "", help="Kernel profile that times the steps: a built-in id or a calibrated "
          "profile .json path; empty = the GPU's built-in profile.", source="design choice: the GPU's built-in profile (each profile cites its measurements)", advanced=True),
)

register(ComponentKind(
    "llm_server", "models", "LLM server (self-hosted)",
    "A model served on GPUs: replicas × an inference engine on tp × pp GPUs with continuous batching on a "
    "paged KV cache; step times from the kernel profile.",
    SERVER_PARAMS, runtime=_server_runtime, hourly_cost=server_hourly_cost,
    outcomes=("error", "timeout", "dropped"), icon="llm_server",
    cost_help="replicas × tp × pp × the GPU's $/GPU-hour (assets/catalogs/gpus.json)",
    defaults_override={"concurrency": 1}))

API_PARAMS: tuple[Param, ...] = (
    Param("provider_model", "catalog", "openai/gpt-4o-mini", catalog="api_models", help="Hosted model id.",
          source=CAT_C),
    Param("use_catalog_latency", "bool", True,
          help="TTFT and output speed around the catalog's published medians (TTFT p99 = 3 × median, "
               "slowest 1% of answers at half speed); off = use the two distributions below.", source=CAT_C),
    Param("ttft", "dist", {"dist": "lognormal", "p50": 450, "p99": 1350}, "ms",
          help="Time to first token when use_catalog_latency is off.",
          source=cite("artificial-analysis", detail="GPT-4o median TTFT 0.45 s; p99 = 3 × median is an assumption")),
    Param("output_speed", "dist", {"dist": "lognormal", "p50": 131, "p99": 200}, "tokens/s",
          help="Output tokens per second when use_catalog_latency is off.",
          source=cite("artificial-analysis", detail="GPT-4o median 131 tokens/s")),
    Param("use_catalog_prices", "bool", True, help="Token prices from the catalog; off = the two prices below.",
          source=CAT_C),
    Param("input_usd_per_1m", "float", 0.15, "USD/1M tokens", 0, 1e4, help="Input-token price (override).",
          source=cite("openai-pricing", detail="GPT-4o mini $0.15 per 1M input tokens")),
    Param("output_usd_per_1m", "float", 0.60, "USD/1M tokens", 0, 1e4, help="Output-token price (override).",
          source=cite("openai-pricing", detail="GPT-4o mini $0.60 per 1M output tokens")),
    Param("rate_limits", "enum", "catalog", choices=("catalog", "custom", "none"),
          help="Per-minute request/token limits: the catalog's entry tier, your own (rpm, tpm), or none.",
          source=CAT_C),
    Param("rpm", "float", 500, "requests/min", 0, 1e9, help="Requests per minute (rate_limits = custom).",
          source=cite("openai-rate-limits", detail="assumption: an entry paid tier (uncertain); set your account's"), advanced=True),
    Param("tpm", "float", 200000, "tokens/min", 0, 1e12, help="Tokens per minute (rate_limits = custom).",
          source=cite("openai-rate-limits", detail="assumption: an entry paid tier (uncertain); set your account's"), advanced=True),
    Param("on_rate_limit", "enum", "queue", choices=("queue", "error"),
          help="Over the limit: wait for capacity (client-side backoff) or fail at once with 429 (error edge).",
          source="assumption: SDK clients retry 429s with backoff"),
    Param("max_output_tokens", "int", 0, "tokens", 0, 10_000_000,
          help="Most tokens this call generates (the request's max_tokens): it produces and is charged for "
               "min(the request's output_tokens, cap); later LLMs on the path still produce the full answer. "
               "Use it for intermediate calls (HyDE writer, graders, planners, agent steps); 0 = no cap.",
          source=cite("openai-chat-api", detail="max_tokens / max_completion_tokens request field; 0 = unset")),
    Param("error_rate", "float", 0.0, "fraction", 0, 1, help="Share of calls that fail (5xx) after running.",
          source="assumption: providers publish no error rates; 0 = none"),
)


def api_hourly_cost(params: dict[str, Any]) -> float:
    return 0.0  # pay per token: charged per request (variable cost), nothing provisioned


register(ComponentKind(
    "llm_api", "models", "LLM API (hosted)",
    "A hosted model bought per token: published TTFT and output speed, list prices, rate limits.",
    API_PARAMS, runtime=_api_runtime, hourly_cost=api_hourly_cost, outcomes=("error", "timeout", "dropped"),
    icon="llm_api", cost_help="input and output tokens × list price per 1M tokens (variable)",
    defaults_override={"concurrency": 1_000_000}))

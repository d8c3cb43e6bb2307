"""Issue 17: the serving frontend, closed loops, pipeline parallelism, the dtype matrix, speculation, bench."""

import json
import re

import numpy as np
import pytest

from genai_sim.cli import main as cli
from simulation.errors import DesignError
from simulation.llm.bench import parse_goodput, run_bench
from simulation.llm.engines import ENGINES
from simulation.llm.memory import memory_plan

LLAMA8 = "meta-llama/Llama-3.1-8B"
ENGINE_ONLY = {"api_frontend": False, "step_jitter": 0.0}


# -- the frontend ----------------------------------------------------------------------------------------
def test_single_request_ttft_includes_the_api_server_and_the_round_trip():
    kw = dict(isl=1024, osl=32, concurrency=1, num_prompts=4)
    engine = run_bench(LLAMA8, "h100-sxm", server_params=ENGINE_ONLY, **kw)
    client = run_bench(LLAMA8, "h100-sxm", server_params={"step_jitter": 0.0}, **kw)
    e = ENGINES["vllm"]
    # request work + tokenising 1024 tokens + the first chunk + a full round trip (0.1 ms default)
    expected = e.api_request_ms + e.api_tokenize_us * 1024 / 1e3 + e.api_stream_us / 1e3 + 0.1
    assert client["mean_ttft_ms"] - engine["mean_ttft_ms"] == pytest.approx(expected, rel=0.05)
    # the last chunk and the way back add to E2E as well; TPOT is the engine's
    assert client["mean_e2el_ms"] > engine["mean_e2el_ms"] + expected * 0.9
    assert client["mean_tpot_ms"] == pytest.approx(engine["mean_tpot_ms"], rel=0.01)


def test_api_server_is_a_fifo_that_spreads_a_cohort():
    # 32 requests sent at the same instant leave the API server one after another (~2 ms each for 1024 tokens)
    res = run_bench(LLAMA8, "h100-sxm", isl=1024, osl=16, request_rate=float("inf"), num_prompts=32,
                    per_request=True, server_params={"step_jitter": 0.0})
    ttfts = np.sort(np.asarray(res["ttfts"]))
    assert res["max_concurrent_requests"] == 32
    assert ttfts[-1] - ttfts[0] > 31 * 2.0e-3 * 0.9


def test_fixed_length_closed_loop_keeps_a_bounded_ttft_ramp():
    # fixed lengths and 16 closed-loop clients: the TTFT must not ramp up cycle after cycle (lockstep that
    # grows) and must stay well under every client prefilling in one cohort
    kw = dict(isl=1024, osl=64, concurrency=16, num_prompts=480, warmup_requests=16, per_request=True)
    res = run_bench(LLAMA8, "h100-sxm", **kw)
    ttft = np.asarray(res["ttfts"]) * 1e3
    thirds = np.array_split(ttft, 3)
    assert thirds[2].mean() <= thirds[0].mean() * 1.25  # no growing ramp
    single = run_bench(LLAMA8, "h100-sxm", isl=1024, osl=64, concurrency=1, num_prompts=4)["mean_ttft_ms"]
    cohort = run_bench(LLAMA8, "h100-sxm", isl=1024 * 16, osl=2, concurrency=1, num_prompts=2,
                       server_params={"max_num_batched_tokens": 16384})["mean_ttft_ms"]
    assert single < res["mean_ttft_ms"] < cohort  # between one prefill and the whole cohort's
    assert np.percentile(ttft, 99) / np.median(ttft) < 4.0


def test_step_jitter_is_seeded_and_small():
    kw = dict(isl=512, osl=128, request_rate=8.0, num_prompts=200)
    a = run_bench(LLAMA8, "h100-sxm", seed=3, **kw)
    b = run_bench(LLAMA8, "h100-sxm", seed=3, **kw)
    flat = run_bench(LLAMA8, "h100-sxm", seed=3, server_params={"step_jitter": 0.0}, **kw)
    assert a["mean_ttft_ms"] == b["mean_ttft_ms"] and a["mean_tpot_ms"] == b["mean_tpot_ms"]
    assert a["mean_tpot_ms"] == pytest.approx(flat["mean_tpot_ms"], rel=0.02)
    assert a["std_itl_ms"] > flat["std_itl_ms"]


# -- pipeline parallelism ----------------------------------------------------------------------------------
def test_pp2_on_twice_the_gpus_raises_saturated_throughput():
    # memory does not bind: 128 × 640 tokens is a small share of the KV pool of one H100
    kw = dict(isl=512, osl=128, concurrency=128, num_prompts=1200, warmup_requests=128)
    tp1 = run_bench(LLAMA8, "h100-sxm", tp=1, pp=1, **kw)
    pp2 = run_bench(LLAMA8, "h100-sxm", tp=1, pp=2, **kw)
    assert tp1["node"]["preemptions"] == 0 and tp1["node"]["kv_usage"] < 0.5
    assert pp2["output_throughput"] >= 1.4 * tp1["output_throughput"]
    # ... and not latency: a lone request crosses both stages in turn (TensorRT-LLM issue #1144: "PP cannot
    # bring benefit on latency, it only increases the throughput")
    one = dict(isl=512, osl=128, concurrency=1, num_prompts=3)
    assert run_bench(LLAMA8, "h100-sxm", pp=2, **one)["mean_tpot_ms"] >= \
        run_bench(LLAMA8, "h100-sxm", pp=1, **one)["mean_tpot_ms"]


def test_pp_virtual_engines_split_the_kv_pool():
    res = run_bench(LLAMA8, "h100-sxm", pp=2, isl=512, osl=64, concurrency=8, num_prompts=40)
    assert res["completed"] == 40
    rt_plan = memory_plan({"model": LLAMA8, "gpu": "h100-sxm", "pp": 2})
    assert res["node"]["kv_blocks_per_replica"] == rt_plan["kv_blocks"]


# -- the hardware support matrix ---------------------------------------------------------------------------
def _design(tmp_path, gpu, dtype):
    data = {"format": "genai-sim.design", "version": 1, "name": "dtype",
            "workload": {"arrival": {"process": "poisson", "rate_per_s": 1}, "duration_s": 20,
                         "input_tokens": 256, "output_tokens": 32},
            "nodes": [{"id": "client", "kind": "client", "pos": [0, 0]},
                      {"id": "llm", "kind": "llm_server", "pos": [200, 0],
                       "params": {"model": LLAMA8, "gpu": gpu, "dtype": dtype}}],
            "edges": [{"source": "client", "target": "llm"}]}
    path = tmp_path / "d.genai.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_fp8_on_v100_is_refused_with_the_reason(tmp_path, capsys):
    path = _design(tmp_path, "v100-32gb", "fp8")
    assert cli(["validate", path]) == 1
    out = capsys.readouterr().out
    assert "dtype-unsupported" in out and "Volta" in out and "FP8" in out
    assert cli(["run", path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fp8 weights cannot run on v100-32gb" in err[0] and "Traceback" not in err[0]
    with pytest.raises(DesignError, match="bfloat16 needs compute capability"):
        memory_plan({"model": LLAMA8, "gpu": "v100-32gb", "dtype": "bf16"})
    with pytest.raises(DesignError, match="CDNA 4"):
        memory_plan({"model": LLAMA8, "gpu": "mi300x", "dtype": "fp4"})


def test_fp8_on_ampere_is_emulated_with_a_warning_and_its_cost(tmp_path, capsys):
    assert cli(["validate", _design(tmp_path, "a100-80gb", "fp8")]) == 0
    assert "dtype-emulated" in capsys.readouterr().out
    plan8 = memory_plan({"model": LLAMA8, "gpu": "a100-80gb", "dtype": "fp8"})
    plan16 = memory_plan({"model": LLAMA8, "gpu": "a100-80gb", "dtype": "bf16"})
    assert plan8["compute_dtype"] == "bf16" and plan8["kv_tokens"] > plan16["kv_tokens"]  # memory shrinks
    kw = dict(isl=2048, osl=16, concurrency=1, num_prompts=3)
    # prefill is compute-bound: emulated fp8 runs it at 16-bit speed, native fp8 on H100 at 8-bit speed
    a100 = {d: run_bench(LLAMA8, "a100-80gb", dtype=d, **kw)["mean_ttft_ms"] for d in ("bf16", "fp8")}
    h100 = {d: run_bench(LLAMA8, "h100-sxm", dtype=d, **kw)["mean_ttft_ms"] for d in ("bf16", "fp8")}
    assert a100["fp8"] > 0.9 * a100["bf16"]
    assert h100["fp8"] < 0.85 * h100["bf16"]
    assert memory_plan({"model": LLAMA8, "gpu": "b200", "dtype": "fp4"})["dtype_emulation"] == ""


# -- speculative decoding ------------------------------------------------------------------------------------
def test_draft_model_must_share_the_tokenizer_and_speeds_up_decoding():
    kw = dict(isl=512, osl=128, concurrency=1, num_prompts=3, tp=4)
    with pytest.raises(DesignError, match="does not share the tokenizer"):
        run_bench("meta-llama/Llama-3.1-70B", "h100-sxm", server_params={
            "speculative": "draft_model", "draft_model": "Qwen/Qwen3-0.6B"}, **kw)
    with pytest.raises(DesignError, match="not smaller"):
        run_bench("Qwen/Qwen3-0.6B", "h100-sxm", isl=512, osl=64, concurrency=1, num_prompts=2,
                  server_params={"speculative": "draft_model", "draft_model": "Qwen/Qwen3-1.7B"})
    base = run_bench("meta-llama/Llama-3.1-70B", "h100-sxm", **kw)
    spec = run_bench("meta-llama/Llama-3.1-70B", "h100-sxm", server_params={
        "speculative": "draft_model", "draft_model": "meta-llama/Llama-3.2-1B", "spec_tokens": 4}, **kw)
    # α 0.62, k 4: 2.2 tokens per verify step, paid with four 1B draft steps and a 5-token verify pass
    assert 1.3 < base["mean_tpot_ms"] / spec["mean_tpot_ms"] < 2.2


# -- bench, as measurements are taken -----------------------------------------------------------------------
def test_bench_contract_warmup_arrays_range_ratio_goodput():
    res = run_bench(LLAMA8, "h100-sxm", isl=1000, osl=100, concurrency=8, num_prompts=60, warmup_requests=8,
                    random_range_ratio=0.5, goodput=parse_goodput(["ttft:100", "tpot:20"]), per_request=True)
    assert res["completed"] == 60  # warm-up requests are not counted
    for key in ("input_lens", "output_lens", "ttfts", "itls", "start_times"):
        assert len(res[key]) == 60
    assert min(res["input_lens"]) >= 500 and max(res["input_lens"]) <= 1500
    assert min(res["output_lens"]) >= 50 and max(res["output_lens"]) <= 150
    assert len(set(res["input_lens"])) > 20
    assert all(len(itl) == n - 1 for itl, n in zip(res["itls"], res["output_lens"]))
    assert min(res["start_times"]) == 0.0
    assert res["max_concurrent_requests"] == 8
    assert 0 <= res["request_goodput"] <= res["request_throughput"]
    assert re.fullmatch(r"\d{8}-\d{6}", res["date"])
    with pytest.raises(DesignError):
        parse_goodput(["latency:5"])
    with pytest.raises(DesignError):
        run_bench(LLAMA8, "h100-sxm", concurrency=1, num_prompts=2, random_range_ratio=1.0)


def test_sharegpt_like_lengths_are_capped_as_vllm_samples_them():
    res = run_bench(LLAMA8, "h100-sxm", dataset="sharegpt", concurrency=16, num_prompts=200, per_request=True)
    ins, outs = np.asarray(res["input_lens"]), np.asarray(res["output_lens"])
    assert ins.min() >= 4 and ins.max() <= 1024 and (ins + outs).max() <= 2048
    assert 300 < np.median(ins) < 900


def test_bench_cli_flags(capsys):
    assert cli(["bench", "--model", LLAMA8, "--gpu", "h100-sxm", "--isl", "256", "--osl", "16",
                "--concurrency", "4", "--num-prompts", "12", "--warmup-requests", "4",
                "--random-range-ratio", "0.2", "--goodput", "ttft:50", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["warmup_requests"] == 4 and len(data["ttfts"]) == 12 and "request_goodput" in data
    assert cli(["bench", "--model", LLAMA8, "--gpu", "h100-sxm", "--concurrency", "2",
                "--goodput", "bad"]) == 2
    assert "goodput" in capsys.readouterr().err


# -- engine presets ------------------------------------------------------------------------------------------
def test_trtllm_preset_defaults():
    plan = memory_plan({"model": LLAMA8, "gpu": "h100-sxm", "dtype": "fp8", "engine": "trtllm"})
    assert plan["kv_dtype"] == "fp8"  # NVIDIA FP8 checkpoints quantise the KV cache too
    assert memory_plan({"model": LLAMA8, "gpu": "h100-sxm", "dtype": "fp8"})["kv_dtype"] == "bf16"  # vLLM auto
    assert plan["max_num_batched_tokens"] == 8192  # no chunking, the budget stays
    # an unchunked prompt longer than the budget still runs (alone)
    res = run_bench(LLAMA8, "h100-sxm", engine="trtllm", isl=12000, osl=8, concurrency=2, num_prompts=4)
    assert res["completed"] == 4


def test_trtllm_schedules_prompts_whole_unless_the_design_says_chunk():
    # the declared chunked_prefill default (vLLM's) must not override TensorRT-LLM's own (no chunked context).
    # Two 5000-token prompts wait while a short one runs; they do not fit one 8192-token step together.
    arrivals = [(0.0, 2000, 2), (0.001, 5000, 2), (0.001, 5000, 2)]

    def ttfts(engine: str, **extra: object) -> np.ndarray:
        res = run_bench(LLAMA8, "h100-sxm", engine=engine, arrivals=arrivals, per_request=True,
                        server_params={**ENGINE_ONLY, **extra})
        return np.asarray(res["ttfts"])

    whole, chunked, vllm = ttfts("trtllm"), ttfts("trtllm", chunked_prefill=True), ttfts("vllm")
    # whole: the first 5000-token prompt alone in its step, the second in the next one
    assert whole[1] < 0.75 * chunked[1]  # chunked: 3192 tokens of the other prompt share its step
    assert whole[2] > whole[1] + 0.8 * (whole[1] - whole[0])
    assert vllm[1] == pytest.approx(chunked[1], rel=0.02)  # vLLM chunks by default

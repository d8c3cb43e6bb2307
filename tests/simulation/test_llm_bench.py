"""`genai-sim bench`: vllm-bench-serve JSON keys, argument handling, agreement with the full metrics path."""

import argparse
import json

import pytest

from simulation.errors import DesignError
from simulation.llm.bench import (
    BenchSimulation,
    add_bench_arguments,
    bench_design,
    bench_main,
    bench_metrics,
    bench_metrics_from_sim,
    run_bench,
)

KEYS = ["completed", "duration", "request_throughput", "output_throughput", "total_token_throughput"] + [
    f"{s}_{m}_ms" for m in ("ttft", "tpot", "itl", "e2el") for s in ("mean", "median", "std", "p99")]


def _parse(argv):
    parser = argparse.ArgumentParser()
    add_bench_arguments(parser)
    return parser.parse_args(argv)


def test_json_output_has_vllm_bench_keys(capsys):
    args = _parse(["--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "h100-sxm", "--isl", "256", "--osl",
                   "32", "--request-rate", "4", "--num-prompts", "40", "--json"])
    assert bench_main(args) == 0
    out = json.loads(capsys.readouterr().out)
    for key in KEYS:
        assert isinstance(out[key], (int, float)), key
    assert out["completed"] == 40
    assert out["total_output_tokens"] == 40 * 32
    assert out["request_throughput"] == pytest.approx(out["completed"] / out["duration"])


def test_table_output(capsys):
    args = _parse(["--model", "Qwen/Qwen3-8B", "--gpu", "l40s", "--isl", "128", "--osl", "16",
                   "--concurrency", "2", "--num-prompts", "6"])
    assert bench_main(args) == 0
    text = capsys.readouterr().out
    assert "Successful requests" in text and "Mean TTFT (ms)" in text


def test_bench_needs_one_load_option():
    with pytest.raises(DesignError):
        run_bench("meta-llama/Llama-3.1-8B", "h100-sxm", num_prompts=5)
    with pytest.raises(DesignError):
        run_bench("meta-llama/Llama-3.1-8B", "h100-sxm", concurrency=0, num_prompts=5)


def test_unknown_gpu_or_model_is_a_design_error():
    with pytest.raises(DesignError, match="gpu"):
        run_bench("meta-llama/Llama-3.1-8B", "tpu-v9", concurrency=1, num_prompts=2)
    with pytest.raises(DesignError, match="model"):
        run_bench("nobody/none", "h100-sxm", concurrency=1, num_prompts=2)


def test_fast_summary_equals_the_full_metrics_path():
    d = bench_design("meta-llama/Llama-3.1-8B", "h100-sxm", isl=512, osl=64, concurrency=12,
                     isl_dist={"dist": "uniform", "low": 100, "high": 2000})
    fast, full = (BenchSimulation(d, 3, None, 150, 1e9) for _ in range(2))
    fast.run_to_completion()
    a = bench_metrics_from_sim(fast)
    b = bench_metrics(full.run(drain_s=1e7), full)
    for key in KEYS:
        assert a[key] == pytest.approx(b[key], rel=1e-9), key

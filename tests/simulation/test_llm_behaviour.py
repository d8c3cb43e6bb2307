"""llm_server behaviour: the effects SPEC §4 promises, checked through `run_bench` and the engine."""

import pytest

from simulation.engine.core import Simulation
from simulation.errors import DesignError
from simulation.llm.bench import run_bench
from simulation.llm.steptime import spec_decode_gain
from simulation.loader import load_design
from tests.simulation.helpers import design, edge

LLAMA8 = "meta-llama/Llama-3.1-8B"


def _bench(**kw):
    args = {"model": LLAMA8, "gpu": "h100-sxm", "isl": 512, "osl": 128, "num_prompts": 120, "seed": 3}
    args.update(kw)
    return run_bench(**args)


def test_tpot_rises_with_concurrency():
    tpot = [_bench(concurrency=c)["mean_tpot_ms"] for c in (1, 16, 128)]
    assert tpot[0] < tpot[1] < tpot[2]
    assert tpot[2] > 1.3 * tpot[0]


def test_ttft_explodes_once_kv_capacity_is_exceeded():
    # RTX 4090: ~41.5k KV tokens; 3,000-token sequences → about 13 fit at once
    kw = {"gpu": "rtx-4090", "isl": 2000, "osl": 1000, "num_prompts": 60}
    under = _bench(concurrency=8, **kw)
    over = _bench(concurrency=48, **kw)
    assert under["node"]["preemptions"] == 0
    assert over["node"]["preemptions"] > 0
    assert over["node"]["kv_usage"] > 0.8
    assert over["mean_ttft_ms"] > 5 * under["mean_ttft_ms"]


def test_tensor_parallelism_lowers_tpot():
    kw = {"model": "meta-llama/Llama-3.1-70B", "concurrency": 8, "num_prompts": 40}
    tp2, tp4, tp8 = (_bench(tp=tp, **kw)["mean_tpot_ms"] for tp in (2, 4, 8))
    assert tp8 < tp4 < tp2


def test_fp8_weights_raise_decode_speed():
    bf16 = _bench(concurrency=16)
    fp8 = _bench(concurrency=16, dtype="fp8")
    assert fp8["mean_tpot_ms"] < 0.8 * bf16["mean_tpot_ms"]
    assert fp8["output_throughput"] > 1.2 * bf16["output_throughput"]


@pytest.mark.parametrize("k, alpha, gain", [(4, 0.7, (1 - 0.7 ** 5) / 0.3), (3, 0.0, 1.0), (2, 1.0, 3.0)])
def test_speculative_gain_formula(k, alpha, gain):
    assert spec_decode_gain(k, alpha) == pytest.approx(gain)


def test_speculative_decoding_gives_the_expected_token_gain():
    spec = {"speculative": "ngram", "spec_tokens": 4, "spec_acceptance": 0.7}
    base = _bench(concurrency=1, num_prompts=10, osl=512)
    fast = _bench(concurrency=1, num_prompts=10, osl=512, server_params=spec)
    gain = spec_decode_gain(4, 0.7)
    # one verify step costs a bit more than a decode step (5 tokens/sequence), and yields `gain` tokens
    assert fast["node"]["decode_tokens_per_s"] > 0
    ratio = base["mean_tpot_ms"] / fast["mean_tpot_ms"]
    assert 0.75 * gain < ratio <= gain * 1.01
    assert fast["completed"] == 10


def test_model_too_large_is_refused_at_construction():
    data = design([{"id": "llm", "kind": "llm_server", "params": {"model": "meta-llama/Llama-3.1-70B"}}],
                  [edge("users", "llm")])
    with pytest.raises(DesignError, match=r"nodes\.llm\.params: Llama 3\.1 70B in bf16 does not fit"):
        Simulation(load_design(data), seed=1)


def test_tp_must_divide_heads():
    with pytest.raises(DesignError, match="tp 3 must divide"):
        _bench(tp=3, concurrency=1, num_prompts=2)

"""The llm_server model against real vLLM runs (../shared/validation; skipped when absent).

Targets (issue 3): mean TPOT and E2E within 10 %, mean TTFT within 20 %. The two Llama-3.1-8B runs
meet them; the two Qwen3 runs do not, for reasons outside the scheduler (see
benchmarks/llm_validation.py and the bands below), and are pinned so a change shows up.
"""

import numpy as np
import pytest

from simulation.llm.validation import replay_llmservingsim, splitwise_comparison


def _err(r, key):
    return r["predicted"][key] / r["measured"][key] - 1


@pytest.mark.parametrize("run", ["RTX4090/Llama-3.1-8B", "RTXPRO6000/Llama-3.1-8B"])
def test_llama_runs_meet_the_targets(validation_dir, run):
    r = replay_llmservingsim(run, validation_dir)
    assert r["completed"] == 300
    assert abs(_err(r, "tpot_mean")) <= 0.10
    assert abs(_err(r, "e2e_mean")) <= 0.10
    assert abs(_err(r, "ttft_mean")) <= 0.20
    assert abs(_err(r, "ttft_p99")) <= 0.20


def test_rtx4090_run_is_kv_bound(validation_dir):
    # vLLM's run filled the 2,588-block KV cache; the replay must reach the same regime
    r = replay_llmservingsim("RTX4090/Llama-3.1-8B", validation_dir)
    assert r["kv_blocks"] == pytest.approx(2588, rel=0.02)
    assert r["preemptions"] > 0


def test_qwen3_32b_tp2_is_too_fast_by_the_pcie_allreduce(validation_dir):
    # Known miss: the RTX PRO 6000 profile's all-reduce (from the L40S fit) is ~3x faster than this
    # PCIe box's; predicted TPOT/E2E/TTFT come out 20-35 % low. Pinned to catch any drift.
    r = replay_llmservingsim("RTXPRO6000/Qwen3-32B", validation_dir)
    assert -0.35 < _err(r, "tpot_mean") < -0.10
    assert -0.45 < _err(r, "ttft_mean") < -0.15


def test_qwen3_moe_dp_ep_decode_is_close_but_ttft_is_not(validation_dir):
    # Known miss: DP2 + expert parallel; pure-decode steps match the measured throughput within ~10 %,
    # but DP coordination and PCIe all-to-all costs of mixed steps are not modelled (TTFT low).
    r = replay_llmservingsim("RTXPRO6000/Qwen3-30B-A3B-Instruct-2507", validation_dir)
    assert -0.25 < _err(r, "tpot_mean") < 0.0
    assert _err(r, "ttft_mean") < -0.3


def test_splitwise_step_times_have_the_measured_trends(validation_dir):
    rows = [r for r in splitwise_comparison(validation_dir) if r["batch"] < 64]
    assert len(rows) > 90
    # TP2 is the configuration closest to a modern engine: prefill and decode within 35 %
    tp2 = [r for r in rows if r["tp"] == 2]
    for key, pred in (("prompt_ms", "pred_prompt_ms"), ("token_ms", "pred_token_ms")):
        err = np.median([abs(r[pred] / r[key] - 1) for r in tp2])
        assert err < 0.35, key
    # prefill grows ~linearly with batch × prompt tokens, as measured
    a100 = {(r["prompt"], r["batch"]): r for r in rows if r["hardware"] == "a100-80gb" and r["tp"] == 2
            and r["tokens"] == 128}
    assert a100[(512, 16)]["pred_prompt_ms"] / a100[(512, 1)]["pred_prompt_ms"] == pytest.approx(
        a100[(512, 16)]["prompt_ms"] / a100[(512, 1)]["prompt_ms"], rel=0.35)

import json
import math
import time

import pytest

from kernels import roofline
from kernels.errors import InputError
from kernels.hardware import all_gpus
from kernels.perf import PROFILE_FORMAT, builtin_profile_ids, load_profile


def _synthetic(tmp_path, name="synthetic.json", **overrides):
    """A tiny profile with known efficiencies: 50 % at m=1, 80 % at m=64 (GEMM)."""
    data = {
        "format": PROFILE_FORMAT, "version": 1, "id": "synthetic", "device": "test device", "gpu": None,
        "source": "unit test",
        "peaks": {"tflops": {"bf16": 100.0}, "mem_bw_gbs": 1000.0, "memory_gb": 10, "interconnect_gbs": 100.0},
        "overheads": {"launch_overhead_ms": 0.005, "step_overhead_ms": 0.1, "source": "test"},
        "tables": {
            "gemm": {"bf16": {"axes": {"m": [1, 64], "n": [1024], "k": [1024]},
                              "log_eff": [math.log(0.5), math.log(0.8)]}},
            "attention_decode": {"bf16": {"axes": {"kv_len": [16, 4096], "batch_kv_heads": [1, 64], "gqa": [1, 8],
                                                   "head_dim": [128]}, "log_eff": [math.log(0.6)] * 8}},
        },
    }
    data.update(overrides)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _gemm_roof_ms(m, n, k, tflops=100.0, bw=1000.0, dtype="bf16"):
    flops, nbytes = roofline.gemm(m, n, k, dtype)
    return max(flops / (tflops * 1e12), nbytes / (bw * 1e9)) * 1e3


def test_exact_at_grid_points_and_log_interpolated_between(tmp_path):
    prof = load_profile(_synthetic(tmp_path))
    assert prof.gemm_ms(1, 1024, 1024) == pytest.approx(_gemm_roof_ms(1, 1024, 1024) / 0.5, rel=1e-12)
    assert prof.gemm_ms(64, 1024, 1024) == pytest.approx(_gemm_roof_ms(64, 1024, 1024) / 0.8, rel=1e-12)
    eff_mid = math.exp((math.log(0.5) + math.log(0.8)) / 2)  # m = 8 is halfway in log space
    assert prof.gemm_ms(8, 1024, 1024) == pytest.approx(_gemm_roof_ms(8, 1024, 1024) / eff_mid, rel=1e-9)


def test_outside_the_grid_follows_the_roofline_with_boundary_efficiency(tmp_path):
    prof = load_profile(_synthetic(tmp_path))
    for m, n, k in ((4096, 1024, 1024), (64, 8192, 8192), (64, 64, 64)):
        assert prof.gemm_ms(m, n, k) == pytest.approx(_gemm_roof_ms(m, n, k) / 0.8, rel=1e-12)


def test_never_below_the_roofline_even_with_efficiency_above_one(tmp_path):
    path = _synthetic(tmp_path, tables={"gemm": {"bf16": {"axes": {"m": [1], "n": [1], "k": [1]}, "log_eff": [1.0]}}})
    prof = load_profile(path)
    assert prof.gemm_ms(512, 512, 512) == pytest.approx(_gemm_roof_ms(512, 512, 512), rel=1e-12)


@pytest.mark.parametrize("profile_id", ["h100-sxm", "a100-80gb", "l40s", "l4", "rtx-4090"])
def test_builtin_profiles_respect_the_roofline_floor(profile_id):
    prof = load_profile(profile_id)
    peak, bw = prof.peak_tflops("bf16") * 1e12, prof.mem_bw_gbs * 1e9
    for m in (1, 7, 300, 5000, 100000):
        f, b = roofline.gemm(m, 4096, 14336, "bf16")
        assert prof.gemm_ms(m, 4096, 14336) >= max(f / peak, b / bw) * 1e3 * (1 - 1e-12)
    for t, c in ((1, 1), (300, 2000), (20000, 40000)):
        f, b = roofline.attention_prefill(t, c, 32, 8, 128, 2, "bf16")
        assert prof.attention_prefill_ms(t, c, 32, 8, 128, 2) >= max(f / peak, b / bw) * 1e3 * (1 - 1e-12)
    for batch, kv in ((1, 1), (64, 1000.5), (4096, 300000)):
        f, b = roofline.attention_decode(batch, kv, 32, 8, 128, "bf16")
        assert prof.attention_decode_ms(batch, kv, 32, 8, 128) >= max(f / peak, b / bw) * 1e3 * (1 - 1e-12)


@pytest.mark.parametrize("profile_id", ["h100-sxm", "a100-80gb", "l40s", "b200", "rtx-pro-6000"])
def test_latency_grows_with_work(profile_id):
    prof = load_profile(profile_id)
    for m in (256, 1024, 4096, 16384):
        assert prof.gemm_ms(4 * m, 4096, 4096) > prof.gemm_ms(m, 4096, 4096)
    for t in (256, 1024, 4096):
        assert prof.attention_prefill_ms(4 * t, 4 * t, 32, 8, 128) > prof.attention_prefill_ms(t, t, 32, 8, 128)
    for kv in (1024, 4096, 16384):
        assert prof.attention_decode_ms(64, 4 * kv, 32, 8, 128) > prof.attention_decode_ms(64, kv, 32, 8, 128)
    for size in (2**20, 2**24, 2**28):
        assert prof.allreduce_ms(4 * size, 8) > prof.allreduce_ms(size, 8)
        assert prof.memcpy_ms(4 * size) > prof.memcpy_ms(size)
    assert prof.allreduce_ms(2**20, 1) == 0.0
    # faster hardware with the same efficiency shape is faster
    assert load_profile("h200-sxm").attention_decode_ms(64, 8192, 32, 8, 128) < \
        load_profile("h100-sxm").attention_decode_ms(64, 8192, 32, 8, 128)


def test_every_catalog_gpu_has_a_builtin_profile_with_provenance():
    assert builtin_profile_ids() == sorted(g.id for g in all_gpus())
    for pid in builtin_profile_ids():
        prof = load_profile(pid)
        assert prof.gpu is not None and prof.gpu.id == pid
        assert prof.launch_overhead_ms > 0 and prof.step_overhead_ms > 0
        assert prof.memory_gb == prof.gpu.memory_gb
        assert "fitted" in prof.source or "scaled from" in prof.source
    assert load_profile("h100-sxm").source.startswith("datasheet peaks + efficiency fitted to aiconfigurator")
    assert "scaled from the h100-sxm fit" in load_profile("h200-sxm").source


def test_profile_is_cached_and_calls_are_fast():
    assert load_profile("h100-sxm") is load_profile("h100-sxm")
    prof = load_profile("h100-sxm")
    prof.attention_decode_ms(8, 100.5, 32, 8, 128)
    n = 1000
    best = math.inf
    # CPU time of this process (not wall time): the machine is shared; best of several batches
    for batch in range(7):
        start = time.process_time()
        for i in range(n):  # distinct arguments: no memo hits
            prof.attention_decode_ms(64, 1000.25 + i + batch * n, 32, 8, 128)
        best = min(best, (time.process_time() - start) / n)
    assert best < 20e-6
    start = time.process_time()
    for _ in range(10 * n):
        prof.gemm_ms(128, 4096, 4096)
    assert (time.process_time() - start) / (10 * n) < 5e-6


def test_dtypes_and_fallbacks():
    h100 = load_profile("h100-sxm")
    assert h100.gemm_ms(4096, 8192, 8192, "fp8") < h100.gemm_ms(4096, 8192, 8192, "bf16")
    a100 = load_profile("a100-80gb")
    assert a100.peak_tflops("fp8") == 312  # FP8 weights, BF16 compute on Ampere
    assert a100.gemm_ms(1, 8192, 8192, "fp8") < a100.gemm_ms(1, 8192, 8192, "bf16")  # half the weight bytes
    with pytest.raises(InputError, match="unknown dtype"):
        h100.gemm_ms(1, 2, 3, "fp7")


@pytest.mark.parametrize("call, match", [
    (lambda p: p.gemm_ms(0, 10, 10), "m: must be >= 1"),
    (lambda p: p.gemm_ms("x", 10, 10), "m: must be a number"),
    (lambda p: p.attention_prefill_ms(100, 50, 8, 8, 128), "context: must be >= tokens"),
    (lambda p: p.attention_decode_ms(1, 10, 8, 16, 128), "kv_heads: must be <= heads"),
    (lambda p: p.allreduce_ms(100, 2.5), "gpus: must be an integer"),
    (lambda p: p.memcpy_ms(-1), "bytes: must be >= 0"),
])
def test_bad_arguments_raise_input_error(call, match):
    with pytest.raises(InputError, match=match):
        call(load_profile("l4"))


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match='unknown profile "h100"'):
        load_profile("h100")
    with pytest.raises(InputError, match="profile file not found"):
        load_profile(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="cannot read profile"):
        load_profile(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(InputError, match="not a genai-sim profile"):
        load_profile(other)
    with pytest.raises(InputError, match="version 99 not supported"):
        load_profile(_synthetic(tmp_path, "v99.json", version=99))
    with pytest.raises(InputError, match="malformed profile"):
        load_profile(_synthetic(tmp_path, "broken.json", tables={"gemm": {"bf16": {"axes": {"m": [1]}}}}))
    with pytest.raises(InputError, match="has no attention_prefill measurements"):
        load_profile(_synthetic(tmp_path)).attention_prefill_ms(10, 10, 8, 8, 128)


def test_rtx_pro_6000_allreduce_follows_its_two_gpu_measurement():
    """The built-in RTX PRO 6000 all-reduce is fitted to the sourced 2-GPU NCCL figures, not borrowed."""
    from kernels import public_data

    prof = load_profile("rtx-pro-6000")
    errors = [abs(prof.allreduce_ms(nbytes, 2) * 1e3 / us - 1) for nbytes, us in public_data.LSS_RTXPRO6000_ALLREDUCE_US]
    assert sorted(errors)[len(errors) // 2] < 0.02 and max(errors) < 0.08
    # larger groups (scaled from the L40S shape) cost more than a pair for the same message
    assert prof.allreduce_ms(2**20, 8) > prof.allreduce_ms(2**20, 4) > prof.allreduce_ms(2**20, 2)

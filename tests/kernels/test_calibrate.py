import json
import statistics
import time

import pytest

from kernels.errors import InputError


def _torch_cuda() -> bool:
    torch = pytest.importorskip("torch")
    return torch.cuda.is_available()


@pytest.fixture(scope="module")
def quick_cpu_profile(tmp_path_factory):
    pytest.importorskip("torch")
    from kernels.calibrate import calibrate

    out = tmp_path_factory.mktemp("cal") / "cpu.json"
    seen = []
    start = time.monotonic()
    path = calibrate("cpu", quick=True, out=out, progress=lambda done, total, label: seen.append((done, total)))
    return path, time.monotonic() - start, seen


@pytest.mark.slow
def test_quick_cpu_calibration_is_fast_and_loadable(quick_cpu_profile):
    from kernels.perf import load_profile

    path, seconds, seen = quick_cpu_profile
    assert seconds < 60
    assert seen[-1][0] == seen[-1][1] and len(seen) == seen[-1][1]
    prof = load_profile(path)
    data = json.loads(path.read_text())
    assert prof.source.startswith("calibrated on ") and data["software"]["torch"]
    assert prof.launch_overhead_ms > 0 and prof.step_overhead_ms > 0
    # every stored measurement is reproduced (grid nodes are exact, up to the 1e-6 rounding of log_eff)
    for rec in data["measurements"]:
        if rec["op"] == "gemm":
            assert prof.gemm_ms(rec["m"], rec["n"], rec["k"], rec["dtype"]) == pytest.approx(rec["ms"], rel=1e-5)
        elif rec["op"] == "attention_decode":
            got = prof.attention_decode_ms(rec["batch"], rec["kv_len"], rec["heads"], rec["kv_heads"],
                                           rec["head_dim"], rec["dtype"])
            assert got == pytest.approx(rec["ms"], rel=1e-5)
        elif rec["op"] == "attention_prefill":
            got = prof.attention_prefill_ms(rec["tokens"], rec["context"], rec["heads"], rec["kv_heads"],
                                            rec["head_dim"], rec["batch"], rec["dtype"])
            assert got == pytest.approx(rec["ms"], rel=1e-5)
    # bf16 requests on a profile measured in fp32 fall back to the fp32 grid and peak
    assert prof.gemm_ms(64, 1024, 1024, "bf16") > 0


@pytest.mark.slow
def test_quick_cpu_profile_predicts_held_back_measurements(quick_cpu_profile):
    from kernels.calibrate import holdout_errors

    errors = holdout_errors(quick_cpu_profile[0])
    assert set(errors) == {"gemm", "attention_prefill", "attention_decode"}
    flat = [e for errs in errors.values() for e in errs]
    assert len(flat) >= 30
    assert statistics.median(flat) <= 0.15, {op: statistics.median(e) for op, e in errors.items()}


def test_bad_device_and_output_are_input_errors(tmp_path):
    pytest.importorskip("torch")
    from kernels.calibrate import calibrate

    with pytest.raises(InputError, match="--device: must be cpu, cuda or cuda:N"):
        calibrate("tpu", out=tmp_path / "x.json")
    with pytest.raises(InputError, match="must be a .json file"):
        calibrate("cpu", quick=True, out=tmp_path / "x.txt")
    if not _torch_cuda():
        with pytest.raises(InputError, match="no CUDA GPU is available"):
            calibrate("cuda", out=tmp_path / "x.json")


@pytest.mark.gpu
def test_cuda_quick_calibration(tmp_path):
    if not _torch_cuda():
        pytest.skip("no CUDA GPU")
    from kernels.calibrate import calibrate, holdout_errors
    from kernels.perf import load_profile

    path = calibrate("cuda:0", quick=True, out=tmp_path / "gpu.json")
    prof = load_profile(path)
    assert prof.peak_tflops("bf16") > 1 and prof.mem_bw_gbs > 100
    flat = [e for errs in holdout_errors(path).values() for e in errs]
    assert statistics.median(flat) <= 0.15


def test_bench_attention_kernels_compute_grouped_query_attention():
    torch = pytest.importorskip("torch")
    from kernels import bench

    torch.manual_seed(0)
    for fn in (bench.decode_fn("cpu", 2, 37, 8, 2, 16, "fp32"), bench.prefill_fn("cpu", 5, 2, 8, 2, 16, "fp32")):
        out = fn()
        assert torch.isfinite(out).all()
    # packed-group decode equals the reference GQA attention
    q, k, v = torch.randn(2, 8, 1, 16), torch.randn(2, 2, 37, 16), torch.randn(2, 2, 37, 16)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    packed = torch.nn.functional.scaled_dot_product_attention(q.view(2, 2, 4, 16), k, v).reshape(2, 8, 1, 16)
    assert torch.allclose(ref, packed, atol=1e-5)


def test_unmeasured_nodes_are_filled_and_device_names_map_to_the_catalog():
    from kernels.calibrate import _match_gpu, _tables

    recs = [{"op": "memcpy", "dtype": "any", "nbytes": nb, "ms": ms, "flops": 0.0, "bytes": 2 * nb, "holdout": False}
            for nb, ms in ((1e3, 1e-3), (1e5, 1e-2))]
    table = _tables(recs, {("memcpy", "any"): {"nbytes": [1e3, 1e4, 1e5]}}, {"fp32": 1.0}, 20.0)["memcpy"]["any"]
    assert table["filled_nodes"] == 1 and len(table["log_eff"]) == 3
    assert table["log_eff"][1] == pytest.approx((table["log_eff"][0] + table["log_eff"][2]) / 2, abs=1e-6)
    assert _match_gpu("NVIDIA H100 80GB HBM3") == "h100-sxm"
    assert _match_gpu("NVIDIA L40S") == "l40s" and _match_gpu("NVIDIA L4") == "l4"
    assert _match_gpu("NVIDIA A100-SXM4-40GB") == "a100-40gb"
    assert _match_gpu("Some Future GPU") is None

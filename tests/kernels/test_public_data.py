"""Validation against the public kernel tables in ../shared/validation (skipped when absent)."""

import numpy as np
import pytest

from kernels import public_data

pytestmark = pytest.mark.skipif(not public_data.validation_dir().is_dir(), reason="no ../shared/validation")


@pytest.mark.parametrize("gpu_id", ["h100-sxm", "a100-80gb", "l40s"])
def test_builtin_profiles_predict_the_public_tables(gpu_id):
    from kernels.accuracy import builtin_report

    for label, errors in builtin_report(gpu_id).items():
        if not label.startswith("allreduce"):
            assert np.median(errors) <= 0.10, (gpu_id, label, np.median(errors))


@pytest.mark.parametrize("gpu_id", ["h100-sxm", "a100-80gb"])
def test_leave_one_out_interpolation(gpu_id):
    from kernels.accuracy import loo_report

    for label, errors in loo_report(gpu_id).items():
        if not label.startswith("allreduce"):
            assert np.median(errors) <= 0.05 and np.quantile(errors, 0.9) <= 0.15, (label,)


def test_leave_one_out_on_l40s_rows_at_or_above_the_roofline():
    """L40S (96 MB L2): rows faster than HBM allows are L2-resident; profiles never go below the roofline."""
    from kernels.accuracy import loo_report

    for label, errors in loo_report("l40s", above_roofline_only=True).items():
        if not label.startswith("allreduce"):
            assert np.median(errors) <= 0.05 and np.quantile(errors, 0.9) <= 0.15, (label,)


def test_gemm_units_are_milliseconds_per_gemm():
    """A large H100 BF16 GEMM from the table runs at 60-95 % of the 989 TFLOPS dense peak."""
    t = public_data.aic_gemm("h100-sxm")["bf16"]
    big = (t["m"] == 8192) & (t["n"] == 8192) & (t["k"] == 8192)
    tflops = 2 * 8192**3 / (t["latency_ms"][big][0] * 1e-3) / 1e12
    assert 0.6 * 989 < tflops < 0.95 * 989


@pytest.mark.parametrize("gpu_id", ["h100-sxm", "a100-80gb"])
def test_builtin_profiles_agree_with_vidur(gpu_id):
    """Independent cross-check (Vidur, FP16, 2024 stack; not used in the fit): GEMMs and all-reduce."""
    from kernels.accuracy import vidur_crosscheck

    for label, errors in vidur_crosscheck(gpu_id).items():
        assert len(errors) > 1000 and np.median(errors) <= 0.25, (label, np.median(errors))

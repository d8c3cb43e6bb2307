import json

import pytest

from kernels.errors import InputError
from kernels.hardware import ASSETS_DIR, all_gpus, gpu

EXPECTED_IDS = ["h100-sxm", "h100-pcie", "h200-sxm", "b200", "a100-80gb", "a100-40gb", "l40s", "l4", "a10g",
                "v100-32gb", "rtx-4090", "rtx-pro-6000", "mi300x"]


def test_catalog_has_exactly_the_agreed_ids():
    assert [g.id for g in all_gpus()] == EXPECTED_IDS


def test_peaks_are_dense_not_sparse():
    # catalog.md A.1: vendor "with sparsity" figures are twice the dense ones
    assert gpu("h100-sxm").peak_tflops["bf16"] == 989
    assert gpu("h100-sxm").peak_tflops["fp8"] == 1979
    assert gpu("l40s").peak_tflops["fp8"] == 733
    assert gpu("mi300x").peak_tflops["bf16"] == pytest.approx(1307.4)
    for spec in all_gpus():
        assert spec.peak_tflops.get("fp8", 0) <= 2.05 * spec.compute_tflops("bf16")


def test_every_figure_cites_a_source():
    raw = json.loads((ASSETS_DIR / "catalogs" / "gpus.json").read_text())
    for entry in raw["gpus"]:
        assert entry["source"]
        for key in ("peaks", "fp32", "mem_bw_gbs", "interconnect_gbs", "usd_per_hour", "tdp_w"):
            assert entry["sources"].get(key), (entry["id"], key)


def test_lookup_is_case_insensitive_and_errors_name_known_ids():
    assert gpu("H100-SXM").id == "h100-sxm"
    with pytest.raises(InputError, match='unknown GPU "h100"; known: h100-sxm'):
        gpu("h100")


def test_dtype_fallback_to_wider_compute():
    assert gpu("a100-80gb").compute_tflops("fp8") == 312  # no FP8 tensor cores: computes in BF16
    assert gpu("v100-32gb").compute_tflops("bf16") == 125  # no BF16: FP16 tensor cores
    with pytest.raises(InputError, match="unknown dtype"):
        gpu("h100-sxm").compute_tflops("fp12")

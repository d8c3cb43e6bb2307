"""Readers for the public kernel measurements in the held-out validation data (never copied into the repo),
plus one small sourced table that folder lacks (the RTX PRO 6000 all-reduce, at the end).

Used by the fitting script (``kernels.fit``), the accuracy benchmarks and the validation tests.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kernels.errors import InputError
from kernels.sources import cite

# aiconfigurator folder name and vLLM version directory per catalog GPU (validation/README.md §1).
AIC_GPUS: dict[str, tuple[str, str, str]] = {
    "h100-sxm": ("h100_sxm", "0.24.0", "2.29.2"),
    "a100-80gb": ("a100_sxm", "0.14.0", "2.27.3"),
    "l40s": ("l40s", "0.24.0", "2.27.3"),
}
AIC_DTYPES = {"bfloat16": "bf16", "fp8": "fp8"}


def validation_dir() -> Path:
    """The validation data folder beside the checkout (env GENAI_SIM_VALIDATION overrides)."""
    override = os.environ.get("GENAI_SIM_VALIDATION")
    if override:
        return Path(override)
    return (Path(__file__).resolve().parents[1] / ".." / "shared" / "validation").resolve()


def _read_csv(path: Path) -> dict[str, list[str]]:
    if not path.is_file():
        raise InputError(f"{path}: public measurement file not found")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [row[key] for row in rows] for key in (rows[0] if rows else {})}


def _num(values: list[str]) -> np.ndarray:
    return np.asarray(values, dtype=float)


@dataclass
class Table:
    """Columns of one public table as numpy arrays; latency_ms is the measured time."""

    columns: dict[str, np.ndarray]
    source: str

    def __getitem__(self, key: str) -> np.ndarray:
        return self.columns[key]

    def __len__(self) -> int:
        return len(self.columns["latency_ms"])


def _aic_dir(gpu_id: str, family: str) -> tuple[Path, str]:
    folder, vllm, nccl = AIC_GPUS[gpu_id]
    base = validation_dir() / "kernels" / "aiconfigurator" / folder
    if family == "nccl":
        return base / "comm" / "nccl" / nccl, f"aiconfigurator {folder} NCCL {nccl}"
    return base / family / "vllm" / vllm, f"aiconfigurator vLLM {vllm} {folder}"


def aic_gemm(gpu_id: str) -> dict[str, Table]:
    """GEMM tables by dtype ("bf16", "fp8"): columns m, n, k, latency_ms (per GEMM)."""
    folder, source = _aic_dir(gpu_id, "gemm")
    raw = _read_csv(folder / "gemm_perf.csv")
    dtypes = np.asarray(raw["gemm_dtype"])
    out: dict[str, Table] = {}
    for name, dtype in AIC_DTYPES.items():
        sel = dtypes == name
        if sel.any():
            cols = {c: _num(raw[c])[sel] for c in ("m", "n", "k")}
            cols["latency_ms"] = _num(raw["latency"])[sel]
            out[dtype] = Table(cols, f"{source} gemm_perf.csv ({name})")
    return out


def aic_attention(gpu_id: str, phase: str) -> Table:
    """phase "context" (prefill, step 0) or "generation" (decode): batch_size, isl, num_heads,
    num_key_value_heads, head_dim, step, latency_ms (whole batch, one layer)."""
    folder, source = _aic_dir(gpu_id, "attention")
    raw = _read_csv(folder / f"{phase}_attention_perf.csv")
    keep = np.ones(len(raw["latency"]), dtype=bool)
    if "window_size" in raw:
        keep &= _num(raw["window_size"]) == 0
    keep &= np.asarray(raw["kv_cache_dtype"]) == "bfloat16"
    cols = {c: _num(raw[c])[keep] for c in ("batch_size", "isl", "num_heads", "num_key_value_heads",
                                              "head_dim", "step")}
    cols["latency_ms"] = _num(raw["latency"])[keep]
    return Table(cols, f"{source} {phase}_attention_perf.csv")


def aic_allreduce(gpu_id: str) -> Table:
    """NCCL all_reduce (half): num_gpus, nbytes, latency_ms."""
    folder, source = _aic_dir(gpu_id, "nccl")
    raw = _read_csv(folder / "nccl_perf.csv")
    sel = (np.asarray(raw["op_name"]) == "all_reduce") & (np.asarray(raw["nccl_dtype"]) == "half")
    cols = {"num_gpus": _num(raw["num_gpus"])[sel], "nbytes": 2.0 * _num(raw["message_size"])[sel],
            "latency_ms": _num(raw["latency"])[sel]}
    return Table(cols, f"{source} nccl_perf.csv (all_reduce, half)")


# --- LLMServingSim per-layer tables (RTX 4090, RTX PRO 6000; vLLM 0.19.0, eager) -------------------

# Shapes of the profiled models (HF config.json, cited in models.json).
LSS_MODELS: dict[str, dict[str, int]] = {
    "meta-llama/Llama-3.1-8B": dict(hidden=4096, heads=32, kv_heads=8, head_dim=128, inter=14336, vocab=128256),
    "Qwen/Qwen3-32B": dict(hidden=5120, heads=64, kv_heads=8, head_dim=128, inter=25600, vocab=151936),
}
LSS_RUNS: dict[str, list[tuple[str, str, int]]] = {
    "rtx-4090": [("RTX4090", "meta-llama/Llama-3.1-8B", 1)],
    "rtx-pro-6000": [("RTXPRO6000", "meta-llama/Llama-3.1-8B", 1), ("RTXPRO6000", "meta-llama/Llama-3.1-8B", 2),
                     ("RTXPRO6000", "Qwen/Qwen3-32B", 1), ("RTXPRO6000", "Qwen/Qwen3-32B", 2)],
}


def _lss_dir(hw: str, model: str, tp: int) -> Path:
    return validation_dir() / "kernels" / "llmservingsim" / hw / model / "bf16" / f"tp{tp}"


def lss_gemm(gpu_id: str) -> Table:
    """The projection GEMMs of each profiled layer as (m, n, k, latency_ms) rows (per-rank shapes)."""
    rows: list[tuple[float, float, float, float]] = []
    for hw, model, tp in LSS_RUNS[gpu_id]:
        s = LSS_MODELS[model]
        q = s["heads"] * s["head_dim"]
        kv = s["kv_heads"] * s["head_dim"]
        shapes = {"qkv_proj": ((q + 2 * kv) // tp, s["hidden"]), "o_proj": (s["hidden"], q // tp),
                  "gate_up_proj": (2 * s["inter"] // tp, s["hidden"]), "down_proj": (s["hidden"], s["inter"] // tp)}
        raw = _read_csv(_lss_dir(hw, model, tp) / "dense.csv")
        for layer, tokens, time_us in zip(raw["layer"], raw["tokens"], raw["time_us"]):
            if layer in shapes:
                n, k = shapes[layer]
                rows.append((float(tokens), float(n), float(k), float(time_us) / 1e3))
        raw = _read_csv(_lss_dir(hw, model, tp) / "per_sequence.csv")
        for layer, seqs, time_us in zip(raw["layer"], raw["sequences"], raw["time_us"]):
            if layer == "lm_head":
                rows.append((float(seqs), float(s["vocab"] // tp), float(s["hidden"]), float(time_us) / 1e3))
    arr = np.asarray(rows)
    return Table({"m": arr[:, 0], "n": arr[:, 1], "k": arr[:, 2], "latency_ms": arr[:, 3]},
                 f"LLMServingSim vLLM 0.19.0 {gpu_id} dense.csv/per_sequence.csv")


def lss_attention(gpu_id: str) -> tuple[Table, Table]:
    """Pure-prefill and pure-decode rows of attention.csv as (prefill, decode) tables with the
    aiconfigurator column names (batch_size, isl, num_heads, num_key_value_heads, head_dim, step)."""
    pre: list[tuple] = []
    dec: list[tuple] = []
    for hw, model, tp in LSS_RUNS[gpu_id]:
        s = LSS_MODELS[model]
        h, kv, d = s["heads"] / tp, max(s["kv_heads"] / tp, 1), s["head_dim"]
        raw = _read_csv(_lss_dir(hw, model, tp) / "attention.csv")
        for chunk, kvp, nd, kvd, time_us in zip(raw["prefill_chunk"], raw["kv_prefill"], raw["n_decode"],
                                                raw["kv_decode"], raw["time_us"]):
            chunk, kvp, nd, kvd, ms = int(chunk), int(kvp), int(nd), int(kvd), float(time_us) / 1e3
            if nd == 0 and kvp == 0 and chunk > 0:
                pre.append((1, chunk, h, kv, d, 0, ms))
            elif chunk == 0 and nd > 0:
                dec.append((nd, 1, h, kv, d, kvd, ms))
    names = ("batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim", "step", "latency_ms")

    def table(rows: list[tuple], what: str) -> Table:
        arr = np.asarray(rows, dtype=float)
        return Table({name: arr[:, i] for i, name in enumerate(names)},
                     f"LLMServingSim vLLM 0.19.0 {gpu_id} attention.csv ({what})")

    return table(pre, "pure prefill"), table(dec, "pure decode")


# --- RTX PRO 6000 all-reduce (not in the validation data; a sourced figure carried over) --------------

# NCCL all_reduce of bf16 across two RTX PRO 6000 Blackwell Server Edition on PCIe Gen5 x16, replayed from
# CUDA graphs: (message bytes, µs). LLMServingSim `python -m profiler hardware`, written 2026-09-08,
# casys-kaist/LLMServingSim @e08dc388 profiler/perf/RTXPRO6000/hardware.yaml (MIT). This is the link
# LLMServingSim used to reproduce its TP2 vLLM run (its fitted 15.9 GB/s). A later run on
# the same cards after the operator disabled PCIe ACS (@1b2cc02, 2026-09-26) was about 2.2x faster on large
# messages: GPU peer-to-peer over PCIe depends on the host, and the slower figure is the default setup.
LSS_RTXPRO6000_ALLREDUCE_US: tuple[tuple[int, float], ...] = (
    (10240, 16.24), (40960, 17.5), (139264, 22.78), (327680, 30.6), (557056, 42.64), (1114112, 78.36),
    (1310720, 90.59), (2228224, 148.95), (5242880, 335.41), (8912896, 566.73), (16777216, 1051.83),
    (20971520, 1309.13),
)
LSS_ALLREDUCE_SOURCE = cite("llmservingsim", detail="measured by the LLMServingSim profiler: 2 x RTX PRO 6000 over PCIe "
                            "Gen5, NCCL all_reduce bf16, CUDA graphs (@e08dc388 profiler/perf/RTXPRO6000/hardware.yaml, "
                            "2026-09-08)")


def lss_allreduce(gpu_id: str) -> Table | None:
    """Measured 2-GPU all-reduce (num_gpus, nbytes, latency_ms) where one is known, else None."""
    if gpu_id != "rtx-pro-6000":
        return None
    arr = np.asarray(LSS_RTXPRO6000_ALLREDUCE_US, dtype=float)
    return Table({"num_gpus": np.full(len(arr), 2.0), "nbytes": arr[:, 0], "latency_ms": arr[:, 1] / 1e3},
                 LSS_ALLREDUCE_SOURCE)

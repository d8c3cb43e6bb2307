"""Accuracy checks against the public kernel tables: leave-one-out interpolation and built-in profiles.

Errors are |predicted / measured - 1| per table row. Used by benchmarks/kernel_*.py and the tests.
"""

from __future__ import annotations

import numpy as np

from kernels import public_data
from kernels.fit import allreduce_log_eff, decode_log_eff, gemm_log_eff, prefill_log_eff
from kernels.grid import axis_neighbour_estimate
from kernels.hardware import gpu
from kernels.perf import load_profile

ATTENTION_AXES = ("batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim")


def loo_errors(coords: np.ndarray, log_eff: np.ndarray, above_roofline_only: bool = False) -> np.ndarray:
    """Leave-one-out on the table's own grid (the unique values of each coordinate column).

    Each row is removed and predicted from its nearest measured neighbours along every axis by
    log-space interpolation (one-sided: the neighbour's efficiency is held), which is what a
    profile does for a grid node it lacks. Rows with no neighbour at all are dropped (NaN).
    above_roofline_only keeps only rows whose measured time is at or above the HBM roofline (rows
    below it ran from a warm L2 cache; a profile never predicts below the roofline).
    """
    axes = [np.unique(coords[:, d]) for d in range(coords.shape[1])]
    index = tuple(np.searchsorted(ax, coords[:, d]) for d, ax in enumerate(axes))
    grid = np.full(tuple(len(ax) for ax in axes), np.nan)
    grid[index] = log_eff
    est = axis_neighbour_estimate([np.log(ax) for ax in axes], grid)[index]
    err = np.abs(np.exp(log_eff - np.minimum(est, 0.0)) - 1.0)
    keep = ~np.isnan(err) & ((log_eff <= 0.0) if above_roofline_only else True)
    return err[keep]


def _tables(gpu_id: str) -> dict[str, tuple[str, object]]:
    """op label -> (op kind, table) for every public table of this GPU."""
    out: dict[str, tuple[str, object]] = {}
    if gpu_id in public_data.AIC_GPUS:
        for dtype, table in public_data.aic_gemm(gpu_id).items():
            out[f"gemm {dtype}"] = ("gemm", table)
        out["attention prefill"] = ("prefill", public_data.aic_attention(gpu_id, "context"))
        out["attention decode"] = ("decode", public_data.aic_attention(gpu_id, "generation"))
        out["allreduce"] = ("allreduce", public_data.aic_allreduce(gpu_id))
    elif gpu_id in public_data.LSS_RUNS:
        out["gemm bf16"] = ("gemm", public_data.lss_gemm(gpu_id))
        pre, dec = public_data.lss_attention(gpu_id)
        out["attention prefill"] = ("prefill", pre)
        out["attention decode"] = ("decode", dec)
    return out


def measured_gpus() -> list[str]:
    return list(public_data.AIC_GPUS) + list(public_data.LSS_RUNS)


def loo_report(gpu_id: str, above_roofline_only: bool = False) -> dict[str, np.ndarray]:
    spec = gpu(gpu_id)
    out: dict[str, np.ndarray] = {}
    for label, (kind, table) in _tables(gpu_id).items():
        if kind == "gemm":
            coords, y = gemm_log_eff(spec, table, label.split()[1])
        elif kind == "allreduce":
            coords, y = allreduce_log_eff(spec, table)
        else:
            _, y = (prefill_log_eff if kind == "prefill" else decode_log_eff)(spec, table)
            # decode rows differ in KV length (step + 1), prefill rows in isl
            coords = np.stack([table[c] for c in ATTENTION_AXES] + [table["step"] + 1], 1)
        out[label] = loo_errors(coords, y, above_roofline_only)
    return out


def builtin_report(gpu_id: str) -> dict[str, np.ndarray]:
    """Errors of the shipped profile (through kernels.perf) on every row of the public tables.

    The shipped grids were fitted to these same rows, so this is an in-sample check of the compact
    fit; kernel_loo.py measures the out-of-sample interpolation error.
    """
    prof = load_profile(gpu_id)
    out: dict[str, np.ndarray] = {}
    for label, (kind, t) in _tables(gpu_id).items():
        meas = t["latency_ms"]
        if kind == "gemm":
            dtype = label.split()[1]
            pred = [prof.gemm_ms(m, n, k, dtype) for m, n, k in zip(t["m"], t["n"], t["k"])]
        elif kind == "prefill":
            pred = [prof.attention_prefill_ms(s, s, h, kv, d, b) for b, s, h, kv, d in
                    zip(t["batch_size"], t["isl"], t["num_heads"], t["num_key_value_heads"], t["head_dim"])]
        elif kind == "decode":
            pred = [prof.attention_decode_ms(b, st + 1, h, kv, d) for b, st, h, kv, d in
                    zip(t["batch_size"], t["step"], t["num_heads"], t["num_key_value_heads"], t["head_dim"])]
        else:
            pred = [prof.allreduce_ms(nb, int(n)) for nb, n in zip(t["nbytes"], t["num_gpus"])]
        out[label] = np.abs(np.asarray(pred) / meas - 1.0)
    return out


def summarize(errors: np.ndarray) -> tuple[int, float, float]:
    return len(errors), float(np.median(errors)), float(np.quantile(errors, 0.9))


VIDUR_GPUS = {"h100-sxm": ("h100", "h100_dgx"), "a100-80gb": ("a100", "a100_dgx")}


def vidur_crosscheck(gpu_id: str) -> dict[str, np.ndarray]:
    """Built-in profile vs Vidur's independent measurements (FP16, sarathi-serve, 2024): the four
    projection GEMMs of every profiled model and TP degree, and NCCL all-reduce inside one DGX node."""
    import csv  # noqa: PLC0415

    folder, topology = VIDUR_GPUS[gpu_id]
    prof = load_profile(gpu_id)
    base = public_data.validation_dir() / "kernels" / "vidur"
    gemm_err: list[float] = []
    for path in sorted((base / folder).glob("*/*/mlp.csv")):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                tp, m = int(row["num_tensor_parallel_workers"]), int(row["num_tokens"])
                heads, kv_heads, hidden = int(row["n_head"]), int(row["n_kv_head"]), int(row["n_embd"])
                inter, head_dim = int(row["n_expanded_embd"]), int(row["n_embd"]) // int(row["n_head"])
                up = (2 if row["use_gated_mlp"].lower() == "true" else 1) * inter // tp
                shapes = {"attn_pre_proj": ((heads + 2 * kv_heads) * head_dim // tp, hidden),
                          "attn_post_proj": (hidden, heads * head_dim // tp),
                          "mlp_up_proj": (up, hidden), "mlp_down_proj": (hidden, inter // tp)}
                for op, (n, k) in shapes.items():
                    measured = row.get(f"time_stats.{op}.median")
                    if measured:
                        gemm_err.append(abs(prof.gemm_ms(m, n, k, "fp16") / float(measured) - 1.0))
    ar_err: list[float] = []
    with (base / "network" / topology / "all_reduce.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            n = int(row["num_workers"])
            if row["rank"] == "0" and int(row["devices_per_node"]) == n:
                measured = float(row["time_stats.all_reduce.median"])
                ar_err.append(abs(prof.allreduce_ms(float(row["size"]), n) / measured - 1.0))
    return {"vidur gemm fp16": np.asarray(gemm_err), "vidur allreduce": np.asarray(ar_err)}


def fit_holdout_report(gpu_id: str, fraction: float = 0.2, seed: int = 0) -> dict[str, np.ndarray]:
    """Out-of-sample check of the compact fit: refit each table without a random `fraction` of its
    rows (seeded) and return the errors on those rows."""
    from kernels import fit  # noqa: PLC0415
    from kernels.grid import LogGrid  # noqa: PLC0415

    spec = gpu(gpu_id)
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for label, (kind, table) in _tables(gpu_id).items():
        if kind == "gemm":
            pts, y = gemm_log_eff(spec, table, label.split()[1])
            nodes = {"m": fit.GEMM_M, "n": fit.GEMM_NK, "k": fit.GEMM_NK}
        elif kind == "prefill":
            pts, y = prefill_log_eff(spec, table)
            nodes = fit.PREFILL_NODES
        elif kind == "decode":
            pts, y = decode_log_eff(spec, table)
            nodes = fit.DECODE_NODES
        else:
            continue
        held = rng.random(len(y)) < fraction
        axes = {name: fit._nodes(cands, pts[~held, i]) for i, (name, cands) in enumerate(nodes.items())}
        fitted, _ = fit._table(axes, pts[~held], y[~held])
        grid = LogGrid([fitted["axes"][n] for n in axes], fitted["log_eff"])
        pred = np.array([grid(*p) for p in pts[held]])
        out[label] = np.abs(np.exp(y[held] - np.minimum(pred, 0.0)) - 1.0)
    return out

"""Fit the built-in profiles (assets/profiles/*.json) to the public kernel measurements.

Rerun with ``python -m kernels.fit`` (reads the public measurements, see ``public_data``; writes assets/profiles). Each
shipped profile holds the catalog peaks and compact efficiency grids fitted by least squares (with
a smoothness penalty) to the public tables; it does not copy the tables. GPUs without public data
reuse the grids of the nearest measured architecture and say so in ``source``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

from kernels import public_data, roofline
from kernels.grid import LogGrid, fit_grid
from kernels.hardware import ASSETS_DIR, GPUSpec, all_gpus, gpu, resolve_dtype
from kernels.perf import ANY_DTYPE, PROFILE_FORMAT, PROFILE_VERSION
from kernels.sources import cite

# Candidate grid nodes; each fit keeps those inside the data range plus the data's end points.
GEMM_M = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768]
GEMM_NK = [32, 64, 128, 256, 512, 1024, 1536, 2048, 3072, 4096, 5120, 6144, 8192, 12288, 16384, 32768, 65536]
PREFILL_NODES = {
    "tokens": [1, 16, 64, 256, 1024, 2048, 4096, 8192, 16384],
    "batch_heads": [1, 4, 16, 64, 256, 1024, 4096, 16384, 32768],
    "gqa": [1, 2, 4, 8, 16, 32, 64, 96],
    "head_dim": [64, 128],
}
DECODE_NODES = {
    "kv_len": [2, 8, 32, 128, 512, 2048, 8192, 32768, 131072],
    "batch_kv_heads": [1, 4, 16, 64, 256, 1024, 4096, 16384],
    "gqa": [1, 2, 4, 8, 16, 32, 64, 96],
    "head_dim": [64, 128],
}
ALLREDUCE_NBYTES = [2.0 ** p for p in range(8, 35, 2)]
MEMCPY_NBYTES = [2.0 ** p for p in range(10, 36, 2)]

# GPUs without public kernel tables borrow the grids of the nearest measured architecture.
NEAREST = {
    "h100-pcie": "h100-sxm", "h200-sxm": "h100-sxm", "b200": "h100-sxm", "mi300x": "h100-sxm",
    "a100-40gb": "a100-80gb", "v100-32gb": "a100-80gb", "l4": "l40s", "a10g": "l40s",
}
NEAREST_WHY = {
    "h100-pcie": "same Hopper GH100 die", "h200-sxm": "same Hopper GH100 die, more HBM",
    "b200": "nearest measured data-centre generation (Hopper)", "mi300x": "nearest measured HBM data-centre GPU [?]",
    "a100-40gb": "same Ampere GA100 die", "v100-32gb": "nearest measured HBM data-centre GPU (Ampere)",
    "l4": "same Ada AD10x architecture", "a10g": "nearest measured GDDR PCIe GPU (Ada) [?]",
}
# aiconfigurator system YAML (sources.json "aiconfigurator"): HBM efficiency 0.8 and 3 µs constant latency per copy.
MEMCPY_BW_FACTOR, MEMCPY_LATENCY_MS = 0.8, 0.003
SMOOTHNESS = 3e-3


def _nodes(candidates: list[float], values: np.ndarray) -> list[float]:
    lo, hi = float(values.min()), float(values.max())
    inner = [c for c in candidates if lo < c < hi]
    return sorted({lo, *inner, hi})


def roof_ms(op: str, spec_tflops: dict[str, float], mem_bw_gbs: float, dtype: str, *shape) -> np.ndarray:
    """Vectorised roofline minimum (ms) exactly as kernels.perf computes it."""
    peak = spec_tflops[resolve_dtype(dtype, spec_tflops, "fit")] * 1e12
    flops, nbytes = getattr(roofline, op)(*shape, dtype)
    return np.maximum(flops / peak, nbytes / (mem_bw_gbs * 1e9)) * 1e3


def gemm_log_eff(spec: GPUSpec, table, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    pts = np.stack([table["m"], table["n"], table["k"]], 1)
    roof = roof_ms("gemm", spec.peak_tflops, spec.mem_bw_gbs, dtype, table["m"], table["n"], table["k"])
    return pts, np.log(roof / table["latency_ms"])


def prefill_log_eff(spec: GPUSpec, t) -> tuple[np.ndarray, np.ndarray]:
    b, isl, h, kv, d = t["batch_size"], t["isl"], t["num_heads"], t["num_key_value_heads"], t["head_dim"]
    roof = roof_ms("attention_prefill", spec.peak_tflops, spec.mem_bw_gbs, "bf16", isl, isl, h, kv, d, b)
    return np.stack([isl, b * h, h / kv, d], 1), np.log(roof / t["latency_ms"])


def decode_log_eff(spec: GPUSpec, t) -> tuple[np.ndarray, np.ndarray]:
    b, h, kv, d = t["batch_size"], t["num_heads"], t["num_key_value_heads"], t["head_dim"]
    kv_len = t["step"] + 1
    roof = roof_ms("attention_decode", spec.peak_tflops, spec.mem_bw_gbs, "bf16", b, kv_len, h, kv, d)
    return np.stack([kv_len, b * kv, h / kv, d], 1), np.log(roof / t["latency_ms"])


def allreduce_log_eff(spec: GPUSpec, t) -> tuple[np.ndarray, np.ndarray]:
    n = t["num_gpus"]
    roof = 2.0 * (n - 1) / n * t["nbytes"] / (spec.interconnect_gbs * 1e9) * 1e3
    return np.stack([t["nbytes"], n], 1), np.log(roof / t["latency_ms"])


def fit_allreduce_from_pairs(spec: GPUSpec, prior_table: dict, prior_name: str, t) -> dict:
    """Reshape another GPU's all-reduce grid with a 2-GPU measurement of this one.

    The 2-GPU row is fitted to the measurement; 4 and 8 GPUs (not measured) move by the same factor per
    message size, so they keep the prior's dependence on group size.
    """
    pts, y = allreduce_log_eff(spec, t)
    nbytes = _nodes(ALLREDUCE_NBYTES, pts[:, 0])
    n_gpus = [float(n) for n in prior_table["axes"]["n_gpus"]]
    prior = _prior_values(prior_table, {"nbytes": nbytes, "n_gpus": n_gpus})
    row = fit_grid([nbytes], pts[:, :1], y, SMOOTHNESS)
    grid = np.minimum(prior + (row - prior[:, n_gpus.index(2.0)])[:, None], 0.0)
    stats = _fit_stats(LogGrid([nbytes, n_gpus], grid.ravel()), pts, y)
    return {"axes": {"nbytes": nbytes, "n_gpus": n_gpus}, "log_eff": [round(float(v), 4) for v in grid.ravel()],
            "fit": {**stats, "source": t.source, "larger_groups": f"scaled from {prior_name}"}}


def _fit_stats(lg: LogGrid, pts: np.ndarray, y: np.ndarray) -> dict:
    """|measured / predicted - 1| of a fitted grid on its own points (efficiency capped at 1)."""
    pred = np.array([lg(*p) for p in pts])
    err = np.abs(np.exp(y - np.minimum(pred, 0.0)) - 1.0)
    return {"points": int(len(y)), "median_abs_err": round(float(np.median(err)), 4),
            "p90_abs_err": round(float(np.quantile(err, 0.9)), 4)}


def _table(axes: dict[str, list[float]], pts: np.ndarray, y: np.ndarray, prior=None) -> tuple[dict, dict]:
    names = list(axes)
    grid = fit_grid([axes[n] for n in names], pts, y, SMOOTHNESS, prior=prior)
    grid = np.minimum(grid, 0.0)  # efficiency <= 1: never below the roofline
    stats = _fit_stats(LogGrid([axes[n] for n in names], grid.ravel()), pts, y)
    table = {"axes": {n: [float(v) for v in axes[n]] for n in names},
             "log_eff": [round(float(v), 4) for v in grid.ravel()], "fit": stats}
    return table, stats


def _prior_values(prior_table: dict | None, axes: dict[str, list[float]]) -> np.ndarray | None:
    """Interpolate another profile's grid onto these axes (used as the regularisation target)."""
    if prior_table is None:
        return None
    names = list(axes)
    lg = LogGrid([prior_table["axes"][n] for n in names], prior_table["log_eff"])
    mesh = np.meshgrid(*[axes[n] for n in names], indexing="ij")
    return np.array([lg(*p) for p in zip(*(m.ravel() for m in mesh))]).reshape(mesh[0].shape)


def fit_attention(spec, pre_t, dec_t, prior: dict | None = None) -> tuple[dict, dict]:
    tables: dict = {}
    for op, table, fn, nodes in (("attention_prefill", pre_t, prefill_log_eff, PREFILL_NODES),
                                 ("attention_decode", dec_t, decode_log_eff, DECODE_NODES)):
        pts, y = fn(spec, table)
        axes = {name: _nodes(cands, pts[:, i]) for i, (name, cands) in enumerate(nodes.items())}
        if prior is not None:  # keep the prior's full range; the local data only reshapes it
            axes = {n: sorted(set(axes[n]) | set(prior[op]["bf16"]["axes"][n])) for n in axes}
        tables[op] = {"bf16": _table(axes, pts, y, _prior_values(prior and prior[op]["bf16"], axes))[0]}
    return tables["attention_prefill"], tables["attention_decode"]


def memcpy_table(spec: GPUSpec) -> dict:
    size = np.asarray(MEMCPY_NBYTES)
    roof = 2.0 * size / (spec.mem_bw_gbs * 1e9) * 1e3
    model = MEMCPY_LATENCY_MS + roof / MEMCPY_BW_FACTOR
    return {"axes": {"nbytes": MEMCPY_NBYTES}, "log_eff": [round(float(v), 4) for v in np.log(roof / model)],
            "fit": {"model": cite("aiconfigurator", detail="3 us + bytes / (0.8 x HBM bandwidth), as AIConfigurator's "
                                             "system files model a copy")}}


def _peaks(spec: GPUSpec) -> dict:
    return {"tflops": dict(spec.peak_tflops), "mem_bw_gbs": spec.mem_bw_gbs, "memory_gb": spec.memory_gb,
            "interconnect_gbs": spec.interconnect_gbs, "source": spec.source}


def _overheads(launch_ms: float, launch_src: str, step: tuple[float, str]) -> dict:
    return {"launch_overhead_ms": round(launch_ms, 5), "step_overhead_ms": round(step[0], 4),
            "source": f"launch: {launch_src}; step: {step[1]}"}


def lss_step_overhead() -> tuple[float, str]:
    """Per-forward work outside the layers at 1 token: embedding + final norm + sampler (RTX PRO 6000)."""
    base = public_data.validation_dir() / "kernels" / "llmservingsim" / "RTXPRO6000" / "meta-llama"
    dense = public_data._read_csv(base / "Llama-3.1-8B" / "bf16" / "tp1" / "dense.csv")
    per_seq = public_data._read_csv(base / "Llama-3.1-8B" / "bf16" / "tp1" / "per_sequence.csv")
    total = 0.0
    for layer in ("embedding", "final_layernorm"):
        total += next(float(t) for lay, tok, t in zip(dense["layer"], dense["tokens"], dense["time_us"])
                      if lay == layer and tok == "1")
    total += next(float(t) for lay, s, t in zip(per_seq["layer"], per_seq["sequences"], per_seq["time_us"])
                  if lay == "sampler" and s == "1")
    return total / 1e3, ("embedding + final_layernorm + sampler at 1 token/sequence, LLMServingSim vLLM 0.19.0 "
                         "RTX PRO 6000 Llama-3.1-8B; used for every GPU — " + cite("llmservingsim"))


def fit_aiconfigurator(gpu_id: str, step: tuple[float, str], log=print) -> dict:
    spec = gpu(gpu_id)
    tables: dict = {"gemm": {}}
    gemm_tables = public_data.aic_gemm(gpu_id)
    for dtype, table in gemm_tables.items():
        pts, y = gemm_log_eff(spec, table, dtype)
        axes = {"m": _nodes(GEMM_M, pts[:, 0]), "n": _nodes(GEMM_NK, pts[:, 1]), "k": _nodes(GEMM_NK, pts[:, 2])}
        tables["gemm"][dtype], stats = _table(axes, pts, y)
        log(f"  {gpu_id} gemm {dtype}: {stats}")
    pre_t = public_data.aic_attention(gpu_id, "context")
    dec_t = public_data.aic_attention(gpu_id, "generation")
    tables["attention_prefill"], tables["attention_decode"] = fit_attention(spec, pre_t, dec_t)
    for op in ("attention_prefill", "attention_decode"):
        log(f"  {gpu_id} {op}: {tables[op]['bf16']['fit']}")
    ar = public_data.aic_allreduce(gpu_id)
    pts, y = allreduce_log_eff(spec, ar)
    tables["allreduce"] = {ANY_DTYPE: _table({"nbytes": _nodes(ALLREDUCE_NBYTES, pts[:, 0]),
                                              "n_gpus": sorted(set(pts[:, 1].tolist()))}, pts, y)[0]}
    log(f"  {gpu_id} allreduce: {tables['allreduce'][ANY_DTYPE]['fit']}")
    tables["memcpy"] = {ANY_DTYPE: memcpy_table(spec)}
    bf16 = gemm_tables["bf16"]
    launch = float(bf16["latency_ms"].min())
    folder, vllm, nccl = public_data.AIC_GPUS[gpu_id]
    return {
        "format": PROFILE_FORMAT, "version": PROFILE_VERSION, "id": gpu_id, "gpu": gpu_id, "device": spec.name,
        "source": f"datasheet peaks + efficiency fitted to aiconfigurator vLLM {vllm} {spec.name} tables "
                  f"(GEMM, FlashAttention prefill/decode) and NCCL {nccl} all_reduce",
        "measured_by": f"public data: AIConfigurator @095f58a5, systems/data/{folder} — " + cite("aiconfigurator"),
        "date": dt.date.today().isoformat(),
        "software": {"vllm": vllm, "nccl": nccl},
        "peaks": _peaks(spec),
        "overheads": _overheads(launch, f"smallest measured vLLM GEMM (aiconfigurator {folder}, CUDA graphs)", step),
        "tables": tables,
    }


def fit_llmservingsim(gpu_id: str, prior: dict, step: tuple[float, str], log=print) -> dict:
    """Ada/Blackwell workstation GPUs: the L40S grids as prior, reshaped by the per-layer tables."""
    spec = gpu(gpu_id)
    gemm_t = public_data.lss_gemm(gpu_id)
    pts, y = gemm_log_eff(spec, gemm_t, "bf16")
    prior_gemm = prior["tables"]["gemm"]["bf16"]
    axes = {n: sorted(set(prior_gemm["axes"][n]) | set(_nodes(c, pts[:, i])))
            for i, (n, c) in enumerate((("m", GEMM_M), ("n", GEMM_NK), ("k", GEMM_NK)))}
    gemm_bf16, stats = _table(axes, pts, y, _prior_values(prior_gemm, axes))
    log(f"  {gpu_id} gemm bf16: {stats}")
    tables: dict = {"gemm": {"bf16": gemm_bf16}}
    if "fp8" in prior["tables"]["gemm"]:  # fp8 keeps the prior's shape, shifted like bf16 moved
        tables["gemm"]["fp8"] = prior["tables"]["gemm"]["fp8"]
    pre_t, dec_t = public_data.lss_attention(gpu_id)
    tables["attention_prefill"], tables["attention_decode"] = fit_attention(spec, pre_t, dec_t, prior["tables"])
    for op in ("attention_prefill", "attention_decode"):
        log(f"  {gpu_id} {op}: {tables[op]['bf16']['fit']}")
    measured_ar = public_data.lss_allreduce(gpu_id)
    if measured_ar is None:
        tables["allreduce"] = prior["tables"]["allreduce"]
        ar_note = "FP8 GEMM and all-reduce taken from the L40S fit"
    else:
        tables["allreduce"] = {ANY_DTYPE: fit_allreduce_from_pairs(
            spec, prior["tables"]["allreduce"][ANY_DTYPE], "the L40S fit", measured_ar)}
        log(f"  {gpu_id} allreduce: {tables['allreduce'][ANY_DTYPE]['fit']}")
        ar_note = ("FP8 GEMM from the L40S fit; all-reduce fitted to a 2-GPU NCCL measurement "
                   f"({measured_ar.source}), 4 and 8 GPUs scaled from the L40S fit")
    tables["memcpy"] = {ANY_DTYPE: memcpy_table(spec)}
    launch = float(gemm_t["latency_ms"].min())
    return {
        "format": PROFILE_FORMAT, "version": PROFILE_VERSION, "id": gpu_id, "gpu": gpu_id, "device": spec.name,
        "source": f"datasheet peaks + efficiency fitted to LLMServingSim vLLM 0.19.0 {spec.name} per-layer tables "
                  "(Llama-3.1-8B/Qwen3-32B GEMMs and attention), regularised towards the L40S fit "
                  f"(aiconfigurator vLLM 0.24.0); {ar_note}",
        "measured_by": "public data: LLMServingSim @5daddb21, profiler/perf — " + cite("llmservingsim"),
        "date": dt.date.today().isoformat(),
        "software": {"vllm": "0.19.0"},
        "peaks": _peaks(spec),
        "overheads": _overheads(launch, "smallest measured projection GEMM (LLMServingSim, eager mode)", step),
        "tables": tables,
    }


def scaled_profile(gpu_id: str, base: dict) -> dict:
    spec = gpu(gpu_id)
    data = json.loads(json.dumps(base))
    tables = data["tables"]
    tables["memcpy"] = {ANY_DTYPE: memcpy_table(spec)}
    data.update({
        "id": gpu_id, "gpu": gpu_id, "device": spec.name, "peaks": _peaks(spec),
        "source": f"datasheet peaks (cited in peaks.source) + efficiency curves scaled from the {base['id']} fit "
                  f"({NEAREST_WHY[gpu_id]}); not measured on this GPU. Base: {base['source']}",
        "measured_by": f"not measured; efficiency borrowed from {base['id']}",
    })
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ASSETS_DIR / "profiles", help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    step = lss_step_overhead()
    fitted: dict[str, dict] = {}
    for gpu_id in public_data.AIC_GPUS:
        fitted[gpu_id] = fit_aiconfigurator(gpu_id, step)
    for gpu_id in public_data.LSS_RUNS:
        fitted[gpu_id] = fit_llmservingsim(gpu_id, fitted["l40s"], step)
    for spec in all_gpus():
        data = fitted.get(spec.id) or scaled_profile(spec.id, fitted[NEAREST[spec.id]])
        path = args.out / f"{spec.id}.json"
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

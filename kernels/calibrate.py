"""``genai-sim calibrate``: run the microbenchmarks on this machine and write a profile JSON.

The profile's grids hold the measured efficiencies at the benchmarked nodes (so kernels.perf
reproduces every measurement) against the peaks measured here. Points between the nodes are
measured too but held back (``holdout``): they check the interpolation (tests/kernels).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kernels import bench, roofline
from kernels.errors import InputError
from kernels.grid import fill_missing
from kernels.perf import ANY_DTYPE, OP_AXES, PROFILE_FORMAT, PROFILE_VERSION

Progress = Callable[[int, int, str], None]

# Grids: (quick on CPU, full on CPU, GPU). GPU grids cover LLM shapes (m up to 16384; n, k = model
# dimensions under TP splits); CPU grids are smaller so that --quick stays well under a minute.
GRIDS = {
    "cpu-quick": {
        "gemm": {"m": [1, 2, 4, 8, 16, 32, 64, 128, 256], "n": [256, 384, 512, 768, 1024, 1536, 2048],
                 "k": [256, 384, 512, 768, 1024, 1536, 2048]},
        "attention_prefill": {"tokens": [16, 32, 64, 128, 256, 512], "batch_heads": [4, 8, 16],
                              "gqa": [1, 4], "head_dim": [64, 128]},
        "attention_decode": {"kv_len": [64, 128, 256, 512, 1024, 2048, 4096], "batch_kv_heads": [1, 2, 4, 8, 16],
                             "gqa": [1, 4], "head_dim": [64, 128]},
        "memcpy": {"nbytes": [2.0 ** p for p in range(12, 27, 2)]},
        "gemm_dtypes": ["fp32"],
    },
    "cpu": {
        "gemm": {"m": [1, 4, 16, 64, 256], "n": [256, 512, 1024, 2048, 4096], "k": [256, 512, 1024, 2048, 4096]},
        "attention_prefill": {"tokens": [16, 64, 256, 1024], "batch_heads": [4, 16, 64], "gqa": [1, 4],
                              "head_dim": [64, 128]},
        "attention_decode": {"kv_len": [64, 512, 4096, 16384], "batch_kv_heads": [1, 4, 16, 64], "gqa": [1, 4],
                             "head_dim": [64, 128]},
        "memcpy": {"nbytes": [2.0 ** p for p in range(12, 29, 2)]},
        "gemm_dtypes": ["fp32", "bf16"],
    },
    "cuda": {
        "gemm": {"m": [1, 4, 16, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
                 "n": [512, 1024, 2048, 4096, 8192, 16384, 32768], "k": [512, 1024, 2048, 4096, 8192, 16384]},
        "attention_prefill": {"tokens": [16, 64, 256, 1024, 4096, 16384], "batch_heads": [8, 32, 128, 512],
                              "gqa": [1, 4, 8], "head_dim": [64, 128]},
        "attention_decode": {"kv_len": [16, 128, 1024, 8192, 65536], "batch_kv_heads": [1, 8, 64, 512, 2048],
                             "gqa": [1, 4, 8], "head_dim": [64, 128]},
        "memcpy": {"nbytes": [2.0 ** p for p in range(12, 33, 2)]},
        "allreduce": {"nbytes": [2.0 ** p for p in range(10, 31, 2)]},
    },
}
QUICK_CUDA_STRIDE = 2  # --quick on a GPU keeps every other node
CPU_PASSES = 2  # a CPU is usually shared: measure every point twice, keep the faster median
# A shared CPU's speed drifts by 10-30 % over seconds (other tenants, clocks) and every kernel moves with
# it: each CPU measurement is bracketed by a small reference GEMM (fits in L2) and rescaled to the
# machine's quiet speed (10th percentile of the reference at the start). On the 2-core development VM
# this halves the scatter between runs (held-back median error 5-18 % -> 5-7 %).
DRIFT_REFERENCE_MNK = (32, 512, 512)
DRIFT_BASELINE_SAMPLES = 30


CATEGORICAL_AXES = ("gqa", "head_dim")  # held-back points keep these at grid values


def _holdout(axes: dict[str, list[float]], limit: int = 16) -> list[dict[str, float]]:
    """Points between the nodes (geometric midpoints, rounded like typical tensor shapes: multiples of
    8 above 16 and of 64 above 128), measured but not stored in the grid."""

    def mid(a: float, b: float) -> float:
        x = math.sqrt(a * b)
        unit = 64 if x > 128 else 8 if x > 16 else 1
        return float(max(round(x / unit) * unit, 1))

    mids = {name: (vals if name in CATEGORICAL_AXES or len(vals) < 2 else
                   [mid(a, b) for a, b in zip(vals, vals[1:])]) for name, vals in axes.items()}
    combos = list(itertools.product(*mids.values()))
    step = max(1, len(combos) // limit)
    return [dict(zip(mids, combo)) for combo in combos[::step]][:limit]


def _attention_shape(op: str, p: dict[str, float]) -> tuple[int, int, int, int, int]:
    """(batch, heads, kv_heads, head_dim, length) realising one node of an attention grid."""
    gqa = max(1, int(round(p["gqa"])))
    d = int(p["head_dim"])
    if op == "attention_prefill":
        heads = max(gqa, int(round(p["batch_heads"] / gqa)) * gqa)
        return 1, heads, heads // gqa, d, int(p["tokens"])
    return int(round(p["batch_kv_heads"])), gqa, 1, d, int(p["kv_len"])


def _measure(timer: bench.Timer, device: str, op: str, p: dict[str, float], dtype: str) -> dict:
    if op == "gemm":
        m, n, k = (int(p[a]) for a in ("m", "n", "k"))
        ms = timer(bench.gemm_fn(device, m, n, k, dtype))
        flops, nbytes = roofline.gemm(m, n, k, dtype)
        return {"m": m, "n": n, "k": k, "dtype": dtype, "ms": ms, "flops": flops, "bytes": nbytes}
    if op == "memcpy":
        ms = timer(bench.memcpy_fn(device, int(p["nbytes"])))
        return {"nbytes": p["nbytes"], "dtype": ANY_DTYPE, "ms": ms, "flops": 0.0, "bytes": 2.0 * p["nbytes"]}
    b, h, kv, d, length = _attention_shape(op, p)
    if op == "attention_prefill":
        ms = timer(bench.prefill_fn(device, length, b, h, kv, d, dtype))
        flops, nbytes = roofline.attention_prefill(length, length, h, kv, d, b, dtype)
        shape = {"tokens": length, "context": length, "batch": b}
    else:
        ms = timer(bench.decode_fn(device, b, length, h, kv, d, dtype))
        flops, nbytes = roofline.attention_decode(b, length, h, kv, d, dtype)
        shape = {"kv_len": length, "batch": b}
    return {**shape, "heads": h, "kv_heads": kv, "head_dim": d, "dtype": dtype, "ms": ms, "flops": flops,
            "bytes": nbytes}


class _DriftCorrection:
    """Rescales CPU measurements to the quiet speed of the machine (see DRIFT_REFERENCE_MNK)."""

    def __init__(self, timer: bench.Timer) -> None:
        self.timer = timer
        self.reference = bench.gemm_fn("cpu", *DRIFT_REFERENCE_MNK, "fp32")
        samples = [timer(self.reference) for _ in range(DRIFT_BASELINE_SAMPLES)]
        self.baseline_ms = float(np.quantile(samples, 0.1))

    def measure(self, run: Callable[[], dict]) -> dict:
        before = self.timer(self.reference)
        rec = run()
        slowdown = (before + self.timer(self.reference)) / 2.0 / self.baseline_ms
        if rec.get("ms") is not None:
            rec["ms_raw"], rec["ms"], rec["drift"] = rec["ms"], rec["ms"] / slowdown, round(slowdown, 4)
        return rec


def _coords(op: str, rec: dict) -> tuple[float, ...]:
    if op == "gemm":
        return rec["m"], rec["n"], rec["k"]
    if op == "memcpy":
        return (rec["nbytes"],)
    if op == "attention_prefill":
        return rec["tokens"], rec["batch"] * rec["heads"], rec["heads"] / rec["kv_heads"], rec["head_dim"]
    return rec["kv_len"], rec["batch"] * rec["kv_heads"], rec["heads"] / rec["kv_heads"], rec["head_dim"]


def _grid_key(device: str, quick: bool) -> str:
    if device == "cpu":
        return "cpu-quick" if quick else "cpu"
    return "cuda"


def _plan(device: str, quick: bool) -> tuple[list[tuple[str, str, dict[str, float], bool]], dict]:
    """(op, dtype, point, held_back) for every measurement, in run order, and the grid of each (op, dtype)."""
    grids = GRIDS[_grid_key(device, quick)]
    gemm_dtypes = grids.get("gemm_dtypes") or bench.supported_dtypes(device)
    attn_dtype = "fp32" if device == "cpu" else "bf16"
    plan: list[tuple[str, str, dict[str, float], bool]] = []
    planned: dict[tuple[str, str], dict[str, list[float]]] = {}
    for op in ("gemm", "attention_prefill", "attention_decode", "memcpy"):
        axes = grids[op]
        if quick and device != "cpu":
            axes = {k: v[::QUICK_CUDA_STRIDE] or v for k, v in axes.items()}
        dtypes = gemm_dtypes if op == "gemm" else [attn_dtype] if op != "memcpy" else [ANY_DTYPE]
        for dtype in dtypes:
            planned[(op, dtype)] = axes
            for combo in itertools.product(*axes.values()):
                plan.append((op, dtype, dict(zip(axes, combo)), False))
            if op != "memcpy" and dtype == dtypes[0]:
                plan += [(op, dtype, p, True) for p in _holdout(axes)]
    return plan, planned


def _fit_peaks(records: list[dict]) -> tuple[dict[str, float], float]:
    """Peaks measured here: best GEMM FLOP/s per dtype and best copy bandwidth, raised where any
    measurement beat them, so that every measured time is at or above the roofline."""
    tflops: dict[str, float] = {}
    for r in records:
        if r["op"] == "gemm":
            tflops[r["dtype"]] = max(tflops.get(r["dtype"], 0.0), r["flops"] / (r["ms"] * 1e-3) / 1e12)
    bw = max(r["bytes"] / (r["ms"] * 1e-3) / 1e9 for r in records if r["op"] == "memcpy")
    for r in records:  # small GEMMs run from cache, faster than a DRAM copy
        if r["op"] == "gemm" and r["bytes"] / (bw * 1e9) > r["ms"] * 1e-3:
            bw = r["bytes"] / (r["ms"] * 1e-3) / 1e9
    for r in records:
        if r["op"] in ("attention_prefill", "attention_decode"):
            peak = tflops.setdefault(r["dtype"], max(tflops.values()))
            seconds = r["ms"] * 1e-3
            if r["flops"] / (peak * 1e12) > seconds and r["flops"] / (peak * 1e12) >= r["bytes"] / (bw * 1e9):
                tflops[r["dtype"]] = r["flops"] / seconds / 1e12
            elif r["bytes"] / (bw * 1e9) > seconds:
                bw = r["bytes"] / seconds / 1e9
    return tflops, bw


def _tables(records: list[dict], grids: dict[str, dict[str, dict[str, list[float]]]],
            tflops: dict[str, float], bw: float) -> dict:
    """Efficiency grids on the planned axes; nodes that could not be measured (out of memory) are
    filled from their neighbours in log space (kernels.grid.fill_missing)."""
    tables: dict = {}
    for (op, dtype), planned in grids.items():
        by_coord = {}
        for r in records:
            if r["op"] != op or r["dtype"] != dtype or r["holdout"] or r.get("ms") is None:
                continue
            peak = tflops.get(dtype, max(tflops.values())) * 1e12
            roof = max(r["flops"] / peak, r["bytes"] / (bw * 1e9)) * 1e3
            by_coord[tuple(float(c) for c in _coords(op, r))] = min(0.0, math.log(roof / r["ms"]))
        if not by_coord:
            continue
        axes = [sorted({float(c[i]) for c in by_coord} | {float(v) for v in planned_axis})
                for i, planned_axis in enumerate(planned.values())]
        values = np.array([by_coord.get(c, np.nan) for c in itertools.product(*axes)]).reshape(
            [len(a) for a in axes])
        missing = int(np.isnan(values).sum())
        if missing:
            values = fill_missing([np.log(a) for a in axes], values)
        tables.setdefault(op, {})[dtype] = {
            "axes": dict(zip(OP_AXES[op], axes)), "log_eff": [round(float(v), 6) for v in values.ravel()],
            "filled_nodes": missing}
    return tables


# CUDA device names (torch.cuda.get_device_properties().name) -> catalog id; first match wins.
DEVICE_NAMES = [
    ("h100 pcie", "h100-pcie"), ("h100", "h100-sxm"), ("h200", "h200-sxm"), ("b200", "b200"),
    ("a100-sxm4-40gb", "a100-40gb"), ("a100-pcie-40gb", "a100-40gb"), ("a100", "a100-80gb"), ("l40s", "l40s"),
    ("a10g", "a10g"), ("l4", "l4"), ("v100", "v100-32gb"), ("rtx 4090", "rtx-4090"),
    ("rtx pro 6000", "rtx-pro-6000"), ("mi300x", "mi300x"),
]


def _match_gpu(name: str) -> str | None:
    lowered = name.lower()
    return next((gpu_id for pattern, gpu_id in DEVICE_NAMES if pattern in lowered), None)


def calibrate(device: str = "cpu", quick: bool = False, out: Path | str = "profile.json",
              progress: Progress | None = None, threads: int | None = None) -> Path:
    """Measure this device and write a profile that load_profile(out) reads.

    threads: CPU threads torch may use. Default: all cores but one. With every core busy, one
    descheduled OpenMP thread stalls the others and timings jump 10-100x on a shared machine.
    """
    device = bench.parse_device(device)
    out_path = Path(out)
    if out_path.suffix.lower() != ".json":
        raise InputError(f"-o: the profile must be a .json file, got {out}")
    if device == "cpu" and threads is None:
        threads = max(1, (os.cpu_count() or 2) - 1)
    if threads is not None:
        if int(threads) < 1:
            raise InputError(f"--threads: must be >= 1, got {threads}")
        bench.set_threads(int(threads))
    info = bench.device_info(device)
    timer = bench.Timer(device, warmup=1 if quick else 3, repeats=7 if quick else 15,
                        budget_s=0.05 if quick else 0.5)
    plan, planned = _plan(device, quick)
    n_gpus = bench.cuda_device_count() if device != "cpu" else 0
    ar_sizes = GRIDS["cuda"]["allreduce"]["nbytes"] if n_gpus > 1 else []
    ar_counts = [n for n in (2, 4, 8) if n <= n_gpus]
    passes = CPU_PASSES if device == "cpu" else 1
    total = passes * len(plan) + 2 + len(ar_sizes) * len(ar_counts)
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, label)

    # Every point is measured in each pass, in a shuffled order (seeded, so runs are comparable):
    # a burst of load from other processes then hits grid and held-back points alike instead of a
    # whole op, and the faster of the passes' medians discards most of such bursts.
    drift = _DriftCorrection(timer) if device == "cpu" else None
    records: list[dict | None] = [None] * len(plan)
    rng = np.random.default_rng(0)
    for _ in range(passes):
        for index in rng.permutation(len(plan)):
            op, dtype, point, held = plan[index]

            def run(op=op, dtype=dtype, point=point) -> dict:
                return _measure(timer, device, op, point, dtype)

            try:
                rec = drift.measure(run) if drift else run()
            except (RuntimeError, MemoryError) as exc:  # out of memory on this device: filled later
                if "out of memory" not in str(exc).lower() and not isinstance(exc, MemoryError):
                    raise
                bench.release_memory(device)
                rec = {**point, "dtype": dtype, "ms": None, "error": "out of memory"}
            rec.update(op=op, holdout=held)
            best = records[index]
            if best is None or (rec["ms"] is not None and (best["ms"] is None or rec["ms"] < best["ms"])):
                records[index] = rec
            tick(op)
    bench.clear_pools()
    launch_ms = timer(bench.launch_fn(device))
    tick("launch overhead")
    step_ms = timer(bench.step_fn(device))
    tick("step overhead")
    measured = [r for r in records if r.get("ms") is not None]
    tflops, bw = _fit_peaks([r for r in measured if not r["holdout"]])
    # round the peaks before deriving efficiencies from them so that grid nodes stay exact
    tflops, bw = {k: round(v, 6) for k, v in tflops.items()}, round(bw, 6)
    tables = _tables(measured, planned, tflops, bw)
    ar_records = []
    if ar_counts:
        cpu_timer = bench.Timer("cpu", warmup=3, repeats=10)  # the callable synchronises every GPU
        for n in ar_counts:
            for size in ar_sizes:
                ar_records.append({"op": "allreduce", "n_gpus": n, "nbytes": size,
                                   "ms": cpu_timer(bench.allreduce_fn(int(size), n))})
                tick("allreduce")
    gpu_id = _match_gpu(info["name"]) if device != "cpu" else None
    interconnect = 0.0
    if ar_records:
        interconnect = max(2 * (r["n_gpus"] - 1) / r["n_gpus"] * r["nbytes"] / (r["ms"] * 1e-3) / 1e9
                           for r in ar_records)
        vals = {(r["nbytes"], r["n_gpus"]): min(0.0, math.log(
            2 * (r["n_gpus"] - 1) / r["n_gpus"] * r["nbytes"] / (interconnect * 1e9) * 1e3 / r["ms"]))
            for r in ar_records}
        tables["allreduce"] = {ANY_DTYPE: {"axes": {"nbytes": ar_sizes, "n_gpus": [float(n) for n in ar_counts]},
                                           "log_eff": [round(vals[(s, n)], 6) for s in ar_sizes for n in ar_counts]}}
    today = dt.date.today().isoformat()
    slug = device.replace(":", "")
    data = {
        "format": PROFILE_FORMAT, "version": PROFILE_VERSION,
        "id": f"calibrated-{slug}", "gpu": gpu_id, "device": info["name"],
        "source": f"calibrated on {info['name']} ({device}) {today}" + (" (--quick)" if quick else ""),
        "measured_by": "genai-sim calibrate (kernels.bench: median of repeats"
                       + (", CUDA events, L2 flush)" if device != "cpu"
                          else ", perf_counter, no cache flush, drift-corrected by a reference GEMM)"),
        "date": info["date"], "software": info,
        "peaks": {"tflops": tflops, "mem_bw_gbs": bw,
                  "memory_gb": info.get("memory_gb", 0.0), "interconnect_gbs": round(interconnect, 3),
                  "source": "measured here: best GEMM throughput per dtype and best copy bandwidth "
                            "(raised to the fastest GEMM or attention kernel where that beat them)"},
        "overheads": {"launch_overhead_ms": round(launch_ms, 6), "step_overhead_ms": round(step_ms, 6),
                      "source": "measured here: one-element add (launch); tiny linear + softmax + argmax "
                                "at one token (fixed per-forward work)"},
        "tables": tables,
        "measurements": [r for r in records if not r["holdout"]] + ar_records,
        "holdout": [r for r in measured if r["holdout"]],
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return out_path


def holdout_errors(path: Path | str) -> dict[str, list[float]]:
    """|predicted / measured - 1| of the held-back measurements of a calibrated profile, per op."""
    from kernels.perf import load_profile  # noqa: PLC0415 - avoid a cycle at import time

    prof = load_profile(Path(path))
    errors: dict[str, list[float]] = {}
    for r in json.loads(Path(path).read_text(encoding="utf-8")).get("holdout", []):
        if r["op"] == "gemm":
            pred = prof.gemm_ms(r["m"], r["n"], r["k"], r["dtype"])
        elif r["op"] == "attention_prefill":
            pred = prof.attention_prefill_ms(r["tokens"], r["context"], r["heads"], r["kv_heads"], r["head_dim"],
                                             r["batch"], r["dtype"])
        else:
            pred = prof.attention_decode_ms(r["batch"], r["kv_len"], r["heads"], r["kv_heads"], r["head_dim"],
                                            r["dtype"])
        errors.setdefault(r["op"], []).append(abs(pred / r["ms"] - 1.0))
    return errors

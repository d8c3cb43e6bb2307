"""Predicted vs measured on public closed-loop sweeps: mean TTFT and TPOT per point, and their median errors.

    .venv/bin/python benchmarks/closed_loop_validation.py [--data nim70b|nim3|all] [--gpu H100] [--quick] [--json]

Each measured point (a fixed input/output length and a concurrency) is replayed with ``genai-sim bench``:
a closed loop of that many clients, ``concurrency`` warm-up requests left out (genai-perf and AIPerf measure
in steady state), then 3 × concurrency measured requests (at least 20), TensorRT-LLM preset (NIM serves
these models with TensorRT-LLM), the API server and client round trip on. No constant is fitted to
these points. Targets (issue 17): median |TTFT error| ≤ 20 %, median |TPOT error| ≤ 10 %, and every point
whose measured TTFT is in seconds (≥ 3 s, the KV cache is full and requests queue) predicted above 3 s.

Data (benchmarks/data/README.md has the sources, licences and dates read):
* nim70b: NVIDIA NIM for LLMs benchmarking guide, Llama-3.3-70B-Instruct, NIM 1.8.0, 2 × H100 80GB, FP8, TP2
  (9 points: 5000/500 at concurrency 1–250, 500/2000 at concurrency 1).
* nim3: NVIDIA NIM (TensorRT-LLM) genai-perf sweeps of Llama-3-8B/70B-Instruct on A100/H100, TP 1–8,
  fp16/bf16/fp8, six input/output shapes, concurrency 1–250 (787 rows, from the NVIDIA DLI course data
  republished in an Apache-2.0 repository).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from simulation.llm.bench import run_bench

DATA = Path(__file__).resolve().parent / "data"
SATURATED_MS = 3000.0
TARGETS = {"ttft": 0.20, "tpot": 0.10}
MODELS = {"meta-llama3-8b-instruct": "meta-llama/Meta-Llama-3-8B",
          "meta-llama3-70b-instruct": "meta-llama/Meta-Llama-3-70B",
          "meta/llama-3.3-70b-instruct": "meta-llama/Llama-3.3-70B-Instruct"}
GPUS = {"A100-SXM4-80GB": "a100-80gb", "H100_80GB_HBM3": "h100-sxm"}
QUICK_CONCURRENCY = {"1", "10", "50", "100", "250"}


def load_points(which: str, gpu: str | None, quick: bool) -> list[dict]:
    """Measured points, duplicates (same configuration measured twice) averaged."""
    files = {"nim70b": ["nim_llama33_70b_h100_fp8_tp2.csv"], "nim3": ["nim_llama3_genai_perf.csv"]}
    names = files.get(which) or [f for fs in files.values() for f in fs]
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for name in names:
        with open(DATA / name, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                if gpu and not r["gpu"].lower().startswith(gpu.lower()):
                    continue
                if quick and name.startswith("nim_llama3_") and r["concurrency"] not in QUICK_CONCURRENCY:
                    continue
                key = (name, r["model"], r["gpu"], int(r["n_gpus"]), r["precision"], int(r["isl"]), int(r["osl"]),
                       int(r["concurrency"]))
                groups[key].append(r)
    points = []
    for (name, model, g, n, prec, isl, osl, c), rows in groups.items():
        points.append({"source": name, "model": model, "gpu": g, "tp": n, "dtype": prec, "isl": isl, "osl": osl,
                       "concurrency": c,
                       "ttft_ms": float(np.mean([float(r["ttft_avg_ms"]) for r in rows])),
                       "tpot_ms": float(np.mean([float(r["itl_avg_ms"]) for r in rows]))})
    return points


def replay(p: dict, seed: int = 0) -> dict:
    c = p["concurrency"]
    res = run_bench(MODELS[p["model"]], GPUS[p["gpu"]], tp=p["tp"], dtype=p["dtype"], engine="trtllm",
                    isl=p["isl"], osl=p["osl"], concurrency=c, num_prompts=max(3 * c, 20), warmup_requests=c,
                    seed=seed)
    return {**p, "pred_ttft_ms": res["mean_ttft_ms"], "pred_tpot_ms": res["mean_tpot_ms"],
            "ttft_err": res["mean_ttft_ms"] / p["ttft_ms"] - 1, "tpot_err": res["mean_tpot_ms"] / p["tpot_ms"] - 1}


def summarize(rows: list[dict]) -> dict:
    ttft = np.abs([r["ttft_err"] for r in rows])
    tpot = np.abs([r["tpot_err"] for r in rows])
    sat = [r for r in rows if r["ttft_ms"] >= SATURATED_MS]
    return {"points": len(rows), "median_abs_ttft_err": float(np.median(ttft)),
            "median_abs_tpot_err": float(np.median(tpot)),
            "median_ttft_err": float(np.median([r["ttft_err"] for r in rows])),
            "median_tpot_err": float(np.median([r["tpot_err"] for r in rows])),
            "saturated_points": len(sat), "saturated_predicted_above_3s": sum(r["pred_ttft_ms"] >= SATURATED_MS
                                                                           for r in sat)}


def growth(rows: list[dict], top: int = 64) -> dict:
    """TTFT(c) / TTFT(1) per shape, measured and predicted, for unsaturated points up to ``top`` clients.

    A stack that is uniformly slower or faster than the model shifts every point alike and cancels here, so
    this isolates how the serving loop makes TTFT grow with closed-loop clients (cohorts re-forming or not).
    """
    single = {(r["source"], r["model"], r["gpu"], r["tp"], r["dtype"], r["isl"], r["osl"]): r
              for r in rows if r["concurrency"] == 1}
    measured, predicted = [], []
    for r in rows:
        one = single.get((r["source"], r["model"], r["gpu"], r["tp"], r["dtype"], r["isl"], r["osl"]))
        if one is None or not 1 < r["concurrency"] <= top or r["ttft_ms"] >= SATURATED_MS:
            continue
        measured.append(r["ttft_ms"] / one["ttft_ms"])
        predicted.append(r["pred_ttft_ms"] / one["pred_ttft_ms"])
    if not measured:
        return {"pairs": 0}
    m, p = np.asarray(measured), np.asarray(predicted)
    return {"pairs": len(m), "median_measured": float(np.median(m)), "median_predicted": float(np.median(p)),
            "median_abs_err": float(np.median(np.abs(p / m - 1)))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="all", choices=("nim70b", "nim3", "all"))
    parser.add_argument("--gpu", help="only points on this GPU (prefix of the data's name, e.g. H100)")
    parser.add_argument("--quick", action="store_true", help="nim3: concurrency 1, 10, 50, 100, 250 only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    points = sorted(load_points(args.data, args.gpu, args.quick),
                    key=lambda p: (p["source"], p["model"], p["gpu"], p["tp"], p["dtype"], p["isl"], p["osl"],
                                   p["concurrency"]))
    cpu0 = time.process_time()
    rows = [replay(p) for p in points]
    cpu = time.process_time() - cpu0
    by_source: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_source[r["source"]].append(r)
    summary = {src: summarize(rs) for src, rs in by_source.items()}
    summary["all"] = summarize(rows)
    for src, rs in by_source.items():
        summary[src]["ttft_growth"] = growth(rs)
    if args.json:
        print(json.dumps({"points": rows, "summary": summary, "cpu_s": cpu}, indent=1))
        return 0
    print(f"{'model':<26}{'gpu':<6}{'tp':>3} {'dtype':<5}{'isl/osl':>10}{'conc':>6}"
          f"{'TTFT meas':>11}{'pred':>10}{'err':>8}{'TPOT meas':>11}{'pred':>8}{'err':>8}")
    for r in rows:
        flag = " SAT" if r["ttft_ms"] >= SATURATED_MS else ""
        miss = " MISS(<3s)" if flag and r["pred_ttft_ms"] < SATURATED_MS else ""
        print(f"{r['model'][-26:]:<26}{r['gpu'][:4]:<6}{r['tp']:>3} {r['dtype']:<5}{r['isl']:>5}/{r['osl']:<4}"
              f"{r['concurrency']:>6}{r['ttft_ms']:>11.1f}{r['pred_ttft_ms']:>10.1f}{r['ttft_err']:>+8.0%}"
              f"{r['tpot_ms']:>11.2f}{r['pred_tpot_ms']:>8.2f}{r['tpot_err']:>+8.0%}{flag}{miss}")
    print()
    for src, s in summary.items():
        ok_t = "ok" if s["median_abs_ttft_err"] <= TARGETS["ttft"] else "MISS"
        ok_p = "ok" if s["median_abs_tpot_err"] <= TARGETS["tpot"] else "MISS"
        print(f"{src:<36} {s['points']:>4} points: median |TTFT err| {s['median_abs_ttft_err']:6.1%} ({ok_t}, "
              f"signed {s['median_ttft_err']:+.1%}), median |TPOT err| {s['median_abs_tpot_err']:6.1%} ({ok_p}, "
              f"signed {s['median_tpot_err']:+.1%}); saturated (≥3 s) predicted ≥3 s: "
              f"{s['saturated_predicted_above_3s']}/{s['saturated_points']}")
    print("\nTTFT growth with clients, TTFT(c) / TTFT(1) per shape, 1 < c ≤ 64, unsaturated (a uniformly slower "
          "stack cancels):")
    for src in by_source:
        g = summary[src]["ttft_growth"]
        if g["pairs"]:
            print(f"{src:<36} {g['pairs']:>4} pairs: median measured {g['median_measured']:.2f}×, predicted "
                  f"{g['median_predicted']:.2f}×, median |error| {g['median_abs_err']:.1%}")
    print(f"\n{len(rows)} replays in {cpu:.1f} CPU s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Simulation speed of `genai-sim bench`: simulated requests per wall-clock second on one core.

Llama-3.1-8B on one H100 SXM, ISL 1024 / OSL 256, Poisson arrivals at ~70 % of the engine's capacity
(capacity measured first with a saturating closed loop), 20,000 requests. Target ≥ 20,000 requests/s.
Reports wall time and process CPU time (the single-core cost when other jobs share the machine).

    .venv/bin/python benchmarks/bench_speed.py [--requests N] [--load 0.7]
"""

from __future__ import annotations

import argparse
import json
import time

from simulation.llm.bench import run_bench

MODEL = "meta-llama/Llama-3.1-8B"
GPU = "h100-sxm"
ISL, OSL = 1024, 256


def capacity_req_per_s() -> float:
    """Throughput of a saturated engine (a closed loop far above what fits in one batch step)."""
    res = run_bench(MODEL, GPU, isl=ISL, osl=OSL, concurrency=1024, num_prompts=6000, seed=1)
    return float(res["request_throughput"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--load", type=float, default=0.7, help="arrival rate as a share of capacity")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timed runs")
    args = parser.parse_args()
    cap = capacity_req_per_s()
    rate = args.load * cap
    best = None
    for i in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        res = run_bench(MODEL, GPU, isl=ISL, osl=OSL, request_rate=rate, num_prompts=args.requests, seed=i)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or wall < best[0]:
            best = (wall, cpu, res)
    assert best is not None
    wall, cpu, res = best
    report = {
        "model": MODEL, "gpu": GPU, "isl": ISL, "osl": OSL,
        "capacity_req_per_s": round(cap, 2), "request_rate": round(rate, 2),
        "requests": res["completed"], "simulated_s": round(res["duration"], 1),
        "wall_s": round(wall, 3), "engine_wall_s": round(res["wall_s"], 3),
        "requests_per_wall_s": round(res["completed"] / wall, 0),
        "cpu_s": round(cpu, 3),  # process CPU time: the one-core figure when the machine is shared
        "requests_per_cpu_s": round(res["completed"] / cpu, 0),
        "mean_ttft_ms": round(res["mean_ttft_ms"], 1), "mean_tpot_ms": round(res["mean_tpot_ms"], 2),
        "mean_batch": round(res["node"]["batch_size"], 1), "target_requests_per_wall_s": 20_000,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Sweep speed: a 200-point grid of the RAG example × 3 replications (600 simulations).

Grid: arrival rate 0.5..10 req/s step 0.5 (20 values) × the llm_server's max_num_seqs 8..80 step 8 (10 values).
Wall time in this process (1 worker), on 2 local processes (spawn), and on a Dask LocalCluster of
2 single-threaded worker processes; the three must give identical numbers (same seeds).
Run: .venv/bin/python benchmarks/sweep_speed.py [--duration 120] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from simulation.analysis.executors import DaskExecutor, LocalProcessExecutor, SerialExecutor
from simulation.analysis.sweep import Axis, sweep
from simulation.loader import design_to_dict, load_design

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=120.0, help="simulated seconds per run (default 120)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--replications", type=int, default=3)
    args = ap.parse_args()
    design = load_design(REPO / "assets" / "templates" / "rag-pipeline.genai.json")
    data = design_to_dict(design)
    axes = [Axis("workload.arrival.rate_per_s", [r / 2 for r in range(1, 21)]),
            Axis("nodes.llm.params.max_num_seqs", list(range(8, 81, 8)))]
    n_points = len(axes[0].values) * len(axes[1].values)
    print(f"RAG pipeline: {n_points} points × {args.replications} replications, {args.duration:g} s simulated "
          f"each (warm-up {design.workload.get('warmup_s', 0)} s)")
    results = {}
    for label, make in (("1 process (in-process)", SerialExecutor),
                        (f"{args.workers} local processes", lambda: LocalProcessExecutor(args.workers)),
                        (f"Dask LocalCluster, {args.workers} workers", lambda: DaskExecutor(args.workers))):
        cpu0 = _cpu_s()
        t0 = time.perf_counter()
        executor = make()
        try:
            res = sweep(data, axes, args.replications, duration_s=args.duration, executor=executor)
        finally:
            executor.close()  # joins the worker processes, so their CPU time is counted below
        wall = time.perf_counter() - t0
        cpu = _cpu_s() - cpu0
        results[label] = (wall, cpu, res)
        runs = n_points * args.replications
        print(f"  {label:<32} {wall:7.1f} s wall  {cpu:7.1f} s CPU  ({runs / wall:5.1f} runs/s; wall includes "
              f"pool/cluster start-up)")
    base_wall, base_cpu, base = next(iter(results.values()))
    for label, (wall, cpu, res) in list(results.items())[1:]:
        same = [p.runs for p in res.points] == [p.runs for p in base.points]
        # On a machine shared with other jobs the wall clock understates the speed-up; the CPU overhead of
        # the parallel run (its CPU seconds ÷ the serial run's) gives the speed-up an idle machine would see.
        ideal = args.workers * base_cpu / cpu
        print(f"  {label:<32} speed-up ×{base_wall / wall:.2f} wall; CPU ×{cpu / base_cpu:.2f} of serial → "
              f"×{ideal:.2f} on {args.workers} idle cores; identical numbers: {same}")
    met = sum(p.slo_met for p in base.points)
    print(f"  {met}/{n_points} points meet the SLOs; load average at the end: {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores (other jobs share this machine)")


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished child processes (pool and cluster workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


if __name__ == "__main__":  # the spawn start method re-imports this module in each worker
    main()

"""Overload: run a design at N× its capacity for an hour of simulated time with bounded queues.

Capacity is the arrival rate at which the busiest node reaches utilisation 1, from the design's envelope
(λ × E[S] ÷ servers, simulation.analysis.envelope). Every node gets a queue limit and a queue timeout
(unless the design sets its own), so queues stay bounded; the run must finish, count its drops and
timeouts, and say what broke first. Prints wall time, the memory peak (max RSS, sampled over the run)
and per-node drops/timeouts.

    .venv/bin/python benchmarks/overload.py [FILE] [--factor 10] [--duration 3600] [--queue-limit 200]
                                            [--timeout-ms 30000] [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simulation.analysis.envelope import envelope  # noqa: E402
from simulation.loader import load_design  # noqa: E402
from simulation.run import load_with_overrides, run_design  # noqa: E402
from simulation.workload import mean_rate  # noqa: E402


def rss_mib() -> float:
    """Resident memory now (Linux /proc), else the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def capacity_rate(path: Path) -> tuple[float, str]:
    """Arrival rate (req/s) at which the busiest node's offered load reaches 1, and that node."""
    design = load_design(path)
    env = envelope(design)
    rate = mean_rate(design.workload)
    if not rate:
        raise SystemExit("overload needs an open arrival process (poisson, gamma or diurnal)")
    utils = {n.id: env.value(f"{n.id}.utilization") for n in design.nodes}
    utils = {k: v for k, v in utils.items() if math.isfinite(v) and v > 0}
    if not utils:
        raise SystemExit("no node has a utilisation estimate; cannot size the overload")
    busiest = max(utils, key=utils.__getitem__)
    return rate / utils[busiest], busiest


def first_to_saturate(result, limits: dict[str, int]) -> tuple[str, float] | None:
    """The node whose queue first reached its limit, and when (simulated seconds)."""
    times = result.timeline.get("t", [])
    best: tuple[str, float] | None = None
    for nid, samples in result.timeline.get("nodes", {}).items():
        limit = limits.get(nid)
        if not limit:
            continue
        for t, s in zip(times, samples):
            if s.get("queue", 0) >= limit * 0.99:
                if best is None or t < best[1]:
                    best = (nid, t)
                break
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(REPO / "assets" / "templates" / "rag-pipeline.genai.json"))
    ap.add_argument("--factor", type=float, default=10.0, help="arrival rate as a multiple of capacity")
    ap.add_argument("--duration", type=float, default=3600.0, help="simulated seconds")
    ap.add_argument("--queue-limit", type=int, default=200, help="per node, where the design sets none")
    ap.add_argument("--timeout-ms", type=float, default=30_000.0, help="per node, where the design sets none")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    path = Path(args.file)
    cap, busiest = capacity_rate(path)
    rate = cap * args.factor
    design = load_design(path)
    sets = [f"workload.arrival.rate_per_s={rate}"] if design.workload["arrival"]["process"] != "diurnal" else \
        [f"workload.arrival.requests_per_day={rate * 86400}"]
    limits: dict[str, int] = {}
    for n in design.nodes:
        if n.kind == "client":
            continue
        limits[n.id] = int(n.params.get("queue_limit") or args.queue_limit)
        if not n.params.get("queue_limit"):
            sets.append(f"nodes.{n.id}.params.queue_limit={args.queue_limit}")
        if not n.params.get("timeout_ms"):
            sets.append(f"nodes.{n.id}.params.timeout_ms={args.timeout_ms}")
    design = load_with_overrides(path, sets)

    samples: list[tuple[float, float]] = []
    t0 = time.perf_counter()
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            samples.append((time.perf_counter() - t0, rss_mib()))

    sampler = threading.Thread(target=sample, daemon=True)
    base_rss = rss_mib()
    sampler.start()

    def progress(fraction: float, sim_t: float) -> None:
        n = int(fraction * 30)
        print(f"\r[{'#' * n}{'.' * (30 - n)}] {fraction:4.0%} t={sim_t:,.0f}s rss={rss_mib():,.0f} MiB",
              end="", file=sys.stderr, flush=True)

    result = run_design(design, seed=args.seed, duration_s=args.duration, progress=progress)
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join()
    print(file=sys.stderr)
    peak = max([rss_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024] + [m for _, m in samples])

    counts = {k: int(v) for k, v in result.counts.items()}
    print(f"design: {path.name}; capacity ≈ {cap:.2f} req/s (busiest node by envelope: {busiest}); "
          f"offered {rate:.1f} req/s = {args.factor:g}× for {args.duration:,.0f} s simulated")
    print(f"wall {wall:.1f} s; memory: start {base_rss:.0f} MiB, peak RSS {peak:.0f} MiB")
    print("counts: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
    served = int(result.node_stats.get(busiest, {}).get("served", 0))
    print(f"completed {counts['completed'] / args.duration:.2f} req/s end to end (short paths such as cache hits "
          f"included); {busiest} served {served / args.duration:.2f} req/s at utilisation "
          f"{float(result.node_stats.get(busiest, {}).get('utilization', 0)):.2f}")
    print(f"{'node':<12} {'util':>6} {'maxq':>6} {'dropped':>9} {'timed_out':>9}")
    broke = []
    for nid, st in result.node_stats.items():
        if nid not in limits:
            continue
        q = [s.get("queue", 0) for s in result.timeline.get("nodes", {}).get(nid, [])]
        print(f"{nid:<12} {float(st.get('utilization', 0)):6.2f} {max(q, default=0):6.0f} "
              f"{int(st.get('dropped', 0)):9,} {int(st.get('timed_out', 0)):9,}")
        broke.append((int(st.get("dropped", 0)) + int(st.get("timed_out", 0)), nid))
        assert max(q, default=0) <= limits[nid], f"{nid}: queue beyond its limit"
    worst = max(broke)
    first = first_to_saturate(result, limits)
    print(f"what broke: {worst[1]} ({worst[0]:,} drops + timeouts)"
          + (f"; first queue to fill: {first[0]} at t={first[1]:,.0f} s" if first else ""))
    for issue in result.review:
        if issue.get("severity") in ("error", "warning"):
            print(f"review {issue['severity']}: {issue['rule']} [{issue.get('node')}] {issue['message']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

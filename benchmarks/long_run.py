"""A 24-hour diurnal run of the chatbot-like RAG template, with a progress bar and memory sampled over time.

The template's mean rate (4 req/s) becomes a diurnal process with the same daily volume and a 2:1 peak
(SPEC §2 `diurnal`), peaking at 8 req/s, under the generator's capacity (≈ 16.6 req/s by the envelope).
Prints wall time, simulated requests per wall second, and resident memory at each tenth of the day:
memory that keeps climbing with simulated time is per-request state (records), not queues.

    .venv/bin/python benchmarks/long_run.py [--requests-per-day 345600] [--peak-to-mean 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simulation.run import load_with_overrides, run_design  # noqa: E402

TEMPLATE = REPO / "assets" / "templates" / "rag-pipeline.genai.json"
DAY_S = 86_400.0


def rss_mib() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests-per-day", type=float, default=4.0 * DAY_S)
    ap.add_argument("--peak-to-mean", type=float, default=2.0)
    ap.add_argument("--duration", type=float, default=DAY_S)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    arrival = {"process": "diurnal", "requests_per_day": args.requests_per_day, "peak_to_mean": args.peak_to_mean}
    sets = [f"workload.arrival={json.dumps(arrival)}", f"workload.duration_s={args.duration}"]
    print(f"genai-sim run {TEMPLATE.relative_to(REPO)} " + " ".join(f"--set '{s}'" for s in sets))
    design = load_with_overrides(TEMPLATE, sets)

    memory: list[tuple[float, float, float]] = []  # (fraction, sim t, RSS MiB)
    start_rss = rss_mib()
    t0 = time.perf_counter()
    next_mark = [0.1]

    def progress(fraction: float, sim_t: float) -> None:
        n = int(fraction * 40)
        rss = rss_mib()
        print(f"\r[{'#' * n}{'.' * (40 - n)}] {fraction:4.0%}  t={sim_t / 3600:5.1f} h  "
              f"wall={time.perf_counter() - t0:6.1f} s  rss={rss:6.0f} MiB", end="", file=sys.stderr, flush=True)
        if fraction >= next_mark[0] - 1e-9:
            memory.append((fraction, sim_t, rss))
            next_mark[0] += 0.1

    result = run_design(design, seed=args.seed, progress=progress)
    wall = time.perf_counter() - t0
    print(file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = {k: int(v) for k, v in result.counts.items()}
    print(f"simulated {args.duration / 3600:.0f} h, {counts['arrived']:,} requests "
          f"({counts['completed']:,} completed) in {wall:.1f} s wall "
          f"= {counts['arrived'] / wall:,.0f} simulated requests per wall second")
    print(f"memory: {start_rss:.0f} MiB at start, peak RSS {peak:.0f} MiB, "
          f"{(peak - start_rss) * 2**20 / max(counts['arrived'], 1):,.0f} bytes per request")
    print("RSS over the day: " + ", ".join(f"{t / 3600:.0f} h {m:.0f}" for _, t, m in memory))
    m = result.metrics()
    e2e = m.get("e2e_ms", {}) if isinstance(m, dict) else {}
    if e2e:
        print("e2e ms: " + ", ".join(f"{k}={v:.0f}" for k, v in e2e.items() if isinstance(v, (int, float))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

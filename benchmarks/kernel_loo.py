"""Leave-one-out interpolation error on the public GEMM / attention / all-reduce tables, per GPU.

Target (issue 4): median <= 5 %, P90 <= 15 % for GEMM and attention on every GPU.
"all rows" counts every row; "at/above roofline" leaves out rows measured faster than the HBM
roofline (working set resident in L2 - on the 96 MB-L2 L40S up to 12 % of the decode rows), which
a profile by design never predicts (it never returns less than the roofline minimum).
The LLMServingSim tables (rtx-4090, rtx-pro-6000) are small per-layer tables, reported, not gated.
Run: .venv/bin/python benchmarks/kernel_loo.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kernels.accuracy import loo_report, measured_gpus, summarize  # noqa: E402
from kernels.public_data import AIC_GPUS, validation_dir  # noqa: E402

MEDIAN_TARGET, P90_TARGET = 0.05, 0.15


def main() -> int:
    if not validation_dir().is_dir():
        print(f"no public data at {validation_dir()}")
        return 2
    print(f"{'gpu':<13} {'table':<18} | {'all rows':^26} | {'at/above roofline':^26} | target met")
    print(f"{'':<13} {'':<18} | {'rows':>6} {'median':>8} {'p90':>8}   | {'rows':>6} {'median':>8} {'p90':>8}   |")
    missed: list[str] = []
    for gpu_id in measured_gpus():
        above = loo_report(gpu_id, above_roofline_only=True)
        for label, errors in loo_report(gpu_id).items():
            n, med, p90 = summarize(errors)
            n2, med2, p902 = summarize(above[label])
            gated = gpu_id in AIC_GPUS and not label.startswith("allreduce")
            ok = med <= MEDIAN_TARGET and p90 <= P90_TARGET
            if gated and not ok:
                missed.append(f"{gpu_id} {label}")
            verdict = ("yes" if ok else "NO (all rows)") if gated else "(not gated)"
            print(f"{gpu_id:<13} {label:<18} | {n:>6} {med:>8.2%} {p90:>8.2%}   | {n2:>6} {med2:>8.2%} {p902:>8.2%}   "
                  f"| {verdict}")
    print("all gated tables within target" if not missed else "missed on all rows: " + ", ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

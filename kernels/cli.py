"""Command-line entry points the lead wires into ``genai-sim``: ``calibrate`` and ``kernels predict``.

Bad arguments raise InputError (one line); genai_sim/cli.py turns that into exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from kernels.errors import InputError

OPS = ("gemm", "attention-prefill", "attention-decode", "allreduce", "memcpy")
DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "fp4", "int4")


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--quick", action="store_true",
                        help="small grid (cpu: about 10-30 s on 2 cores); the full grid takes minutes")
    parser.add_argument("-o", "--output", required=True, metavar="PROFILE.json", help="profile file to write")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch (default: all cores but one, which steadies timings)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--gpu", help="built-in profile of a catalog GPU (e.g. h100-sxm)")
    which.add_argument("--profile", help="built-in profile id or a profile .json (e.g. from calibrate)")
    parser.add_argument("--op", required=True, choices=OPS, help="kernel to time")
    parser.add_argument("--dtype", default="bf16", choices=DTYPES, help="weight / KV dtype (default bf16)")
    for name, what in (("--m", "GEMM rows (tokens)"), ("--n", "GEMM output features"),
                       ("--k", "GEMM input features"), ("--tokens", "new query tokens per sequence (prefill)"),
                       ("--context", "KV length incl. the new tokens (prefill; default = tokens)"),
                       ("--heads", "query heads on this GPU"), ("--kv-heads", "KV heads on this GPU (default heads)"),
                       ("--head-dim", "head dimension (default 128)"), ("--batch", "sequences (default 1)"),
                       ("--gpus", "GPUs in the all-reduce (default 2)")):
        parser.add_argument(name, type=int, default=None, help=what)
    parser.add_argument("--kv-len", type=float, default=None, help="cached tokens per sequence (decode)")
    parser.add_argument("--bytes", type=float, default=None, help="message size in bytes (allreduce, memcpy)")
    parser.add_argument("--json", action="store_true", help='print {"latency_ms": ...}')


class ProgressBar:
    """A plain text bar on stderr, redrawn at most ten times a second: [#####.....] 12/60 gemm 3.1 s."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.start = time.monotonic()
        self._last = (-1.0, "")

    def __call__(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and label == self._last[1] and now - self._last[0] < 0.1:
            return
        self._last = (now, label)
        filled = int(self.width * done / max(total, 1))
        bar = "#" * filled + "." * (self.width - filled)
        end = "\n" if finished else ""
        self.stream.write(f"\r[{bar}] {done}/{total} {label:<18} {now - self.start:5.1f} s{end}")
        self.stream.flush()


def calibrate_main(args: argparse.Namespace) -> int:
    from kernels.calibrate import calibrate, holdout_errors  # noqa: PLC0415 - keeps CLI start-up light

    progress = None if getattr(args, "no_progress", False) else ProgressBar()
    path = calibrate(device=args.device, quick=args.quick, out=Path(args.output), progress=progress,
                     threads=getattr(args, "threads", None))
    errors = [e for errs in holdout_errors(path).values() for e in errs]
    errors.sort()
    median = errors[len(errors) // 2] if errors else float("nan")
    print(f"wrote {path} ({len(errors)} held-back measurements, median prediction error {median:.1%})")
    return 0


def _need(args: argparse.Namespace, *names: str) -> list:
    missing = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) is None]
    if missing:
        raise InputError(f"--op {args.op} needs {', '.join(missing)}")
    return [getattr(args, n) for n in names]


def predict(args: argparse.Namespace) -> float:
    from kernels.perf import load_profile  # noqa: PLC0415

    prof = load_profile(args.profile if args.profile else args.gpu)
    if args.op == "gemm":
        m, n, k = _need(args, "m", "n", "k")
        return prof.gemm_ms(m, n, k, args.dtype)
    if args.op == "allreduce":
        (nbytes,) = _need(args, "bytes")
        return prof.allreduce_ms(nbytes, args.gpus if args.gpus is not None else 2)
    if args.op == "memcpy":
        (nbytes,) = _need(args, "bytes")
        return prof.memcpy_ms(nbytes)
    (heads,) = _need(args, "heads")
    kv_heads = args.kv_heads if args.kv_heads is not None else heads
    head_dim = args.head_dim if args.head_dim is not None else 128
    batch = args.batch if args.batch is not None else 1
    if args.op == "attention-prefill":
        (tokens,) = _need(args, "tokens")
        context = args.context if args.context is not None else tokens
        return prof.attention_prefill_ms(tokens, context, heads, kv_heads, head_dim, batch, args.dtype)
    (kv_len,) = _need(args, "kv_len")
    return prof.attention_decode_ms(batch, kv_len, heads, kv_heads, head_dim, args.dtype)


def predict_main(args: argparse.Namespace) -> int:
    latency = predict(args)
    if args.json:
        print(json.dumps({"latency_ms": latency}))
    else:
        print(f"{args.op}: {latency:.6g} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (python -m kernels.cli calibrate|predict ...) mirroring genai-sim's."""
    parser = argparse.ArgumentParser(prog="python -m kernels.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    add_calibrate_arguments(sub.add_parser("calibrate", help="measure this machine and write a profile"))
    add_predict_arguments(sub.add_parser("predict", help="one kernel time from a profile"))
    args = parser.parse_args(argv)
    try:
        return calibrate_main(args) if args.command == "calibrate" else predict_main(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

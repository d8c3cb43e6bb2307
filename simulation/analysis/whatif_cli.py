"""`genai-sim sweep | capacity | autosize`: argument parsers and entry points (wired in genai_sim/cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from simulation.errors import DesignError

EXIT_OK, EXIT_CHECK_FAILED = 0, 1


def _add_run_options(p: argparse.ArgumentParser, replications: int,
                     set_help: str = "fixed override applied before the search (repeatable)") -> None:
    p.add_argument("file")
    p.add_argument("--replications", type=int, default=replications,
                   help=f"runs per point with seeds base, base+1, ... (default {replications})")
    p.add_argument("--seed", type=int, help="base seed (default: the workload's seed)")
    p.add_argument("--duration", type=float, help="simulated seconds per run (default: the workload's duration_s)")
    p.add_argument("--workers", type=int, help="parallel worker processes (default: all cores; 1 = in-process)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local processes, or a Dask cluster (a LocalCluster unless --dask-address)")
    p.add_argument("--dask-address", help="scheduler address of a running Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--no-progress", action="store_true", help="no progress output on stderr")
    p.add_argument("--set", dest="fixed", action="append", default=[], metavar="PATH=VALUE", help=set_help)


def _design_data(args: argparse.Namespace) -> tuple[dict[str, Any], str | None]:
    from simulation.loader import design_to_dict
    from simulation.run import load_with_overrides

    design = load_with_overrides(args.file, getattr(args, "fixed", []) or [])
    return design_to_dict(design), design.base_dir


def _executor(args: argparse.Namespace) -> Any:
    from simulation.analysis.executors import make_executor

    if args.replications is not None and args.replications < 1:
        raise DesignError(f"must be ≥ 1, got {args.replications}", "--replications")
    if args.duration is not None and not args.duration > 0:
        raise DesignError(f"must be > 0, got {args.duration}", "--duration")
    return make_executor(args.executor, args.workers, args.dask_address)


def _progress(args: argparse.Namespace, label: str) -> Any:
    from simulation.analysis.executors import ProgressBar

    return None if args.no_progress else ProgressBar(label)


# -- sweep ----------------------------------------------------------------------------------------------
def add_sweep_arguments(p: argparse.ArgumentParser) -> None:
    _add_run_options(p, replications=1, set_help="PATH=V1,V2,...: an axis of the grid (several values; 1..8, "
                     "0.5:4:0.5 and JSON lists work too), or PATH=VALUE: a fixed override (repeatable); "
                     "PATH 'rate' means the arrival load")
    p.description = ("Simulate every point of a grid over --sweep/--set PATH=V1,V2,... values and --rate values, "
                     "each with --replications seeds (common random numbers), in parallel.")
    p.add_argument("--sweep", dest="axes", action="append", default=[], metavar="PATH=V1,V2,...",
                   help="an axis of the grid even with one value (repeatable)")
    p.add_argument("--rate", help="arrival-load values (rate_per_s, requests_per_day or closed-loop "
                   "concurrency, by the arrival process), e.g. 2,4,8 or 1:10:1")
    p.add_argument("--independent", action="store_true",
                   help="independent seeds per point instead of common random numbers")
    p.add_argument("-o", "--output", required=True, help="OUT.csv (one row per point) or OUT.json (with runs)")


def sweep_main(args: argparse.Namespace) -> int:
    """``--set PATH=V1,V2`` with several values (or any --sweep) is an axis; one value is a fixed override."""
    from simulation.analysis.sweep import Axis, parse_axis, parse_values, rate_path, resolve_axis_path, sweep

    if not args.output.lower().endswith((".csv", ".json")):
        raise DesignError(f"must end in .csv or .json, got {args.output!r}", "-o")
    axes_text = list(args.axes)
    fixed = []
    for item in args.fixed:  # `--set` is the documented spelling for axes too: lists become axes
        axis = parse_axis(item)
        if len(axis.values) > 1 or axis.path in ("rate", "workload.arrival.rate"):
            axes_text.append(item)
        else:
            fixed.append(f"{axis.path}={json.dumps(axis.values[0])}")
    args.fixed = fixed
    data, base_dir = _design_data(args)
    axes = []
    for item in axes_text:
        axis = parse_axis(item)
        axes.append(Axis(resolve_axis_path(data, axis.path), axis.values))
    if args.rate:
        axes.append(Axis(rate_path(data), parse_values(args.rate, "--rate")))
    executor = _executor(args)
    try:
        result = sweep(data, axes, args.replications, args.seed, args.duration, executor,
                       crn=not args.independent, progress=_progress(args, "runs"), base_dir=base_dir)
    finally:
        executor.close()
    path = result.write(args.output)
    met = sum(p.slo_met for p in result.points)
    print(f"{len(result.points)} points × {args.replications} replications in {result.wall_s:.1f} s; "
          f"{met} meet the SLOs → {path}")
    return EXIT_OK


# -- capacity -------------------------------------------------------------------------------------------
def add_capacity_arguments(p: argparse.ArgumentParser) -> None:
    _add_run_options(p, replications=3)
    p.description = "Find the highest arrival load that meets every SLO of the design (bracket, then bisect)."
    p.add_argument("--tolerance", type=float, default=0.02,
                   help="stop when the bracket is narrower than this share of the load (default 0.02)")
    p.add_argument("--slo", action="append", default=[], metavar="KEY=TARGET",
                   help="add or replace an SLO for the search, e.g. ttft_p99_ms=800 (repeatable)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--store", action="store_true", help="save the result into the design file's sweeps")


def capacity_main(args: argparse.Namespace) -> int:
    from simulation.analysis.capacity import find_capacity

    data, base_dir = _design_data(args)
    slo = dict(data.get("slo") or {})
    for item in args.slo:
        key, _, text = item.partition("=")
        try:
            slo[key.strip()] = float(text)
        except ValueError:
            raise DesignError(f"needs KEY=NUMBER, got {item!r}", "--slo") from None
    if slo != data.get("slo"):
        from simulation.loader import load_design

        data["slo"] = slo
        load_design(data)  # validates the SLO keys
    executor = _executor(args)
    note = None if args.no_progress else (lambda text: print(text, file=sys.stderr, flush=True))
    try:
        result = find_capacity(data, args.replications, args.tolerance, args.seed, args.duration, executor,
                               note, base_dir)
    finally:
        executor.close()
    out = result.to_json()
    if args.store:
        _store(args.file, "capacity", result, slo)
    if args.json:
        print(json.dumps(out, indent=2, allow_nan=False))
    else:
        print(capacity_text(out))
    return EXIT_OK if result.met_at_lowest else EXIT_CHECK_FAILED


def capacity_text(out: dict[str, Any]) -> str:
    unit = {"rate_per_s": "req/s", "requests_per_day": "requests/day", "concurrency": "users"}[
        out["path"].rsplit(".", 1)[1]]
    if not out["met_at_lowest"]:
        return (f"No load meets the SLOs: even {out['failing_value']:g} {unit} breaks {out['limiting_slo']} "
                f"(bottleneck: {out['bottleneck']}).")
    lines = [f"Capacity: {out['max_value']:g} {unit} (≈ {out['max_rate_per_s']:.4g} req/s, "
             f"{out['max_rate_per_s'] * 86400:,.0f} requests/day) meets every SLO "
             f"({out['replications']} replications per point)."]
    if out["failing_value"] is not None:
        util = out["bottleneck_utilization"]
        lines.append(f"At {out['failing_value']:g} {unit} {out['limiting_slo']} breaks first; bottleneck: "
                     f"{out['bottleneck']}" + (f" at {util:.0%} utilisation." if util is not None else "."))
    else:
        lines.append("No SLO broke within the search range.")
    for p in out["points"]:
        flags = ", ".join(f"{k} {_short(v['mean'])}/{v['target']:g}" for k, v in p["slo"].items()
                          if v["mean"] is not None)
        lines.append(f"  {p['value']:>10g} {unit}: {'meets ' if p['slo_met'] else 'breaks'}  {flags}")
    return "\n".join(lines)


def _short(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _store(path: str, kind: str, result: Any, slo: dict[str, float] | None = None) -> None:
    """Append a capacity/autosize result to the design file's ``sweeps`` (the report's trade-off section)."""
    from simulation.analysis.sweep import Axis, store_result, stored_entry
    from simulation.loader import load_design, save_design

    design = load_design(path)
    if kind == "capacity":
        out = result.to_json()
        axes = [Axis(result.path, [v for v, _ in result.points])]
        entry = stored_entry(kind, axes, result.replications, result.seed, None, True, dict(slo or design.slo),
                             [p for _, p in result.points],
                             {k: v for k, v in out.items() if k != "points"})
    else:
        entry = result.stored_entry()
    store_result(design, entry)
    save_design(design, path)


# -- autosize -------------------------------------------------------------------------------------------
def add_autosize_arguments(p: argparse.ArgumentParser) -> None:
    _add_run_options(p, replications=2)
    p.description = ("Cheapest configuration of one LLM node that meets the SLOs over GPUs × TP × replicas × "
                     "dtype (and hosted APIs), with the cost–latency Pareto front. Envelope maths prunes "
                     "candidates that cannot fit or cannot keep up before anything is simulated.")
    p.add_argument("--node", required=True, help="id of the llm_server (or llm_api) node to size")
    p.add_argument("--gpus", help="candidate GPU ids, comma-separated (default: the node's GPU, h100-sxm, "
                   "a100-80gb, l40s)")
    p.add_argument("--tp", default="1,2,4,8", help="tensor-parallel degrees (default 1,2,4,8)")
    p.add_argument("--replicas", default="1..8", help="replica counts (default 1..8)")
    p.add_argument("--dtype", default="bf16,fp8", help="weight dtypes (default bf16,fp8)")
    p.add_argument("--model", help="model for self-hosted candidates (default: the node's, or a comparable one)")
    p.add_argument("--api", help="hosted API models to compare, comma-separated (default: those in the design)")
    p.add_argument("--no-api", action="store_true", help="self-hosted candidates only")
    p.add_argument("--latency-metric", help="latency axis of the Pareto front (default: the first latency SLO)")
    p.add_argument("--max-sims", type=int, default=60, help="at most this many candidates simulated (default 60)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--store", action="store_true", help="save the result into the design file's sweeps")


def autosize_main(args: argparse.Namespace) -> int:
    from simulation.analysis.autosize import AutosizeSpace, autosize
    from simulation.analysis.sweep import parse_values

    data, base_dir = _design_data(args)
    space = AutosizeSpace(
        gpus=[str(g) for g in parse_values(args.gpus, "--gpus")] if args.gpus else None,
        tp=[int(v) for v in parse_values(args.tp, "--tp")],
        replicas=[int(v) for v in parse_values(args.replicas, "--replicas")],
        dtypes=[str(v) for v in parse_values(args.dtype, "--dtype")],
        model=args.model,
        apis=[] if args.no_api else ([str(v) for v in parse_values(args.api, "--api")] if args.api else None))
    executor = _executor(args)
    try:
        result = autosize(data, args.node, space, args.replications, args.seed, args.duration, executor,
                          latency_metric=args.latency_metric, max_sims=args.max_sims,
                          progress=_progress(args, "runs"), base_dir=base_dir)
    finally:
        executor.close()
    if args.store:
        _store(args.file, "autosize", result)
    out = result.to_json()
    if args.json:
        print(json.dumps(out, indent=2, allow_nan=False))
    else:
        print(result.text())
    return EXIT_OK if result.best is not None else EXIT_CHECK_FAILED

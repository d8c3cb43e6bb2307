"""``genai-sim bench``: one llm_server under a benchmark load, reported with `vllm bench serve`'s JSON keys.

The load is a closed loop of ``--concurrency`` clients or Poisson arrivals at ``--request-rate``; either
way exactly ``--num-prompts`` requests are sent and the run lasts until the last one completes, as in
vLLM's benchmark. The design goes through the normal loader and engine.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator
from itertools import chain
from typing import Any

import numpy as np

from simulation.design import Design
from simulation.engine.core import Simulation, rare_collections
from simulation.errors import DesignError
from simulation.loader import load_design
from simulation.metrics import RunResult


class BenchSimulation(Simulation):
    """A Simulation that sends exactly the given arrivals (open) or a capped number of requests (closed)."""

    def __init__(self, design: Design, seed: int, arrivals: list[tuple[float, int | None, int | None]] | None,
                 max_requests: int | None, duration_s: float, compact: bool = False) -> None:
        # compact (run_bench): summarised from the columns and the engines' step logs, no Request object kept
        super().__init__(design, seed=seed, duration_s=duration_s, warmup_s=0.0, record_hops=False,
                         keep_requests=not compact, keep_token_timings=not compact)
        self._arrivals = arrivals
        self._max_requests = max_requests

    def run_to_completion(self) -> float:
        """Send every request and run until the last is answered; no timeline or warm-up. Wall seconds."""
        import time

        wall0 = time.perf_counter()
        self._start_arrivals()
        with rare_collections():
            self.env.run()
        return time.perf_counter() - wall0

    def _closed_arrival(self, user: int) -> None:
        if self._max_requests is not None and self.arrived >= self._max_requests:
            return
        super()._closed_arrival(user)
        if self._max_requests is not None and self.arrived >= self._max_requests:
            self.duration = self.now  # the last request is out: stop once it is answered

    def _start_arrivals(self) -> None:
        if self._arrivals is None:
            super()._start_arrivals()
            return
        client = self.clients[0]
        it = iter(self._arrivals)

        def fire(item: tuple[float, int | None, int | None]) -> None:
            t, isl, osl = item
            self._inject(self._new_request(t, isl, osl), client)
            nxt = next(it, None)
            if nxt is not None:
                self.call_later(nxt[0] - self.now, fire, nxt)

        first = next(it, None)
        if first is not None:
            self.call_later(first[0], fire, first)


def _token_dist(value: int | None, dist: dict[str, Any] | None, name: str) -> dict[str, Any]:
    if dist is not None:
        return dist
    if value is None or value < 1:
        raise DesignError(f"must be a positive token count, got {value!r}", name)
    return {"dist": "fixed", "value": int(value)}


def bench_design(model: str, gpu: str, tp: int = 1, pp: int = 1, dtype: str = "bf16", engine: str = "vllm",
                 isl: int | None = 1024, osl: int | None = 256, concurrency: int | None = None,
                 request_rate: float | None = None, profile: str | None = None, seed: int = 0,
                 isl_dist: dict[str, Any] | None = None, osl_dist: dict[str, Any] | None = None,
                 duration_s: float = 600.0, server_params: dict[str, Any] | None = None) -> Design:
    """The one-llm_server design a benchmark runs (client → llm)."""
    params: dict[str, Any] = {"model": model, "gpu": gpu, "tp": tp, "pp": pp, "dtype": dtype, "engine": engine}
    if profile:
        params["profile"] = profile
    params.update(server_params or {})
    if concurrency is not None:
        arrival: dict[str, Any] = {"process": "closed", "concurrency": int(concurrency)}
    else:
        arrival = {"process": "poisson", "rate_per_s": float(request_rate or 1.0)}
    data = {
        "format": "genai-sim.design", "version": 1, "name": f"bench {model} on {tp * pp}× {gpu}",
        "workload": {"arrival": arrival, "duration_s": duration_s, "warmup_s": 0, "seed": seed,
                     "input_tokens": _token_dist(isl, isl_dist, "isl"),
                     "output_tokens": _token_dist(osl, osl_dist, "osl")},
        "nodes": [{"id": "client", "kind": "client", "pos": [0, 0]},
                  {"id": "llm", "kind": "llm_server", "pos": [240, 0], "params": params}],
        "edges": [{"source": "client", "target": "llm"}],
    }
    return load_design(data)


def poisson_times(n: int, rate: float, seed: int) -> np.ndarray:
    """n arrival times of a Poisson process (vLLM's --request-rate); all at t=0 for an infinite rate."""
    if not math.isfinite(rate):
        return np.zeros(n)
    gaps = np.random.default_rng(np.random.SeedSequence([seed, 0xBE7C])).exponential(1.0 / rate, n)
    gaps[0] = 0.0  # vLLM sends the first request at once
    return np.cumsum(gaps)


def poisson_arrivals(n: int, rate: float, seed: int) -> list[tuple[float, None, None]]:
    return list(OpenArrivals(poisson_times(n, rate, seed)))


class OpenArrivals:
    """Arrival times as one numpy array, handed out as (time, None, None) one at a time: 8 bytes a request."""

    def __init__(self, times: np.ndarray) -> None:
        self.times = times

    def __len__(self) -> int:
        return len(self.times)

    def __getitem__(self, i: int) -> tuple[float, None, None]:
        return float(self.times[i]), None, None

    def __iter__(self) -> Iterator[tuple[float, None, None]]:
        for t in self.times.tolist():
            yield t, None, None


def run_bench(model: str, gpu: str, tp: int = 1, pp: int = 1, dtype: str = "bf16", engine: str = "vllm",
              isl: int | None = 1024, osl: int | None = 256, concurrency: int | None = None,
              request_rate: float | None = None, num_prompts: int = 1000, profile: str | None = None,
              seed: int = 0, isl_dist: dict[str, Any] | None = None, osl_dist: dict[str, Any] | None = None,
              server_params: dict[str, Any] | None = None,
              arrivals: list[tuple[float, int | None, int | None]] | None = None) -> dict[str, Any]:
    """Simulate `vllm bench serve` against one llm_server; returns its JSON keys (times in ms, duration in s).

    ``arrivals`` (time s, input tokens, output tokens) replays a recorded trace instead of the load options.
    """
    if num_prompts < 1:
        raise DesignError(f"must be ≥ 1, got {num_prompts}", "num_prompts")
    if arrivals is None and (concurrency is None) == (request_rate is None):
        raise DesignError("give exactly one of --concurrency (closed loop) or --request-rate (Poisson)", "bench")
    if concurrency is not None and concurrency < 1:
        raise DesignError(f"must be ≥ 1, got {concurrency}", "concurrency")
    if request_rate is not None and not request_rate > 0:
        raise DesignError(f"must be > 0, got {request_rate}", "request_rate")
    if arrivals is not None:
        num_prompts = len(arrivals)
        duration = max(arrivals[-1][0], 1e-3) * 1.000001 + 1e-6
        max_requests = None
    elif concurrency is not None:
        arrivals, max_requests, duration = None, num_prompts, 1e9
    else:
        rate = float(request_rate)  # type: ignore[arg-type]
        arrivals = OpenArrivals(poisson_times(num_prompts, rate, seed))  # type: ignore[assignment]
        duration = max(arrivals[-1][0], 1e-3) * 1.000001 + 1e-6
        max_requests = None
    design = bench_design(model, gpu, tp, pp, dtype, engine, isl, osl, concurrency,
                          request_rate if request_rate is not None and math.isfinite(request_rate) else 1.0,
                          profile, seed, isl_dist, osl_dist, duration_s=min(duration, 3e7),
                          server_params=server_params)
    sim = BenchSimulation(design, seed, arrivals, max_requests, duration, compact=True)
    wall = sim.run_to_completion()
    out = bench_metrics_from_sim(sim)
    out.update({"model": model, "gpu": gpu, "tp": tp, "pp": pp, "dtype": dtype, "engine": engine,
                "num_prompts": num_prompts, "max_concurrency": concurrency,
                "request_rate": request_rate if request_rate is not None else "inf", "seed": seed,
                "wall_s": wall, "node": sim.runtimes["llm"].stats()})
    return out


def _stats(prefix: str, values: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    if values.size == 0:
        return {f"{s}_{prefix}_ms": 0.0 for s in ("mean", "median", "std", "p99")}
    if weights is None:
        return {f"mean_{prefix}_ms": float(values.mean()), f"median_{prefix}_ms": float(np.median(values)),
                f"std_{prefix}_ms": float(values.std()), f"p99_{prefix}_ms": float(np.percentile(values, 99))}
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    total = cum[-1]
    mean = float((v * w).sum() / total)
    std = float(math.sqrt(max(((v - mean) ** 2 * w).sum() / total, 0.0)))

    def q(p: float) -> float:
        return float(v[min(int(np.searchsorted(cum, p * total)), len(v) - 1)])

    return {f"mean_{prefix}_ms": mean, f"median_{prefix}_ms": q(0.5), f"std_{prefix}_ms": std,
            f"p99_{prefix}_ms": q(0.99)}


def _itl_arrays(engine: Any) -> tuple[np.ndarray, np.ndarray]:
    """``Engine.itl_samples`` as numpy arrays built without a Python float per step (same numbers)."""
    g = engine.gain
    m = len(engine.log)
    log = np.fromiter(chain.from_iterable(engine.log), float, 2 * m).reshape(m, 2)
    extra = np.asarray(engine.extra_gaps, dtype=float)
    values = np.concatenate([log[:, 0] / g, extra])
    weights = np.concatenate([log[:, 1] * np.asarray(engine.log_decodes, dtype=float) * g, np.ones(len(extra))])
    return values, weights


def bench_metrics_from_sim(sim: Simulation) -> dict[str, Any]:
    """vllm bench serve's summary straight from the finished requests and the engines' step logs.

    Same definitions as ``bench_metrics`` (which goes through RunResult) without flattening every
    request's inter-token runs: the ITL distribution is the engines' step log weighted by the decodes
    in each step (every request of a benchmark completes, so the two are the same).
    """
    done = sim.completed
    ok = done.column("status_code") == 0
    n = int(ok.sum())
    arrival = done.column("arrival")[ok]
    end = done.column("end")[ok]
    first = done.column("first_token")[ok]
    outs = done.column("output_tokens")[ok]
    ins = done.column("input_tokens")[ok]
    e2e = (end - arrival) * 1000.0
    ttft = (first - arrival) * 1000.0
    multi = outs > 1
    tpot = (e2e[multi] - ttft[multi]) / (outs[multi] - 1)
    duration = float(end.max()) if n else 0.0
    total_in, total_out = int(ins.sum()), int(outs.sum())
    parts = [_itl_arrays(engine) for rt in sim.runtimes.values() for engine in getattr(rt, "engines", ())]
    values = np.concatenate([v for v, _ in parts]) if parts else np.zeros(0)
    weights = np.concatenate([w for _, w in parts]) if parts else np.zeros(0)
    out: dict[str, Any] = {
        "completed": n,
        "failed": int(len(done) - n),
        "duration": duration,
        "total_input_tokens": total_in,
        "total_output_tokens": total_out,
        "request_throughput": n / duration if duration else 0.0,
        "output_throughput": total_out / duration if duration else 0.0,
        "total_token_throughput": (total_in + total_out) / duration if duration else 0.0,
    }
    out.update(_stats("ttft", ttft))
    out.update(_stats("tpot", tpot))
    out.update(_stats("itl", values * 1000.0, weights))
    out.update(_stats("e2el", e2e))
    return out


def bench_metrics(result: RunResult, sim: Simulation) -> dict[str, Any]:
    """vllm bench serve's summary from a run: completed requests only, duration until the last answer."""
    ok = result.ok
    completed = int(ok.sum())
    end = result.arrival + result.e2e_ms / 1000.0
    duration = float(end.max()) if end.size else 0.0
    total_in = int(result.input_tokens[ok].sum())
    total_out = int(result.output_tokens[ok].sum())
    tpot = result.tpot_ms[ok]
    out: dict[str, Any] = {
        "completed": completed,
        "failed": int(len(result.status) - completed),
        "duration": duration,
        "total_input_tokens": total_in,
        "total_output_tokens": total_out,
        "request_throughput": completed / duration if duration else 0.0,
        "output_throughput": total_out / duration if duration else 0.0,
        "total_token_throughput": (total_in + total_out) / duration if duration else 0.0,
    }
    out.update(_stats("ttft", result.ttft_ms[ok]))
    out.update(_stats("tpot", tpot[~np.isnan(tpot)]))
    out.update(_stats("itl", result.itl_ms, result.itl_weight))
    out.update(_stats("e2el", result.e2e_ms[ok]))
    return out


# -- command line ----------------------------------------------------------------------------------
def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model id (Hugging Face), e.g. meta-llama/Llama-3.1-8B")
    parser.add_argument("--gpu", required=True, help="GPU id, e.g. h100-sxm")
    parser.add_argument("--tp", type=int, default=1, help="tensor-parallel degree")
    parser.add_argument("--pp", type=int, default=1, help="pipeline-parallel stages")
    parser.add_argument("--dtype", default="bf16", help="weight dtype: bf16, fp16, fp8, int8, int4, fp4")
    parser.add_argument("--engine", default="vllm", help="engine preset: vllm, trtllm, sglang")
    parser.add_argument("--isl", type=int, default=1024, help="input tokens per request")
    parser.add_argument("--osl", type=int, default=256, help="output tokens per request")
    load = parser.add_mutually_exclusive_group()
    load.add_argument("--concurrency", "--max-concurrency", type=int, help="closed loop of N clients")
    load.add_argument("--request-rate", type=float, help="Poisson arrivals per second (inf = all at once)")
    parser.add_argument("--num-prompts", type=int, default=1000, help="requests to send")
    parser.add_argument("--profile", help="kernel profile id or .json path (default: the GPU's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-num-seqs", type=int, default=0, help="0 = engine default")
    parser.add_argument("--max-num-batched-tokens", type=int, default=0, help="0 = engine default")
    parser.add_argument("--json", action="store_true", help="print the vllm-bench-style JSON")


def bench_main(args: argparse.Namespace) -> int:
    extra = {}
    if getattr(args, "max_num_seqs", 0):
        extra["max_num_seqs"] = args.max_num_seqs
    if getattr(args, "max_num_batched_tokens", 0):
        extra["max_num_batched_tokens"] = args.max_num_batched_tokens
    res = run_bench(args.model, args.gpu, args.tp, args.pp, args.dtype, args.engine, args.isl, args.osl,
                    args.concurrency, args.request_rate, args.num_prompts, args.profile, args.seed,
                    server_params=extra)
    if args.json:
        json.dump(res, sys.stdout, indent=2, default=float)
        sys.stdout.write("\n")
        return 0
    print(format_table(res))
    return 0


def format_table(res: dict[str, Any]) -> str:
    load = (f"concurrency {res['max_concurrency']}" if res.get("max_concurrency")
            else f"request rate {res['request_rate']}/s")
    lines = ["============ Serving Benchmark Result (simulated) ============",
             f"{res['model']} on {res['tp'] * res['pp']}× {res['gpu']} ({res['dtype']}, {res['engine']}), {load}"]
    rows = [("Successful requests", res["completed"], "d"), ("Benchmark duration (s)", res["duration"], ".2f"),
            ("Total input tokens", res["total_input_tokens"], "d"),
            ("Total generated tokens", res["total_output_tokens"], "d"),
            ("Request throughput (req/s)", res["request_throughput"], ".2f"),
            ("Output token throughput (tok/s)", res["output_throughput"], ".2f"),
            ("Total token throughput (tok/s)", res["total_token_throughput"], ".2f")]
    for key, title in (("ttft", "Time to First Token"), ("tpot", "Time per Output Token (excl. 1st token)"),
                       ("itl", "Inter-token Latency"), ("e2el", "End-to-end Latency")):
        rows.append((f"---------------{title}---------------", None, ""))
        for stat in ("mean", "median", "p99"):
            rows.append((f"{stat.capitalize() if stat != 'p99' else 'P99'} {key.upper()} (ms)",
                         res[f"{stat}_{key}_ms"], ".2f"))
    for title, value, fmt in rows:
        lines.append(title if value is None else f"{title:<40}{format(value, fmt):>14}")
    lines.append("=" * 62)
    return "\n".join(lines)

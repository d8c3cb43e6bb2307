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
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from simulation.design import Design
from simulation.engine.core import Simulation
from simulation.engine.request import Request
from simulation.errors import DesignError
from simulation.loader import load_design
from simulation.metrics import RunResult


class BenchSimulation(Simulation):
    """A Simulation that sends exactly the given arrivals (open) or a capped number of requests (closed)."""

    def __init__(self, design: Design, seed: int, arrivals: list[tuple[float, int | None, int | None]] | None,
                 max_requests: int | None, duration_s: float, warmup_requests: int = 0,
                 fixed_lengths: tuple[int, int] | None = None, sharegpt_caps: bool = False) -> None:
        super().__init__(design, seed=seed, duration_s=duration_s, warmup_s=0.0, record_hops=False)
        self._arrivals = arrivals
        self._max_requests = max_requests
        self._warmup_requests = warmup_requests
        self.fixed_lengths = fixed_lengths  # fixed --isl/--osl: no draw per request
        self.sharegpt_caps = sharegpt_caps
        self.sent: list[Request] = []  # every request sent when some are warm-up (in-flight peak, start times)
        if warmup_requests or sharegpt_caps or fixed_lengths:
            self._new_request = self._bench_request  # type: ignore[method-assign]  # plain runs keep the fast path

    def _bench_request(self, t: float, isl: int | None, osl: int | None) -> Request:
        if isl is None and self.fixed_lengths is not None:
            isl, osl = self.fixed_lengths
        req = Simulation._new_request(self, t, isl, osl)
        if self.sharegpt_caps:  # vLLM's sharegpt sampler: prompts of 4–1,024 tokens, prompt + output ≤ 2,048
            req.input_tokens = min(max(req.input_tokens, 4), 1024)
            req.output_tokens = min(max(req.output_tokens, 4), 2048 - req.input_tokens)
        if self._warmup_requests:
            # the first requests warm the server up and stay out of the statistics (AIPerf/genai-perf warm-up)
            req.measured = len(self.sent) >= self._warmup_requests
            self.sent.append(req)
        return req

    def run_to_completion(self) -> float:
        """Send every request and run until the last is answered; no timeline or warm-up. Wall seconds."""
        import time

        wall0 = time.perf_counter()
        self._start_arrivals()
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
    base_dir: Path | None = None
    if profile:
        # a profile file named on the command line is the user's own choice: it resolves in its own folder
        # (a design file's profile paths stay confined to the design's folder)
        if profile.endswith(".json"):
            base_dir = Path(profile).expanduser().resolve().parent
            profile = Path(profile).name
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
    return load_design(data, base_dir=base_dir)


def poisson_arrivals(n: int, rate: float, seed: int) -> list[tuple[float, None, None]]:
    """n arrival times of a Poisson process (vLLM's --request-rate); all at t=0 for an infinite rate."""
    if not math.isfinite(rate):
        return [(0.0, None, None)] * n
    gaps = np.random.default_rng(np.random.SeedSequence([seed, 0xBE7C])).exponential(1.0 / rate, n)
    gaps[0] = 0.0  # vLLM sends the first request at once
    return [(float(t), None, None) for t in np.cumsum(gaps)]


# ShareGPT-like lengths: lognormal through the percentiles of the ShareGPT V3 sample that LLMServingSim replays
# against vLLM 0.19.0 (300 requests; casys-kaist/LLMServingSim, MIT, workload of its RTX 4090 Llama-3.1-8B run,
# https://github.com/casys-kaist/LLMServingSim, read 2026-12-06): prompt p50 730 / p99 2,770 tokens,
# output p50 635 / p99 1,000 tokens. vLLM's own sharegpt sampler keeps prompts of 4–1,024 tokens and
# prompt + output ≤ 2,048 (vllm/benchmarks/datasets.py is_valid_sequence): both are capped here the same way.
SHAREGPT_INPUT = {"dist": "lognormal", "p50": 730, "p99": 2770}
SHAREGPT_OUTPUT = {"dist": "lognormal", "p50": 635, "p99": 1000}
SHAREGPT_SOURCE = ("ShareGPT V3 sample replayed by LLMServingSim (casys-kaist/LLMServingSim, MIT, "
                   "https://github.com/casys-kaist/LLMServingSim, read 2026-12-06): prompt p50 730 / p99 2770, "
                   "output p50 635 / p99 1000 tokens")
DATASETS = ("random", "sharegpt")
GOODPUT_KEYS = {"ttft": "ttft", "tpot": "tpot", "e2el": "e2el"}


def random_lengths(value: int, ratio: float, name: str) -> dict[str, Any]:
    """`vllm bench serve --random-range-ratio`: lengths uniform in [L·(1−r), L·(1+r)] (integers, inclusive)."""
    if not 0.0 <= ratio < 1.0:
        raise DesignError(f"must be in [0, 1), got {ratio}", "random_range_ratio")
    if ratio == 0.0:
        return {"dist": "fixed", "value": int(value)}
    low, high = max(1, int(value * (1.0 - ratio))), max(1, int(value * (1.0 + ratio)))
    return {"dist": "uniform", "low": low - 0.499, "high": high + 0.499}


def parse_goodput(items: list[str] | None) -> dict[str, float]:
    """``--goodput ttft:500 tpot:50 e2el:2000`` (ms), as vllm bench serve takes it."""
    out: dict[str, float] = {}
    for item in items or ():
        key, sep, value = str(item).partition(":")
        if not sep or key not in GOODPUT_KEYS:
            raise DesignError(f"expected KEY:MS with KEY one of {', '.join(GOODPUT_KEYS)}, got {item!r}", "goodput")
        try:
            ms = float(value)
        except ValueError:
            raise DesignError(f"{key} needs a number of milliseconds, got {value!r}", "goodput") from None
        if not ms > 0:
            raise DesignError(f"{key} must be > 0 ms, got {value}", "goodput")
        out[key] = ms
    return out


def run_bench(model: str, gpu: str, tp: int = 1, pp: int = 1, dtype: str = "bf16", engine: str = "vllm",
              isl: int | None = 1024, osl: int | None = 256, concurrency: int | None = None,
              request_rate: float | None = None, num_prompts: int = 1000, profile: str | None = None,
              seed: int = 0, isl_dist: dict[str, Any] | None = None, osl_dist: dict[str, Any] | None = None,
              server_params: dict[str, Any] | None = None,
              arrivals: list[tuple[float, int | None, int | None]] | None = None, warmup_requests: int = 0,
              random_range_ratio: float = 0.0, dataset: str = "random", goodput: dict[str, float] | None = None,
              per_request: bool = False) -> dict[str, Any]:
    """Simulate `vllm bench serve` against one llm_server; returns its JSON keys (times in ms, duration in s).

    ``arrivals`` (time s, input tokens, output tokens) replays a recorded trace instead of the load options.
    ``warmup_requests`` more requests are sent first and left out of every statistic. ``per_request`` adds
    vLLM's per-request arrays (input_lens, output_lens, ttfts, itls, start_times; seconds).
    """
    if num_prompts < 1:
        raise DesignError(f"must be ≥ 1, got {num_prompts}", "num_prompts")
    if warmup_requests < 0:
        raise DesignError(f"must be ≥ 0, got {warmup_requests}", "warmup_requests")
    if arrivals is None and (concurrency is None) == (request_rate is None):
        raise DesignError("give exactly one of --concurrency (closed loop) or --request-rate (Poisson)", "bench")
    if concurrency is not None and concurrency < 1:
        raise DesignError(f"must be ≥ 1, got {concurrency}", "concurrency")
    if request_rate is not None and not request_rate > 0:
        raise DesignError(f"must be > 0, got {request_rate}", "request_rate")
    if dataset not in DATASETS:
        raise DesignError(f"must be one of {', '.join(DATASETS)}, got {dataset!r}", "dataset_name")
    if dataset == "sharegpt" and isl_dist is None:
        isl_dist, osl_dist = dict(SHAREGPT_INPUT), dict(SHAREGPT_OUTPUT)
    elif isl_dist is None and random_range_ratio:
        isl_dist = random_lengths(int(isl or 0), random_range_ratio, "isl")
        osl_dist = osl_dist or random_lengths(int(osl or 0), random_range_ratio, "osl")
    total = num_prompts + warmup_requests
    if arrivals is not None:
        num_prompts = len(arrivals) - warmup_requests
        duration = max(arrivals[-1][0], 1e-3) * 1.000001 + 1e-6
        max_requests = None
    elif concurrency is not None:
        arrivals, max_requests, duration = None, total, 1e9
    else:
        rate = float(request_rate)  # type: ignore[arg-type]
        arrivals = poisson_arrivals(total, rate, seed)
        duration = max(arrivals[-1][0], 1e-3) * 1.000001 + 1e-6
        max_requests = None
    design = bench_design(model, gpu, tp, pp, dtype, engine, isl, osl, concurrency,
                          request_rate if request_rate is not None and math.isfinite(request_rate) else 1.0,
                          profile, seed, isl_dist, osl_dist, duration_s=min(duration, 3e7),
                          server_params=server_params)
    fixed = (int(isl), int(osl)) if isl_dist is None and osl_dist is None and isl and osl else None
    if fixed is not None and arrivals is not None and arrivals[0][1] is None:
        arrivals = [(t, fixed[0], fixed[1]) for t, _, _ in arrivals]  # no draw per request
    sim = BenchSimulation(design, seed, arrivals, max_requests, duration, warmup_requests,
                          fixed if concurrency is not None else None, dataset == "sharegpt")
    wall = sim.run_to_completion()
    out = bench_metrics_from_sim(sim, goodput, per_request or bool(warmup_requests))
    if not per_request:
        for key in PER_REQUEST_KEYS:
            out.pop(key, None)
    out.update({"model": model, "gpu": gpu, "tp": tp, "pp": pp, "dtype": dtype, "engine": engine,
                "num_prompts": num_prompts, "warmup_requests": warmup_requests, "max_concurrency": concurrency,
                "request_rate": request_rate if request_rate is not None else "inf", "seed": seed,
                "dataset_name": dataset, "random_range_ratio": random_range_ratio,
                "wall_s": wall, "node": sim.runtimes["llm"].stats()})
    return out


PER_REQUEST_KEYS = ("input_lens", "output_lens", "ttfts", "itls", "start_times")


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


def bench_metrics_from_sim(sim: Simulation, goodput: dict[str, float] | None = None,
                           per_request: bool = False) -> dict[str, Any]:
    """vllm bench serve's summary straight from the finished requests and the engines' step logs.

    Same definitions as ``bench_metrics`` (which goes through RunResult) without flattening every
    request's inter-token runs: the ITL distribution is the engines' step log weighted by the decodes
    in each step (every request of a benchmark completes, so the two are the same). With warm-up
    requests (``per_request``) it comes from the measured requests' own token gaps instead.
    The window runs from the first measured request's start to the last measured answer.
    """
    done = [r for r in sim.done if r.status == "ok"]
    n = len(done)
    arrival = np.fromiter((r.arrival for r in done), float, n)
    end = np.fromiter((r.end for r in done), float, n)
    first = np.fromiter((r.first_token for r in done), float, n)
    outs = np.fromiter((r.output_tokens for r in done), float, n)
    ins = np.fromiter((r.input_tokens for r in done), float, n)
    e2e = (end - arrival) * 1000.0
    ttft = (first - arrival) * 1000.0
    multi = outs > 1
    tpot = (e2e[multi] - ttft[multi]) / (outs[multi] - 1)
    start = min((r.arrival for r in sim.done), default=0.0)
    duration = float(end.max()) - start if n else 0.0
    total_in, total_out = int(ins.sum()), int(outs.sum())
    values: list[float] = []
    weights: list[float] = []
    if per_request:
        for r in done:
            for gap, count in r.itl_runs or ():
                values.append(gap)
                weights.append(count)
    else:
        for rt in sim.runtimes.values():
            for engine in getattr(rt, "engines", ()):
                v, w = engine.itl_samples()
                values += v
                weights += w
    out: dict[str, Any] = {
        "date": datetime.now().strftime("%Y%m%d-%H%M%S"),
        "completed": n,
        "failed": int(len(sim.done) - n),
        "duration": duration,
        "total_input_tokens": total_in,
        "total_output_tokens": total_out,
        "request_throughput": n / duration if duration else 0.0,
        "output_throughput": total_out / duration if duration else 0.0,
        "total_token_throughput": (total_in + total_out) / duration if duration else 0.0,
        "max_concurrent_requests": _peak_in_flight(getattr(sim, "sent", None) or sim.done),
    }
    if goodput:
        good = np.ones(n, bool)
        if "ttft" in goodput:
            good &= ttft <= goodput["ttft"]
        if "e2el" in goodput:
            good &= e2e <= goodput["e2el"]
        if "tpot" in goodput:
            per = np.zeros(n)
            per[multi] = tpot
            good &= per <= goodput["tpot"]
        out["request_goodput"] = float(good.sum()) / duration if duration else 0.0
        out["goodput_slos_ms"] = dict(goodput)
    out.update(_stats("ttft", ttft))
    out.update(_stats("tpot", tpot))
    out.update(_stats("itl", np.asarray(values) * 1000.0, np.asarray(weights, float)))
    out.update(_stats("e2el", e2e))
    if per_request:
        out["input_lens"] = [int(x) for x in ins]
        out["output_lens"] = [int(x) for x in outs]
        out["ttfts"] = (first - arrival).tolist()
        out["start_times"] = (arrival - start).tolist()
        out["itls"] = [[gap for gap, count in (r.itl_runs or ()) for _ in range(int(count))] for r in done]
    return out


def _peak_in_flight(requests: list[Request]) -> int:
    """Most requests in flight at once (vLLM's max_concurrent_requests): +1 at each start, −1 at each end."""
    if not requests:
        return 0
    starts = np.fromiter((r.arrival for r in requests), float, len(requests))
    ends = np.fromiter((r.end for r in requests if r.end is not None), float)
    times = np.concatenate([ends, starts])
    steps = np.concatenate([-np.ones(ends.size), np.ones(starts.size)])
    order = np.lexsort((steps, times))  # an answer at t frees its slot before a request sent at t
    return int(np.cumsum(steps[order]).max())


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
    parser.add_argument("--warmup-requests", type=int, default=0,
                        help="requests sent first and left out of every statistic (AIPerf/genai-perf warm-up)")
    parser.add_argument("--dataset-name", default="random", choices=DATASETS,
                        help="random: --isl/--osl lengths; sharegpt: ShareGPT-like lengths (capped as vLLM does)")
    parser.add_argument("--random-range-ratio", type=float, default=0.0,
                        help="random dataset: lengths uniform in [L·(1−r), L·(1+r)] as vllm bench serve does")
    parser.add_argument("--goodput", nargs="+", metavar="KEY:MS",
                        help="SLOs for request_goodput, e.g. ttft:500 tpot:50 e2el:5000 (ms)")
    parser.add_argument("--no-frontend", action="store_true",
                        help="time at the engine (no API server, network or client), as engine-side logs do")
    parser.add_argument("--json", action="store_true",
                        help="print the vllm-bench-style JSON (with the per-request arrays)")


def bench_main(args: argparse.Namespace) -> int:
    extra = {}
    if getattr(args, "max_num_seqs", 0):
        extra["max_num_seqs"] = args.max_num_seqs
    if getattr(args, "max_num_batched_tokens", 0):
        extra["max_num_batched_tokens"] = args.max_num_batched_tokens
    if getattr(args, "no_frontend", False):
        extra["api_frontend"] = False
    res = run_bench(args.model, args.gpu, args.tp, args.pp, args.dtype, args.engine, args.isl, args.osl,
                    args.concurrency, args.request_rate, args.num_prompts, args.profile, args.seed,
                    server_params=extra, warmup_requests=args.warmup_requests,
                    random_range_ratio=args.random_range_ratio, dataset=args.dataset_name,
                    goodput=parse_goodput(args.goodput), per_request=bool(args.json))
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
    if "request_goodput" in res:
        rows.insert(5, ("Request goodput (req/s)", res["request_goodput"], ".2f"))
    rows.insert(5, ("Peak concurrent requests", res["max_concurrent_requests"], "d"))
    for title, value, fmt in rows:
        lines.append(title if value is None else f"{title:<40}{format(value, fmt):>14}")
    lines.append("=" * 62)
    return "\n".join(lines)

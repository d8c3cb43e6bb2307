"""Workloads: arrival processes, token distributions and request classes."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulation.distributions import Dist, parse_dist
from simulation.errors import DesignError

PROCESSES: dict[str, tuple[set[str], set[str]]] = {
    "poisson": ({"rate_per_s"}, set()),
    "gamma": ({"rate_per_s", "cv"}, set()),
    "diurnal": ({"requests_per_day"}, {"peak_to_mean", "peak_hour"}),
    "closed": ({"concurrency"}, {"think_time"}),
    "trace": ({"file"}, {"time_scale"}),
}
WORKLOAD_KEYS = {"arrival", "duration_s", "warmup_s", "seed", "input_tokens", "output_tokens", "classes"}
DEFAULT_INPUT = {"dist": "fixed", "value": 500}
DEFAULT_OUTPUT = {"dist": "fixed", "value": 200}
MAX_TRACE_ROWS = 5_000_000
# A sanity bound, not a modelling figure (86 billion requests a day): far above it one simulated
# millisecond holds more arrivals than memory, and the run cannot even be cancelled.
MAX_RATE_PER_S = 1_000_000.0


def _show(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)[:40]


def _positive(value: Any, path: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DesignError(f"must be a number, got {_show(value)}", path)
    if value < 0 or (value == 0 and not allow_zero):
        raise DesignError(f"must be {'≥' if allow_zero else '>'} 0, got {value}", path)
    return float(value)


def validate_workload(w: Any, path: str = "workload", base_dir: Path | None = None) -> None:
    if not isinstance(w, dict):
        raise DesignError(f"must be an object, got {_show(w)}", path)
    for key in w:
        if key not in WORKLOAD_KEYS:
            raise DesignError(f"unknown field (allowed: {', '.join(sorted(WORKLOAD_KEYS))})", f"{path}.{key}")
    arrival = w.get("arrival", {"process": "poisson", "rate_per_s": 1.0})
    validate_arrival(arrival, f"{path}.arrival", base_dir)
    if "duration_s" in w:
        _positive(w["duration_s"], f"{path}.duration_s")
        if w["duration_s"] > 366 * 86400:
            raise DesignError("must be at most a year of simulated time", f"{path}.duration_s")
    if "warmup_s" in w:
        _positive(w["warmup_s"], f"{path}.warmup_s", allow_zero=True)
    if "seed" in w and (isinstance(w["seed"], bool) or not isinstance(w["seed"], int) or w["seed"] < 0):
        raise DesignError(f"must be an integer ≥ 0, got {_show(w['seed'])}", f"{path}.seed")
    for key in ("input_tokens", "output_tokens"):
        if key in w:
            parse_dist(w[key], f"{path}.{key}", base_dir)
    if "classes" in w:
        classes = w["classes"]
        if not isinstance(classes, list) or not classes:
            raise DesignError("must be a non-empty list of request classes", f"{path}.classes")
        names = set()
        for i, c in enumerate(classes):
            p = f"{path}.classes[{i}]"
            if not isinstance(c, dict):
                raise DesignError(f"must be an object, got {_show(c)}", p)
            for key in c:
                if key not in {"name", "weight", "input_tokens", "output_tokens"}:
                    raise DesignError("unknown field (allowed: input_tokens, name, output_tokens, weight)",
                                      f"{p}.{key}")
            if not isinstance(c.get("name"), str) or not c["name"] or c["name"] in names:
                raise DesignError(f"needs a unique name, got {_show(c.get('name'))}", f"{p}.name")
            names.add(c["name"])
            _positive(c.get("weight", 1.0), f"{p}.weight")
            for key in ("input_tokens", "output_tokens"):
                if key in c:
                    parse_dist(c[key], f"{p}.{key}", base_dir)


def validate_arrival(a: Any, path: str, base_dir: Path | None) -> None:
    if not isinstance(a, dict):
        raise DesignError(f"must be an object, got {_show(a)}", path)
    process = a.get("process")
    if not isinstance(process, str) or process not in PROCESSES:
        raise DesignError(f"unknown arrival process {_show(process)}; one of {', '.join(PROCESSES)}",
                          f"{path}.process")
    required, optional = PROCESSES[process]
    for key in a:
        if key != "process" and key not in required | optional:
            allowed = ", ".join(sorted(required | optional))
            raise DesignError(f"unknown field for {process} arrivals (allowed: {allowed})", f"{path}.{key}")
    for key in sorted(required):
        if key not in a:
            raise DesignError(f"{process} arrivals need {key!r}", path)
    if process in ("poisson", "gamma"):
        _positive(a["rate_per_s"], f"{path}.rate_per_s")
        if a["rate_per_s"] > MAX_RATE_PER_S:
            raise DesignError(f"must be at most {MAX_RATE_PER_S:,.0f} requests/s, got {a['rate_per_s']:g}",
                              f"{path}.rate_per_s")
    if process == "gamma":
        cv = _positive(a["cv"], f"{path}.cv")
        if not 1e-3 <= cv <= 100:  # the gaps' gamma shape is 1/cv²: outside this it under- or overflows
            raise DesignError(f"must be in 0.001…100, got {cv:g}", f"{path}.cv")
    if process == "diurnal":
        _positive(a["requests_per_day"], f"{path}.requests_per_day")
        if a["requests_per_day"] > MAX_RATE_PER_S * 86400:
            raise DesignError(f"must be at most {MAX_RATE_PER_S * 86400:,.0f} requests/day, "
                              f"got {a['requests_per_day']:g}", f"{path}.requests_per_day")
        ptm = _positive(a.get("peak_to_mean", 2.0), f"{path}.peak_to_mean")
        if not 1 <= ptm <= 10:
            raise DesignError(f"must be in 1…10, got {ptm}", f"{path}.peak_to_mean")
        hour = a.get("peak_hour", 14)
        if isinstance(hour, bool) or not isinstance(hour, (int, float)) or not 0 <= hour < 24:
            raise DesignError(f"must be an hour in 0…24, got {_show(hour)}", f"{path}.peak_hour")
    if process == "closed":
        c = a["concurrency"]
        if isinstance(c, bool) or not isinstance(c, int) or not 1 <= c <= 1_000_000:
            raise DesignError(f"must be an integer ≥ 1, got {_show(c)}", f"{path}.concurrency")
        if "think_time" in a:
            parse_dist(a["think_time"], f"{path}.think_time")
    if process == "trace":
        from simulation.safe_paths import resolve_user_file

        resolve_user_file(a["file"], base_dir, f"{path}.file")
        if "time_scale" in a:
            _positive(a["time_scale"], f"{path}.time_scale")


def mean_rate(workload: dict[str, Any]) -> float | None:
    """Mean arrival rate (requests/s) for open processes; None for closed loops."""
    a = workload.get("arrival", {"process": "poisson", "rate_per_s": 1.0})
    p = a.get("process")
    if p in ("poisson", "gamma"):
        return float(a["rate_per_s"])
    if p == "diurnal":
        return float(a["requests_per_day"]) / 86400.0
    return None


def peak_rate(workload: dict[str, Any]) -> float | None:
    a = workload.get("arrival", {})
    if a.get("process") == "diurnal":
        return float(a["requests_per_day"]) / 86400.0 * float(a.get("peak_to_mean", 2.0))
    return mean_rate(workload)


@dataclass
class RequestClass:
    name: str
    weight: float
    input_tokens: Dist
    output_tokens: Dist


def request_classes(workload: dict[str, Any], base_dir: Path | None = None) -> list[RequestClass]:
    default_in = workload.get("input_tokens", DEFAULT_INPUT)
    default_out = workload.get("output_tokens", DEFAULT_OUTPUT)
    raw = workload.get("classes") or [{"name": "default"}]
    return [
        RequestClass(
            c["name"], float(c.get("weight", 1.0)),
            parse_dist(c.get("input_tokens", default_in), "input_tokens", base_dir),
            parse_dist(c.get("output_tokens", default_out), "output_tokens", base_dir),
        )
        for c in raw
    ]


def diurnal_shape(t_s: float, peak_to_mean: float, peak_hour: float = 14.0) -> float:
    """Rate multiplier at time t: a 24-hour cosine with mean 1 and max ``peak_to_mean``."""
    amp = min(peak_to_mean - 1.0, 1.0)  # a cosine cannot dip below zero
    base = 1.0
    # For peak_to_mean > 2 sharpen the peak with a power while keeping the mean at 1.
    phase = 2 * math.pi * ((t_s / 3600.0 - peak_hour) / 24.0)
    if peak_to_mean <= 2.0:
        return base + amp * math.cos(phase)
    k = _sharpness(peak_to_mean)
    return ((1 + math.cos(phase)) / 2) ** k * _sharp_norm(k)


def _sharpness(ptm: float) -> float:
    # mean of ((1+cos)/2)^k = C(2k,k)/4^k ~ 1/sqrt(pi k); peak/mean = 1/that. Solve numerically.
    lo, hi = 0.0, 400.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if 1 / _mean_pow(mid) < ptm:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _mean_pow(k: float) -> float:
    return math.exp(math.lgamma(2 * k + 1) - 2 * math.lgamma(k + 1) - k * math.log(4))


def _sharp_norm(k: float) -> float:
    return 1 / _mean_pow(k)


def open_arrivals(workload: dict[str, Any], rng: np.random.Generator, horizon_s: float,
                  base_dir: Path | None = None) -> Iterator[tuple[float, int | None, int | None]]:
    """Yield (absolute time, input tokens or None, output tokens or None) for an open process."""
    a = workload.get("arrival", {"process": "poisson", "rate_per_s": 1.0})
    p = a["process"]
    if p == "trace":
        yield from _trace_arrivals(a, base_dir, horizon_s)
        return
    t = 0.0
    block = 4096
    if p in ("poisson", "gamma"):
        rate = float(a["rate_per_s"])
        while True:
            if p == "poisson":
                gaps = rng.exponential(1.0 / rate, block)
            else:
                shape = 1.0 / float(a["cv"]) ** 2
                gaps = rng.gamma(shape, 1.0 / (rate * shape), block)
            for g in gaps:
                t += g
                if t > horizon_s:
                    return
                yield t, None, None
    # diurnal: thinning of a Poisson process at the peak rate
    mean = float(a["requests_per_day"]) / 86400.0
    ptm = float(a.get("peak_to_mean", 2.0))
    hour = float(a.get("peak_hour", 14.0))
    lam_max = mean * max(ptm, 2.0 if ptm <= 2 else ptm) * 1.0001
    while True:
        gaps = rng.exponential(1.0 / lam_max, block)
        accept = rng.random(block)
        for g, u in zip(gaps, accept):
            t += g
            if t > horizon_s:
                return
            if u * lam_max <= mean * diurnal_shape(t, ptm, hour):
                yield t, None, None


def _trace_arrivals(a: dict[str, Any], base_dir: Path | None, horizon_s: float
                    ) -> Iterator[tuple[float, int | None, int | None]]:
    from simulation.safe_paths import resolve_user_file

    path = resolve_user_file(a["file"], base_dir, "workload.arrival.file")
    scale = float(a.get("time_scale", 1.0))
    rows = read_trace(path)
    t0 = rows[0][0] if rows else 0.0
    for t, i, o in rows:
        t = (t - t0) * scale
        if t > horizon_s:
            return
        yield t, i, o


def read_trace(path: Path) -> list[tuple[float, int | None, int | None]]:
    """Read a trace: CSV with a header or JSONL; columns arrival time (s), input tokens, output tokens."""
    where = f"trace {path.name}"
    try:
        return _read_trace_rows(path, where)
    except UnicodeDecodeError:
        raise DesignError("not a UTF-8 text file", where) from None
    except csv.Error as exc:
        raise DesignError(f"malformed CSV ({exc})", where) from None
    except RecursionError:
        raise DesignError("a JSON line is nested too deeply", where) from None
    except OSError as exc:
        raise DesignError(f"cannot read: {exc.strerror or exc}", where) from None


def _read_trace_rows(path: Path, where: str) -> list[tuple[float, int | None, int | None]]:
    from simulation.safe_paths import read_text_capped

    rows: list[tuple[float, int | None, int | None]] = []
    with io.StringIO(read_text_capped(path, where, what="trace"), newline=None) as fh:
        if path.suffix.lower() in (".jsonl", ".json"):
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DesignError(f"line {lineno}: invalid JSON ({exc.msg})", where) from None
                except ValueError:  # an integer literal beyond the 4300-digit limit
                    raise DesignError(f"line {lineno}: a number literal is too long", where) from None
                rows.append(_trace_row(obj, lineno, where))
                if len(rows) > MAX_TRACE_ROWS:
                    raise DesignError(f"more than {MAX_TRACE_ROWS} rows", where)
        else:
            for lineno, obj in enumerate(csv.DictReader(fh), 2):
                rows.append(_trace_row(obj, lineno, where))
                if len(rows) > MAX_TRACE_ROWS:
                    raise DesignError(f"more than {MAX_TRACE_ROWS} rows", where)
    if not rows:
        raise DesignError("trace holds no rows", where)
    rows.sort(key=lambda r: r[0])
    return rows


_TIME_KEYS = ("arrival_s", "arrival_time", "timestamp", "time", "t")
_IN_KEYS = ("input_tokens", "input_toks", "prompt_tokens", "isl")
_OUT_KEYS = ("output_tokens", "output_toks", "completion_tokens", "osl")


def _trace_row(obj: Any, lineno: int, where: str) -> tuple[float, int | None, int | None]:
    if not isinstance(obj, dict):
        raise DesignError(f"line {lineno}: expected an object", where)

    def pick(keys: tuple[str, ...], kind: type) -> Any:
        for k in keys:
            if k in obj and obj[k] not in (None, ""):
                try:
                    value = kind(float(obj[k]))
                except (TypeError, ValueError, OverflowError):
                    raise DesignError(f"line {lineno}: {k} is not a number: {str(obj[k])[:20]!r}", where) from None
                if value < 0 or (kind is float and not math.isfinite(value)):
                    raise DesignError(f"line {lineno}: {k} must be ≥ 0", where)
                return value
        return None

    t = pick(_TIME_KEYS, float)
    if t is None:
        raise DesignError(f"line {lineno}: no arrival time column (one of {', '.join(_TIME_KEYS)})", where)
    return t, pick(_IN_KEYS, int), pick(_OUT_KEYS, int)

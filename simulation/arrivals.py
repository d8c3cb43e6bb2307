"""The workload, declared: one class per arrival process, the workload's own fields, SLOs and budget.

Each arrival process declares its parameters once (``Param``: unit, default, range, help, source) with its
mean and peak rate, the field a sweep or capacity search scales (``rate_field``, set with ``with_rate``),
and the generator of its arrival times. The loader validates through ``parse_workload``; the engine,
sweeps, capacity, the envelope maths and the designer's workload form all read these declarations, so
nothing else branches on the process name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from simulation.distributions import Dist, parse_dist
from simulation.errors import DesignError
from simulation.params import Param
from simulation.safe_paths import resolve_user_file
from simulation.traces import read_trace
from simulation.units import SECONDS_PER_DAY

Arrival = tuple[float, int | None, int | None]  # (absolute time s, input tokens or None, output tokens or None)
# A sanity bound, not a modelling figure (86 billion requests a day): far above it one simulated
# millisecond holds more arrivals than memory, and the run cannot even be cancelled.
MAX_RATE_PER_S = 1_000_000.0
BLOCK = 4096  # arrival gaps drawn per numpy call


def _show(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)[:40]


def positive(value: Any, path: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DesignError(f"must be a number, got {_show(value)}", path)
    if value < 0 or (value == 0 and not allow_zero):
        raise DesignError(f"must be {'≥' if allow_zero else '>'} 0, got {value}", path)
    return float(value)


# -- arrival processes -------------------------------------------------------------------------------------
class ArrivalProcess:
    """Base of the declared arrival processes. ``values`` holds the validated fields (defaults filled in)."""

    name: ClassVar[str]
    label: ClassVar[str]
    help: ClassVar[str]
    params: ClassVar[tuple[Param, ...]]
    required: ClassVar[tuple[str, ...]]
    rate_field: ClassVar[str | None] = None  # the field sweeps and capacity scale (None: no load to scale)
    closed: ClassVar[bool] = False           # a closed loop: arrivals follow completions

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    # declaration ------------------------------------------------------------------------------------
    @classmethod
    def param(cls, name: str) -> Param:
        return next(p for p in cls.params if p.name == name)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """A complete, valid arrival dict of this process (what the designer writes when one is picked)."""
        return {"process": cls.name, **{p.name: p.default for p in cls.params if p.name in cls.required}}

    @classmethod
    def parse(cls, raw: dict[str, Any], path: str, base_dir: Path | None) -> ArrivalProcess:
        allowed = {p.name for p in cls.params}
        for key in raw:
            if key != "process" and key not in allowed:
                raise DesignError(f"unknown field for {cls.name} arrivals (allowed: {', '.join(sorted(allowed))})",
                                  f"{path}.{key}")
        for key in cls.required:
            if key not in raw:
                raise DesignError(f"{cls.name} arrivals need {key!r}", path)
        values = {p.name: raw.get(p.name, p.default) for p in cls.params}
        cls.check(values, path, base_dir)
        return cls(values)

    @classmethod
    def check(cls, values: dict[str, Any], path: str, base_dir: Path | None) -> None:
        """Validate the fields (messages name the path); subclasses add their own rules."""

    # behaviour --------------------------------------------------------------------------------------
    def mean_rate(self) -> float | None:
        """Mean arrival rate in requests/s; None for a closed loop (its rate is an outcome)."""
        return None

    def peak_rate(self, peak_to_mean: float) -> float | None:
        """The rate to size for at peak: the process's own peak, else mean × the workload's peak_to_mean."""
        mean = self.mean_rate()
        return None if mean is None else mean * peak_to_mean

    def rate_value(self) -> float:
        """The current value of ``rate_field``."""
        if self.rate_field is None:
            raise DesignError(f"a {self.name!r} arrival has no rate to sweep (use "
                              f"{', '.join(n for n, c in ARRIVALS.items() if c.rate_field)})", "workload.arrival.process")
        return float(self.values[self.rate_field])

    def with_rate(self, value: float) -> dict[str, Any]:
        """The arrival dict with its load set to ``value`` (sweeps and capacity scale the load through this)."""
        self.rate_value()
        return {**self.to_dict(), self.rate_field: int(round(value)) if self.rate_is_integer() else float(value)}

    def rate_is_integer(self) -> bool:
        return self.rate_field is not None and self.param(self.rate_field).type == "int"

    @classmethod
    def rate_per_s_at(cls, value: float, throughput_rps: float | None = None) -> float:
        """Requests/s at ``rate_field`` = value (a closed loop's is its measured throughput)."""
        return value

    def times(self, rng: np.random.Generator, horizon_s: float, base_dir: Path | None = None) -> Iterator[Arrival]:
        """Arrival times up to ``horizon_s`` (open processes)."""
        raise NotImplementedError(f"{self.name} arrivals are driven by completions")

    def describe(self) -> str:
        """One line for the designer's run panel."""
        if self.rate_field:
            p = self.param(self.rate_field)
            return f"{self.name}, {float(self.values[self.rate_field]):g} {p.unit}"
        return self.label

    def to_dict(self) -> dict[str, Any]:
        return {"process": self.name, **self.values}


def _rate_param(default: float = 1.0) -> Param:
    return Param("rate_per_s", "float", default, "req/s", 0.0, MAX_RATE_PER_S,
                 help="Mean arrival rate.", source="the design's traffic estimate (requests/day ÷ 86,400)")


def _check_rate(values: dict[str, Any], path: str) -> None:
    rate = positive(values["rate_per_s"], f"{path}.rate_per_s")
    if rate > MAX_RATE_PER_S:
        raise DesignError(f"must be at most {MAX_RATE_PER_S:,.0f} requests/s, got {rate:g}", f"{path}.rate_per_s")


def _gaps_to_times(gaps: np.ndarray, t: float) -> np.ndarray:
    """Absolute times from gaps, added in order exactly as ``t += g`` would (same floats as a Python loop)."""
    gaps[0] += t
    return np.cumsum(gaps)


class Poisson(ArrivalProcess):
    name = "poisson"
    label = "Poisson"
    help = "Independent arrivals at a constant mean rate (exponential gaps): web traffic at a steady hour."
    params = (_rate_param(),)
    required = ("rate_per_s",)
    rate_field = "rate_per_s"

    @classmethod
    def check(cls, values: dict[str, Any], path: str, base_dir: Path | None) -> None:
        _check_rate(values, path)

    def mean_rate(self) -> float:
        return float(self.values["rate_per_s"])

    def _gaps(self, rng: np.random.Generator) -> np.ndarray:
        return rng.exponential(1.0 / self.mean_rate(), BLOCK)

    def times(self, rng: np.random.Generator, horizon_s: float, base_dir: Path | None = None) -> Iterator[Arrival]:
        t = 0.0
        while True:
            ts = _gaps_to_times(self._gaps(rng), t)
            if ts[-1] > horizon_s:
                for x in ts[:int(np.searchsorted(ts, horizon_s, side="right"))].tolist():
                    yield x, None, None
                return
            for x in ts.tolist():
                yield x, None, None
            t = float(ts[-1])


class Gamma(Poisson):
    name = "gamma"
    label = "gamma (bursty)"
    help = "Gamma-distributed gaps: cv > 1 gives bursts (cv = 1 is Poisson)."
    params = (_rate_param(), Param("cv", "float", 2.0, "", 1e-3, 100.0,
                                   help="Coefficient of variation of the gaps (burstiness; 1 = Poisson).",
                                   source="bursty LLM traffic: cv 2–4 in BurstGPT (Wang et al., 2024)"))
    required = ("rate_per_s", "cv")

    @classmethod
    def check(cls, values: dict[str, Any], path: str, base_dir: Path | None) -> None:
        _check_rate(values, path)
        cv = positive(values["cv"], f"{path}.cv")
        if not 1e-3 <= cv <= 100:  # the gaps' gamma shape is 1/cv²: outside this it under- or overflows
            raise DesignError(f"must be in 0.001…100, got {cv:g}", f"{path}.cv")

    def _gaps(self, rng: np.random.Generator) -> np.ndarray:
        shape = 1.0 / float(self.values["cv"]) ** 2
        return rng.gamma(shape, 1.0 / (self.mean_rate() * shape), BLOCK)


class Diurnal(ArrivalProcess):
    name = "diurnal"
    label = "diurnal (24 h)"
    help = "A 24-hour cosine around the daily mean, sharpened when the peak is more than twice the mean."
    params = (
        Param("requests_per_day", "float", 100_000.0, "req/day", 0.0, MAX_RATE_PER_S * SECONDS_PER_DAY,
              help="Daily volume; the mean rate is this ÷ 86,400.", source="the design's traffic estimate"),
        Param("peak_to_mean", "float", 2.0, "×", 1.0, 100.0,
              help="Ratio of the busiest moment's rate to the daily mean.",
              source="a common sizing assumption: consumer traffic peaks near 2× its daily mean"),
        Param("peak_hour", "float", 14.0, "h", 0.0, 24.0, help="Hour of the day of the peak (0–24)."),
    )
    required = ("requests_per_day",)
    rate_field = "requests_per_day"

    @classmethod
    def check(cls, values: dict[str, Any], path: str, base_dir: Path | None) -> None:
        per_day = positive(values["requests_per_day"], f"{path}.requests_per_day")
        if per_day > MAX_RATE_PER_S * SECONDS_PER_DAY:
            raise DesignError(f"must be at most {MAX_RATE_PER_S * SECONDS_PER_DAY:,.0f} requests/day, "
                              f"got {per_day:g}", f"{path}.requests_per_day")
        ptm = positive(values["peak_to_mean"], f"{path}.peak_to_mean")
        if not 1 <= ptm <= 100:
            raise DesignError(f"must be in 1…100, got {ptm}", f"{path}.peak_to_mean")
        hour = values["peak_hour"]
        if isinstance(hour, bool) or not isinstance(hour, (int, float)) or not 0 <= hour < 24:
            raise DesignError(f"must be an hour in 0…24, got {_show(hour)}", f"{path}.peak_hour")

    def mean_rate(self) -> float:
        return float(self.values["requests_per_day"]) / SECONDS_PER_DAY

    def peak_rate(self, peak_to_mean: float) -> float:
        return self.mean_rate() * peak_to_mean  # Workload.peak_to_mean: the shape's own unless the field is set

    @classmethod
    def rate_per_s_at(cls, value: float, throughput_rps: float | None = None) -> float:
        return value / SECONDS_PER_DAY

    def describe(self) -> str:
        return f"diurnal, {float(self.values['requests_per_day']):,.0f} req/day (peak {self.values['peak_to_mean']:g}×)"

    def times(self, rng: np.random.Generator, horizon_s: float, base_dir: Path | None = None) -> Iterator[Arrival]:
        """Thinning of a Poisson process at the peak rate, a block of candidates per numpy call."""
        mean = self.mean_rate()
        shape = DiurnalShape(float(self.values["peak_to_mean"]), float(self.values["peak_hour"]))
        lam_max = mean * max(shape.peak_to_mean, 2.0) * 1.0001
        t = 0.0
        while True:
            ts = _gaps_to_times(rng.exponential(1.0 / lam_max, BLOCK), t)
            u = rng.random(BLOCK)
            keep = u * lam_max <= mean * shape(ts)
            if ts[-1] > horizon_s:
                keep &= ts <= horizon_s
                for x in ts[keep].tolist():
                    yield x, None, None
                return
            for x in ts[keep].tolist():
                yield x, None, None
            t = float(ts[-1])


class DiurnalShape:
    """Rate multiplier over the day: a 24-hour cosine with mean 1 and maximum ``peak_to_mean``.

    Up to 2× a plain cosine; above, ((1 + cos)/2)^k, whose mean is C(2k, k)/4^k, with k solved once here
    (not per arrival) so that mean 1 gives the wanted peak. Callable on a float or a numpy array of times.
    """

    def __init__(self, peak_to_mean: float, peak_hour: float = 14.0) -> None:
        self.peak_to_mean = peak_to_mean
        self.peak_hour = peak_hour
        self.k = _sharpness(peak_to_mean) if peak_to_mean > 2.0 else 0.0
        self.norm = 1.0 / _mean_pow(self.k) if self.k else 1.0

    def __call__(self, t_s: Any) -> Any:
        phase = 2 * np.pi * ((np.asarray(t_s) / 3600.0 - self.peak_hour) / 24.0)
        if not self.k:
            out = 1.0 + min(self.peak_to_mean - 1.0, 1.0) * np.cos(phase)
        else:
            out = ((1 + np.cos(phase)) / 2) ** self.k * self.norm
        return float(out) if np.ndim(out) == 0 else out


def _sharpness(ptm: float) -> float:
    lo, hi = 0.0, 20_000.0  # peak/mean ≈ sqrt(pi k): 100× needs k ≈ 3,200
    for _ in range(80):
        mid = (lo + hi) / 2
        if 1 / _mean_pow(mid) < ptm:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _mean_pow(k: float) -> float:
    return math.exp(math.lgamma(2 * k + 1) - 2 * math.lgamma(k + 1) - k * math.log(4))


class Closed(ArrivalProcess):
    name = "closed"
    label = "closed loop"
    help = "N users, each sending the next request when the last is answered (as benchmark tools do)."
    params = (
        Param("concurrency", "int", 8, "users", 1, 1_000_000, help="Users in the loop (requests in flight)."),
        Param("think_time", "dist", {"dist": "fixed", "value": 0}, "ms",
              help="Pause between a user's answer and their next request."),
    )
    required = ("concurrency",)
    rate_field = "concurrency"
    closed = True

    @classmethod
    def check(cls, values: dict[str, Any], path: str, base_dir: Path | None) -> None:
        c = values["concurrency"]
        if isinstance(c, bool) or not isinstance(c, int) or not 1 <= c <= 1_000_000:
            raise DesignError(f"must be an integer ≥ 1, got {_show(c)}", f"{path}.concurrency")
        parse_dist(values["think_time"], f"{path}.think_time")

    def think_time(self) -> Dist | None:
        spec = self.values["think_time"]
        return None if spec == self.param("think_time").default else parse_dist(spec, "think_time")

    @classmethod
    def rate_per_s_at(cls, value: float, throughput_rps: float | None = None) -> float:
        return math.nan if throughput_rps is None else throughput_rps

    def describe(self) -> str:
        return f"closed loop, {self.values['concurrency']} users"


class Trace(ArrivalProcess):
    name = "trace"
    label = "trace file"
    help = "Replays a CSV or JSONL of arrival time, input tokens and output tokens."
    params = (
        Param("file", "str", "trace.csv", help="CSV or JSONL of arrival time, input and output tokens, "
              "relative to the design file."),
        Param("time_scale", "float", 1.0, "×", 0.0, 1e6, help="Multiplies every gap (0.5 = twice as fast)."),
    )
    required = ("file",)

    @classmethod
    def check(cls, values: dict[str, Any], path: str, base_dir: Path | None) -> None:
        resolve_user_file(values["file"], base_dir, f"{path}.file")
        positive(values["time_scale"], f"{path}.time_scale")

    def times(self, rng: np.random.Generator, horizon_s: float, base_dir: Path | None = None) -> Iterator[Arrival]:
        path = resolve_user_file(self.values["file"], base_dir, "workload.arrival.file")
        scale = float(self.values["time_scale"])
        rows = read_trace(path)
        t0 = rows[0][0] if rows else 0.0
        for t, i, o in rows:
            t = (t - t0) * scale
            if t > horizon_s:
                return
            yield t, i, o


ARRIVALS: dict[str, type[ArrivalProcess]] = {c.name: c for c in (Poisson, Gamma, Diurnal, Closed, Trace)}
DEFAULT_ARRIVAL: dict[str, Any] = {"process": "poisson", "rate_per_s": 1.0}


def parse_arrival(raw: Any, path: str = "workload.arrival", base_dir: Path | None = None) -> ArrivalProcess:
    if not isinstance(raw, dict):
        raise DesignError(f"must be an object, got {_show(raw)}", path)
    process = raw.get("process")
    if not isinstance(process, str) or process not in ARRIVALS:
        raise DesignError(f"unknown arrival process {_show(process)}; one of {', '.join(ARRIVALS)}",
                          f"{path}.process")
    return ARRIVALS[process].parse(raw, path, base_dir)


def arrival_of(workload: dict[str, Any] | None) -> ArrivalProcess:
    """The declared arrival of a workload dict already validated by the loader (no file checks)."""
    raw = (workload or {}).get("arrival") or DEFAULT_ARRIVAL
    cls = ARRIVALS.get(raw.get("process", "poisson"), Poisson)
    return cls({p.name: raw.get(p.name, p.default) for p in cls.params})


# -- the workload's own fields -------------------------------------------------------------------------------
DEFAULT_DURATION_S = 600.0
WORKLOAD_PARAMS: tuple[Param, ...] = (
    Param("duration_s", "float", DEFAULT_DURATION_S, "s", 0.0, 366 * SECONDS_PER_DAY,
          help="Simulated time of a run (arrivals stop then; requests in flight finish)."),
    Param("warmup_s", "float", 0.0, "s", 0.0, 366 * SECONDS_PER_DAY,
          help="Requests arriving before this are not measured (the system starts empty)."),
    Param("seed", "int", 0, "", 0, 2**63 - 1, help="Random seed: the same design and seed give the same numbers."),
    Param("peak_to_mean", "float", 2.0, "×", 1.0, 100.0,
          help="Ratio of the peak arrival rate to the mean, used for sizing at peak.",
          source="the seeds size peak at 2× mean"),
    Param("input_tokens", "dist", {"dist": "fixed", "value": 500}, "tokens", help="Prompt tokens per request."),
    Param("output_tokens", "dist", {"dist": "fixed", "value": 200}, "tokens", help="Output tokens per request."),
)
WORKLOAD_DEFAULTS = {p.name: p.default for p in WORKLOAD_PARAMS}
WORKLOAD_KEYS = {"arrival", "classes", *WORKLOAD_DEFAULTS}
CLASS_KEYS = ("input_tokens", "name", "output_tokens", "weight")


@dataclass
class RequestClass:
    name: str
    weight: float
    input_tokens: Dist
    output_tokens: Dist


@dataclass
class Workload:
    """A validated workload: the arrival process, the declared fields and the request classes."""

    arrival: ArrivalProcess
    values: dict[str, Any]
    classes: list[RequestClass]
    peak_to_mean_given: bool = False

    @property
    def duration_s(self) -> float:
        return float(self.values["duration_s"])

    @property
    def warmup_s(self) -> float:
        return float(self.values["warmup_s"])

    @property
    def seed(self) -> int:
        return int(self.values["seed"])

    @property
    def peak_to_mean(self) -> float:
        """Peak ÷ mean arrival rate for sizing at peak: the field, else a diurnal shape's own, else 2."""
        if not self.peak_to_mean_given and isinstance(self.arrival, Diurnal):
            return float(self.arrival.values["peak_to_mean"])
        return float(self.values["peak_to_mean"])

    @property
    def peak_to_mean_source(self) -> str:
        if self.peak_to_mean_given:
            return "the workload's peak_to_mean"
        if isinstance(self.arrival, Diurnal):
            return "the workload's diurnal peak_to_mean"
        return "assumed peak-hour factor (a constant-rate run has no peak of its own)"

    def mean_rate(self) -> float | None:
        return self.arrival.mean_rate()

    def peak_rate(self) -> float | None:
        return self.arrival.peak_rate(self.peak_to_mean)


def _parse_classes(raw: Any, path: str, default_in: Any, default_out: Any, base_dir: Path | None
                   ) -> list[RequestClass]:
    if raw is None:
        raw = [{"name": "default"}]
    elif not isinstance(raw, list) or not raw:
        raise DesignError("must be a non-empty list of request classes", path)
    names: set[str] = set()
    out = []
    for i, c in enumerate(raw):
        p = f"{path}[{i}]"
        if not isinstance(c, dict):
            raise DesignError(f"must be an object, got {_show(c)}", p)
        for key in c:
            if key not in CLASS_KEYS:
                raise DesignError(f"unknown field (allowed: {', '.join(CLASS_KEYS)})", f"{p}.{key}")
        if not isinstance(c.get("name"), str) or not c["name"] or c["name"] in names:
            raise DesignError(f"needs a unique name, got {_show(c.get('name'))}", f"{p}.name")
        names.add(c["name"])
        weight = positive(c.get("weight", 1.0), f"{p}.weight")
        dists = [parse_dist(c[k], f"{p}.{k}", base_dir) if k in c else parse_dist(d, k.split(".")[-1], base_dir)
                 for k, d in (("input_tokens", default_in), ("output_tokens", default_out))]
        out.append(RequestClass(c["name"], weight, *dists))
    return out


def parse_workload(w: Any, path: str = "workload", base_dir: Path | None = None) -> Workload:
    """Validate a workload dict (messages name the path) into the declared objects."""
    if not isinstance(w, dict):
        raise DesignError(f"must be an object, got {_show(w)}", path)
    for key in w:
        if key not in WORKLOAD_KEYS:
            raise DesignError(f"unknown field (allowed: {', '.join(sorted(WORKLOAD_KEYS))})", f"{path}.{key}")
    arrival = parse_arrival(w.get("arrival", DEFAULT_ARRIVAL), f"{path}.arrival", base_dir)
    values = {**WORKLOAD_DEFAULTS, **{k: v for k, v in w.items() if k in WORKLOAD_DEFAULTS}}
    if "duration_s" in w:
        positive(w["duration_s"], f"{path}.duration_s")
        if w["duration_s"] > 366 * SECONDS_PER_DAY:
            raise DesignError("must be at most a year of simulated time", f"{path}.duration_s")
    if "warmup_s" in w:
        positive(w["warmup_s"], f"{path}.warmup_s", allow_zero=True)
    if "seed" in w and (isinstance(w["seed"], bool) or not isinstance(w["seed"], int) or w["seed"] < 0):
        raise DesignError(f"must be an integer ≥ 0, got {_show(w['seed'])}", f"{path}.seed")
    if "peak_to_mean" in w:
        ptm = positive(w["peak_to_mean"], f"{path}.peak_to_mean")
        if not 1 <= ptm <= 100:
            raise DesignError(f"must be in 1…100, got {ptm}", f"{path}.peak_to_mean")
    default_in, default_out = values["input_tokens"], values["output_tokens"]
    for key in ("input_tokens", "output_tokens"):
        if key in w:
            parse_dist(w[key], f"{path}.{key}", base_dir)
    classes = _parse_classes(w.get("classes"), f"{path}.classes", default_in, default_out, base_dir)
    return Workload(arrival, values, classes, "peak_to_mean" in w)


# -- service-level objectives and budget -------------------------------------------------------------------
SLO_METRICS = ("ttft", "tpot", "itl", "e2e")
SLO_STATS = ("mean", "p50", "p90", "p95", "p99")
SLO_METRIC_HELP = {
    "ttft": ("time to first token", 1000.0, "a common target for interactive chat: first token within ~1 s"),
    "tpot": ("time per output token", 50.0, "20 tokens/s streams faster than people read"),
    "itl": ("inter-token latency", 50.0, "as tpot, per gap"),
    "e2e": ("end-to-end latency", 5000.0, "a whole answer within a few seconds"),
}


def slo_param(key: str) -> Param:
    """The declaration of one SLO key (``<metric>_<stat>_ms`` or ``error_rate_max``)."""
    if key == "error_rate_max":
        return Param(key, "float", 0.01, "fraction", 0.0, 1.0, help="Largest share of requests that may fail.",
                     source="a 99 % success objective")
    metric, stat, _ = key.split("_")
    what, default, source = SLO_METRIC_HELP[metric]
    return Param(key, "float", default, "ms", 0.0, None, help=f"{stat} {what} over completed requests.",
                 source=source)


def slo_keys() -> list[str]:
    return [f"{m}_{s}_ms" for m in SLO_METRICS for s in SLO_STATS] + ["error_rate_max"]


BUDGET_PARAMS: tuple[Param, ...] = (
    Param("usd_per_month", "float", 0.0, "USD/month", 0.0, None, help="Monthly spend limit (730 h)."),
    Param("usd_per_hour", "float", 0.0, "USD/hour", 0.0, None, help="Hourly spend limit."),
    Param("usd_per_request", "float", 0.0, "USD/request", 0.0, None, help="Spend limit per request."),
)
BUDGET_KEYS = {p.name for p in BUDGET_PARAMS}


MAX_SLO_MS = 1e9


def parse_slo(slo: Any, path: str = "slo") -> dict[str, float]:
    if not isinstance(slo, dict):
        raise DesignError(f"must be an object, got {_show(slo)}", path)
    known = set(slo_keys())
    out: dict[str, float] = {}
    for key, value in slo.items():
        where = f"{path}.{key}"
        if key not in known:
            raise DesignError("unknown SLO; use <ttft|tpot|itl|e2e>_<mean|p50|p90|p95|p99>_ms or error_rate_max",
                              where)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
            raise DesignError(f"must be a number ≥ 0, got {_show(value)}", where)
        if key == "error_rate_max" and value > 1:
            raise DesignError(f"is a fraction in 0…1, got {value}", where)
        if value > MAX_SLO_MS:  # charts and envelopes multiply targets: keep them far from float overflow
            raise DesignError(f"must be at most {MAX_SLO_MS:g} ms (11 days), got {value:g}", where)
        out[key] = float(value)
    return out


def parse_budget(budget: Any, path: str = "budget") -> dict[str, float]:
    if not isinstance(budget, dict):
        raise DesignError(f"must be an object, got {_show(budget)}", path)
    out: dict[str, float] = {}
    for key, value in budget.items():
        if key not in BUDGET_KEYS:
            raise DesignError(f"unknown budget field (allowed: {', '.join(sorted(BUDGET_KEYS))})", f"{path}.{key}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise DesignError(f"must be a number ≥ 0, got {_show(value)}", f"{path}.{key}")
        out[key] = float(value)
    return out

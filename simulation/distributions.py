"""Distributions from design files: parsing with path-precise errors and fast sampling.

Times are in milliseconds and token counts are plain numbers; a distribution does not know its unit,
the parameter that holds it does. Keys may carry an ``_ms`` suffix (``mean_ms``), which is ignored.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulation.errors import DesignError

# z-score of the 99th percentile of a standard normal, for lognormal given p50/p99.
_Z99 = 2.3263478740408408
_BLOCK = 2048  # samples drawn per refill: amortises numpy's per-call overhead

DIST_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # name: (required keys, optional keys)
    "fixed": ({"value"}, set()),
    "exponential": ({"mean"}, set()),
    "uniform": ({"low", "high"}, set()),
    "normal": ({"mean", "std"}, set()),
    "lognormal": (set(), {"mean", "std", "p50", "p99"}),
    "gamma": ({"mean", "cv"}, set()),
    "empirical": (set(), {"values", "file"}),
}
MAX_EMPIRICAL_VALUES = 1_000_000
# Bounds where the maths breaks, not modelling limits: 1e12 ms is 31 years and 1e12 tokens no model reads;
# a gamma's shape is 1/cv², which underflows or overflows a float far outside 1e-3…100.
MAX_VALUE = 1e12
GAMMA_CV_MIN, GAMMA_CV_MAX = 1e-3, 100.0


def _num(value: Any, path: str, *, positive: bool = False, nonneg: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DesignError(f"must be a number, got {json.dumps(value)[:40]}", path)
    if positive and value <= 0:
        raise DesignError(f"must be > 0, got {value}", path)
    if nonneg and value < 0:
        raise DesignError(f"must be ≥ 0, got {value}", path)
    if abs(value) > MAX_VALUE:
        raise DesignError(f"must be at most {MAX_VALUE:g} in size, got {value:g}", path)
    return float(value)


@dataclass
class Dist:
    """A parsed distribution. ``sample`` draws one value; ``mean`` is the exact expectation."""

    name: str
    args: dict[str, float]
    values: np.ndarray | None = None
    _buf: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    _i: int = 0

    def mean(self) -> float:
        a = self.args
        if self.name == "fixed":
            return a["value"]
        if self.name in ("exponential", "gamma"):
            return a["mean"]
        if self.name == "uniform":
            return (a["low"] + a["high"]) / 2
        if self.name == "normal":  # truncated at 0: use a quick Monte Carlo-free approximation
            mu, sd = a["mean"], a["std"]
            if sd == 0:
                return max(mu, 0.0)
            z = mu / sd
            pdf = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
            cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
            return mu + sd * pdf / cdf if cdf > 0 else 0.0
        if self.name == "lognormal":
            return math.exp(a["mu"] + a["sigma"] ** 2 / 2)
        assert self.values is not None
        return float(self.values.mean())

    def scv(self) -> float:
        """Squared coefficient of variation (used by queueing approximations in the review)."""
        a = self.args
        m = self.mean()
        if m == 0 or self.name == "fixed":
            return 0.0
        if self.name == "exponential":
            return 1.0
        if self.name == "gamma":
            return a["cv"] ** 2
        if self.name == "uniform":
            return ((a["high"] - a["low"]) ** 2 / 12) / m**2
        if self.name == "normal":
            return (a["std"] / m) ** 2
        if self.name == "lognormal":
            return math.exp(a["sigma"] ** 2) - 1
        assert self.values is not None
        return float(self.values.var() / m**2)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        a = self.args
        if self.name == "fixed":
            return np.full(n, a["value"])
        if self.name == "exponential":
            return rng.exponential(a["mean"], n) if a["mean"] > 0 else np.zeros(n)
        if self.name == "uniform":
            return rng.uniform(a["low"], a["high"], n)
        if self.name == "normal":  # truncated at 0: redraw negatives (a few rounds, then clip)
            out = rng.normal(a["mean"], a["std"], n)
            for _ in range(50):
                neg = out < 0
                if not neg.any():
                    break
                out[neg] = rng.normal(a["mean"], a["std"], int(neg.sum()))
            return np.maximum(out, 0.0)
        if self.name == "lognormal":
            return rng.lognormal(a["mu"], a["sigma"], n)
        if self.name == "gamma":
            if a["cv"] == 0:
                return np.full(n, a["mean"])
            shape = 1 / a["cv"] ** 2
            return rng.gamma(shape, a["mean"] / shape, n)
        assert self.values is not None
        return rng.choice(self.values, n)

    def sample(self, rng: np.random.Generator) -> float:
        if self._i >= len(self._buf):
            self._buf = self.draw(rng, _BLOCK)
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return float(v)

    def fresh(self) -> Dist:
        """An independent copy with its own sample buffer (one per random stream)."""
        return Dist(self.name, dict(self.args), self.values)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.spec) if hasattr(self, "spec") else {"dist": self.name, **self.args}


def parse_dist(spec: Any, path: str, base_dir: Path | None = None) -> Dist:
    """Validate a distribution dict (design file format) and return a sampler for it."""
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        spec = {"dist": "fixed", "value": spec}
    if not isinstance(spec, dict):
        raise DesignError(f"must be a distribution object like {{\"dist\": \"fixed\", \"value\": 1}}, "
                          f"got {json.dumps(spec)[:40]}", path)
    name = spec.get("dist")
    if not isinstance(name, str) or name not in DIST_KEYS:
        raise DesignError(f"unknown distribution {json.dumps(name)[:40]}; one of {', '.join(DIST_KEYS)}", f"{path}.dist")
    required, optional = DIST_KEYS[name]
    args: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "dist":
            continue
        plain = key[:-3] if key.endswith("_ms") else key
        if plain not in required | optional:
            allowed = ", ".join(sorted(required | optional))
            raise DesignError(f"unknown field for a {name} distribution (allowed: {allowed})", f"{path}.{key}")
        args[plain] = value
    for key in sorted(required):
        if key not in args:
            raise DesignError(f"{name} distribution needs {key!r}", path)
    if name == "empirical":
        return _parse_empirical(args, path, base_dir)
    nums = {k: _num(v, f"{path}.{k}", nonneg=k != "mean" or name != "normal") for k, v in args.items()}
    if name == "gamma" and nums["cv"] != 0 and not GAMMA_CV_MIN <= nums["cv"] <= GAMMA_CV_MAX:
        raise DesignError(f"must be 0 (a fixed value) or in {GAMMA_CV_MIN:g}…{GAMMA_CV_MAX:g}, got {nums['cv']:g}",
                          f"{path}.cv")
    if name == "uniform" and nums["high"] < nums["low"]:
        raise DesignError(f"high ({nums['high']}) must be ≥ low ({nums['low']})", path)
    if name == "lognormal":
        nums = _lognormal_params(nums, path)
    d = Dist(name, nums)
    d.spec = dict(spec)  # type: ignore[attr-defined]
    return d


def _lognormal_params(nums: dict[str, float], path: str) -> dict[str, float]:
    out = _lognormal_mu_sigma(nums, path)
    # exp(mu + sigma²/2) is the mean and exp(sigma²) - 1 the SCV; beyond ~709 either overflows a float.
    if out["mu"] + out["sigma"] ** 2 / 2 > 700 or out["sigma"] ** 2 > 700:
        raise DesignError("lognormal is so wide that its mean overflows; check p50/p99 or mean/std", path)
    return out


def _lognormal_mu_sigma(nums: dict[str, float], path: str) -> dict[str, float]:
    if "p50" in nums and "p99" in nums and not ({"mean", "std"} & nums.keys()):
        p50, p99 = nums["p50"], nums["p99"]
        if p50 <= 0 or p99 < p50:
            raise DesignError(f"needs 0 < p50 ≤ p99, got p50={p50}, p99={p99}", path)
        return {**nums, "mu": math.log(p50), "sigma": math.log(p99 / p50) / _Z99}
    if "mean" in nums and "std" in nums and not ({"p50", "p99"} & nums.keys()):
        m, s = nums["mean"], nums["std"]
        if m <= 0:
            raise DesignError(f"mean must be > 0, got {m}", path)
        sigma2 = math.log(1 + (s / m) ** 2)
        return {**nums, "mu": math.log(m) - sigma2 / 2, "sigma": math.sqrt(sigma2)}
    raise DesignError("lognormal needs either mean and std, or p50 and p99", path)


def _parse_empirical(args: dict[str, Any], path: str, base_dir: Path | None) -> Dist:
    if ("values" in args) == ("file" in args):
        raise DesignError("empirical distribution needs exactly one of 'values' or 'file'", path)
    if "values" in args:
        raw = args["values"]
        if not isinstance(raw, list) or not raw:
            raise DesignError("values must be a non-empty list of numbers", f"{path}.values")
        if len(raw) > MAX_EMPIRICAL_VALUES:
            raise DesignError(f"at most {MAX_EMPIRICAL_VALUES} values", f"{path}.values")
        vals = [_num(v, f"{path}.values[{i}]") for i, v in enumerate(raw)]
    else:
        from simulation.safe_paths import resolve_user_file

        file = resolve_user_file(args["file"], base_dir, f"{path}.file")
        vals = _read_number_column(file, f"{path}.file")
    d = Dist("empirical", {}, np.asarray(vals, dtype=float))
    d.spec = {"dist": "empirical", **args}  # type: ignore[attr-defined]
    return d


def _read_number_column(file: Path, path: str) -> list[float]:
    try:  # read_text_capped (in _read_numbers) already turns encoding and I/O errors into one line
        return _read_numbers(file, path)
    except csv.Error as exc:
        raise DesignError(f"malformed CSV ({exc})", path) from None


def _read_numbers(file: Path, path: str) -> list[float]:
    from simulation.safe_paths import read_text_capped

    out: list[float] = []
    with io.StringIO(read_text_capped(file, path, what="empirical"), newline="") as fh:
        for lineno, row in enumerate(csv.reader(fh), 1):
            if not row or not row[0].strip():
                continue
            try:
                out.append(float(row[0]))
            except ValueError:
                if lineno == 1:
                    continue  # header
                raise DesignError(f"line {lineno}: not a number: {row[0][:30]!r}", path) from None
            if not math.isfinite(out[-1]) or not 0 <= out[-1] <= MAX_VALUE:
                raise DesignError(f"line {lineno}: must be a finite number ≥ 0, got {row[0][:30]!r}", path)
            if len(out) > MAX_EMPIRICAL_VALUES:
                raise DesignError(f"more than {MAX_EMPIRICAL_VALUES} values", path)
    if not out:
        raise DesignError("file holds no numbers", path)
    return out

"""Kernel latency from a hardware profile (numpy-free at call time; memoized).

latency = roofline_minimum / efficiency, where roofline_minimum = max(flops / peak, bytes / bandwidth)
and efficiency (<= 1) comes from a per-op grid interpolated in log space (``kernels.grid.LogGrid``).
Inside the grid the stored value is reproduced exactly at the nodes; outside it the boundary
efficiency is held, i.e. the latency follows the roofline; it is never below the roofline minimum.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from kernels import roofline
from kernels.errors import InputError
from kernels.grid import LogGrid
from kernels.hardware import ASSETS_DIR, DTYPE_FALLBACK, GPUSpec, resolve_dtype
from kernels.hardware import gpu as catalog_gpu

PROFILE_FORMAT = "genai-sim-profile"
PROFILE_VERSION = 1
PROFILES_DIR = ASSETS_DIR / "profiles"

# Axis names of each op's efficiency grid, in storage order.
OP_AXES: dict[str, tuple[str, ...]] = {
    "gemm": ("m", "n", "k"),
    "attention_prefill": ("tokens", "batch_heads", "gqa", "head_dim"),
    "attention_decode": ("kv_len", "batch_kv_heads", "gqa", "head_dim"),
    "allreduce": ("nbytes", "n_gpus"),
    "memcpy": ("nbytes",),
}
ANY_DTYPE = "any"  # key of tables that do not depend on the dtype (allreduce, memcpy)
_CACHE_LIMIT = 200_000


def _positive(name: str, value, minimum: float) -> float:
    """value as a finite float >= minimum, else InputError naming the argument."""
    if type(value) is int or type(value) is float:  # fast path for the simulator's scalar calls
        if minimum <= value < math.inf:
            return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < minimum:
        raise InputError(f"{name}: must be >= {minimum:g}, got {value!r}")
    return number


class Profile:
    """A device's kernel-latency model; build with ``load_profile``."""

    def __init__(self, data: dict, origin: str) -> None:
        self.data = data
        self.origin = origin
        self.id: str = str(data["id"])
        self.device: str = str(data["device"])
        self.source: str = str(data["source"])
        gpu_id = data.get("gpu")
        self.gpu: GPUSpec | None = catalog_gpu(gpu_id) if gpu_id else None
        peaks = data["peaks"]
        self._tflops: dict[str, float] = {k: float(v) for k, v in peaks["tflops"].items()}
        self.mem_bw_gbs: float = float(peaks["mem_bw_gbs"])
        self.memory_gb: float = float(peaks.get("memory_gb", 0.0))
        self.interconnect_gbs: float = float(peaks.get("interconnect_gbs", 0.0))
        overheads = data["overheads"]
        self.launch_overhead_ms: float = float(overheads["launch_overhead_ms"])
        self.step_overhead_ms: float = float(overheads["step_overhead_ms"])
        self._grids: dict[str, dict[str, LogGrid]] = {}
        for op, by_dtype in data["tables"].items():
            if op not in OP_AXES:
                raise ValueError(f"unknown table {op!r}")
            self._grids[op] = {}
            for dtype, table in by_dtype.items():
                axes = [table["axes"][name] for name in OP_AXES[op]]
                self._grids[op][dtype] = LogGrid(axes, table["log_eff"])
        self._cache: dict[tuple, float] = {}
        self._grid_cache: dict[tuple[str, str], LogGrid] = {}
        self._peak_flops: dict[str, float] = {}
        self._bw_bytes = self.mem_bw_gbs * 1e9

    def __repr__(self) -> str:
        return f"Profile({self.id!r}, device={self.device!r})"

    # --- peaks -----------------------------------------------------------------------------
    def peak_tflops(self, dtype: str = "bf16") -> float:
        """Dense compute peak used for dtype (falls back to the wider dtype the device computes in)."""
        return self._tflops[resolve_dtype(dtype, self._tflops, f"profile {self.id}")]

    def tables(self) -> dict[str, list[str]]:
        """Which ops and dtypes this profile has efficiency grids for."""
        return {op: list(grids) for op, grids in self._grids.items()}

    def _grid(self, op: str, dtype: str) -> LogGrid:
        grid = self._grid_cache.get((op, dtype))
        if grid is not None:
            return grid
        grids = self._grids.get(op)
        if not grids:
            raise InputError(f"profile {self.id} has no {op} measurements")
        if ANY_DTYPE in grids:
            grid = grids[ANY_DTYPE]
        else:
            chain = DTYPE_FALLBACK.get(dtype, ()) + tuple(grids)
            grid = grids[next(c for c in chain if c in grids)]
        self._grid_cache[(op, dtype)] = grid
        return grid

    def _time_ms(self, flops: float, nbytes: float, dtype: str, log_eff: float) -> float:
        peak = self._peak_flops.get(dtype)
        if peak is None:
            peak = self._peak_flops[dtype] = self.peak_tflops(dtype) * 1e12
        floor_s = max(flops / peak, nbytes / self._bw_bytes)
        return floor_s * 1e3 / math.exp(log_eff if log_eff < 0.0 else 0.0)

    def _store(self, key: tuple, value: float) -> float:
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = value
        return value

    # --- ops (each memoized on its arguments) ------------------------------------------------
    def gemm_ms(self, m: int, n: int, k: int, dtype: str = "bf16") -> float:
        """One Y[m,n] = X[m,k] @ W[n,k]^T (a vLLM linear layer) in milliseconds."""
        key = ("gemm", m, n, k, dtype)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        mm, nn, kk = _positive("m", m, 1), _positive("n", n, 1), _positive("k", k, 1)
        flops, nbytes = roofline.gemm(mm, nn, kk, dtype)
        return self._store(key, self._time_ms(flops, nbytes, dtype, self._grid("gemm", dtype)(mm, nn, kk)))

    def attention_prefill_ms(self, tokens: int, context: int, heads: int, kv_heads: int, head_dim: int,
                             batch: int = 1, dtype: str = "bf16") -> float:
        """Causal attention of `tokens` new queries per sequence over `context` keys (incl. the new ones)."""
        key = ("prefill", tokens, context, heads, kv_heads, head_dim, batch, dtype)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        t = _positive("tokens", tokens, 1)
        c = _positive("context", context, 1)
        if c < t:
            raise InputError(f"context: must be >= tokens ({t:g}), got {context!r}")
        h, kv, d, b = self._heads(heads, kv_heads, head_dim, batch)
        flops, nbytes = roofline.attention_prefill(t, c, h, kv, d, b, dtype)
        eff = self._grid("attention_prefill", dtype)(t, b * h, h / kv, d)
        return self._store(key, self._time_ms(flops, nbytes, dtype, eff))

    def attention_decode_ms(self, batch: int, kv_len: float, heads: int, kv_heads: int, head_dim: int,
                            dtype: str = "bf16") -> float:
        """One decode step of `batch` sequences with `kv_len` (mean) cached tokens each."""
        key = ("decode", batch, kv_len, heads, kv_heads, head_dim, dtype)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        length = _positive("kv_len", kv_len, 1)
        h, kv, d, b = self._heads(heads, kv_heads, head_dim, batch)
        flops, nbytes = roofline.attention_decode(b, length, h, kv, d, dtype)
        eff = self._grid("attention_decode", dtype)(length, b * kv, h / kv, d)
        return self._store(key, self._time_ms(flops, nbytes, dtype, eff))

    def allreduce_ms(self, nbytes: float, n_gpus: int) -> float:
        """All-reduce of nbytes across n_gpus of this kind in one node; 0 for a single GPU."""
        key = ("allreduce", nbytes, n_gpus)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        n = _positive("gpus", n_gpus, 1)
        if n != int(n):
            raise InputError(f"gpus: must be an integer >= 1, got {n_gpus!r}")
        size = _positive("bytes", nbytes, 0)
        if n == 1 or size == 0:
            return self._store(key, 0.0)
        bus_bytes = roofline.allreduce_bus_bytes(size, int(n))
        bw = self.interconnect_gbs or self.mem_bw_gbs
        floor_ms = bus_bytes / (bw * 1e9) * 1e3
        if "allreduce" not in self._grids:
            # no measurement: one launch per ring step on top of the wire time
            return self._store(key, floor_ms + 2 * (n - 1) * self.launch_overhead_ms)
        eff = self._grid("allreduce", ANY_DTYPE)(max(size, 1.0), n)
        return self._store(key, floor_ms / math.exp(min(eff, 0.0)))

    def memcpy_ms(self, nbytes: float) -> float:
        """Device-to-device copy of nbytes (read + write through device memory)."""
        key = ("memcpy", nbytes)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        size = _positive("bytes", nbytes, 0)
        if size == 0:
            return self._store(key, 0.0)
        floor_ms = 2.0 * size / self._bw_bytes * 1e3
        if "memcpy" not in self._grids:
            return self._store(key, floor_ms + self.launch_overhead_ms)
        eff = self._grid("memcpy", ANY_DTYPE)(max(size, 1.0))
        return self._store(key, floor_ms / math.exp(min(eff, 0.0)))

    @staticmethod
    def _heads(heads, kv_heads, head_dim, batch) -> tuple[float, float, float, float]:
        h = _positive("heads", heads, 1)
        kv = _positive("kv_heads", kv_heads, 1)
        if kv > h:
            raise InputError(f"kv_heads: must be <= heads ({h:g}), got {kv_heads!r}")
        return h, kv, _positive("head_dim", head_dim, 1), _positive("batch", batch, 1)


def builtin_profile_ids() -> list[str]:
    """Ids of the profiles shipped in assets/profiles (one per catalog GPU)."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.json"))


def _validate(data, origin: str) -> None:
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        raise InputError(f'{origin}: not a genai-sim profile (missing "format": "{PROFILE_FORMAT}")')
    if data.get("version") != PROFILE_VERSION:
        raise InputError(f"{origin}: profile version {data.get('version')!r} not supported "
                         f"(expected {PROFILE_VERSION})")
    for key in ("id", "device", "source", "peaks", "overheads", "tables"):
        if key not in data:
            raise InputError(f'{origin}: profile lacks "{key}"')


@lru_cache(maxsize=64)
def _load_path(path: Path, mtime_ns: int) -> Profile:
    """mtime_ns is part of the cache key so that a re-calibrated file is read again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: profile file not found") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: cannot read profile ({type(exc).__name__}: {str(exc)[:80]})") from None
    _validate(data, str(path))
    try:
        return Profile(data, str(path))
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
        raise InputError(f"{path}: malformed profile ({type(exc).__name__}: {exc})") from None


def load_profile(spec: str | Path) -> Profile:
    """A built-in profile id (e.g. "h100-sxm") or the path of a profile JSON; cached."""
    if isinstance(spec, Profile):
        return spec
    text = str(spec).strip()
    if not text:
        raise InputError("profile: empty profile name")
    builtin = PROFILES_DIR / f"{text.lower()}.json"
    if not isinstance(spec, Path) and "/" not in text and not text.endswith(".json"):
        if not builtin.is_file():
            raise InputError(f'unknown profile "{text}"; known: {", ".join(builtin_profile_ids())} '
                             "(or give a profile .json path)")
        return _load_path(builtin.resolve(), builtin.stat().st_mtime_ns)
    path = Path(text).expanduser().resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise InputError(f"{path}: profile file not found") from None
    return _load_path(path, mtime)

"""GPU catalog (``assets/catalogs/gpus.json``): datasheet figures, each with its source."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kernels.errors import InputError


def _assets_dir() -> Path:
    override = os.environ.get("GENAI_SIM_ASSETS")
    return Path(override) if override else Path(__file__).resolve().parents[1] / "assets"


ASSETS_DIR: Path = _assets_dir()
GPUS_FILE = "catalogs/gpus.json"

# When a GPU has no tensor path for a dtype, compute runs at the next wider one (e.g. W4A16 /
# FP8-weight-only kernels on Ampere compute in BF16; V100 has FP16 but no BF16).
DTYPE_FALLBACK: dict[str, tuple[str, ...]] = {
    "fp32": ("fp32",),
    "tf32": ("tf32", "fp32"),
    "bf16": ("bf16", "fp16", "fp32"),
    "fp16": ("fp16", "bf16", "fp32"),
    "fp8": ("fp8", "bf16", "fp16", "fp32"),
    "int8": ("int8", "fp8", "bf16", "fp16", "fp32"),
    "fp4": ("fp4", "fp8", "bf16", "fp16", "fp32"),
    "int4": ("int4", "bf16", "fp16", "fp32"),
}
DTYPES = tuple(DTYPE_FALLBACK)


@dataclass(frozen=True)
class GPUSpec:
    """One accelerator; peak_tflops holds DENSE throughput (vendor 'with sparsity' figures halved)."""

    id: str
    name: str
    memory_gb: float
    mem_bw_gbs: float
    peak_tflops: dict[str, float]
    interconnect_gbs: float  # per GPU, one direction (NVLink/Infinity Fabric, else PCIe)
    nvlink: bool
    usd_per_hour: float
    tdp_w: float
    source: str
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __hash__(self) -> int:  # dict fields are unhashable; the id is unique in the catalog
        return hash(self.id)

    def compute_tflops(self, dtype: str) -> float:
        """Dense peak for dtype, falling back to the wider dtype the GPU really computes in."""
        return self.peak_tflops[resolve_dtype(dtype, self.peak_tflops, f"GPU {self.id}")]


def resolve_dtype(dtype: str, available, what: str) -> str:
    """The first key of DTYPE_FALLBACK[dtype] present in available; InputError otherwise."""
    chain = DTYPE_FALLBACK.get(str(dtype).lower())
    if chain is None:
        raise InputError(f'unknown dtype "{dtype}"; known: {", ".join(DTYPES)}')
    for candidate in chain:
        if candidate in available:
            return candidate
    raise InputError(f'{what} has no figure for dtype "{dtype}" (nor {", ".join(chain[1:]) or "a fallback"})')


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, GPUSpec]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read GPU catalog ({exc})") from exc
    gpus: dict[str, GPUSpec] = {}
    for entry in data["gpus"]:
        gpus[entry["id"]] = GPUSpec(
            id=entry["id"],
            name=entry["name"],
            memory_gb=float(entry["memory_gb"]),
            mem_bw_gbs=float(entry["mem_bw_gbs"]),
            peak_tflops={k: float(v) for k, v in entry["peak_tflops"].items()},
            interconnect_gbs=float(entry["interconnect_gbs"]),
            nvlink=bool(entry["nvlink"]),
            usd_per_hour=float(entry["usd_per_hour"]),
            tdp_w=float(entry["tdp_w"]),
            source=entry["source"],
            sources=dict(entry.get("sources", {})),
        )
    return gpus


def _catalog() -> dict[str, GPUSpec]:
    return _load(ASSETS_DIR / GPUS_FILE)


def gpu(gpu_id: str) -> GPUSpec:
    """The catalog entry for gpu_id (e.g. "h100-sxm")."""
    gpus = _catalog()
    key = str(gpu_id).strip().lower()
    if key not in gpus:
        raise InputError(f'unknown GPU "{gpu_id}"; known: {", ".join(gpus)}')
    return gpus[key]


def all_gpus() -> list[GPUSpec]:
    """Every catalog GPU, in catalog order."""
    return list(_catalog().values())

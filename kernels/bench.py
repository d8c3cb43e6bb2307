"""Kernel microbenchmarks with torch on ``cpu`` or ``cuda[:N]`` (torch is imported lazily).

Method: warm-up calls, then timed repeats; CUDA events on GPU (with an L2 flush before every
repeat), time.perf_counter on CPU; the median is reported. Device, clocks and versions are recorded.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable

from kernels.errors import InputError

TORCH_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "fp8": "float8_e4m3fn"}


def _torch():
    import torch  # noqa: PLC0415 - torch is optional and heavy; only the benchmarks need it

    return torch


def parse_device(device: str) -> str:
    """Normalise "cpu", "cuda", "cuda:N"; InputError when the device is unknown or absent."""
    text = str(device).strip().lower()
    if text == "cpu":
        return text
    if text == "cuda" or (text.startswith("cuda:") and text[5:].isdigit()):
        torch = _torch()
        if not torch.cuda.is_available():
            raise InputError(f'--device: "{device}" requested but no CUDA GPU is available (torch {torch.__version__})')
        index = int(text[5:]) if ":" in text else 0
        if index >= torch.cuda.device_count():
            raise InputError(f"--device: {device} does not exist ({torch.cuda.device_count()} CUDA devices)")
        return f"cuda:{index}"
    raise InputError(f'--device: must be cpu, cuda or cuda:N, got "{device}"')


class Timer:
    """Median time of a callable on one device, in milliseconds."""

    def __init__(self, device: str, warmup: int = 2, repeats: int = 7, budget_s: float = 0.25) -> None:
        self.torch = _torch()
        self.device = device
        self.cuda = device.startswith("cuda")
        self.warmup, self.repeats, self.budget_s = warmup, repeats, budget_s
        self._flush = None
        if self.cuda:
            props = self.torch.cuda.get_device_properties(device)
            l2 = int(getattr(props, "L2_cache_size", 0) or 64 * 2**20)
            # writing twice the L2 size evicts the operands of the previous repeat
            self._flush = self.torch.empty(2 * l2 // 4, dtype=self.torch.float32, device=device)

    def __call__(self, fn: Callable[[], object]) -> float:
        for _ in range(self.warmup):
            fn()
        if self.cuda:
            return self._cuda(fn)
        first = time.perf_counter()
        fn()
        times = [(time.perf_counter() - first) * 1e3]
        repeats = self._repeats(times[0])
        for _ in range(repeats - 1):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1e3)
        return statistics.median(times)

    def _repeats(self, first_ms: float) -> int:
        return max(3, min(self.repeats, int(self.budget_s * 1e3 / max(first_ms, 1e-3))))

    def _cuda(self, fn) -> float:
        torch = self.torch
        times: list[float] = []
        repeats = self.repeats
        for i in range(repeats):
            self._flush.zero_()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
            if i == 0:
                repeats = self._repeats(times[0])
            if len(times) >= repeats:
                break
        return statistics.median(times)


def device_info(device: str) -> dict:
    """What was measured with what: device name, memory, clocks, versions, date."""
    torch = _torch()
    info = {"device": device, "torch": torch.__version__, "python": platform.python_version(),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    if device.startswith("cuda"):
        props = torch.cuda.get_device_properties(device)
        info.update(name=props.name, memory_gb=round(props.total_memory / 1e9, 2), cuda=torch.version.cuda,
                    capability=f"{props.major}.{props.minor}", sms=props.multi_processor_count,
                    l2_mb=round(getattr(props, "L2_cache_size", 0) / 2**20, 1))
        info["clocks"] = _nvidia_smi(int(device.split(":")[1]))
    else:
        info.update(name=_cpu_name(), threads=torch.get_num_threads(), cpus=os.cpu_count(),
                    memory_gb=round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 2),
                    machine=platform.machine())
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "CPU"


def _nvidia_smi(index: int) -> dict:
    query = "driver_version,clocks.sm,clocks.mem,clocks.max.sm,power.limit,temperature.gpu"
    try:
        out = subprocess.run(["nvidia-smi", f"--id={index}", f"--query-gpu={query}", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {}
    return dict(zip(query.split(","), (v.strip() for v in out.split(","))))


def supported_dtypes(device: str) -> list[str]:
    """GEMM dtypes worth measuring: fp32 everywhere, 16-bit on GPUs (and CPUs), fp8 on SM89+."""
    torch = _torch()
    if not device.startswith("cuda"):
        return ["fp32", "bf16"]
    major, minor = torch.cuda.get_device_capability(device)
    dtypes = ["bf16", "fp16", "fp32"] if major >= 8 else ["fp16", "fp32"]
    if (major, minor) >= (8, 9) and hasattr(torch, "_scaled_mm"):
        dtypes.append("fp8")
    return dtypes


_POOLS: dict[tuple[str, str, int], object] = {}


def random_tensor(device: str, dtype: str, *shape: int, slot: int = 0):
    """A tensor of random values viewed from a per-(device, dtype, slot) pool that only grows.

    Filling fresh random tensors for every benchmark point would take longer than timing them
    (about 50 ms per 4 M elements on a CPU core); the values do not affect dense kernel times.
    """
    torch = _torch()
    numel = 1
    for dim in shape:
        numel *= dim
    key = (device, dtype, slot)
    pool = _POOLS.get(key)
    if pool is None or pool.numel() < numel:
        _POOLS.pop(key, None)
        tdt = getattr(torch, TORCH_DTYPES["fp32" if dtype == "fp8" else dtype])
        pool = _POOLS[key] = torch.randn(max(numel, 1 << 16), device=device).to(tdt)
    view = pool[:numel].view(*shape)
    return view.to(torch.float8_e4m3fn) if dtype == "fp8" else view


def clear_pools() -> None:
    _POOLS.clear()


def gemm_fn(device: str, m: int, n: int, k: int, dtype: str):
    """Y = X @ W^T like a linear layer. fp8 uses torch._scaled_mm with per-tensor scales; it needs
    dimensions divisible by 16, so rows are padded up to the next multiple of 16 (as kernels do)."""
    torch = _torch()
    if dtype == "fp8":
        rows = max(16, -(-m // 16) * 16)
        x = random_tensor(device, "fp8", rows, k, slot=0)
        w = random_tensor(device, "fp8", n, k, slot=1)
        one = torch.ones((), device=device)
        return lambda: torch._scaled_mm(x, w.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    x = random_tensor(device, dtype, m, k, slot=0)
    w = random_tensor(device, dtype, n, k, slot=1)
    return lambda: torch.nn.functional.linear(x, w)


def prefill_fn(device: str, tokens: int, batch: int, heads: int, kv_heads: int, head_dim: int, dtype: str):
    """Causal scaled_dot_product_attention, no prior KV. GQA K/V are expanded to all query heads
    before timing, so that the flash / memory-efficient backends run (prefill is compute bound)."""
    torch = _torch()
    q = random_tensor(device, dtype, batch, heads, tokens, head_dim, slot=0)
    k = random_tensor(device, dtype, batch, kv_heads, tokens, head_dim, slot=1)
    v = random_tensor(device, dtype, batch, kv_heads, tokens, head_dim, slot=2)
    if kv_heads != heads:
        k, v = (t.repeat_interleave(heads // kv_heads, dim=1) for t in (k, v))
    sdpa = torch.nn.functional.scaled_dot_product_attention
    return lambda: sdpa(q, k, v, is_causal=True)


def decode_fn(device: str, batch: int, kv_len: int, heads: int, kv_heads: int, head_dim: int, dtype: str):
    """One query token per sequence against kv_len cached keys/values. The query heads of a KV
    group are packed as rows of one query block (as FlashDecoding does), so K/V are read once."""
    torch = _torch()
    q = random_tensor(device, dtype, batch, kv_heads, heads // kv_heads, head_dim, slot=0)
    k = random_tensor(device, dtype, batch, kv_heads, kv_len, head_dim, slot=1)
    v = random_tensor(device, dtype, batch, kv_heads, kv_len, head_dim, slot=2)
    sdpa = torch.nn.functional.scaled_dot_product_attention
    return lambda: sdpa(q, k, v)


def memcpy_fn(device: str, nbytes: int):
    torch = _torch()
    src = torch.empty(max(int(nbytes) // 4, 1), dtype=torch.float32, device=device).fill_(1.0)
    dst = torch.empty_like(src)
    return lambda: dst.copy_(src)


def launch_fn(device: str):
    """The cheapest kernel: adding to a one-element tensor (measures per-launch overhead)."""
    torch = _torch()
    x = torch.zeros(1, device=device)
    return lambda: x.add_(1.0)


def step_fn(device: str):
    """Fixed per-forward work outside the modelled kernels at one token: a tiny linear + softmax + argmax."""
    torch = _torch()
    x = torch.randn(1, 64, device=device)
    w = torch.randn(64, 64, device=device)
    return lambda: torch.argmax(torch.softmax(torch.nn.functional.linear(x, w), dim=-1), dim=-1)


def allreduce_fn(nbytes: int, n_gpus: int):
    """NCCL all-reduce of an fp16 buffer across the first n_gpus visible GPUs (single process)."""
    torch = _torch()
    from torch.cuda import nccl  # noqa: PLC0415

    bufs = [torch.ones(max(int(nbytes) // 2, 1), dtype=torch.float16, device=f"cuda:{i}") for i in range(n_gpus)]

    def run():
        nccl.all_reduce(bufs)
        for i in range(n_gpus):
            torch.cuda.synchronize(i)

    return run


def release_memory(device: str) -> None:
    """Return cached blocks after an out-of-memory so that the next shape can run."""
    torch = _torch()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


def set_threads(threads: int) -> None:
    """CPU threads for torch ops (intra-op); fewer threads are steadier on a shared machine."""
    _torch().set_num_threads(threads)


def cuda_device_count() -> int:
    torch = _torch()
    return torch.cuda.device_count() if torch.cuda.is_available() else 0

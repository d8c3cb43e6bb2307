"""Which weight and KV-cache precisions each GPU runs natively, which an engine emulates, which it refuses.

A design that asks for a precision the GPU cannot run is an error (``validate`` exit 1, ``run`` exit 2, one
line with the reason). One the engines run through a weight-only fallback (e.g. FP8 weights on Ampere
through the Marlin W8A16 kernels: weights stored in 8 bits, matmuls in 16 bits) is allowed with a warning,
and the step timer charges it as a 16-bit matmul (the emulation cost: no 8-bit tensor-core speed-up).

Sources (read 2026-12-06):
* vLLM: "Supported Hardware for Quantization Kernels",
  https://docs.vllm.ai/en/latest/features/quantization/supported_hardware.html — FP8 W8A8 on Ada, Hopper,
  Blackwell and AMD Instinct; FP8 weight-only (Marlin W8A16) on Ampere; INT8 W8A8 from Turing; NVFP4 native
  on Blackwell, weight-only (Marlin) from Ampere; nothing of these on Volta.
* vLLM: bfloat16 needs compute capability ≥ 8.0 ("Bfloat16 is only supported on GPUs with compute capability
  of at least 8.0", vllm/platforms/cuda.py check_if_supports_dtype).
* NVIDIA: CUDA GPUs compute capability, https://developer.nvidia.com/cuda-gpus — V100 7.0, A100 8.0,
  A10G 8.6, L4/L40S/RTX 4090 8.9, H100/H200 9.0, B200 10.0, RTX PRO 6000 Blackwell 12.0.
* AMD: Instinct MI300X data sheet (CDNA 3): FP8, BF16, INT8 matrix cores; FP4/FP6 arrive with CDNA 4 (MI355X).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.errors import DesignError

NATIVE, EMULATED = "native", "emulated"


@dataclass(frozen=True)
class GPUArch:
    arch: str
    capability: str               # CUDA compute capability, or the AMD ISA
    support: dict[str, str]       # dtype -> native | emulated (absent: refused)
    refused_why: dict[str, str]   # dtype -> the reason


_VOLTA_REFUSED = {
    "bf16": "bfloat16 needs compute capability ≥ 8.0 (Ampere); Volta has none: use fp16",
    "fp8": "FP8 needs Ada/Hopper tensor cores (W8A8) or Ampere's Marlin weight-only kernels; Volta has neither",
    "fp4": "FP4 needs Blackwell tensor cores (or Ampere+ weight-only kernels); Volta has neither",
    "int8": "INT8 W8A8 kernels need INT8 tensor cores (Turing, compute capability ≥ 7.5); Volta has none",
}
_AMPERE = {"fp16": NATIVE, "bf16": NATIVE, "int8": NATIVE, "int4": NATIVE, "fp8": EMULATED, "fp4": EMULATED}
_ADA_HOPPER = {"fp16": NATIVE, "bf16": NATIVE, "int8": NATIVE, "int4": NATIVE, "fp8": NATIVE, "fp4": EMULATED}
_BLACKWELL = {"fp16": NATIVE, "bf16": NATIVE, "int8": NATIVE, "int4": NATIVE, "fp8": NATIVE, "fp4": NATIVE}
_CDNA3 = {"fp16": NATIVE, "bf16": NATIVE, "int8": NATIVE, "int4": NATIVE, "fp8": NATIVE}

ARCHS: dict[str, GPUArch] = {
    "v100-32gb": GPUArch("Volta", "7.0", {"fp16": NATIVE, "int4": NATIVE}, _VOLTA_REFUSED),
    "a100-80gb": GPUArch("Ampere", "8.0", _AMPERE, {}),
    "a100-40gb": GPUArch("Ampere", "8.0", _AMPERE, {}),
    "a10g": GPUArch("Ampere", "8.6", _AMPERE, {}),
    "l4": GPUArch("Ada", "8.9", _ADA_HOPPER, {}),
    "l40s": GPUArch("Ada", "8.9", _ADA_HOPPER, {}),
    "rtx-4090": GPUArch("Ada", "8.9", _ADA_HOPPER, {}),
    "h100-sxm": GPUArch("Hopper", "9.0", _ADA_HOPPER, {}),
    "h100-pcie": GPUArch("Hopper", "9.0", _ADA_HOPPER, {}),
    "h200-sxm": GPUArch("Hopper", "9.0", _ADA_HOPPER, {}),
    "b200": GPUArch("Blackwell", "10.0", _BLACKWELL, {}),
    "rtx-pro-6000": GPUArch("Blackwell", "12.0", _BLACKWELL, {}),
    "mi300x": GPUArch("CDNA 3", "gfx942", _CDNA3,
                      {"fp4": "FP4 matrix cores arrive with CDNA 4 (MI355X); MI300X (CDNA 3) has FP8/BF16/INT8 only"}),
}

EMULATION_NOTE = {
    "fp8": "FP8 weights run weight-only (Marlin W8A16): stored in 8 bits, multiplied in 16 bits",
    "fp4": "FP4 weights run weight-only (Marlin W4A16): stored in 4 bits, multiplied in 16 bits",
}


def support(gpu_id: str, dtype: str) -> str:
    """native, emulated, or refused ("" when the GPU is unknown to the matrix: no opinion)."""
    a = ARCHS.get(gpu_id)
    if a is None:
        return NATIVE
    return a.support.get(dtype, "refused" if dtype != "fp16" else NATIVE)


def check(gpu_id: str, dtype: str, kv_dtype: str, path: str) -> str:
    """Raise DesignError for a precision the GPU cannot run; return a warning for an emulated one (else "")."""
    a = ARCHS.get(gpu_id)
    if a is None:
        return ""
    for what, value, field in (("weights", dtype, "dtype"), ("KV cache", kv_dtype, "kv_dtype")):
        kind = a.support.get(value, NATIVE if value == "fp16" else "refused")
        if kind == "refused" and not (field == "kv_dtype" and value == "fp8" and a.arch == "Ampere"):
            why = a.refused_why.get(value, f"{value} is not supported on {a.arch}")
            raise DesignError(f"{value} {what} cannot run on {gpu_id} ({a.arch}, compute capability "
                              f"{a.capability}): {why}", f"{path}.{field}")
    if a.support.get(dtype) == EMULATED:
        return f"{dtype} on {gpu_id} ({a.arch}) is emulated: {EMULATION_NOTE.get(dtype, '')}; " \
               f"matmuls are charged at 16-bit speed"
    return ""


def compute_dtype(gpu_id: str, dtype: str) -> str:
    """The dtype the matmuls run in: the weights' own, or bf16/fp16 for a weight-only emulation."""
    if support(gpu_id, dtype) == EMULATED:
        return "fp16" if support(gpu_id, "bf16") != NATIVE else "bf16"
    return dtype

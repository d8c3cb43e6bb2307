"""Kernel latency models: GPU catalog, hardware profiles, microbenchmarks and calibration.

Layering: ``kernels`` imports neither ``simulation`` nor ``designer``; only ``kernels.bench``
imports torch, lazily. ``kernels.perf`` needs numpy only.
"""

from kernels.errors import InputError

__all__ = ["InputError"]

"""Workloads: the functions older callers use, over the declarations in ``simulation.arrivals``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from simulation.arrivals import (
    ARRIVALS,
    DEFAULT_ARRIVAL,
    WORKLOAD_DEFAULTS,
    WORKLOAD_KEYS,
    Arrival,
    DiurnalShape,
    RequestClass,
    Workload,
    arrival_of,
    parse_arrival,
    parse_workload,
)
from simulation.traces import MAX_TRACE_ROWS, read_trace

__all__ = ["ARRIVALS", "DEFAULT_INPUT", "DEFAULT_OUTPUT", "MAX_TRACE_ROWS", "PROCESSES", "WORKLOAD_KEYS",
           "RequestClass", "Workload", "diurnal_shape", "mean_rate", "open_arrivals", "peak_rate", "peak_to_mean", "read_trace",
           "request_classes", "validate_arrival", "validate_workload", "workload_of"]

PROCESSES = tuple(ARRIVALS)
DEFAULT_INPUT = WORKLOAD_DEFAULTS["input_tokens"]
DEFAULT_OUTPUT = WORKLOAD_DEFAULTS["output_tokens"]


def validate_workload(w: Any, path: str = "workload", base_dir: Path | None = None) -> None:
    parse_workload(w, path, base_dir)


def validate_arrival(a: Any, path: str, base_dir: Path | None) -> None:
    parse_arrival(a, path, base_dir)


def workload_of(workload: dict[str, Any], base_dir: Path | None = None) -> Workload:
    """The declared workload of a dict the loader accepted (``workload_of(d).peak_to_mean`` ...)."""
    return parse_workload(workload or {}, "workload", base_dir)


def mean_rate(workload: dict[str, Any]) -> float | None:
    """Mean arrival rate (requests/s) for open processes; None for closed loops."""
    return arrival_of(workload).mean_rate()


def peak_to_mean(workload: dict[str, Any]) -> float:
    """Peak-hour rate over the mean rate: the workload's ``peak_to_mean``, else a diurnal arrival's, else 2."""
    return workload_of(workload).peak_to_mean


def peak_rate(workload: dict[str, Any]) -> float | None:
    """The rate to size for at peak (the workload's peak_to_mean, or a diurnal shape's own peak)."""
    return workload_of(workload).peak_rate()


def request_classes(workload: dict[str, Any], base_dir: Path | None = None) -> list[RequestClass]:
    return workload_of(workload, base_dir).classes


def diurnal_shape(t_s: float, peak_to_mean: float, peak_hour: float = 14.0) -> float:
    """Rate multiplier at time t: a 24-hour cosine with mean 1 and max ``peak_to_mean``."""
    return DiurnalShape(peak_to_mean, peak_hour)(t_s)


def open_arrivals(workload: dict[str, Any], rng: np.random.Generator, horizon_s: float,
                  base_dir: Path | None = None) -> Iterator[Arrival]:
    """Yield (absolute time, input tokens or None, output tokens or None) for an open process."""
    a = (workload or {}).get("arrival") or DEFAULT_ARRIVAL
    return parse_arrival(a, "workload.arrival", base_dir).times(rng, horizon_s, base_dir)

"""One call to simulate a design: load, override, run, review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulation.analysis.review import review_design
from simulation.design import Design
from simulation.engine.core import Simulation
from simulation.loader import load_with_overrides
from simulation.metrics import RunResult

__all__ = ["load_with_overrides", "run_design"]


def run_design(design: Design, seed: int | None = None, duration_s: float | None = None,
               progress: Callable[[float, float], None] | None = None, cancel_check: Any = None,
               with_review: bool = True) -> RunResult:
    sim = Simulation(design, seed=seed, duration_s=duration_s, progress=progress)
    if cancel_check is not None:
        cancel_check(sim)
    result = sim.run()
    if with_review:
        result.review = review_design(design, result)
    return result

"""One call to simulate a design: load, override, run, review."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulation.design import Design
from simulation.engine.core import Simulation
from simulation.loader import design_to_dict, load_design
from simulation.metrics import RunResult
from simulation.overrides import with_overrides


def load_with_overrides(path: str | Path, assignments: list[str] | None = None) -> Design:
    design = load_design(path)
    if assignments:
        base = design.base_dir
        data = with_overrides(design_to_dict(design), assignments)
        design = load_design(data, base_dir=Path(base) if base else None)
        design.base_dir = base
    return design


def run_design(design: Design, seed: int | None = None, duration_s: float | None = None,
               progress: Callable[[float, float], None] | None = None, cancel_check: Any = None,
               with_review: bool = True) -> RunResult:
    sim = Simulation(design, seed=seed, duration_s=duration_s, progress=progress)
    if cancel_check is not None:
        cancel_check(sim)
    result = sim.run()
    if with_review:
        from simulation.analysis.review import review_design

        result.review = review_design(design, result)
    return result

"""Design review: structural problems plus red flags found from the design and, if given, a run."""

from __future__ import annotations

from typing import Any

from simulation.analysis.structure import structural_issues
from simulation.design import Design


def review_design(design: Design, result: Any = None) -> list[dict[str, Any]]:
    return structural_issues(design)

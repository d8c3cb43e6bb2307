"""One validation path: everything ``run`` checks before its first event, as findings ``validate`` reports.

Building the simulation builds every node's runtime (memory plans, parallelism, kernel profiles, files),
the same code ``run`` executes; a design it refuses here is a design ``run`` would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulation.design import Design
from simulation.errors import DesignError


def runtime_issues(design: Design, found: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """A ``cannot-run`` error when building the simulation fails, unless ``found`` already says the same."""
    from simulation.engine.core import Simulation

    try:
        Simulation(design, record_hops=False)
    except DesignError as exc:
        text = str(exc)
        if any(i["severity"] == "error" and i["message"] and i["message"] in text for i in found):
            return []  # a review rule already reported it in its own words
        node = None
        for n in design.nodes:
            if exc.path.startswith((f"nodes.{n.id}.", f"nodes.{n.id}:")) or exc.path == f"nodes.{n.id}":
                node = n.id
        return [{"severity": "error", "rule": "cannot-run", "node": node,
                 "message": f"run would refuse this design: {exc}", "why": "the simulation cannot be built",
                 "fix": "correct the value named in the message"}]
    return []

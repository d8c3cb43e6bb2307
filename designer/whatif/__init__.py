"""What-if analysis in the designer: sweep dialog (CI bands, Pareto scatter) and capacity search.

``install_whatif_ui(window)`` adds the actions to the window's "&Run" menu. Results are stored in
``window.design.extra["sweeps"]`` (shape: ``simulation.analysis.sweep`` docstring) through an undoable
command, so they are saved with the design and the report's trade-off section can use them.
"""

from __future__ import annotations

from typing import Any


def install_whatif_ui(window: Any) -> Any:
    """Add "What-if sweep…" and "Capacity…" to the Run menu of ``window``; returns the WhatIfActions."""
    from designer.whatif.actions import WhatIfActions

    actions = WhatIfActions(window)
    window.whatif = actions
    return actions


__all__ = ["install_whatif_ui"]

"""What-if analysis in the designer: sweep dialog (CI bands, Pareto scatter) and capacity search.

``WhatIfActions(document, selected_node, parent)`` provides the Run-menu actions. A result is kept in
``design.extra["sweeps"]`` (shape: ``simulation.analysis.sweep`` docstring) only when the user presses
"Keep in design", through an undoable command, so it is saved with the design for the report's trade-offs.
"""

from designer.whatif.actions import WhatIfActions

__all__ = ["WhatIfActions"]

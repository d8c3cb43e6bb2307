"""Running simulations from the designer: run panel, worker process, compare, chaos and calibration.

Import stays light (no Qt) so the spawned worker process can import ``designer.runs.worker`` cheaply.
"""

from __future__ import annotations

from typing import Any


def install_run_ui(window: Any) -> Any:
    """Add the Run menu, run/results docks and canvas overlays to a main window; returns the RunSession."""
    from designer.runs.session import RunSession

    session = RunSession(window)
    window.run_session = session
    return session


__all__ = ["install_run_ui"]

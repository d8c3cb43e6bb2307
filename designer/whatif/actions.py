"""The what-if actions of one document: sweep and capacity dialogs, keeping a result in the design (only when
the user asks), and handing a chosen sweep point back as a design file to open."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from designer.commands import SetExtraCommand
from designer.document import DesignDocument
from simulation.design import Design

SWEEPS_KEY = "sweeps"


def keep_command(design: Design, entry: dict[str, Any]) -> tuple[SetExtraCommand, dict[str, Any]]:
    """The undoable edit that appends ``entry`` to the design's kept sweeps, and the entry as stored (with
    its id). The list is built on a scratch copy, so the design only changes through the model's event."""
    from simulation.analysis.sweep import store_result

    scratch = Design(extra={SWEEPS_KEY: copy.deepcopy(design.extra.get(SWEEPS_KEY) or [])})
    stored = store_result(scratch, dict(entry))
    command = SetExtraCommand(design, SWEEPS_KEY, scratch.extra[SWEEPS_KEY], f"Keep {entry.get('kind', 'sweep')} "
                              "results")
    return command, stored


class WhatIfActions(QObject):
    """``open_requested(design)``: the user picked a sweep point to open as an untitled design (a new window);
    ``message(text)``: a line for the status bar."""

    open_requested = Signal(object)
    message = Signal(str)

    def __init__(self, document: DesignDocument, selected_node: Callable[[], str | None], parent: QWidget) -> None:
        super().__init__(parent)
        self.document = document
        self.selected_node = selected_node
        self.host = parent
        self.sweep_action = QAction("What-if &sweep…", parent)
        self.sweep_action.setObjectName("whatif_sweep")
        self.sweep_action.setShortcut(QKeySequence("Ctrl+Shift+W"))
        self.sweep_action.setStatusTip("Simulate a grid of parameter values with replications and confidence "
                                       "intervals; plot the metrics and the cost–latency Pareto front")
        self.sweep_action.triggered.connect(self.open_sweep)
        self.capacity_action = QAction("&Capacity: highest load under the SLOs…", parent)
        self.capacity_action.setObjectName("whatif_capacity")
        self.capacity_action.setStatusTip("Search the highest arrival rate that still meets every SLO, "
                                          "and the bottleneck node")
        self.capacity_action.triggered.connect(self.open_capacity)
        self.dialog: Any = None

    def menu_groups(self) -> list[list[QAction]]:
        return [[self.sweep_action, self.capacity_action]]

    # -- dialogs ------------------------------------------------------------------------------------
    def open_sweep(self) -> Any:
        from designer.whatif.sweep_dialog import SweepDialog

        self.dialog = SweepDialog(self, self.host)
        self.dialog.show()
        return self.dialog

    def open_capacity(self) -> Any:
        from designer.whatif.capacity_dialog import CapacityDialog

        self.dialog = CapacityDialog(self, self.host)
        self.dialog.show()
        return self.dialog

    # -- services for the dialogs -----------------------------------------------------------------
    def design_snapshot(self) -> tuple[dict[str, Any], str | None]:
        return self.document.snapshot()

    def store(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Keep a result in the design (the user pressed "Keep in design"): an undoable edit."""
        command, stored = keep_command(self.document.design, entry)
        self.document.push(command)
        return stored

    def open_design(self, data: dict[str, Any], title: str) -> Design:
        """Ask for design dict ``data`` to be opened as an untitled design in a new window; returns it."""
        from simulation.loader import load_design

        design = load_design(data)
        design.name = f"{design.name} — {title}"[:200]
        design.base_dir = self.document.base_dir  # its trace files are the original's
        self.open_requested.emit(design)
        self.message.emit(f"Opened {title} in a new window")
        return design

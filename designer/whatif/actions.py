"""The what-if actions of one main window: menu entries, storing results, opening a chosen design."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand
from PySide6.QtWidgets import QMainWindow, QMenu

SWEEPS_KEY = "sweeps"


def run_menu(window: QMainWindow) -> QMenu:
    """The window's "&Run" menu (created when the window has none)."""
    menu = getattr(window, "run_menu", None)
    if isinstance(menu, QMenu):
        return menu
    for action in window.menuBar().actions():
        sub = action.menu()
        if sub is not None and action.text().replace("&", "") == "Run":
            return sub
    return window.menuBar().addMenu("&Run")


class StoreSweepCommand(QUndoCommand):
    """Append one result to ``design.extra["sweeps"]``: undoable, so the window counts it as a change."""

    def __init__(self, design: Any, entry: dict[str, Any]) -> None:
        super().__init__(f"Keep {entry.get('kind', 'sweep')} results")
        self.design = design
        self.entry = entry
        self.old = list(design.extra.get(SWEEPS_KEY) or [])
        self.stored: dict[str, Any] | None = None

    def redo(self) -> None:
        from simulation.analysis.sweep import store_result

        self.design.extra[SWEEPS_KEY] = list(self.old)
        self.stored = store_result(self.design, dict(self.entry))

    def undo(self) -> None:
        if self.old:
            self.design.extra[SWEEPS_KEY] = list(self.old)
        else:
            self.design.extra.pop(SWEEPS_KEY, None)


class WhatIfActions(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.opened: list[Any] = []  # windows opened from a Pareto point (kept alive)
        menu = run_menu(window)
        menu.addSeparator()
        self.sweep_action = QAction("What-if &sweep…", window)
        self.sweep_action.setShortcut(QKeySequence("Ctrl+Shift+W"))
        self.sweep_action.setStatusTip("Simulate a grid of parameter values with replications and confidence "
                                       "intervals; plot the metrics and the cost–latency Pareto front")
        self.sweep_action.triggered.connect(self.open_sweep)
        self.capacity_action = QAction("&Capacity: highest load under the SLOs…", window)
        self.capacity_action.setStatusTip("Search the highest arrival rate that still meets every SLO, "
                                          "and the bottleneck node")
        self.capacity_action.triggered.connect(self.open_capacity)
        menu.addAction(self.sweep_action)
        menu.addAction(self.capacity_action)
        self.dialog: Any = None

    # -- dialogs ------------------------------------------------------------------------------------
    def open_sweep(self) -> Any:
        from designer.whatif.sweep_dialog import SweepDialog

        self.dialog = SweepDialog(self.window, self)
        self.dialog.show()
        return self.dialog

    def open_capacity(self) -> Any:
        from designer.whatif.capacity_dialog import CapacityDialog

        self.dialog = CapacityDialog(self.window, self)
        self.dialog.show()
        return self.dialog

    # -- services for the dialogs -----------------------------------------------------------------
    def design_snapshot(self) -> tuple[dict[str, Any], str | None]:
        from simulation.loader import design_to_dict

        design = self.window.design  # type: ignore[attr-defined]
        return design_to_dict(design), design.extra.get("_base_dir")

    def selected_node(self) -> str | None:
        scene = getattr(self.window, "scene", None)
        if scene is None:
            return None
        for item in scene.selectedItems():
            node_id = getattr(item, "node_id", None) or getattr(getattr(item, "node", None), "id", None)
            if node_id:
                return str(node_id)
        return None

    def store(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        command = StoreSweepCommand(self.window.design, entry)  # type: ignore[attr-defined]
        stack = getattr(self.window, "undo_stack", None)
        if stack is not None:
            stack.push(command)
        else:
            command.redo()
            self.window.setWindowModified(True)
        return command.stored

    def open_design(self, data: dict[str, Any], title: str) -> str:
        """Open a design dict in a new main window (via a temporary file); returns the file path."""
        from simulation.loader import load_design, save_design

        design = load_design(data)
        design.name = f"{design.name} — {title}"[:200]
        fd, path = tempfile.mkstemp(prefix="whatif-", suffix=".genai.json")
        os.close(fd)
        save_design(design, path)
        try:
            from designer.mainwindow import MainWindow
        except ImportError:  # pragma: no cover - the designer ships its main window
            self.window.statusBar().showMessage(f"Saved the chosen design to {path}", 10000)
            return path
        win = MainWindow(path)
        win.show()
        self.opened.append(win)
        self.window.statusBar().showMessage(f"Opened {title} in a new window ({Path(path).name})", 8000)
        return path

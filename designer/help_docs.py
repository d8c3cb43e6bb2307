"""Help ▸ Documentation: opens the documentation site — the local ``make docs`` build or the packaged copy.

Kept apart from the main window: ``add_documentation_action`` is the whole hook.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

DOCS_ENV = "GENAI_SIM_DOCS"  # a folder holding index.html, or the index file itself
BUILD_HINT = ("The documentation has not been built on this machine. In the genai-sim source folder run\n\n"
              "    make docs\n\nwhich writes it to build/docs/index.html, then choose Help ▸ Documentation again.")


def documentation_candidates() -> list[Path]:
    """Where the site may be, most specific first: the override, a source checkout's build, the packaged copy."""
    out: list[Path] = []
    override = os.environ.get(DOCS_ENV)
    if override:
        path = Path(override)
        out.append(path if path.suffix == ".html" else path / "index.html")
    out.append(Path(__file__).resolve().parents[1] / "build" / "docs" / "index.html")
    if getattr(sys, "frozen", False):  # PyInstaller one-folder build: packaging/build.sh copies the site here
        out.append(Path(sys.executable).resolve().parent / "share" / "doc" / "genai-sim" / "index.html")
    return out


def documentation_index() -> Path | None:
    return next((p for p in documentation_candidates() if p.is_file()), None)


def open_documentation(parent: QWidget | None = None) -> bool:
    """Open the site in the system browser; without a build, say how to make one. True when a page was opened."""
    index = documentation_index()
    if index is None:
        QMessageBox.information(parent, "Documentation", BUILD_HINT)
        return False
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(index))):
        QMessageBox.warning(parent, "Documentation", f"Could not open a browser. The documentation is at\n{index}")
        return False
    return True


def add_documentation_action(window: QWidget, menu: QMenu) -> QAction:
    """Put Help ▸ Documentation first in ``menu``."""
    action = QAction("&Documentation", window)
    action.setObjectName("action_documentation")
    action.setStatusTip("Open the user guide, tutorials and reference (the local build of `make docs`)")
    action.triggered.connect(lambda: open_documentation(window))
    first = menu.actions()[0] if menu.actions() else None
    menu.insertAction(first, action)
    if first is not None:
        menu.insertSeparator(first)
    return action

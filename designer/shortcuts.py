"""The one keyboard-shortcut table of the designer.

Every action that has keys takes them from here, as portable strings rather than QKeySequence.StandardKey:
a standard key expands differently per platform (on X11 ``Redo`` already means Ctrl+Shift+Z, so adding
Ctrl+Shift+Z again bound it twice and Qt refused it as an "ambiguous shortcut overload"). ``clashes``
finds a key given to two actions; a test keeps the table free of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction, QKeySequence

# name -> key sequences (first one is shown in menus). Names match the QAction object names.
SHORTCUTS: dict[str, tuple[str, ...]] = {
    # File
    "new": ("Ctrl+N",),
    "new_template": ("Ctrl+Shift+N",),
    "open": ("Ctrl+O",),
    "save": ("Ctrl+S",),
    "save_as": ("Ctrl+Shift+S",),
    "export": ("Ctrl+E",),
    "quit": ("Ctrl+Q",),
    # Edit
    "undo": ("Ctrl+Z",),
    "redo": ("Ctrl+Y", "Ctrl+Shift+Z"),
    "cut": ("Ctrl+X",),
    "copy": ("Ctrl+C",),
    "paste": ("Ctrl+V",),
    "duplicate": ("Ctrl+D",),
    "delete": ("Del", "Backspace"),
    "select_all": ("Ctrl+A",),
    "rename": ("F2",),
    "auto_layout": ("Ctrl+L",),
    "group": ("Ctrl+Shift+G",),
    "ungroup": ("Ctrl+Shift+U",),
    "align_left": ("Alt+Shift+L",),
    "align_center": ("Alt+Shift+C",),
    "align_right": ("Alt+Shift+R",),
    "align_top": ("Alt+Shift+T",),
    "align_middle": ("Alt+Shift+M",),
    "align_bottom": ("Alt+Shift+B",),
    "distribute_h": ("Alt+Shift+H",),
    "distribute_v": ("Alt+Shift+V",),
    # View
    "zoom_in": ("Ctrl++", "Ctrl+="),
    "zoom_out": ("Ctrl+-",),
    "zoom_fit": ("Ctrl+0",),
    "zoom_reset": ("Ctrl+1",),
    "snap": ("Ctrl+G",),
    "dark_theme": ("Ctrl+Shift+D",),
    # Run and what-if (bound by designer/runs and designer/whatif; listed so clashes show up here)
    "run": ("F5",),
    "stop": ("Shift+F5",),
    "sweep": ("Ctrl+Shift+W",),
    # Help
    "shortcuts": ("F1",),
}

# Canvas keys handled by the view itself (not actions), for the shortcuts dialog.
CANVAS_KEYS: tuple[tuple[str, str], ...] = (
    ("Nudge selection", "Arrow keys (1 px); Shift+Arrow: one grid step"),
    ("Rename in place", "F2, or double-click a card"),
    ("Pan", "Middle drag, or Space + drag"),
    ("Zoom", "Mouse wheel"),
    ("Connect", "Drag from a node's right port onto another node"),
    ("Multi-select", "Ctrl+click, or drag a rubber band"),
    ("Context menu", "Right-click a node, an edge, a group or the canvas"),
    ("Cancel", "Esc"),
)


def sequences(name: str) -> list[QKeySequence]:
    return [QKeySequence(k) for k in SHORTCUTS.get(name, ())]


def apply(action: QAction, name: str | None = None) -> QAction:
    """Give ``action`` its keys from the table (by its object name unless ``name`` is given)."""
    keys = sequences(name or action.objectName())
    if keys:
        action.setShortcuts(keys)
    return action


def clashes(table: dict[str, Iterable[str]] | None = None) -> dict[str, list[str]]:
    """Key sequences given to more than one action name (compared in Qt's portable form)."""
    bound: dict[str, list[str]] = {}
    for name, keys in (SHORTCUTS if table is None else table).items():
        for key in keys:
            text = QKeySequence(key).toString(QKeySequence.SequenceFormat.PortableText)
            bound.setdefault(text, []).append(name)
    return {k: v for k, v in bound.items() if len(v) > 1}


def action_clashes(actions: Iterable[QAction]) -> dict[str, list[str]]:
    """The same check over live actions (what Qt would call an ambiguous overload)."""
    bound: dict[str, list[str]] = {}
    for action in actions:
        for key in action.shortcuts():
            if not key.isEmpty():
                bound.setdefault(key.toString(QKeySequence.SequenceFormat.PortableText), []).append(
                    action.objectName() or action.text())
    return {k: v for k, v in bound.items() if len(set(v)) != len(v) or len(v) > 1}

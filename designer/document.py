"""The designer's document: the one design being edited, its undo stack, its file and its folder.

Every designer feature (runs, what-if, autosave, calibration, report export) takes a ``DesignDocument``,
not the main window: it reads the design and the folder relative file names resolve against, pushes undo
commands, and follows ``replaced`` (another design now fills the document) instead of watching the window.

The ``Design`` object itself never changes identity: ``replace()`` copies the new content into it, so the
scene and inspector, which subscribe to its change events, rebuild on its ``reset`` event.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from simulation.design import Design
from simulation.loader import design_to_dict, load_design, save_design
from simulation.templates import TEMPLATES_DIR


def new_design() -> Design:
    """An empty design with a modest default workload (a Poisson stream and short warm-up)."""
    return Design(name="Untitled design",
                  workload={"arrival": {"process": "poisson", "rate_per_s": 1.0}, "duration_s": 600,
                            "warmup_s": 30, "seed": 1,
                            "input_tokens": {"dist": "fixed", "value": 500},
                            "output_tokens": {"dist": "fixed", "value": 200}})


def is_template(path: str | Path) -> bool:
    """True for a file inside the built-in templates folder (opened as an untitled copy, never saved back)."""
    try:
        return Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(TEMPLATES_DIR)))
    except (OSError, ValueError):
        return False


def _default_file_mode() -> int:
    """What ``open(…, "w")`` would give a new file: 0666 less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_design_file(design: Design, path: str | Path) -> Path:
    """Save ``design`` at ``path`` atomically, as editors do: through a symlink to its target (the link stays
    a link) and keeping the file's permission bits (a 0644 file stays 0644; a new file gets the umask's).

    ``save_design`` writes a temporary file and renames it over the target; the rename would replace a link
    and the temporary file is created 0600, hence the two steps around it. (Once the shared atomic writer in
    ``simulation/`` keeps the mode and follows links itself, this becomes a single call.)
    """
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = _default_file_mode()
    save_design(design, target)
    os.chmod(target, mode)
    return target


class DesignDocument(QObject):
    """One design being edited: ``design``, ``undo_stack``, ``path``, ``base_dir``, dirty state, ``replace()``.

    Signals: ``replaced()`` after another design filled the document (new, open, template, recovery);
    ``path_changed()`` when the file it belongs to changed (open, save as, untitled); ``dirty_changed(bool)``
    when it gains or loses unsaved changes; ``saved(str)`` after a save, with the path.
    """

    replaced = Signal()
    path_changed = Signal()
    dirty_changed = Signal(bool)
    saved = Signal(str)

    def __init__(self, design: Design | None = None, path: str | Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.design = design if design is not None else new_design()
        self.undo_stack = QUndoStack(self)
        self._path: str | None = os.path.abspath(path) if path else None
        self._base_dir: str | None = self.design.base_dir
        self.design.base_dir = self._base_dir
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    # -- state ----------------------------------------------------------------------------------------
    @property
    def path(self) -> str | None:
        """The file this design is saved to (as the user named it: a symlink stays the link); None: untitled."""
        return self._path

    @property
    def base_dir(self) -> str | None:
        """The folder relative file names in the design (traces, samples) resolve against; not saved."""
        return self._base_dir

    @property
    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def file_name(self) -> str:
        return Path(self._path).name if self._path else "untitled"

    def snapshot(self) -> tuple[dict[str, Any], str | None]:
        """A copy of the design as a file dict, with its base folder: what background work runs on."""
        return design_to_dict(self.design), self._base_dir

    # -- editing --------------------------------------------------------------------------------------
    def push(self, command: QUndoCommand) -> None:
        """Apply an undoable edit; it makes the document dirty (title, prompts and autosave follow)."""
        self.undo_stack.push(command)

    def mark_modified(self) -> None:
        """The content differs from the file although no undo step says so (recovered work)."""
        self.undo_stack.resetClean()

    def replace(self, design: Design, path: str | Path | None = None, base_dir: str | Path | None = None,
                modified: bool = False) -> None:
        """Fill the document with ``design`` (open, new, template, recovery); the undo history starts afresh."""
        folder = base_dir if base_dir is not None else design.base_dir
        self.design.replace_with(design)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._path = os.path.abspath(path) if path else None
        self._base_dir = str(folder) if folder else None
        self.design.base_dir = self._base_dir
        if modified:
            self.mark_modified()
        self.path_changed.emit()
        self.replaced.emit()

    # -- files ----------------------------------------------------------------------------------------
    def open(self, path: str | Path) -> bool:
        """Load ``path`` (``DesignError`` when it does not load). A built-in template opens as an untitled
        copy, so saving asks for a new file instead of writing into the installation. True: opened untitled."""
        design = load_design(path)
        if is_template(path):
            self.replace(design, None)
            return True
        self.replace(design, path)
        return False

    def save(self, path: str | Path | None = None) -> str:
        """Write the design to ``path`` (default: its own file) and make that its file; returns the path.
        ``OSError`` when it cannot be written; ``ValueError`` for an untitled document without ``path``."""
        where = path if path is not None else self._path
        if where is None:
            raise ValueError("an untitled design needs a file name")
        target = write_design_file(self.design, where)
        old = self._path
        self._path = os.path.abspath(where)
        self._base_dir = str(target.parent)
        self.design.base_dir = self._base_dir
        self.undo_stack.setClean()
        if self._path != old:
            self.path_changed.emit()
        self.saved.emit(self._path)
        return self._path

    def _clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)

"""Autosave and crash recovery: no lost work (issue 10 §1).

Every ``interval_s`` (60 s by default; ``GENAI_SIM_AUTOSAVE_S`` overrides) a document with unsaved changes
has its design written, atomically, to ``user_data_dir("genai-sim")/autosave/`` with a small
JSON sidecar (original path, time, owning process). A clean save, a discard-and-close or a normal exit
removes it; after a crash it stays, and the next start offers to recover it.

An ``Autosaver`` watches one ``DesignDocument``; the window calls ``close()`` on it once the user has saved or
discarded the work. At start-up the app asks ``offer_recovery`` and loads an accepted file with ``restore_into``.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from designer.document import DesignDocument
from simulation.design import Design
from simulation.loader import atomic_write_text, design_from_dict, dumps_design, read_json_file

DEFAULT_INTERVAL_S = 60.0
SIDECAR_FORMAT = "genai-sim.autosave"
SIDECAR_SUFFIX = ".autosave.json"
DESIGN_SUFFIX = ".genai.json"
_OWN_STEMS: set[str] = set()  # autosaves written by this process (a restarted container may reuse our pid)


def autosave_dir() -> Path:
    """Where autosaves live; ``GENAI_SIM_AUTOSAVE_DIR`` overrides (tests, portable installs)."""
    override = os.environ.get("GENAI_SIM_AUTOSAVE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("genai-sim")) / "autosave"


def _interval_s(interval_s: float | None) -> float:
    if interval_s is not None:
        return interval_s
    try:
        return max(1.0, float(os.environ.get("GENAI_SIM_AUTOSAVE_S", DEFAULT_INTERVAL_S)))
    except ValueError:
        return DEFAULT_INTERVAL_S


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False  # our own files are recognised by stem, so an equal pid is an earlier session's
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process
    return True


class Autosaver(QObject):
    """Periodic autosave of one document; removes its file once the work is saved or discarded.

    ``failed(message)`` says when a write did not work (a full disk): the window shows it.
    """

    failed = Signal(str)
    _count = 0

    def __init__(self, document: DesignDocument, interval_s: float | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else document)
        self.document = document
        Autosaver._count += 1
        slug = re.sub(r"[^A-Za-z0-9]+", "-", document.design.name).strip("-")[:40]
        self.stem = f"{slug or 'design'}-{os.getpid()}-{int(time.time())}-{Autosaver._count}"
        _OWN_STEMS.add(self.stem)
        self._last_text: str | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(int(_interval_s(interval_s) * 1000))
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        document.dirty_changed.connect(self._dirty_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.discard)  # a normal exit: the user already saved or discarded

    @property
    def design_path(self) -> Path:
        return autosave_dir() / f"{self.stem}{DESIGN_SUFFIX}"

    @property
    def sidecar_path(self) -> Path:
        return autosave_dir() / f"{self.stem}{SIDECAR_SUFFIX}"

    def tick(self) -> bool:
        """Write the autosave now if there is unsaved work; True when a file was written."""
        doc = self.document
        if not doc.is_dirty:
            return False
        text = dumps_design(doc.design)
        if text == self._last_text and self.design_path.exists():
            return False
        try:
            self.design_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.design_path, text, keep_backup=False)
            meta = {"format": SIDECAR_FORMAT, "version": 1, "original_path": doc.path, "base_dir": doc.base_dir,
                    "name": doc.design.name, "saved_at": time.time(), "pid": os.getpid()}
            atomic_write_text(self.sidecar_path, json.dumps(meta, indent=2) + "\n", keep_backup=False)
        except OSError as exc:
            self.failed.emit(f"Autosave failed: {exc.strerror or exc}")
            return False
        self._last_text = text
        return True

    def discard(self) -> None:
        """Remove this document's autosave (after a save, a discard or a normal close)."""
        self._last_text = None
        for p in (self.sidecar_path, self.design_path):
            try:
                p.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                pass  # read-only folder: the next start offers it; nothing is lost

    def close(self) -> None:
        """The document was closed (saved, or its changes discarded by the user): stop and clean up."""
        self.timer.stop()
        self.discard()

    def _dirty_changed(self, dirty: bool) -> None:
        if not dirty:
            self.discard()


@dataclass
class Recovery:
    design_path: Path
    sidecar_path: Path
    original_path: str | None
    name: str
    saved_at: float
    base_dir: str | None = None

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        where = self.original_path or "never saved"
        return f"“{self.name}” ({where}), autosaved {when}"

    def remove(self) -> None:
        for p in (self.sidecar_path, self.design_path):
            try:
                p.unlink()
            except OSError:
                pass


def pending_recoveries(folder: Path | None = None) -> list[Recovery]:
    """Autosaves left by sessions that are no longer running, newest first."""
    folder = folder or autosave_dir()
    if not folder.is_dir():
        return []
    out: list[Recovery] = []
    for sidecar in folder.glob(f"*{SIDECAR_SUFFIX}"):
        design = sidecar.with_name(sidecar.name[: -len(SIDECAR_SUFFIX)] + DESIGN_SUFFIX)
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if not isinstance(meta, dict) or meta.get("format") != SIDECAR_FORMAT or not design.is_file():
            continue
        if design.name[: -len(DESIGN_SUFFIX)] in _OWN_STEMS or _pid_alive(meta.get("pid")):
            continue  # a window of this or another running session still owns it
        original = meta.get("original_path")
        saved_at = meta.get("saved_at")
        base = meta.get("base_dir")
        out.append(Recovery(design, sidecar, original if isinstance(original, str) else None,
                            str(meta.get("name", design.stem))[:200],
                            float(saved_at) if isinstance(saved_at, (int, float)) else design.stat().st_mtime,
                            base if isinstance(base, str) else None))
    return sorted(out, key=lambda r: r.saved_at, reverse=True)


def offer_recovery(parent: QWidget | None = None) -> list[Path]:
    """Ask whether to recover the newest autosave left by a crash; returns the autosave files to open.

    Recover → ``[path]`` (open it with ``restore_into``); Discard → the autosave is deleted; Later → kept
    for the next start. Autosaves that do not load are never offered (and never deleted).
    """
    for rec in pending_recoveries():
        try:
            load_recovery(rec)
        except Exception:  # a damaged autosave is not worth a dialog; leave it for inspection
            continue
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Recover unsaved work")
        box.setText("genai-sim did not close normally. Recover the unsaved design?")
        box.setInformativeText(rec.describe())
        recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(recover)
        box.exec()
        if box.clickedButton() is recover:
            return [rec.design_path]
        if box.clickedButton() is discard:
            rec.remove()
        return []
    return []


def recovery_for(path: Path) -> Recovery | None:
    for rec in pending_recoveries(path.parent):
        if rec.design_path == path:
            return rec
    return None


def recovery_base_dir(rec: Recovery) -> str | None:
    """Where the recovered design's relative file names resolve: as when it was autosaved."""
    if rec.base_dir:
        return rec.base_dir
    return str(Path(rec.original_path).parent) if rec.original_path else None


def load_recovery(rec: Recovery) -> Design:
    """The autosaved design, with file names (traces) resolved where they were when it was autosaved."""
    base = recovery_base_dir(rec)
    design = design_from_dict(read_json_file(rec.design_path), base_dir=Path(base) if base else None)
    design.base_dir = base
    return design


def restore_into(document: DesignDocument, path: Path, autosaver: Autosaver | None = None) -> None:
    """Load an autosave into ``document`` as unsaved work on its original file, then retire the autosave."""
    rec = recovery_for(Path(path))
    if rec is None:
        raise FileNotFoundError(f"no pending recovery at {path}")
    design = load_recovery(rec)
    document.replace(design, rec.original_path, base_dir=recovery_base_dir(rec), modified=True)
    if autosaver is not None:
        autosaver.tick()  # this session's own autosave exists before the old one goes
    rec.remove()

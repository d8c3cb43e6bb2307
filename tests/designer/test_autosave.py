"""No lost work: atomic saves survive a kill mid-write, autosave runs while work is unsaved, and a crash
leaves an autosave that the next start recovers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtGui import QUndoCommand  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from designer import autosave  # noqa: E402
from designer.document import DesignDocument  # noqa: E402
from simulation.loader import design_to_dict, load_design, save_design  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "assets" / "templates" / "rag-pipeline.genai.json"


class Rename(QUndoCommand):
    def __init__(self, design, name: str) -> None:
        super().__init__(f"Rename to {name}")
        self.design, self.new, self.old = design, name, design.name

    def redo(self) -> None:
        self.design.name = self.new

    def undo(self) -> None:
        self.design.name = self.old


def document_for(path: Path | None = None) -> DesignDocument:
    """What autosave works on: a document (no window)."""
    return DesignDocument(load_design(path or TEMPLATE), path)


_SAVERS: list[autosave.Autosaver] = []


def install(doc: DesignDocument, interval_s: float | None = None) -> autosave.Autosaver:
    saver = autosave.Autosaver(doc, interval_s)
    _SAVERS.append(saver)  # stopped after the test: a live timer would write into the next test's folder
    return saver


@pytest.fixture(autouse=True)
def stop_savers():
    yield
    while _SAVERS:
        _SAVERS.pop().timer.stop()


@pytest.fixture(autouse=True)
def autosave_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "autosave"
    monkeypatch.setenv("GENAI_SIM_AUTOSAVE_DIR", str(folder))
    return folder


@pytest.fixture
def window(tmp_path) -> DesignDocument:
    path = tmp_path / "mine.genai.json"
    path.write_bytes(TEMPLATE.read_bytes())
    return document_for(path)


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*")) if folder.is_dir() else []


def test_nothing_is_written_while_the_work_is_saved(window, autosave_folder):
    saver = install(window, interval_s=3600)
    assert not saver.tick()
    assert _files(autosave_folder) == []


def test_unsaved_work_is_autosaved_with_a_sidecar(window, autosave_folder):
    saver = install(window, interval_s=3600)
    window.undo_stack.push(Rename(window.design, "Edited"))
    assert saver.tick()
    assert load_design(saver.design_path).name == "Edited"
    meta = json.loads(saver.sidecar_path.read_text())
    assert meta["original_path"] == window.path and meta["pid"] == os.getpid()
    assert meta["base_dir"] == window.base_dir == str(Path(window.path).parent)
    assert not saver.tick()  # unchanged since the last autosave: no rewrite


def test_the_timer_autosaves(qtbot, window):
    saver = install(window, interval_s=0.05)
    window.undo_stack.push(Rename(window.design, "Timed"))
    qtbot.waitUntil(saver.design_path.exists, timeout=3000)


def test_interval_defaults_to_a_minute_and_is_configurable(window, monkeypatch):
    assert install(window).timer.interval() == 60_000
    monkeypatch.setenv("GENAI_SIM_AUTOSAVE_S", "5")
    assert install(window).timer.interval() == 5_000


def test_clean_save_removes_the_autosave(window, autosave_folder):
    saver = install(window, interval_s=3600)
    window.undo_stack.push(Rename(window.design, "Edited"))
    saver.tick()
    window.save()
    assert _files(autosave_folder) == []


def test_closing_the_document_removes_the_autosave(window, autosave_folder):
    saver = install(window, interval_s=3600)
    window.undo_stack.push(Rename(window.design, "Discarded"))
    saver.tick()
    assert _files(autosave_folder)
    saver.close()  # the window asked first; here the user discarded the changes
    assert _files(autosave_folder) == [] and not saver.timer.isActive()


def test_a_running_sessions_autosave_is_not_offered(window, autosave_folder):
    saver = install(window, interval_s=3600)
    window.undo_stack.push(Rename(window.design, "Mine"))
    saver.tick()
    assert autosave.pending_recoveries() == []
    # another live process's autosave is not offered either
    meta = json.loads(saver.sidecar_path.read_text())
    (autosave_folder / f"other{autosave.SIDECAR_SUFFIX}").write_text(json.dumps({**meta, "pid": os.getppid()}))
    (autosave_folder / f"other{autosave.DESIGN_SUFFIX}").write_bytes(saver.design_path.read_bytes())
    assert autosave.pending_recoveries() == []


CRASHING_SESSION = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, sys.argv[1])
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from tests.designer.test_autosave import Rename, document_for, install
    from pathlib import Path
    w = document_for(Path(sys.argv[2]))
    saver = install(w, interval_s=3600)
    w.undo_stack.push(Rename(w.design, "Work from the crashed session"))
    w.design.nodes[-1].params["concurrency"] = 48
    saver.tick()
    os._exit(134)  # dies like a crash: no aboutToQuit, no close
""")


def _crash_a_session(path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", CRASHING_SESSION, str(REPO), str(path)], capture_output=True,
                          text=True, timeout=120, env=os.environ.copy())
    assert proc.returncode == 134, proc.stderr[-2000:]


def _answer(monkeypatch, button: str) -> None:
    def fake_exec(box: QMessageBox) -> int:
        next(b for b in box.buttons() if b.text() == button).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)


def test_crash_then_recovery_restores_the_autosave(qtbot, tmp_path, autosave_folder, monkeypatch):
    original = tmp_path / "mine.genai.json"
    original.write_bytes(TEMPLATE.read_bytes())
    _crash_a_session(original)
    pending = autosave.pending_recoveries()
    assert len(pending) == 1 and pending[0].original_path == str(original)
    assert original.read_bytes() == TEMPLATE.read_bytes()  # autosave never touches the user's file

    fresh = DesignDocument()
    saver = install(fresh, interval_s=3600)
    replaced = []
    fresh.replaced.connect(lambda: replaced.append(True))
    _answer(monkeypatch, "Recover")
    chosen = autosave.offer_recovery(None)
    assert chosen == [pending[0].design_path]
    autosave.restore_into(fresh, chosen[0], saver)
    assert replaced == [True]
    assert fresh.design.name == "Work from the crashed session"
    assert fresh.design.nodes[-1].params["concurrency"] == 48
    assert fresh.path == str(original) and fresh.is_dirty
    assert fresh.base_dir == str(original.parent) and "_base_dir" not in fresh.design.extra
    assert autosave.pending_recoveries() == []  # the old autosave is retired...
    assert saver.design_path.exists()  # ...after this session's own copy was written
    assert design_to_dict(load_design(saver.design_path)) == design_to_dict(fresh.design)


@pytest.mark.parametrize("button, remaining", [("Discard", 0), ("Later", 1)])
def test_discard_deletes_and_later_keeps(tmp_path, monkeypatch, qtbot, button, remaining):
    original = tmp_path / "mine.genai.json"
    original.write_bytes(TEMPLATE.read_bytes())
    _crash_a_session(original)
    _answer(monkeypatch, button)
    assert autosave.offer_recovery(None) == []
    assert len(autosave.pending_recoveries()) == remaining


def test_damaged_autosave_is_not_offered(autosave_folder, monkeypatch):
    autosave_folder.mkdir()
    (autosave_folder / f"x{autosave.DESIGN_SUFFIX}").write_text("{ not json")
    (autosave_folder / f"x{autosave.SIDECAR_SUFFIX}").write_text(json.dumps(
        {"format": autosave.SIDECAR_FORMAT, "version": 1, "pid": 0, "saved_at": 1.0, "original_path": None}))
    monkeypatch.setattr(QMessageBox, "exec", lambda box: pytest.fail("no dialog for a damaged autosave"))
    assert autosave.offer_recovery(None) == []
    assert (autosave_folder / f"x{autosave.DESIGN_SUFFIX}").exists()  # kept for inspection, never deleted


# --- atomic saves ---------------------------------------------------------------------------------------
def test_failed_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    target = tmp_path / "d.genai.json"
    target.write_bytes(TEMPLATE.read_bytes())
    design = load_design(target)
    design.name = "New version"

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_design(design, target)
    assert target.read_bytes() == TEMPLATE.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))  # the half-written temporary file is cleaned up


KILLED_WRITER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, sys.argv[1])
    from simulation.loader import load_design, save_design
    design = load_design(sys.argv[2])
    design.name = "Half-written version"
    real_fsync = os.fsync
    def slow_fsync(fd):
        print("writing", flush=True)
        time.sleep(60)  # killed here: data written to the temporary file, not yet renamed
    os.fsync = slow_fsync
    save_design(design, sys.argv[2])
""")


def test_kill_during_save_leaves_the_old_file_intact(tmp_path):
    target = tmp_path / "d.genai.json"
    target.write_bytes(TEMPLATE.read_bytes())
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(REPO), str(target)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"  # mid-write
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert target.read_bytes() == TEMPLATE.read_bytes()
    if hasattr(os, "O_TMPFILE"):  # the temporary copy has no name until it is complete: nothing is left behind
        assert not list(tmp_path.glob(".d.genai.json.*.tmp"))
    assert load_design(target).name == "RAG pipeline"


def test_save_keeps_the_previous_version_as_bak(tmp_path):
    target = tmp_path / "d.genai.json"
    design = load_design(TEMPLATE)
    save_design(design, target)
    first = target.read_bytes()
    design.name = "Second"
    time.sleep(0.01)
    save_design(design, target)
    assert (tmp_path / "d.genai.json.bak").read_bytes() == first
    assert load_design(target).name == "Second"

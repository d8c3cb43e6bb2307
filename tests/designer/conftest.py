"""Fixtures for designer tests: isolated QSettings, a main window, and synthesised mouse/drag events."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

REPO = Path(__file__).resolve().parents[2]
RAG = Path(__file__).resolve().parent / "data" / "rag.genai.json"  # frozen: template edits cannot break tests


@pytest.fixture(scope="session", autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Never read or write the user's real settings (theme, recent files, window state)."""
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName("genai-sim-tests")
    QCoreApplication.setApplicationName("designer-tests")


@pytest.fixture
def no_prompts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unsaved-changes prompts answer Discard; error boxes are recorded instead of blocking."""
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: QMessageBox.StandardButton.Ok)


@pytest.fixture
def window(qtbot, no_prompts):  # type: ignore[no-untyped-def]
    from designer.mainwindow import MainWindow

    for key in ("geometry", "window_state"):  # every test starts as a first launch, whatever ran before
        QSettings().remove(key)
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.undo_stack.setClean()


@pytest.fixture
def rag_window(window):  # type: ignore[no-untyped-def]
    assert window.open_path(str(RAG))
    QApplication.processEvents()
    return window


def send_mouse(widget: QWidget, kind: QEvent.Type, pos: QPoint | QPointF,
               button: Qt.MouseButton = Qt.MouseButton.LeftButton,
               buttons: Qt.MouseButton = Qt.MouseButton.LeftButton,
               modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A mouse event with the button state a real drag has (QTest.mouseMove cannot hold a button)."""
    local = QPointF(pos)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(local.toPoint())), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def drag_on_viewport(view, start: QPointF, end: QPointF, steps: int = 5) -> None:  # type: ignore[no-untyped-def]
    """Press at ``start`` (viewport coordinates), move in steps to ``end``, release."""
    viewport = view.viewport()
    send_mouse(viewport, QEvent.Type.MouseButtonPress, start)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        send_mouse(viewport, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)

"""Help ▸ Documentation opens the built site, or says how to build it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from designer import help_docs


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list:
    urls: list = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: urls.append(url) or True)
    return urls


def test_opens_the_built_index(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list) -> None:
    (tmp_path / "index.html").write_text("<html></html>", encoding="utf-8")
    monkeypatch.setenv(help_docs.DOCS_ENV, str(tmp_path))
    parent = QWidget()
    qtbot.addWidget(parent)
    menu = QMenu(parent)
    menu.addAction("Keyboard Shortcuts")
    action = help_docs.add_documentation_action(parent, menu)
    assert menu.actions()[0] is action and action.text() == "&Documentation"
    action.trigger()
    assert [u.toLocalFile() for u in opened] == [str(tmp_path / "index.html")]


def test_without_a_build_it_says_how_to_build(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              opened: list) -> None:
    monkeypatch.setenv(help_docs.DOCS_ENV, str(tmp_path / "missing"))
    monkeypatch.setattr(help_docs, "documentation_candidates", lambda: [tmp_path / "missing" / "index.html"])
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: told.append(text))
    assert help_docs.open_documentation(None) is False
    assert not opened and "make docs" in told[0]


def test_the_main_window_has_the_action(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    QCoreApplication.setOrganizationName("genai-sim-tests")
    from designer.mainwindow import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    assert win.docs_action in win.help_menu.actions()
    win.undo_stack.setClean()

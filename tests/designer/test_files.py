"""Files: save → open round trip, modified flag, recent files, templates gallery, file drops, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from designer.commands import SetParamCommand
from designer.export import export_diagram, render_image
from simulation.errors import DesignError
from simulation.loader import design_to_dict, load_design

from .conftest import RAG


def test_save_open_round_trip_is_identical(rag_window, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from designer.mainwindow import MainWindow

    w = rag_window
    w.undo_stack.push(SetParamCommand(w.design, "vdb", "top_k", 12))
    assert w.isWindowModified()
    out = tmp_path / "rag.genai.json"
    assert w._save_to(str(out))
    assert not w.isWindowModified() and w.undo_stack.isClean()
    other = MainWindow(str(out))
    qtbot.addWidget(other)
    assert design_to_dict(other.design) == design_to_dict(w.design)
    again = tmp_path / "again.genai.json"
    assert other._save_to(str(again))
    assert again.read_bytes() == out.read_bytes()
    assert str(out.resolve()) == w.recent_files()[0] or str(again.resolve()) == w.recent_files()[0]
    # Undo back to the saved state clears the modified flag; past it sets it again.
    w.undo_stack.undo()
    assert w.isWindowModified()
    w.undo_stack.redo()
    assert not w.isWindowModified()


def test_open_invalid_file_keeps_the_current_design(rag_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.genai.json"
    data = json.loads(RAG.read_text())
    data["nodes"][3]["params"] = {"replicas": "two"}
    bad.write_text(json.dumps(data))
    assert not rag_window.open_path(str(bad))
    assert rag_window.design.name == "RAG pipeline" and len(rag_window.design.nodes) == 8


def test_new_file_and_open_reset_undo(rag_window) -> None:  # type: ignore[no-untyped-def]
    rag_window.undo_stack.push(SetParamCommand(rag_window.design, "vdb", "top_k", 12))
    rag_window.new_file()  # the prompt answers Discard (fixture)
    assert rag_window.design.nodes == [] and rag_window.undo_stack.count() == 0
    assert rag_window.file_path is None and not rag_window.scene.node_items


def test_drop_design_file_on_window_opens_it(window) -> None:  # type: ignore[no-untyped-def]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(RAG))])
    enter = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window.view.viewport(), enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window.view.viewport(), drop)
    assert window.design.name == "RAG pipeline"
    assert window.file_path == str(RAG.resolve())


def test_template_gallery_renders_thumbnails(qtbot) -> None:  # type: ignore[no-untyped-def]
    from designer.gallery import TemplateGallery, template_files

    dialog = TemplateGallery()
    qtbot.addWidget(dialog)
    assert dialog.list.count() == len(template_files()) >= 1
    icon = dialog.list.item(0).icon()
    assert not icon.isNull()
    assert dialog.selected_path() is not None and dialog.selected_path().endswith(".genai.json")


def test_export_png_and_svg(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    design = load_design(RAG)
    png = tmp_path / "rag.png"
    export_diagram(design, png)
    image = QImage(str(png))
    assert not image.isNull() and image.width() > image.height() > 100
    svg = tmp_path / "rag.svg"
    export_diagram(design, svg)
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text and "Vector DB" in text
    with pytest.raises(DesignError, match="use .png or .svg"):
        export_diagram(design, tmp_path / "rag.gif")


def test_export_matches_the_canvas(rag_window) -> None:  # type: ignore[no-untyped-def]
    """The export renders the canvas's own items: same node boxes, same count of edges."""
    image = render_image(rag_window.design, scale=1.0)
    rect = rag_window.scene.diagram_rect()
    assert abs(image.width() - rect.width()) <= 1 and abs(image.height() - rect.height()) <= 1


def test_shortcuts_dialog_lists_actions(window) -> None:  # type: ignore[no-untyped-def]
    names = {a.objectName() for a in window.shortcut_actions()}
    assert {"new", "open", "save", "undo", "redo", "copy", "paste", "delete", "auto_layout", "zoom_fit"} <= names
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[:5] == ["&File", "&Edit", "&View", "&Run", "&Help"]


def test_theme_toggle_persists(window) -> None:  # type: ignore[no-untyped-def]
    window.actions_by_name["dark_theme"].setChecked(True)
    assert window.scene.theme.name == "dark" and window.settings.value("theme") == "dark"
    window.view.viewport().grab()
    window.actions_by_name["dark_theme"].setChecked(False)
    assert window.settings.value("theme") == "light"



def test_help_dialog_lists_shortcuts(window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QDialog, QTableWidget

    shown: list[QDialog] = []
    monkeypatch.setattr(QDialog, "exec", lambda self: shown.append(self) or 0)
    window.show_shortcuts()
    table = shown[0].findChild(QTableWidget, "shortcuts_table")
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Auto-Layout"] == "Ctrl+L" and rows["Duplicate"] == "Ctrl+D"
    assert "Undo" in rows and "Connect" in rows


def test_export_creates_its_own_application_headless(tmp_path: Path) -> None:
    """`genai-sim export` runs without a display and without a QApplication made by the caller."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    out = tmp_path / "d.png"
    code = ("import sys; from pathlib import Path; from simulation.loader import load_design; "
            "from designer.export import export_diagram; "
            f"export_diagram(load_design({str(RAG)!r}), Path({str(out)!r}))")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120,
                   cwd=Path(__file__).resolve().parents[2])
    assert out.stat().st_size > 10_000

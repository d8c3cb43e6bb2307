"""The run UI inside the real designer main window: F5 runs the RAG template, results fill the dock, the
canvas shows the overlay, and kept results survive File > Save and File > Open."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from designer.canvas.scene import BOTTLENECK_MIN_UTILIZATION  # noqa: E402
from tests.designer.test_runs_session import wait_idle  # noqa: E402


def test_f5_runs_the_open_design_and_overlays_the_canvas(qtbot: Any, rag_window: Any) -> None:
    window = rag_window
    session = window.run_session
    assert session.run_action in window.run_menu.actions()
    assert session.run_action.shortcut().toString() == "F5"
    assert session.stop_action.shortcut().toString() == "Shift+F5"
    session.run_action.trigger()
    assert session.controller.running
    wait_idle(qtbot, session)
    run = session.latest
    assert run.status == "done" and run.summary["requests"]["completed"] > 1000
    item = window.scene.node_items[run.bottleneck()]
    assert item.overlay["utilization"] > 0  # the busiest node is called the bottleneck only from half busy
    assert item.overlay["bottleneck"] == (item.overlay["utilization"] >= BOTTLENECK_MIN_UTILIZATION)
    assert "utilisation" in item.tooltip_html()  # hover text built by the canvas from the overlay
    assert "served" in item.overlay["details"]
    # Review rows select their node on the canvas.
    table = session.view.tables["review"].table
    rows = [r for r in range(table.rowCount()) if table.item(r, 1).text()]
    if rows:
        table.cellClicked.emit(rows[0], 0)
        assert window.scene.selected_node_ids() == [table.item(rows[0], 1).text()]


def test_kept_results_survive_save_and_open(qtbot: Any, rag_window: Any, tmp_path: Path) -> None:
    window = rag_window
    session = window.run_session
    session.panel.keep.setChecked(True)
    session.run()
    wait_idle(qtbot, session)
    assert not window.undo_stack.isClean()  # keeping results is an unsaved change: close/open will ask
    path = tmp_path / "rag-kept.genai.json"
    assert window._save_to(str(path))
    assert json.loads(path.read_text(encoding="utf-8"))["results"]["format"] == "genai-sim.results"
    window.new_file()
    assert session.latest is None or not session.latest.from_file
    assert window.open_path(str(path), ask=False)
    kept = session.latest
    assert kept is not None and kept.from_file and kept.summary["requests"]["completed"] > 1000
    assert session.view.tables["slo"].rows()[1][3] in ("pass", "FAIL")
    overlay = window.scene.node_items[kept.bottleneck()].overlay
    assert overlay["utilization"] > 0
    assert overlay["bottleneck"] == (overlay["utilization"] >= BOTTLENECK_MIN_UTILIZATION)
    assert window.undo_stack.isClean() and "results" in window.design.extra


def test_theme_switch_recolours_the_plots(qtbot: Any, rag_window: Any) -> None:
    window = rag_window
    session = window.run_session
    session.run()
    wait_idle(qtbot, session)
    plot = session.view.cards["cdf"].plot
    light_bg = plot.backgroundBrush().color().name()
    window.set_theme("dark")
    qtbot.waitUntil(lambda: plot.backgroundBrush().color().name() != light_bg, timeout=3000)
    assert plot.backgroundBrush().color().lightness() < 100
    window.set_theme("light")


def test_dock_layout_is_stable_across_results_tabs(qtbot: Any, rag_window: Any) -> None:
    """No space for an empty results dock before a run; after it, switching tabs never reflows the window."""
    window = rag_window
    window.resize(1440, 900)
    window._initial_dock_sizes()
    qtbot.wait(50)
    session = window.run_session
    assert not window.results_dock.isVisible()  # before the first run the canvas has the space
    canvas_before = window.view.width() * window.view.height()
    session.run()
    wait_idle(qtbot, session)
    assert window.results_dock.isVisible()

    def layout() -> tuple[int, ...]:
        return (window.palette_dock.width(), window.inspector_dock.width(), window.view.width(),
                window.view.height(), window.results_dock.height())

    qtbot.wait(50)
    first = layout()
    assert first[0] >= 200 and first[1] >= 300  # readable side columns
    for i in range(session.view.tabs.count()):
        session.view.tabs.setCurrentIndex(i)
        qtbot.waitUntil(lambda: not session.view.stale_tabs, timeout=5000)
        qtbot.wait(30)
        assert layout() == first, (session.view.tabs.tabText(i), layout(), first)
    # View ▸ Show Panels collapses every dock for the canvas alone, and brings the same ones back.
    window.actions_by_name["show_panels"].setChecked(False)
    qtbot.wait(30)
    assert not window.palette_dock.isVisible() and not window.results_dock.isVisible()
    assert window.view.width() * window.view.height() > canvas_before
    window.actions_by_name["show_panels"].setChecked(True)
    qtbot.wait(30)
    assert window.palette_dock.isVisible() and window.results_dock.isVisible()

"""The first view of every template at first launch: the whole design inside the viewport, every title
legible, after the window is shown and its docks are sized (and again when the window size changes)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from designer.canvas.items import FULL_DETAIL, TITLE_PX, NodeItem
from simulation.templates import template_paths

MIN_TITLE_SCREEN_PX = 8.0


def _settle(qtbot, ms: int = 150) -> None:  # type: ignore[no-untyped-def]
    qtbot.wait(ms)  # the dock sizing and fit run from the event loop after show()
    QApplication.processEvents()


def title_screen_px(item: NodeItem, scale: float) -> float:
    """How tall the title's font is on screen at ``scale``, with all its words shown."""
    if scale >= FULL_DETAIL:
        assert "…" not in item.title or "…" in item.full_title
        return TITLE_PX * scale
    layout = item.far(scale)
    shown = "".join(layout.lines).replace(" ", "")
    assert shown == item.full_title.replace(" ", ""), f"{item.full_title!r} cut to {layout.lines}"
    return layout.font_px * scale


def check_first_view(window, legible: bool = True) -> float:  # type: ignore[no-untyped-def]
    view = window.view
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    items = list(window.scene.node_items.values())
    assert items
    outside = [i.node_id for i in items if not seen.contains(i.scene_card_rect())]
    assert not outside, f"cards outside the first view: {outside} (zoom {view.zoom():.2f})"
    scale = view.zoom()
    if not legible:
        return 0.0
    smallest = min(title_screen_px(i, scale) for i in items)
    assert smallest >= MIN_TITLE_SCREEN_PX, f"titles {smallest:.1f} px on screen at zoom {scale:.2f}"
    return smallest


@pytest.fixture
def first_launch(qtbot, no_prompts):  # type: ignore[no-untyped-def]
    """A main window as on first start: no saved geometry or dock layout (the default window size)."""
    settings = QSettings()
    for key in ("geometry", "window_state"):
        settings.remove(key)
    windows = []

    def make(path: str):  # type: ignore[no-untyped-def]
        from designer.mainwindow import MainWindow

        win = MainWindow(path)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
        _settle(qtbot)
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.undo_stack.setClean()


@pytest.mark.parametrize("path", template_paths(), ids=lambda p: p.name.split(".")[0])
def test_first_view_shows_whole_template_legibly(first_launch, qtbot, path) -> None:  # type: ignore[no-untyped-def]
    window = first_launch(str(path))
    assert (window.width(), window.height()) == (1440, 900)
    check_first_view(window)


def test_first_view_follows_later_dock_and_window_resizes(first_launch, qtbot) -> None:  # type: ignore[no-untyped-def]
    paths = sorted(template_paths(), key=lambda p: p.stat().st_size)
    window = first_launch(str(paths[-1]))
    window.palette_dock.hide()  # docks change size after the first fit
    _settle(qtbot)
    check_first_view(window)
    window.resize(1100, 720)  # a smaller screen: still the whole design (legible as far as the room allows)
    _settle(qtbot)
    check_first_view(window, legible=False)
    # Once the user zooms, a resize no longer refits.
    window.view.zoom_in()
    zoom = window.view.zoom()
    window.resize(1300, 800)
    _settle(qtbot)
    assert window.view.zoom() == pytest.approx(zoom)

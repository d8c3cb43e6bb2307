"""Editing at draw.io level, through real (synthesised) events where Qt allows: shortcuts, palette
double-click, free-spot placement, nudge, align/distribute, group boxes, in-place rename, context menus,
orthogonal routing, and the small fixes (bottleneck badge, status bar, placeholder, inspector help)."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from designer import shortcuts
from designer.canvas import routing
from designer.canvas.groups import HEADER, GroupItem
from designer.canvas.items import GRID, NodeItem
from designer.canvas.scene import DesignScene
from simulation.design import Design, Edge, Node
from simulation.loader import load_design, save_design
from simulation.templates import template_paths

from .conftest import drag_on_viewport, send_mouse


def _add(window, kind: str, x: float, y: float) -> Node:  # type: ignore[no-untyped-def]
    node = window.add_node(kind, QPointF(x, y))
    assert node is not None
    return node


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# -- shortcuts --------------------------------------------------------------------------------------------
def test_shortcut_table_has_no_duplicates() -> None:
    assert shortcuts.clashes() == {}
    assert shortcuts.clashes({"a": ["Ctrl+Y"], "b": ["Ctrl+Shift+Z", "Ctrl+Y"]}) == {"Ctrl+Y": ["a", "b"]}
    assert set(shortcuts.SHORTCUTS["redo"]) == {"Ctrl+Y", "Ctrl+Shift+Z"}


def test_window_binds_each_key_once_and_redo_works_from_the_keyboard(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QAction

    actions = window.findChildren(QAction)
    assert shortcuts.action_clashes(actions) == {}
    redo = window.actions_by_name["redo"]
    keys = {k.toString(QKeySequence.SequenceFormat.PortableText) for k in redo.shortcuts()}
    assert keys == {"Ctrl+Y", "Ctrl+Shift+Z"}
    _add(window, "service", 0, 0)
    window.undo_stack.undo()
    assert not window.design.nodes
    window.activateWindow()
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert len(window.design.nodes) == 1
    window.undo_stack.undo()
    QTest.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(window.design.nodes) == 1


# -- adding nodes ---------------------------------------------------------------------------------------
def test_palette_double_click_adds_exactly_one_node(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    tree = window.palette.tree
    item = tree.findItems("Vector database", Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)[0]
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    no = Qt.KeyboardModifier.NoModifier
    QTest.mousePress(tree.viewport(), Qt.MouseButton.LeftButton, no, rect.center())  # the first click ...
    QTest.mouseRelease(tree.viewport(), Qt.MouseButton.LeftButton, no, rect.center())
    QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, no, rect.center())  # ... and the second
    QApplication.processEvents()
    assert [n.kind for n in window.design.nodes] == ["vector_db"]
    tree.setCurrentItem(item)
    QTest.keyClick(tree, Qt.Key.Key_Return)  # Enter adds one too
    assert [n.kind for n in window.design.nodes] == ["vector_db", "vector_db"]


def test_click_added_nodes_land_on_free_spots(window) -> None:  # type: ignore[no-untyped-def]
    _add(window, "client", 0, 0)
    window.view.centerOn(0, 0)
    for _ in range(8):
        window.palette.add_requested.emit("service")
    window.scene.reroute()
    rects = list(window.scene.card_rects().values())
    assert len(rects) == 9
    for a, b in itertools.combinations(rects, 2):
        assert not _overlap(a, b)


def test_placeholder_is_repainted_away_when_a_node_arrives(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    updates = []
    viewport = window.view.viewport()
    monkeypatch.setattr(viewport, "update", lambda *a: updates.append(a))
    _add(window, "service", 0, 0)
    assert () in updates  # the whole viewport, not just the card's region


# -- nudge ----------------------------------------------------------------------------------------------
def test_arrow_keys_nudge_selection_as_one_undo_step(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "service", 100, 100)
    b = _add(window, "response_cache", 400, 100)
    window.scene.select_nodes([a.id, b.id])
    window.view.setFocus()
    before = window.undo_stack.count()
    for _ in range(3):
        QTest.keyClick(window.view, Qt.Key.Key_Right)
    QTest.keyClick(window.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert window.design.node(a.id).pos == (103.0, 100.0 + GRID)
    assert window.design.node(b.id).pos == (403.0, 100.0 + GRID)
    assert window.scene.node_items[a.id].pos() == QPointF(103, 100 + GRID)
    assert window.undo_stack.count() == before + 1  # one burst, one step
    window.undo_stack.undo()
    assert window.design.node(a.id).pos == (100.0, 100.0)
    window.scene.clearSelection()
    h = window.view.horizontalScrollBar().value()
    QTest.keyClick(window.view, Qt.Key.Key_Right)  # nothing selected: arrows scroll, nothing moves
    assert window.design.node(a.id).pos == (100.0, 100.0)
    assert window.view.horizontalScrollBar().value() >= h


# -- align / distribute ---------------------------------------------------------------------------------
def test_align_and_distribute(window) -> None:  # type: ignore[no-untyped-def]
    ids = [_add(window, "service", x, y).id for x, y in ((0, 0), (260, 60), (900, 140))]
    window.scene.select_nodes(ids)
    before = window.undo_stack.count()
    window.actions_by_name["align_top"].trigger()
    ys = {window.design.node(i).pos[1] for i in ids}
    assert ys == {0.0}
    window.actions_by_name["align_left"].trigger()
    assert {window.design.node(i).pos[0] for i in ids} == {0.0}
    window.undo_stack.undo()
    window.actions_by_name["distribute_h"].trigger()
    xs = sorted(window.design.node(i).pos[0] for i in ids)
    assert xs == [0.0, 450.0, 900.0]
    assert window.undo_stack.count() == before + 2
    window.actions_by_name["align_middle"].trigger()
    window.actions_by_name["align_center"].trigger()
    assert {window.design.node(i).pos[0] for i in ids} == {450.0}
    assert {window.design.node(i).pos[1] for i in ids} == {0.0}


# -- group boxes ----------------------------------------------------------------------------------------
def test_group_box_moves_members_and_survives_save_and_load(window, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "service", 0, 0)
    b = _add(window, "response_cache", 240, 0)
    outsider = _add(window, "client", -400, 0)
    window.scene.select_nodes([a.id, b.id])
    group = window.canvas_actions.group_selection("Region A")
    assert group is not None and window.design.groups[0].name == "Region A"
    assert set(window.scene.group_members(group.id)) == {a.id, b.id}
    item = window.scene.group_items[group.id]
    # Drag the box by its title bar: the members follow, the outsider stays; one undo step.
    window.view.auto_fit = False
    window.view.resetTransform()
    window.view.centerOn(item.scene_rect().center())
    grip = window.view.mapFromScene(item.scene_rect().topLeft() + QPointF(60, HEADER / 2))
    before = window.undo_stack.count()
    drag_on_viewport(window.view, QPointF(grip), QPointF(grip) + QPointF(100, 60))
    assert window.undo_stack.count() == before + 1
    assert window.design.node(a.id).pos == (100.0, 60.0)
    assert window.design.node(b.id).pos == (340.0, 60.0)
    assert window.design.node(outsider.id).pos == (-400.0, 0.0)
    moved = window.design.groups[0].rect
    path = tmp_path / "grouped.genai.json"
    save_design(window.design, path)
    loaded = load_design(path)
    assert [(g.id, g.name, g.rect) for g in loaded.groups] == [(group.id, "Region A", moved)]
    window.undo_stack.undo()
    assert window.design.node(a.id).pos == (0.0, 0.0)
    assert window.design.groups[0].rect == group.rect
    # Resize by the corner handle, then remove the box: members stay.
    window.scene.clearSelection()
    item.setSelected(True)
    window.actions_by_name["ungroup"].trigger()
    assert not window.design.groups and not window.scene.group_items
    assert len(window.design.nodes) == 3
    window.undo_stack.undo()
    assert window.design.groups and group.id in window.scene.group_items
    window.scene.group_items[group.id].setSelected(True)
    window.delete_selection()  # Delete removes a selected box too (its nodes stay)
    assert not window.design.groups and len(window.design.nodes) == 3


def test_loader_refuses_bad_groups() -> None:
    from simulation.errors import DesignError
    from simulation.loader import design_from_dict

    base = {"format": "genai-sim.design", "version": 1, "nodes": [], "edges": []}
    with pytest.raises(DesignError, match=r"groups\[0\]\.rect"):
        design_from_dict({**base, "groups": [{"id": "g", "rect": [0, 0, 0, 10]}]})
    with pytest.raises(DesignError, match=r"groups\[0\]\.colour"):
        design_from_dict({**base, "groups": [{"id": "g", "rect": [0, 0, 5, 10], "colour": "red"}]})
    assert design_from_dict(base).groups == []


# -- rename ---------------------------------------------------------------------------------------------
def test_f2_and_double_click_rename_in_place(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "service", 0, 0)
    window.view.auto_fit = False
    window.view.centerOn(0, 0)
    window.scene.select_nodes([a.id])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_F2)
    editor = window.view.findChild(QLineEdit, "inline_rename")
    assert editor is not None and editor.isVisible()
    editor.setText("Orders API")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert window.design.node(a.id).name == "Orders API" and not editor.isVisible()
    assert window.undo_stack.undoText().startswith("Rename")
    # Double-click the card: the editor opens; Esc leaves the name alone.
    centre = window.view.mapFromScene(QPointF(0, 0))
    send_mouse(window.view.viewport(), QEvent.Type.MouseButtonDblClick, QPointF(centre))
    assert editor.isVisible() and editor.text() == "Orders API"
    editor.setText("something else")
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    assert not editor.isVisible() and window.design.node(a.id).name == "Orders API"


# -- context menus --------------------------------------------------------------------------------------
def _texts(menu) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.text().replace("&", "") for a in menu.actions() if a.text()]


def test_context_menus_for_node_edge_group_and_canvas(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "client", 0, 0)
    b = _add(window, "service", 300, 0)
    window.scene.connect_nodes(a.id, b.id)
    ca = window.canvas_actions
    node_menu = ca.build_context_menu(window.scene.node_items[a.id], QPointF())
    assert {"Rename", "Copy", "Duplicate", "Delete", "Group Selection"} <= set(_texts(node_menu))
    edge_menu = ca.build_context_menu(window.scene.edge_items[0], QPointF())
    assert "Delete Edge" in _texts(edge_menu)
    next(x for x in edge_menu.actions() if x.text() == "&Delete Edge").trigger()
    assert not window.design.edges
    window.scene.select_nodes([a.id, b.id])
    menu = ca.build_context_menu(window.scene.node_items[a.id], QPointF())
    assert "Arrange" in _texts(menu)
    group = ca.group_selection("VPC")
    group_menu = ca.build_context_menu(window.scene.group_items[group.id], QPointF())
    assert {"Rename", "Select Members", "Remove Group Box"} <= set(_texts(group_menu))
    canvas_menu = ca.build_context_menu(None, QPointF(0, 400))
    assert {"Paste", "Add Component Here", "Select All", "Auto-Layout"} <= set(_texts(canvas_menu))
    add_menu = next(x.menu() for x in canvas_menu.actions() if x.text() == "Add &Component Here")
    first_group = add_menu.actions()[0].menu()
    first_group.actions()[0].trigger()
    assert len(window.design.nodes) == 3
    rects = list(window.scene.card_rects().values())
    for r1, r2 in itertools.combinations(rects, 2):
        assert not _overlap(r1, r2)


# -- routing --------------------------------------------------------------------------------------------
def test_forward_route_bends_around_a_card_in_the_way() -> None:
    blocker = (150.0, -50.0, 300.0, 50.0)
    points = routing.route_forward((0, 0), (450, 0), [blocker])
    assert not routing.path_hits(points, [blocker])
    assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(points, points[1:]))  # orthogonal
    assert points[0] == (0, 0) and points[-1] == (450, 0)


def _segments(points):  # type: ignore[no-untyped-def]
    return [(a, b) for a, b in zip(points, points[1:])]


def _collinear_overlap(s, t) -> bool:  # type: ignore[no-untyped-def]
    (a, b), (c, d) = s, t
    if a[1] == b[1] == c[1] == d[1]:
        lo1, hi1 = sorted((a[0], b[0]))
        lo2, hi2 = sorted((c[0], d[0]))
        return min(hi1, hi2) - max(lo1, lo2) > 1
    if a[0] == b[0] == c[0] == d[0]:
        lo1, hi1 = sorted((a[1], b[1]))
        lo2, hi2 = sorted((c[1], d[1]))
        return min(hi1, hi2) - max(lo1, lo2) > 1
    return False


def _bends(points) -> int:  # type: ignore[no-untyped-def]
    return max(len(points) - 2, 0)


def test_back_edge_to_a_card_below_enters_its_top_not_a_loop_from_the_left() -> None:
    # A fallback card just below (and a little right of) its source: the error edge must drop into the
    # card's top, not run under it and come back up into its left port (which reads as a self loop).
    src = (0.0, 0.0, 148.0, 90.0)
    dst = (100.0, 160.0, 248.0, 250.0)
    p1, p2 = (148.0, 45.0), (100.0, 205.0)
    points = routing.route_back_short(p1, p2, src, dst, [src, dst], [], [])
    assert points is not None
    assert points[-1][1] == dst[1] and dst[0] < points[-1][0] < dst[2]  # on the top side, facing the source
    assert points[-2][1] < dst[1]  # arriving from above
    assert _bends(points) <= 2
    assert not routing.path_hits(points[1:-1], [src, dst])


def test_back_edge_to_a_card_above_enters_its_bottom() -> None:
    src = (100.0, 200.0, 248.0, 290.0)
    dst = (0.0, 0.0, 148.0, 90.0)
    points = routing.route_back_short((248.0, 245.0), (0.0, 45.0), src, dst, [src, dst], [], [])
    assert points is not None
    assert points[-1][1] == dst[3] and points[-2][1] > dst[3]
    assert _bends(points) <= 3


def test_back_edge_in_one_row_takes_the_channel_beside_the_row_not_under_the_design() -> None:
    # Three cards in a row and a deep column of cards further down: the return edge from the last card to
    # the first goes round just below (or above) the row, not under everything.
    row = [(x, 0.0, x + 148.0, 90.0) for x in (0.0, 220.0, 440.0)]
    far_below = [(220.0, y, 368.0, y + 90.0) for y in (300.0, 440.0, 580.0)]
    cards = row + far_below
    points = routing.route_back_short((588.0, 45.0), (0.0, 45.0), row[2], row[0], cards, [], [])
    assert points is not None
    assert max(y for _, y in points) < 300.0 - routing.CLEAR  # stays between the row and the cards below
    assert points[-1] == (0.0, 45.0) and _bends(points) <= 4
    assert not routing.path_hits(points[1:-1], cards)


def test_parallel_back_edges_keep_a_lane_apart() -> None:
    row = [(x, 0.0, x + 148.0, 90.0) for x in (0.0, 220.0, 440.0)]
    used_h: list = []
    used_v: list = []
    first = routing.route_back_short((588.0, 45.0), (0.0, 45.0), row[2], row[0], row, used_h, used_v)
    second = routing.route_back_short((588.0, 45.0), (0.0, 45.0), row[2], row[0], row, used_h, used_v, side=1
                                      if first[2][1] > 45 else -1)
    assert first is not None and second is not None
    y_first, y_second = first[2][1], second[2][1]
    assert (y_first - 45) * (y_second - 45) > 0  # the same side: no frame round the row
    assert abs(y_first - y_second) >= routing.LANE - 0.5
    assert abs(first[1][0] - second[1][0]) >= routing.SIDE_STEP - 0.5


def test_fallback_edges_in_the_seed_chatbot_enter_from_the_top(qapp) -> None:  # type: ignore[no-untyped-def]
    path = next(p for p in template_paths() if p.name.startswith("seed-chatbot-100k"))
    scene = DesignScene(load_design(path), None)
    try:
        rects = scene.card_rects()
        into_fallbacks = [e for e in scene.edge_items if e.target.node_id.startswith("fallback")
                          and rects[e.target.node_id][1] > rects[e.source.node_id][3]]
        assert into_fallbacks
        for edge in into_fallbacks:
            points = [(p.x(), p.y()) for p in edge.points()]
            top = rects[edge.target.node_id][1]
            assert abs(points[-1][1] - top) < 1e-6, f"{edge.ends} does not enter its target from the top"
            assert _bends(points) <= 3
    finally:
        scene.detach()


def test_dragging_a_card_reroutes_its_back_edges_alone_and_clear_of_cards(qapp) -> None:  # type: ignore[no-untyped-def]
    path = next(p for p in template_paths() if p.name.startswith("react-agent"))
    scene = DesignScene(load_design(path), None)
    try:
        back = [e for e in scene.edge_items if e.is_back_edge()]
        assert back
        edge = back[0]
        calls = []
        original = routing.route_back_short
        scene.user_dragging = True
        try:
            routing.route_back_short = lambda *a, **k: calls.append(1) or original(*a, **k)  # type: ignore[assignment]
            item = edge.source
            item.setPos(item.pos() + QPointF(40, 0))  # a drag step
        finally:
            routing.route_back_short = original  # type: ignore[assignment]
            scene.user_dragging = False
        moved_back = [e for e in item.edges if e.is_back_edge()]
        assert 0 < len(calls) <= len(moved_back) < len(back)  # only the dragged card's back edges, not all
        rects = list(scene.card_rects().values())
        for e in moved_back:
            points = [(p.x(), p.y()) for p in e.points()]
            assert not routing.path_hits(points[1:-1], rects), f"{e.ends} crosses a card mid-drag"
    finally:
        scene.detach()


@pytest.mark.parametrize("path", template_paths(), ids=lambda p: p.name.split(".")[0])
def test_template_routes_avoid_cards_and_back_edges_do_not_overlap(qapp, path) -> None:  # type: ignore[no-untyped-def]
    scene = DesignScene(load_design(path), None)
    try:
        rects = scene.card_rects()
        back = []
        for edge in scene.edge_items:
            points = [(p.x(), p.y()) for p in edge.points()]
            assert all(abs(a[0] - b[0]) < 1e-6 or abs(a[1] - b[1]) < 1e-6 for a, b in zip(points, points[1:]))
            others = [r for nid, r in rects.items() if nid not in (edge.source.node_id, edge.target.node_id)]
            if edge.is_back_edge():
                back.append(points)
                others = list(rects.values())
                points = points[1:-1]  # the stubs at the ports touch their own cards by design
            assert not routing.path_hits(points, others), f"{edge.ends} crosses a card"
        for p, q in itertools.combinations(back, 2):
            for s in _segments(p)[1:-1]:
                for t in _segments(q)[1:-1]:
                    assert not _collinear_overlap(s, t), "two back edges share a segment"
    finally:
        scene.detach()


# -- small fixes ----------------------------------------------------------------------------------------
def test_idle_node_is_not_badged_bottleneck(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "service", 0, 0)
    window.scene.set_node_overlay(a.id, utilization=0.03, bottleneck=True)
    assert window.scene.node_items[a.id].overlay["bottleneck"] is False
    window.scene.set_node_overlay(a.id, utilization=0.85, bottleneck=True)
    assert window.scene.node_items[a.id].overlay["bottleneck"] is True


def test_status_bar_counts_the_runs_review_warnings(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "client", 0, 0)
    b = _add(window, "service", 300, 0)
    window.scene.connect_nodes(a.id, b.id)
    window.scene.update_review()
    clean = window.review_label.text()
    window.scene.set_run_review([{"severity": "warning", "node": b.id, "rule": "x", "message": "queue grows"}])
    assert "1 warning" in window.review_label.text() and "no structural problems" not in window.review_label.text()
    assert clean != window.review_label.text()


def test_inspector_help_never_shows_html_entities(window) -> None:  # type: ignore[no-untyped-def]
    from simulation.registry import all_kinds

    kind = next(k for k in all_kinds() if "'" in k.help)
    node = _add(window, kind.kind, 0, 0)
    window.scene.select_nodes([node.id])
    QApplication.processEvents()
    for label in window.inspector.findChildren(QLabel):
        if "&#x27;" in label.text():
            assert label.textFormat() == Qt.TextFormat.RichText or Qt.mightBeRichText(label.text())


def test_long_titles_wrap_in_the_export(tmp_path) -> None:
    from designer.export import export_diagram

    title = "Llama 3.1 8B (vLLM) on two H100 behind the gateway"
    design = Design(name="wrap", nodes=[Node("llm", "service", title, (0, 0)), Node("u", "client", "Users", (-300, 0))],
                    edges=[Edge("u", "llm")])
    out = tmp_path / "d.svg"
    export_diagram(design, out)
    svg = out.read_text()
    assert "…" not in svg
    for word in ("Llama", "(vLLM)", "H100", "gateway"):
        assert word in svg
    scene = DesignScene(design, None)
    try:
        item = scene.node_items["llm"]
        assert len(item.title_lines) >= 2 and item.card.height() > 90  # the card grew to hold it
    finally:
        scene.detach()


def test_group_item_is_drawn_behind_cards(qapp) -> None:  # type: ignore[no-untyped-def]
    from simulation.design import Group

    design = Design(nodes=[Node("s", "service", "S", (0, 0))], groups=[Group("g", "VPC", (-120, -100, 300, 220))])
    scene = DesignScene(design, None)
    try:
        group = scene.group_items["g"]
        assert isinstance(group, GroupItem) and group.zValue() < scene.node_items["s"].zValue()
        assert scene.diagram_rect().contains(group.sceneBoundingRect())
        assert isinstance(scene.items(QPointF(0, 0))[0], NodeItem)  # a click inside reaches the card
    finally:
        scene.detach()


def test_group_box_resizes_by_its_corner_handle(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "service", 0, 0)
    window.scene.select_nodes([a.id])
    group = window.canvas_actions.group_selection("Region A")
    item = window.scene.group_items[group.id]
    window.view.auto_fit = False
    window.view.resetTransform()
    window.view.centerOn(item.scene_rect().center())
    x, y, w, h = group.rect
    corner = window.view.mapFromScene(QPointF(x + w - 5, y + h - 5))
    drag_on_viewport(window.view, QPointF(corner), QPointF(corner) + QPointF(120, 80))
    rect = window.design.groups[0].rect
    assert rect[0] == x and rect[1] == y
    assert rect[2] == pytest.approx(w + 120, abs=GRID) and rect[3] == pytest.approx(h + 80, abs=GRID)
    assert window.design.node(a.id).pos == (0.0, 0.0)  # resizing moves no member
    window.undo_stack.undo()
    assert window.design.groups[0].rect == group.rect


def test_arrow_keys_nudge_a_group_box_with_its_members(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "service", 0, 0)
    outsider = _add(window, "client", -400, 0)
    window.scene.select_nodes([a.id])
    group = window.canvas_actions.group_selection("Region A")
    window.scene.clearSelection()
    window.scene.group_items[group.id].setSelected(True)
    window.view.setFocus()
    before = window.undo_stack.count()
    QTest.keyClick(window.view, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(window.view, Qt.Key.Key_Left)
    assert window.design.node(a.id).pos == (-GRID - 1, 0.0)
    assert window.design.groups[0].rect[0] == group.rect[0] - GRID - 1
    assert window.scene.group_items[group.id].pos().x() == group.rect[0] - GRID - 1
    assert window.design.node(outsider.id).pos == (-400.0, 0.0)
    assert window.undo_stack.count() == before + 1
    window.undo_stack.undo()
    assert window.design.groups[0].rect == group.rect and window.design.node(a.id).pos == (0.0, 0.0)


def test_right_click_on_a_card_opens_its_menu(window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QMenu

    a = _add(window, "service", 0, 0)
    window.scene.clearSelection()
    window.view.auto_fit = False
    window.view.centerOn(0, 0)
    pos = window.view.mapFromScene(QPointF(0, 0))
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, window.view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(window.view.viewport(), event)
    menus = [m for m in window.view.findChildren(QMenu, "canvas_context_menu") if m.isVisible()]
    assert len(menus) == 1 and "Rename" in _texts(menus[0])
    menus[0].hide()
    assert window.scene.selected_node_ids() == [a.id]  # the card under the mouse is what the menu acts on


def test_title_wrap_breaks_at_spaces_and_hyphens_only() -> None:
    from designer.canvas.text import breaks_cleanly, title_font, wrap

    _, fm = title_font(12)
    lines = wrap("Llama-3.1-70B FP8 on H100", fm, 110, 4)
    assert breaks_cleanly(lines, "Llama-3.1-70B FP8 on H100")
    assert not breaks_cleanly(["Preproce", "ssing"], "Preprocessing")
    assert wrap("Preprocessing", fm, 40, 2, break_words=False)[0].endswith("…")

"""Canvas behaviour through real (synthesised) events: palette drops, connecting, dragging, copy/paste,
auto-layout, review badges and run overlays."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from designer.canvas.items import GRID, NodeItem
from designer.canvas.view import KIND_MIME
from simulation.design import Edge, Node

from .conftest import RAG, drag_on_viewport, send_mouse


def drop_kind(view, kind: str, pos: QPoint) -> bool:  # type: ignore[no-untyped-def]
    mime = QMimeData()
    mime.setData(KIND_MIME, kind.encode())
    viewport = view.viewport()
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, enter)
    move = QDragMoveEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, drop)
    return enter.isAccepted() and drop.isAccepted()


def test_palette_drop_creates_node_at_drop_point(window) -> None:  # type: ignore[no-untyped-def]
    pos = QPoint(333, 222)
    expected = window.view.mapToScene(pos)
    assert drop_kind(window.view, "vector_db", pos)
    assert [n.kind for n in window.design.nodes] == ["vector_db"]
    node = window.design.nodes[0]
    assert abs(node.pos[0] - expected.x()) <= GRID / 2 and abs(node.pos[1] - expected.y()) <= GRID / 2
    assert node.pos[0] % GRID == 0 and node.pos[1] % GRID == 0  # snapped
    item = window.scene.node_items[node.id]
    assert item.pos() == QPointF(*node.pos)
    assert item.isSelected()
    window.undo_stack.undo()
    assert window.design.nodes == [] and not window.scene.node_items


def test_drop_of_unknown_mime_is_refused(window) -> None:  # type: ignore[no-untyped-def]
    mime = QMimeData()
    mime.setText("hello")
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window.view.viewport(), enter)
    assert not enter.isAccepted()


def test_palette_double_click_adds_at_centre_and_search_filters(window) -> None:  # type: ignore[no-untyped-def]
    palette = window.palette
    palette.search.setText("cache")
    visible = set(palette.visible_kinds())
    assert {"response_cache", "semantic_cache"} <= visible and "client" not in visible
    palette.search.setText("semantic cache")
    assert palette.visible_kinds() == ["semantic_cache"]
    palette.search.setText("")
    assert len(palette.visible_kinds()) >= 28
    palette.add_requested.emit("llm_api")
    palette.add_requested.emit("llm_api")
    ids = [n.id for n in window.design.nodes]
    assert ids == ["llm_api", "llm_api2"]
    assert window.design.nodes[0].pos != window.design.nodes[1].pos  # not stacked on each other


def _add(window, kind: str, x: float, y: float) -> Node:  # type: ignore[no-untyped-def]
    node = window.add_node(kind, QPointF(x, y))
    assert node is not None
    return node


def test_connect_by_dragging_from_port_to_node(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "client", 0, 0)
    b = _add(window, "service", 300, 100)
    window.view.centerOn(150, 50)
    start = window.view.mapFromScene(window.scene.node_items[a.id].out_port())
    end = window.view.mapFromScene(QPointF(300, 100))
    drag_on_viewport(window.view, QPointF(start), QPointF(end))
    assert [(e.source, e.target) for e in window.design.edges] == [(a.id, b.id)]
    assert len(window.scene.edge_items) == 1
    # Dropping on empty canvas connects nothing; connecting again is refused as a duplicate.
    drag_on_viewport(window.view, QPointF(start), QPointF(end))
    drag_on_viewport(window.view, QPointF(start), QPointF(start) + QPointF(0, 250))
    assert len(window.design.edges) == 1
    window.undo_stack.undo()
    assert window.design.edges == [] and window.scene.edge_items == []


def test_dragging_nodes_is_one_undo_step(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "client", 0, 0)
    b = _add(window, "service", 300, 0)
    window.scene.select_nodes([a.id, b.id])
    window.view.centerOn(150, 0)
    count = window.undo_stack.count()
    start = QPointF(window.view.mapFromScene(QPointF(300, 0)))
    send_mouse(window.view.viewport(), QEvent.Type.MouseButtonPress, start, modifiers=Qt.KeyboardModifier.ControlModifier)
    send_mouse(window.view.viewport(), QEvent.Type.MouseButtonRelease, start, Qt.MouseButton.LeftButton,
               Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier)
    window.scene.select_nodes([a.id, b.id])
    drag_on_viewport(window.view, start, start + QPointF(80, 60), steps=8)
    assert window.undo_stack.count() == count + 1
    zoom = window.view.zoom()
    assert abs(window.design.node(a.id).pos[0] - 80 / zoom) <= GRID
    assert window.design.node(b.id).pos[0] - window.design.node(a.id).pos[0] == 300
    window.undo_stack.undo()
    assert window.design.node(a.id).pos == (0.0, 0.0) and window.design.node(b.id).pos == (300.0, 0.0)
    assert window.scene.node_items[a.id].pos() == QPointF(0, 0)


def test_delete_and_duplicate(rag_window) -> None:  # type: ignore[no-untyped-def]
    w = rag_window
    w.scene.select_nodes(["vdb", "rerank"])
    w.duplicate()
    assert [n.id for n in w.design.nodes[-2:]] == ["vdb2", "rerank2"]
    assert (w.design.edges[-1].source, w.design.edges[-1].target) == ("vdb2", "rerank2")
    w.scene.select_nodes(["vdb"])
    w.delete_selection()
    assert not w.design.has_node("vdb")
    assert all("vdb" not in (e.source, e.target) for e in w.design.edges)
    w.undo_stack.undo()
    w.undo_stack.undo()
    from simulation.loader import design_to_dict, load_design

    assert design_to_dict(w.design) == design_to_dict(load_design(RAG))


def test_copy_paste_across_windows(rag_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from designer.mainwindow import MainWindow

    rag_window.scene.select_nodes(["cache", "embed"])
    rag_window.copy()
    other = MainWindow()
    qtbot.addWidget(other)
    other.paste()
    assert [n.id for n in other.design.nodes] == ["cache", "embed"]
    assert [(e.source, e.target, e.when) for e in other.design.edges] == [("cache", "embed", "miss")]
    assert other.design.node("cache").params == {"hit_rate": 0.3}
    # Pasting into the source window renames the copies and shifts them off the originals.
    rag_window.paste()
    assert [n.id for n in rag_window.design.nodes[-2:]] == ["cache2", "embed2"]
    assert rag_window.design.node("cache2").pos != rag_window.design.node("cache").pos
    assert rag_window.design.edges[-1].key() == ("cache2", "embed2", "miss")
    assert set(rag_window.scene.selected_node_ids()) == {"cache2", "embed2"}
    other.undo_stack.setClean()


def test_paste_of_foreign_text_does_nothing(window) -> None:  # type: ignore[no-untyped-def]
    QApplication.clipboard().setText("not a design")
    window.paste()
    assert window.design.nodes == []


def test_auto_layout_is_one_undo_step_and_handles_cycles(window) -> None:  # type: ignore[no-untyped-def]
    for i, kind in enumerate(["client", "agent", "llm_api", "tool", "service", "observability"]):
        _add(window, kind, 37 * i, 0)
    ids = [n.id for n in window.design.nodes]
    for s, t in [(0, 1), (1, 2), (2, 1), (1, 3), (3, 1), (1, 4)]:
        window.scene.connect_nodes(ids[s], ids[t])
    before = {n.id: n.pos for n in window.design.nodes}
    count = window.undo_stack.count()
    window.auto_layout()
    assert window.undo_stack.count() == count + 1
    assert window.undo_stack.text(count) == "Auto-layout"
    after = {n.id: n.pos for n in window.design.nodes}
    assert len(set(after.values())) == len(after)  # nobody overlaps
    assert after[ids[0]][0] < after[ids[1]][0] < after[ids[2]][0]  # client → agent → llm left to right
    assert after[ids[5]][1] > max(p[1] for k, p in after.items() if k != ids[5])  # detached: below
    window.undo_stack.undo()
    assert {n.id: n.pos for n in window.design.nodes} == before


def test_review_badges_follow_edits(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "client", 0, 0)
    b = _add(window, "service", 300, 0)
    window.scene.update_review()
    item: NodeItem = window.scene.node_items[b.id]
    assert any(i["rule"] == "unreachable" for i in item.issues)
    assert window.scene.node_items[a.id].issues  # a client without edges
    assert "error" in window.review_label.text()
    window.scene.connect_nodes(a.id, b.id)
    window.scene.update_review()
    assert item.issues == [] and window.scene.node_items[a.id].issues == []
    assert "no structural problems" in window.review_label.text()


def test_overlays_and_select_node(rag_window) -> None:  # type: ignore[no-untyped-def]
    w = rag_window
    w.scene.set_node_overlay("vdb", utilization=0.95, queue=3.2, warning="queue keeps growing", bottleneck=True,
                             details="p99 wait 41 ms")
    item = w.scene.node_items["vdb"]
    assert item.overlay == {"utilization": 0.95, "queue": 3.2, "warning": "queue keeps growing", "bottleneck": True,
                            "details": "p99 wait 41 ms"}
    tip = item.tooltip_html()
    assert "95%" in tip and "queue keeps growing" in tip and "p99 wait 41 ms" in tip
    w.view.viewport().grab()  # paints the overlay without error
    w.scene.clear_overlays()
    assert item.overlay is None
    w.select_node("llm")
    assert w.scene.selected_node_ids() == ["llm"]


def test_edge_labels_show_outcome_and_share(window) -> None:  # type: ignore[no-untyped-def]
    a = _add(window, "router", 0, 0)
    b = _add(window, "service", 300, -100)
    c = _add(window, "service", 300, 100)
    window.scene.connect_nodes(a.id, b.id)
    window.scene.connect_nodes(a.id, c.id)
    from designer.commands import SetEdgeCommand

    window.undo_stack.push(SetEdgeCommand(window.design, 0, {"weight": 3.0}))
    assert [i.label for i in window.scene.edge_items] == ["75%", "25%"]
    window.undo_stack.push(SetEdgeCommand(window.design, 1, {"when": "fallback", "latency_ms": 5.0}))
    assert [i.label for i in window.scene.edge_items] == ["", "fallback · +5 ms"]


def test_model_edit_outside_the_window_updates_the_canvas(window) -> None:  # type: ignore[no-untyped-def]
    window.design.add_node(Node("x", "service", "X", (40, 40)))
    window.design.add_node(Node("y", "service", "Y", (240, 40)))
    window.design.add_edge(Edge("x", "y"))
    window.design.move_node("y", (260, 80))
    assert window.scene.node_items["y"].pos() == QPointF(260, 80)
    assert len(window.scene.edge_items) == 1
    window.design.rename_node("x", "Renamed")
    assert window.scene.node_items["x"].title == "Renamed"


def test_keyboard_delete_undo_and_ctrl_click(rag_window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest

    w = rag_window
    w.activateWindow()
    w.view.setFocus()
    qtbot.waitUntil(lambda: w.view.hasFocus(), timeout=2000)
    # Ctrl+click adds to the selection.
    for node_id, mods in (("vdb", Qt.KeyboardModifier.NoModifier), ("rerank", Qt.KeyboardModifier.ControlModifier)):
        w.view.ensureVisible(w.scene.node_items[node_id])
        pos = QPointF(w.view.mapFromScene(w.scene.node_items[node_id].pos() + QPointF(0, -20)))
        send_mouse(w.view.viewport(), QEvent.Type.MouseButtonPress, pos, modifiers=mods)
        send_mouse(w.view.viewport(), QEvent.Type.MouseButtonRelease, pos, Qt.MouseButton.LeftButton,
                   Qt.MouseButton.NoButton, mods)
    assert set(w.scene.selected_node_ids()) == {"vdb", "rerank"}
    QTest.keyClick(w.view, Qt.Key.Key_Delete)
    assert not w.design.has_node("vdb") and not w.design.has_node("rerank")
    QTest.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.design.has_node("vdb") and w.design.has_node("rerank")
    assert [e.key() for e in w.design.edges][3:5] == [("embed", "vdb", None), ("vdb", "rerank", None)]


def test_tooltips_are_composed_on_demand(rag_window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    w = rag_window
    item = w.scene.node_items["vdb"]
    w.view.centerOn(item)
    pos = w.view.mapFromScene(item.pos())
    QApplication.sendEvent(w.view.viewport(), QHelpEvent(QEvent.Type.ToolTip, pos, w.view.viewport().mapToGlobal(pos)))
    assert "Vector DB" in QToolTip.text() and "vdb" in QToolTip.text()
    QToolTip.hideText()

"""The main window: palette, canvas, inspector and history docks around one Design model."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QUndoView,
    QVBoxLayout,
)

from designer import clipboard, shortcuts
from designer.autosave import Autosaver
from designer.canvas import DesignScene, DesignView
from designer.canvas.actions import CanvasActions
from designer.canvas.items import GRID
from designer.canvas.placement import free_spot
from designer.commands import AddNodeCommand, AddSubgraphCommand, MoveNodesCommand, RemoveCommand
from designer.document import DesignDocument, is_template
from designer.help_docs import add_documentation_action
from designer.icons import app_icon
from designer.inspector import Inspector
from designer.layout import auto_layout
from designer.palette import Palette
from designer.runs.report_export import ReportExport
from designer.runs.session import RunSession
from designer.theme import apply_theme, theme_named
from designer.whatif import WhatIfActions
from simulation.design import Design, Node
from simulation.errors import DesignError
from simulation.loader import load_design
from simulation.registry import get_kind

FILE_FILTER = "genai-sim designs (*.genai.json *.json);;All files (*)"
MAX_RECENT = 10
SIDE_WIDTHS = (230, 380)  # palette and inspector columns on first start (px)
RESULTS_SHARE = 0.32  # of the window height, for the results dock when a run first shows it


class MainWindow(QMainWindow):
    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        self.settings = QSettings()
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.document = DesignDocument(parent=self)
        self.theme = theme_named(str(self.settings.value("theme", "light")))
        self.scene = DesignScene(self.design, self.undo_stack, self.theme, self)
        self.scene.snap_to_grid = _as_bool(self.settings.value("snap_to_grid", True))
        self.view = DesignView(self.scene)
        self.view.setObjectName("canvas")
        self.setCentralWidget(self.view)
        self.actions_by_name: dict[str, QAction] = {}
        # The designer's features work on the document; the window only places their docks and actions.
        self.autosaver = Autosaver(self.document, parent=self)
        self.run_session = RunSession(self.document, self.scene, self)
        self.whatif = WhatIfActions(self.document, self._selected_node, self)
        self.report_export = ReportExport(self.document, self)
        self._selection_timer = QTimer(self)  # one inspector update per burst of selection changes
        self._selection_timer.setSingleShot(True)
        self._selection_timer.setInterval(0)
        self._selection_timer.timeout.connect(self._selection_changed)
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_statusbar()
        self._connect()
        self._restore_state()
        self._had_saved_state = self._restored_state
        if path:
            self.open_path(path)
        self._update_title()
        QTimer.singleShot(0, self.view.initial_view)

    # -- the document's parts, as the canvas and tests know them ----------------------------------------
    @property
    def design(self) -> Design:
        return self.document.design

    @property
    def undo_stack(self) -> QUndoStack:
        return self.document.undo_stack

    @property
    def file_path(self) -> str | None:
        return self.document.path

    # -- construction ------------------------------------------------------------------------------
    def _build_docks(self) -> None:
        # Side docks run the full height; the results dock below the canvas stays between them.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setDockNestingEnabled(True)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.palette = Palette()
        self.palette_dock = self._dock("Components", "palette_dock", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector = Inspector(self.design, self.undo_stack)
        self.inspector_dock = self._dock("Inspector", "inspector_dock", self.inspector, right)
        self.history = QUndoView(self.undo_stack)
        self.history.setEmptyLabel("Opened design")
        self.history_dock = self._dock("History", "history_dock", self.history, right)
        self.tabifyDockWidget(self.inspector_dock, self.history_dock)
        self.inspector_dock.raise_()
        self.run_dock = self.run_session.run_dock
        self.results_dock = self.run_session.results_dock
        self.addDockWidget(right, self.run_dock)
        self.addDockWidget(bottom, self.results_dock)
        self.results_dock.hide()  # empty until the first run: the canvas takes the space
        self.run_session.results_shown.connect(self._show_results_dock)
        self.run_session.dock_added.connect(self._add_feature_dock)

    def _add_feature_dock(self, dock: QDockWidget) -> None:
        """A dock a feature opens later (chaos): tabbed with the run dock, with a View toggle."""
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.tabifyDockWidget(self.run_dock, dock)
        self.view_menu.insertAction(self._view_docks_end, dock.toggleViewAction())

    def _show_results_dock(self) -> None:
        dock = self.results_dock
        if dock.isVisible() or dock.isFloating():
            return
        dock.show()
        if not self._had_saved_state and not getattr(self, "_results_sized", False):
            # first show on a first start: a fixed share; later the user's size
            self._results_sized = True
            self.resizeDocks([dock], [int(self.height() * RESULTS_SHARE)], Qt.Orientation.Vertical)

    def _initial_dock_sizes(self) -> None:
        """First start: side columns of a readable width, the inspector taller than the run panel, so the
        canvas keeps most of the window. Later starts restore the user's layout."""
        self.resizeDocks([self.palette_dock, self.inspector_dock], list(SIDE_WIDTHS), Qt.Orientation.Horizontal)
        stacked = [d for d in (self.inspector_dock, self.run_dock) if d.isVisible() and not d.isFloating()]
        if len(stacked) == 2:
            self.resizeDocks(stacked, [int(self.height() * 0.55), int(self.height() * 0.45)],
                             Qt.Orientation.Vertical)

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        if not getattr(self, "_sized_docks", False):
            self._sized_docks = True
            QTimer.singleShot(0, self._first_layout)

    def _first_layout(self) -> None:
        """Once shown: size the docks (first start), then fit the design into the canvas as it now is."""
        if not self._had_saved_state:
            self._initial_dock_sizes()
        self.view.initial_view()

    def set_panels_visible(self, visible: bool) -> None:
        """View ▸ Show Panels: collapse every dock to give the canvas the whole window, and bring them back."""
        if not visible:
            self._collapsed = [d for d in self.findChildren(QDockWidget) if d.isVisible()]
            for dock in self._collapsed:
                dock.hide()
        else:
            for dock in getattr(self, "_collapsed", []) or [self.palette_dock, self.inspector_dock, self.run_dock]:
                dock.show()
            self._collapsed = []

    def _dock(self, title: str, name: str, widget: Any, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, name: str, text: str, slot: Any, shortcut: Any = None, tip: str = "",
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if name in shortcuts.SHORTCUTS:  # the one shortcut table (designer/shortcuts.py) wins
            shortcuts.apply(action)
        elif shortcut is not None:
            if isinstance(shortcut, list):
                action.setShortcuts(shortcut)
            else:
                action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{text.replace('&', '').rstrip('.…')}" + (
                f" ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                if not action.shortcut().isEmpty() else ""))
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        self.actions_by_name[name] = action
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._action
        a("new", "&New", self.new_file, K.New, "Start an empty design")
        a("new_template", "New from &Template…", self.new_from_template, "Ctrl+Shift+N",
          "Start from a worked example")
        a("open", "&Open…", self.open_dialog, K.Open, "Open a design file")
        a("save", "&Save", self.save, K.Save, "Save the design")
        a("save_as", "Save &As…", self.save_as, K.SaveAs if not QKeySequence(K.SaveAs).isEmpty()
          else "Ctrl+Shift+S", "Save under a new name")
        a("export", "&Export Diagram…", self.export_dialog, "Ctrl+E", "Export the diagram as PNG or SVG")
        a("export_report", "Export &Report…", self.report_export.ask_and_start, "Ctrl+Shift+E",
          "Run the design and write the interview-ready report (" + ", ".join(
              f.upper() for f in self.report_export.formats()) + ")")
        a("quit", "&Quit", self.close, K.Quit if not QKeySequence(K.Quit).isEmpty() else "Ctrl+Q",
          "Close the window")
        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setObjectName("undo")
        shortcuts.apply(undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setObjectName("redo")
        shortcuts.apply(redo)  # Ctrl+Y and Ctrl+Shift+Z, each bound once
        self.actions_by_name["undo"], self.actions_by_name["redo"] = undo, redo
        a("cut", "Cu&t", self.cut, K.Cut, "Cut the selected nodes")
        a("copy", "&Copy", self.copy, K.Copy, "Copy the selected nodes (and the edges among them)")
        a("paste", "&Paste", self.paste, K.Paste, "Paste nodes from the clipboard")
        a("duplicate", "D&uplicate", self.duplicate, "Ctrl+D", "Duplicate the selected nodes")
        a("delete", "&Delete", self.delete_selection, [QKeySequence(K.Delete), QKeySequence("Backspace")],
          "Delete the selected nodes and edges")
        a("select_all", "Select &All", self.select_all, K.SelectAll, "Select every node")
        a("auto_layout", "Auto-&Layout", self.auto_layout, "Ctrl+L", "Arrange the nodes left to right in layers")
        a("zoom_in", "Zoom &In", self.view.zoom_in, ["Ctrl++", "Ctrl+="], "Zoom in")
        a("zoom_out", "Zoom &Out", self.view.zoom_out, "Ctrl+-", "Zoom out")
        a("zoom_fit", "&Fit to Window", self.view.fit_all, "Ctrl+0", "Show the whole diagram")
        a("zoom_reset", "&Actual Size", self.view.reset_zoom, "Ctrl+1", "Zoom to 100 %")
        snap = a("snap", "&Snap to Grid", self.set_snap, "Ctrl+G", "Snap dragged nodes to a 20 px grid", True)
        snap.setChecked(self.scene.snap_to_grid)
        dark = a("dark_theme", "&Dark Theme", lambda on: self.set_theme("dark" if on else "light"), "Ctrl+Shift+D",
                 "Switch between the light and dark themes", True)
        dark.setChecked(self.theme.name == "dark")
        panels = a("show_panels", "Show &Panels", self.set_panels_visible, None,
                   "Hide every panel to give the canvas the whole window, or bring them back", True)
        panels.setChecked(True)
        a("shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, K.HelpContents if not QKeySequence(
            K.HelpContents).isEmpty() else "F1", "List the keyboard shortcuts")
        a("about", "&About genai-sim", self.show_about, None, "Version and licence")
        for action in self.actions_by_name.values():
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.canvas_actions = CanvasActions(self.view, self.undo_stack, self, self.actions_by_name, self.add_node,
                                            lambda text: self.statusBar().showMessage(text, 5000))
        self.actions_by_name.update(self.canvas_actions.actions)
        # Editing keys belong to the canvas: in a text field, Delete/Ctrl+C must edit the text instead.
        for name in ("cut", "copy", "paste", "delete", "select_all", "duplicate"):
            action = self.actions_by_name[name]
            self.removeAction(action)
            self.view.addAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _fill_menu(self, menu: QMenu, entries: list[Any]) -> None:
        """Add actions (by name or as QAction) in order; ``None`` is a separator."""
        for entry in entries:
            if entry is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions_by_name[entry] if isinstance(entry, str) else entry)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self._fill_menu(self.file_menu, ["new", "new_template", "open"])
        self.recent_menu = self.file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_menu(self.file_menu, [None, "save", "save_as", None, "export", "export_report", None, "quit"])
        self.edit_menu = bar.addMenu("&Edit")
        self._fill_menu(self.edit_menu, ["undo", "redo", None, "cut", "copy", "paste", "duplicate", "delete", "rename",
                                         None, "select_all", "auto_layout"])
        arrange = self.edit_menu.addMenu("A&rrange")
        self._fill_menu(arrange, ["align_left", "align_center", "align_right", "align_top", "align_middle",
                                  "align_bottom", None, "distribute_h", "distribute_v"])
        self._fill_menu(self.edit_menu, ["group", "ungroup"])
        self.view_menu = bar.addMenu("&View")
        self._fill_menu(self.view_menu, ["zoom_in", "zoom_out", "zoom_fit", "zoom_reset", None, "snap",
                                         "dark_theme", None, "show_panels"])
        self._fill_menu(self.view_menu, [d.toggleViewAction() for d in (
            self.palette_dock, self.inspector_dock, self.history_dock, self.run_dock, self.results_dock)])
        self._view_docks_end = self.view_menu.addSeparator()  # docks opened later go above this line
        self.run_menu = bar.addMenu("&Run")
        groups = self.run_session.menu_groups() + self.whatif.menu_groups()
        for i, group in enumerate(groups):
            self._fill_menu(self.run_menu, ([None] if i else []) + list(group))
        self.help_menu = bar.addMenu("&Help")
        self._fill_menu(self.help_menu, ["shortcuts", "about"])
        self.docs_action = add_documentation_action(self, self.help_menu)  # Help ▸ Documentation (the docs site)

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("main_toolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        n = self.actions_by_name
        for name in ("new", "open", "save", None, "undo", "redo", None, "auto_layout", "zoom_fit"):
            if name is None:
                tb.addSeparator()
            else:
                tb.addAction(n[name])
        self.main_toolbar = tb

    def _build_statusbar(self) -> None:
        bar = self.statusBar()
        self.review_label = QLabel()
        self.review_label.setObjectName("review_label")
        self.zoom_label = QLabel("100 %")
        bar.addPermanentWidget(self.review_label)
        bar.addPermanentWidget(self.zoom_label)
        bar.showMessage("Drag components from the palette; drag from a node's right port to connect.", 8000)

    def _connect(self) -> None:
        self.autosaver.failed.connect(self._status)
        self.run_session.message.connect(lambda text, _error: self._status(text, 8000))
        self.run_session.node_selected.connect(self.select_node)
        self.whatif.message.connect(self._status)
        self.whatif.open_requested.connect(self.open_in_new_window)
        self.report_export.message.connect(lambda text: self._status(text, 10000))
        self.document.replaced.connect(self._document_replaced)
        self.palette.add_requested.connect(self.add_node_at_center)
        self.view.kind_dropped.connect(self.add_node)
        self.view.file_dropped.connect(self._open_dropped)
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        self.scene.selectionChanged.connect(self._selection_timer.start)
        self.scene.status_message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.scene.review_changed.connect(self._review_changed)
        # Bound methods, not lambdas: Qt drops these connections when the window is destroyed.
        self.document.dirty_changed.connect(self._update_title)
        self.document.path_changed.connect(self._update_title)
        self.undo_stack.indexChanged.connect(self._update_title)  # a renamed design changes the title
        self._review_changed(self.scene.issues)

    # -- state persistence ------------------------------------------------------------------------
    def _restore_state(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        state = self.settings.value("window_state")
        self._restored_state = isinstance(state, QByteArray) and not state.isEmpty()
        if self._restored_state:
            self.restoreState(state)
            self.results_dock.hide()  # an empty results dock takes no room; the first run brings it back

    def _save_state(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())

    # -- canvas services ----------------------------------------------------------------------------
    def _status(self, text: str, timeout_ms: int = 6000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def _selected_node(self) -> str | None:
        ids = self.scene.selected_node_ids()
        return ids[0] if ids else None

    def select_node(self, node_id: str) -> None:
        item = self.scene.node_items.get(node_id)
        if item is None:
            return
        self.scene.select_nodes([node_id])
        self.view.ensureVisible(item, 80, 80)

    # -- editing ----------------------------------------------------------------------------------
    def _node_name(self, kind: str) -> str:
        label = get_kind(kind).label.split(" (")[0]
        names = {n.name for n in self.design.nodes}
        if label not in names:
            return label
        i = 2
        while f"{label} {i}" in names:
            i += 1
        return f"{label} {i}"

    def add_node(self, kind: str, scene_pos: QPointF) -> Node | None:
        try:
            get_kind(kind)
        except DesignError as exc:
            self.statusBar().showMessage(str(exc), 6000)
            return None
        x, y = scene_pos.x(), scene_pos.y()
        if self.scene.snap_to_grid:
            x, y = round(x / GRID) * GRID, round(y / GRID) * GRID
        node = Node(self.design.new_id(kind), kind, self._node_name(kind), (float(x), float(y)))
        self.undo_stack.push(AddNodeCommand(self.design, node))
        self.scene.select_nodes([node.id])
        self.statusBar().showMessage(f"Added {node.name}. Drag from its right port to connect it.", 6000)
        return node

    def add_node_at_center(self, kind: str) -> Node | None:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        x, y = free_spot((centre.x(), centre.y()), self.scene.card_rects().values())  # never on top of a card
        node = self.add_node(kind, QPointF(x, y))
        if node is not None and node.id in self.scene.node_items:
            self.view.ensureVisible(self.scene.node_items[node.id], 40, 40)
        return node

    def delete_selection(self) -> None:
        nodes, edges = self.scene.selected_node_ids(), self.scene.selected_edge_indices()
        groups = self.canvas_actions.selected_group_ids()
        if groups and (nodes or edges):
            self.undo_stack.beginMacro("Delete selection")
        if nodes or edges:
            self.undo_stack.push(RemoveCommand(self.design, nodes, edges))
        if groups:
            self.canvas_actions.remove_selected_groups()
            if nodes or edges:
                self.undo_stack.endMacro()

    def select_all(self) -> None:
        # One selection change for the whole set: the scene signals once, the inspector rebuilds once.
        self.scene.blockSignals(True)
        try:
            for item in self.scene.node_items.values():
                item.setSelected(True)
        finally:
            self.scene.blockSignals(False)
        self.scene.selectionChanged.emit()

    def copy(self) -> None:
        ids = self.scene.selected_node_ids()
        if not ids:
            self.statusBar().showMessage("Select nodes to copy.", 4000)
            return
        QApplication.clipboard().setMimeData(clipboard.to_mime(self.design, ids))
        self.statusBar().showMessage(f"Copied {len(ids)} node{'s' * (len(ids) != 1)}.", 4000)

    def cut(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            self.copy()
            self.undo_stack.push(RemoveCommand(self.design, ids, [], text=f"Cut {len(ids)} nodes"))

    def paste(self) -> None:
        try:
            pasted = clipboard.from_mime(QApplication.clipboard().mimeData())
        except DesignError as exc:
            self.statusBar().showMessage(f"Cannot paste: {exc}", 8000)
            return
        if pasted is None or not pasted.nodes:
            self.statusBar().showMessage("The clipboard holds no genai-sim nodes.", 4000)
            return
        self._insert_fragment(pasted, "Paste")

    def duplicate(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            self._insert_fragment(load_design(clipboard.fragment(self.design, ids), check_catalogs=False),
                                  "Duplicate")

    def _insert_fragment(self, fragment: Design, text: str) -> None:
        taken = {(round(n.pos[0]), round(n.pos[1])) for n in self.design.nodes}
        dx = dy = 0.0
        while any((round(n.pos[0] + dx), round(n.pos[1] + dy)) in taken for n in fragment.nodes):
            dx, dy = dx + 2 * GRID, dy + 2 * GRID  # step off the originals so the copy is visible
        nodes, edges = clipboard.prepare_paste(self.design, fragment, (dx, dy))
        self.undo_stack.push(AddSubgraphCommand(self.design, nodes, edges,
                                                f"{text} {len(nodes)} node{'s' * (len(nodes) != 1)}"))
        self.scene.select_nodes([n.id for n in nodes])

    def auto_layout(self) -> None:
        positions = auto_layout(self.design)
        moves = {nid: (self.design.node(nid).pos, pos) for nid, pos in positions.items()
                 if tuple(self.design.node(nid).pos) != tuple(pos)}
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.design, moves, "Auto-layout"))
        self.scene.fit_scene_rect()
        self.view.fit_all()

    def set_snap(self, on: bool) -> None:
        self.scene.snap_to_grid = bool(on)
        self.settings.setValue("snap_to_grid", bool(on))

    def set_theme(self, name: str) -> None:
        self.theme = theme_named(name)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.theme)
        self.scene.set_theme(self.theme)
        self.settings.setValue("theme", self.theme.name)
        self.inspector.rebuild()
        action = self.actions_by_name.get("dark_theme")
        if action is not None and action.isChecked() != (name == "dark"):
            action.blockSignals(True)
            action.setChecked(name == "dark")
            action.blockSignals(False)

    def _selection_changed(self) -> None:
        """Runs once per burst of selection changes (a rubber band or Select All changes it per item)."""
        nodes, edges = self.scene.selected_node_ids(), self.scene.selected_edge_indices()
        self.inspector.show_selection(nodes, edges)
        if nodes or edges:
            self.inspector_dock.raise_()

    def _review_changed(self, issues: list[dict[str, Any]]) -> None:
        errors = sum(i["severity"] == "error" for i in issues)
        warnings = sum(i["severity"] == "warning" for i in issues)
        if not issues:
            self.review_label.setText("✓ no structural problems")
            self.review_label.setToolTip("The design review found nothing to fix.")
            return
        parts = []
        if errors:
            parts.append(f"{errors} error{'s' * (errors != 1)}")
        if warnings:
            parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
        self.review_label.setText("⚠ " + ", ".join(parts or [f"{len(issues)} notes"]))
        self.review_label.setToolTip("<br>".join(
            f"<b>{i['severity']}</b> {html.escape(i.get('node') or 'design')}: {html.escape(i['message'])}"
            for i in issues))

    # -- files ------------------------------------------------------------------------------------
    def _update_title(self, *_args: Any) -> None:
        self.setWindowTitle(f"{self.design.name} — {self.document.file_name}[*] — genai-sim")
        self.setWindowModified(self.document.is_dirty)

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current design (saved, discarded, or unchanged)."""
        if not self.document.is_dirty:
            return True
        answer = QMessageBox.warning(
            self, "Unsaved changes", f"Save changes to “{self.design.name}” before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _document_replaced(self) -> None:
        self._update_title()
        self.view.initial_view()

    def new_file(self) -> None:
        if self.maybe_save():
            from designer.document import new_design

            self.document.replace(new_design())

    def new_from_template(self) -> None:
        from designer.gallery import TemplateGallery

        if not self.maybe_save():
            return
        dialog = TemplateGallery(self, self.theme.name)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.selected_path():
            self.open_path(dialog.selected_path(), ask=False)

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(Path(self.file_path).parent) if self.file_path else str(self.settings.value("last_dir", ""))
        path, _ = QFileDialog.getOpenFileName(self, "Open design", start, FILE_FILTER)
        if path:
            self.open_path(path, ask=False)

    def _open_dropped(self, path: str) -> None:
        self.open_path(path)

    def open_path(self, path: str, ask: bool = True) -> bool:
        """Open a design file; a built-in template opens as an untitled copy (Save asks where)."""
        if ask and not self.maybe_save():
            return False
        try:
            untitled = self.document.open(path)
        except DesignError as exc:
            QMessageBox.critical(self, "Cannot open design", str(exc))
            self._forget_recent(path)
            return False
        if untitled:
            self._status(f"Opened the template {Path(path).name} as an untitled copy; Save asks for a file name.",
                         8000)
        else:
            self._add_recent(self.file_path or path)
            self._status(f"Opened {path}", 5000)
        return True

    def open_in_new_window(self, design: Design) -> MainWindow:
        """Show ``design`` as an untitled document in a window of its own (a what-if point)."""
        window = MainWindow()
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.document.replace(design, None, base_dir=design.base_dir, modified=True)
        window.show()
        self._opened_windows = [w for w in getattr(self, "_opened_windows", []) if w.isVisible()] + [window]
        return window

    def save(self) -> bool:
        if not self.file_path:
            return self.save_as()
        return self._save_to(self.file_path)

    def save_as(self) -> bool:
        folder = (str(Path(self.file_path).parent) if self.file_path and not is_template(self.file_path)
                  else str(self.settings.value("last_dir", os.getcwd())))
        if is_template(folder):
            folder = os.getcwd()
        start = str(Path(folder) / (Path(self.file_path).name if self.file_path
                                    else _slug(self.design.name) + ".genai.json"))
        path, _ = QFileDialog.getSaveFileName(self, "Save design as", start, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".genai.json"
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            saved = self.document.save(path)
        except OSError as exc:
            QMessageBox.critical(self, "Cannot save", f"{path}: {exc.strerror or exc}")
            return False
        self._add_recent(saved)
        self._status(f"Saved {path}", 5000)
        return True

    def export_dialog(self) -> None:
        from designer.export import export_diagram

        start = str(Path(self.file_path).with_suffix("").with_suffix(".png")) if self.file_path else "diagram.png"
        path, _ = QFileDialog.getSaveFileName(self, "Export diagram", start, "PNG image (*.png);;SVG drawing (*.svg)")
        if path:
            try:
                export_diagram(self.design, Path(path))
            except DesignError as exc:
                QMessageBox.critical(self, "Cannot export", str(exc))
                return
            self.statusBar().showMessage(f"Exported {path}", 5000)

    # -- recent files -----------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: str) -> None:
        files = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self.settings.setValue("last_dir", str(Path(path).parent))

    def _forget_recent(self, path: str) -> None:
        self.settings.setValue("recent_files", [p for p in self.recent_files() if p != path])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
            return
        for i, path in enumerate(files):
            action = self.recent_menu.addAction(f"&{(i + 1) % 10} {Path(path).name}")
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear List", lambda: self.settings.setValue("recent_files", []))

    # -- dialogs ------------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(dialog)
        rows = [(a.text().replace("&", ""), ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                                                      for s in a.shortcuts()))
                for a in self.shortcut_actions() if a.shortcuts()]
        rows += list(shortcuts.CANVAS_KEYS)
        table = QTableWidget(len(rows), 2)
        table.setObjectName("shortcuts_table")
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (name, keys) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(name))
            table.setItem(r, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)
        dialog.resize(520, 560)
        dialog.exec()

    def shortcut_actions(self) -> list[QAction]:
        seen: list[QAction] = []
        menus = [self.file_menu, self.edit_menu, self.view_menu, self.run_menu, self.help_menu]
        while menus:
            for action in menus.pop(0).actions():
                if action.menu() is not None:
                    menus.append(action.menu())  # submenus (Edit ▸ Arrange) too
                elif action.shortcuts() and action not in seen:
                    seen.append(action)
        return seen

    def show_about(self) -> None:
        QMessageBox.about(self, "About genai-sim",
                          "<b>genai-sim</b><br>Design, simulate and price generative-AI systems.<br>"
                          "A Qt designer over a SimPy engine timed by GPU kernel profiles.")

    # -- window events ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_save():
            event.ignore()
            return
        self.autosaver.close()  # saved, or the changes discarded by the user
        self._save_state()
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.toLocalFile().endswith(".json") for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.toLocalFile().endswith(".json"):
                event.acceptProposedAction()
                self.open_path(url.toLocalFile())
                return


def _as_bool(value: Any) -> bool:
    return value in (True, "true", "1", 1)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower()).strip("-") or "design"


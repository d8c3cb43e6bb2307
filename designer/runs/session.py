"""Wires running into the main window: Run menu and shortcuts, run and results docks, canvas overlay,
session runs for Compare, the chaos panel, calibration, and results kept in the design file."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand
from PySide6.QtWidgets import QMainWindow, QMenu

from designer.results.dock import ResultsDock
from designer.results.model import RunData
from designer.runs.controller import RunController
from designer.runs.overlay import apply_overlay
from designer.runs.panel import RunDock

RESULTS_KEY = "results"
DESIGN_CHECK_MS = 500  # the window may swap its Design object (open/new); notice it within this


def _menu(window: QMainWindow, title: str) -> QMenu:
    bar = window.menuBar()
    plain = title.replace("&", "")
    for action in bar.actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "") == plain:
            return menu
    menu = bar.addMenu(title)
    return menu


class KeepResultsCommand(QUndoCommand):
    """Store (or drop, with ``value=None``) the run summary kept in the design file: an undoable edit, so the
    window counts it as an unsaved change and asks before discarding it."""

    def __init__(self, design: Any, value: dict[str, Any] | None, text: str) -> None:
        super().__init__(text)
        self.design = design
        self.new = value
        self.old = design.extra.get(RESULTS_KEY)

    def _set(self, value: dict[str, Any] | None) -> None:
        if value is None:
            self.design.extra.pop(RESULTS_KEY, None)
        else:
            self.design.extra[RESULTS_KEY] = value

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)


class RunSession(QObject):
    """Everything about runs for one main window."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = RunController(self)
        self.run_dock = RunDock(window)
        self.results_dock = ResultsDock(window)
        self.panel = self.run_dock.panel
        self.view = self.results_dock.view
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.run_dock)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.results_dock)
        self.latest: RunData | None = None  # the run shown in the results dock
        self.chaos_dock: Any = None
        self.compare_dialog: Any = None
        self.calibrate_dialog: Any = None
        self._queue: list[dict[str, Any]] = []  # runs queued by the chaos panel (healthy, then faults)
        self._design: Any = None
        self._build_actions()
        self.controller.started.connect(self._started)
        self.controller.progressed.connect(self._progressed)
        self.controller.partial.connect(self._partial)
        self.controller.finished.connect(self._finished)
        self.controller.failed.connect(self._failed)
        self.controller.refused.connect(self._refused)
        self.panel.run_requested.connect(self.run)
        self.panel.stop_requested.connect(self.stop)
        self.panel.run_selected.connect(self.show_run)
        self.panel.compare_requested.connect(self.open_compare)
        self.panel.keep.toggled.connect(self._keep_toggled)
        self.view.node_clicked.connect(self.select_node)
        self._bind_design()
        self._watch = QTimer(self)
        self._watch.setInterval(DESIGN_CHECK_MS)
        self._watch.timeout.connect(self._check_design)
        self._watch.start()
        window.destroyed.connect(self.controller.shutdown)

    # -- menus ----------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        w = self.window
        self.run_action = QAction("&Run simulation", w)
        self.run_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.run_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.run_action.setStatusTip("Simulate the design in a background process")
        self.run_action.triggered.connect(self.run)
        self.stop_action = QAction("&Stop", w)
        self.stop_action.setShortcut(QKeySequence(Qt.Modifier.SHIFT | Qt.Key.Key_F5))
        self.stop_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.stop_action.setEnabled(False)
        self.stop_action.triggered.connect(self.stop)
        self.compare_action = QAction("&Compare runs…", w)
        self.compare_action.triggered.connect(self.open_compare)
        self.chaos_action = QAction("C&haos (fault injection)…", w)
        self.chaos_action.triggered.connect(self.open_chaos)
        self.calibrate_action = QAction("Ca&librate hardware…", w)
        self.calibrate_action.triggered.connect(self.open_calibrate)
        self.keep_action = QAction("&Keep results in the design file", w)
        self.keep_action.setCheckable(True)
        self.keep_action.toggled.connect(self.panel.keep.setChecked)
        run_menu = _menu(w, "&Run")
        if run_menu.actions():
            run_menu.addSeparator()
        for action in (self.run_action, self.stop_action):
            run_menu.addAction(action)
        run_menu.addSeparator()
        for action in (self.compare_action, self.chaos_action, self.calibrate_action):
            run_menu.addAction(action)
        run_menu.addSeparator()
        run_menu.addAction(self.keep_action)
        view_menu = _menu(w, "&View")
        view_menu.addSeparator()
        view_menu.addAction(self.run_dock.toggleViewAction())
        view_menu.addAction(self.results_dock.toggleViewAction())

    # -- design tracking ------------------------------------------------------------------------
    def _bind_design(self) -> None:
        design = getattr(self.window, "design", None)
        if design is self._design:
            return
        if self._design is not None and hasattr(self._design, "unsubscribe"):
            self._design.unsubscribe(self._design_event)
        self._design = design
        if design is None:
            return
        if hasattr(design, "subscribe"):
            design.subscribe(self._design_event)
        self._design_opened()

    def _check_design(self) -> None:
        if getattr(self.window, "design", None) is not self._design:
            self._bind_design()

    def _design_event(self, event: str, payload: dict[str, Any]) -> None:
        if event == "reset":
            self._design_opened()
        elif event == "design_changed" and payload.get("field") in ("workload", "slo"):
            self.panel.show_design(self._design)
            if self.latest is not None and self.latest.finished:
                self.panel.show_slos(self._design.slo, None)

    def _design_opened(self) -> None:
        """A design was opened (or replaced): show its kept results, if any."""
        design = self._design
        if self.controller.running:  # another design was opened: its figures would not match the canvas
            self.stop()
        self.panel.show_design(design)
        kept = design.extra.get(RESULTS_KEY) if isinstance(getattr(design, "extra", None), dict) else None
        self.panel.keep.blockSignals(True)
        self.panel.keep.setChecked(kept is not None)
        self.panel.keep.blockSignals(False)
        self.keep_action.blockSignals(True)
        self.keep_action.setChecked(kept is not None)
        self.keep_action.blockSignals(False)
        if kept is None:
            if self.latest is not None and not self.controller.running:
                self.latest = None
                self.view.show_run(None)
                apply_overlay(self.window, None)
            return
        try:
            run = RunData.from_compact(kept)
        except (ValueError, TypeError, KeyError) as exc:
            self._say(
                f"The kept results in this file could not be read ({exc}); they are ignored.", error=True
            )
            return
        run.label = f"{run.label} (kept in file)"
        self.panel.add_run(run)
        self.show_run(run)
        self._say("Showing the results kept in the design file.")

    # -- running --------------------------------------------------------------------------------
    def run(self) -> RunData | None:
        self._check_design()
        design = self._design
        if design is None:
            self._say("No design to run.", error=True)
            return None
        if self.controller.running:
            self._refused("A run is already going: stop it (Shift+F5) before starting another.")
            return None
        return self.controller.start(
            design, seed=self.panel.seed.value(), duration_s=self.panel.duration.value()
        )

    def run_queued(self, jobs: list[dict[str, Any]]) -> bool:
        """Run several design dicts one after another (the chaos comparison); refused while a run goes."""
        if self.controller.running or self._queue:
            self._refused("A run is already going: stop it (Shift+F5) before starting another.")
            return False
        self._queue = list(jobs)
        self._start_next()
        return True

    def _start_next(self) -> None:
        if not self._queue:
            return
        job = self._queue.pop(0)
        self.controller.start(
            job["design"],
            seed=job.get("seed"),
            duration_s=job.get("duration_s"),
            label=job.get("label", ""),
            tag=job.get("tag", ""),
        )

    def stop(self) -> None:
        self._queue.clear()
        if self.controller.stop():
            self._say("Stopping…")

    def _started(self, run: RunData) -> None:
        self.latest = run
        self.panel.set_running(True)
        self.run_action.setEnabled(False)
        self.stop_action.setEnabled(True)
        self.panel.add_run(run)
        self.view.show_run(run, live=True)
        self._say(f"Running {run.label}…")

    def _progressed(self, run: RunData, eta: float) -> None:
        self.panel.set_progress(run.fraction, eta)

    def _partial(self, run: RunData) -> None:
        if run is self.latest:
            self.view.show_run(run, live=True)
            apply_overlay(self.window, run)

    def _idle(self) -> None:
        self.panel.set_running(False)
        self.run_action.setEnabled(True)
        self.stop_action.setEnabled(False)

    def _finished(self, run: RunData) -> None:
        self._idle()
        self.panel.update_run(run)
        if run.status == "done":
            self.panel.set_progress(1.0, 0.0)
            self.panel.eta.setText(f"finished in {run.wall_s:.1f} s")
            met = [v.get("met") for v in (run.summary or {}).get("slo", {}).values()]
            verdict = f"; {sum(bool(m) for m in met)} of {len(met)} SLOs met" if met else ""
            self._say(f"Run finished: {run.sim_t:,.0f} s simulated{verdict}.")
        else:
            self.panel.eta.setText("stopped")
            partial = " (partial results shown)" if run.summary else ""
            self._say(f"Run stopped at {run.fraction:.0%}{partial}.")
        self.show_run(run)
        if run.summary and self.panel.keep.isChecked() and not run.tag:
            self._keep(run)
        if self.chaos_dock is not None and run.tag.startswith("chaos"):
            self.chaos_dock.panel.run_finished(run)
        self._start_next()

    def _failed(self, run: RunData, message: str) -> None:
        self._idle()
        self._queue.clear()
        self.panel.update_run(run)
        self.panel.eta.setText("")
        self.show_run(run)
        self._say(f"The run failed: {message}", error=True)
        if self.chaos_dock is not None and run.tag.startswith("chaos"):
            self.chaos_dock.panel.run_failed(run)

    def _refused(self, message: str) -> None:
        self._say(message, error=True)

    # -- showing --------------------------------------------------------------------------------
    def show_run(self, run: RunData | None) -> None:
        self.latest = run
        self.view.show_run(run)
        apply_overlay(self.window, run)
        design = self._design
        if design is not None:
            self.panel.show_slos(design.slo, run if run is not None and run.finished else None)

    def select_node(self, node_id: str) -> None:
        w = self.window
        if hasattr(w, "select_node"):
            w.select_node(node_id)
        elif hasattr(getattr(w, "scene", None), "select_nodes"):
            w.scene.select_nodes([node_id])

    def _say(self, text: str, error: bool = False) -> None:
        self.panel.set_status(text, error)
        bar = self.window.statusBar() if hasattr(self.window, "statusBar") else None
        if bar is not None:
            bar.showMessage(text, 8000)

    # -- kept results ---------------------------------------------------------------------------
    def _keep_toggled(self, on: bool) -> None:
        self.keep_action.blockSignals(True)
        self.keep_action.setChecked(on)
        self.keep_action.blockSignals(False)
        design = self._design
        if design is None:
            return
        if on and self.latest is not None and self.latest.summary and not self.latest.from_file:
            self._keep(self.latest)
        elif not on and RESULTS_KEY in design.extra:
            self._push(KeepResultsCommand(design, None, "Drop kept results"))
            self._say("Results will no longer be saved with the design.")

    def _keep(self, run: RunData) -> None:
        design = self._design
        if design is None:
            return
        self._push(KeepResultsCommand(design, run.to_compact(), "Keep run results"))
        self._say(self.panel.status.text().rstrip(".") + ". Results will be saved with the design.")

    def _push(self, command: QUndoCommand) -> None:
        stack = getattr(self.window, "undo_stack", None)
        if stack is not None and hasattr(stack, "push"):
            stack.push(command)  # the window now has unsaved changes: its prompts and title follow
        else:
            command.redo()
            self.window.setWindowModified(True)

    # -- dialogs --------------------------------------------------------------------------------
    def session_runs(self) -> list[RunData]:
        return [r for r in self.panel.session_runs() if r.summary is not None]

    def open_compare(self) -> None:
        from designer.runs.compare import CompareDialog

        runs = self.session_runs()
        if len(runs) < 2:
            self._say(
                "Compare needs two finished runs in this session; run the design twice (e.g. after an edit).",
                error=True,
            )
            return
        chosen = sorted(
            (r for r in self.panel.selected_runs() if r.summary is not None), key=lambda r: r.created
        )
        a, b = (chosen[-2], chosen[-1]) if len(chosen) >= 2 else (runs[1], runs[0])  # A: the older run
        self.compare_dialog = CompareDialog(runs, a, b, self.window)
        self.compare_dialog.show()

    def open_chaos(self) -> None:
        from designer.runs.chaos import ChaosDock

        if self.chaos_dock is None:
            self.chaos_dock = ChaosDock(self, self.window)
            self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.chaos_dock)
            self.window.tabifyDockWidget(self.run_dock, self.chaos_dock)  # the run dock's full height
            _menu(self.window, "&View").addAction(self.chaos_dock.toggleViewAction())
        self.chaos_dock.panel.refresh_nodes()
        self.chaos_dock.show()
        self.chaos_dock.raise_()

    def open_calibrate(self) -> None:
        from designer.runs.calibrate import CalibrateDialog

        if self.calibrate_dialog is None:
            self.calibrate_dialog = CalibrateDialog(self.window)
        self.calibrate_dialog.show()
        self.calibrate_dialog.raise_()

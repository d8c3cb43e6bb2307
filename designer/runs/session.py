"""Running for one document: run and results docks, canvas overlay, session runs for Compare, the chaos
panel, calibration, and results kept in the design file. The window places the docks and the actions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QWidget

from designer.canvas import DesignScene
from designer.commands import SetExtraCommand
from designer.document import DesignDocument
from designer.results.dock import ResultsDock
from designer.results.model import RunData
from designer.runs.controller import RunController
from designer.runs.overlay import apply_overlay
from designer.runs.panel import RunDock

RESULTS_KEY = "results"


class RunSession(QObject):
    """Everything about runs of one document. ``message(text, error)`` is a line for the status bar,
    ``node_selected(id)`` asks to show a node on the canvas, ``dock_added(dock)`` offers a new dock (chaos)."""

    message = Signal(str, bool)
    node_selected = Signal(str)
    results_shown = Signal()  # the results dock has a run to show (the window makes room for it)
    dock_added = Signal(QDockWidget)

    def __init__(self, document: DesignDocument, scene: DesignScene, parent: QWidget) -> None:
        super().__init__(parent)
        self.document = document
        self.scene = scene
        self.host = parent  # parent of the docks and dialogs
        self.controller = RunController(self)
        self.run_dock = RunDock(parent)
        self.results_dock = ResultsDock(parent)
        self.panel = self.run_dock.panel
        self.view = self.results_dock.view
        self.latest: RunData | None = None  # the run shown in the results dock
        self.chaos_dock: Any = None
        self.compare_dialog: Any = None
        self.calibrate_dialog: Any = None
        self._queue: list[dict[str, Any]] = []  # runs queued by the chaos panel (healthy, then faults)
        self._orphan: RunData | None = None  # a run of the design that was open before: ignored as it ends
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
        self.view.node_clicked.connect(self.node_selected)
        document.design.subscribe(self._design_event)
        document.replaced.connect(self._design_opened)
        self._design_opened()
        parent.destroyed.connect(self.controller.shutdown)

    @property
    def design(self) -> Any:
        return self.document.design

    @property
    def docks(self) -> list[QDockWidget]:
        return [self.run_dock, self.results_dock]

    # -- actions (the window puts them in its Run menu) -------------------------------------------
    def _build_actions(self) -> None:
        host = self.host
        self.run_action = QAction("&Run simulation", host)
        self.run_action.setObjectName("run")
        self.run_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.run_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.run_action.setStatusTip("Simulate the design in a background process")
        self.run_action.triggered.connect(self.run)
        self.stop_action = QAction("&Stop", host)
        self.stop_action.setObjectName("stop")
        self.stop_action.setShortcut(QKeySequence(Qt.Modifier.SHIFT | Qt.Key.Key_F5))
        self.stop_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.stop_action.setEnabled(False)
        self.stop_action.triggered.connect(self.stop)
        self.compare_action = QAction("&Compare runs…", host)
        self.compare_action.triggered.connect(self.open_compare)
        self.chaos_action = QAction("C&haos (fault injection)…", host)
        self.chaos_action.triggered.connect(self.open_chaos)
        self.calibrate_action = QAction("Ca&librate hardware…", host)
        self.calibrate_action.triggered.connect(self.open_calibrate)
        self.keep_action = QAction("&Keep results in the design file", host)
        self.keep_action.setCheckable(True)
        self.keep_action.toggled.connect(self.panel.keep.setChecked)

    def menu_groups(self) -> list[list[QAction]]:
        """The Run menu's entries, in groups separated by a line."""
        return [[self.run_action, self.stop_action],
                [self.compare_action, self.chaos_action, self.calibrate_action],
                [self.keep_action]]

    # -- design tracking ------------------------------------------------------------------------
    def _design_event(self, event: str, payload: dict[str, Any]) -> None:
        if event == "design_changed" and payload.get("field") in ("workload", "slo"):
            self.panel.show_design(self.design)
            if self.latest is not None and self.latest.finished:
                self.panel.show_slos(self.design.slo, None)

    def _design_opened(self) -> None:
        """Another design fills the document: the panel starts afresh and shows its kept results, if any."""
        design = self.design
        if self.controller.running:  # its figures would not match the canvas: stop it and never show it
            self._orphan = self.controller.current
            self.stop()
        self._queue.clear()
        self.panel.reset()
        self.panel.show_design(design)
        kept = design.extra.get(RESULTS_KEY) if isinstance(getattr(design, "extra", None), dict) else None
        self.panel.keep.blockSignals(True)
        self.panel.keep.setChecked(kept is not None)
        self.panel.keep.blockSignals(False)
        self.keep_action.blockSignals(True)
        self.keep_action.setChecked(kept is not None)
        self.keep_action.blockSignals(False)
        if kept is None:
            self.latest = None
            self.view.show_run(None)
            apply_overlay(self.scene, None)
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
        if self.controller.running:
            self._refused("A run is already going: stop it (Shift+F5) before starting another.")
            return None
        data, base_dir = self.document.snapshot()
        return self.controller.start(data, seed=self.panel.seed.value(), duration_s=self.panel.duration.value(),
                                     base_dir=base_dir)

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
            base_dir=job.get("base_dir"),
        )

    def stop(self) -> None:
        self._queue.clear()
        if self.controller.stop():
            self._say("Stopping…")

    def _started(self, run: RunData) -> None:
        self.latest = run
        self.results_shown.emit()
        self.panel.set_running(True)
        self.run_action.setEnabled(False)
        self.stop_action.setEnabled(True)
        self.panel.add_run(run)
        self.view.show_run(run, live=True)
        self._say(f"Running {run.label}…")

    def _progressed(self, run: RunData, eta: float) -> None:
        if run is not self._orphan:
            self.panel.set_progress(run.fraction, eta)

    def _partial(self, run: RunData) -> None:
        if run is self.latest:
            self.view.show_run(run, live=True)
            apply_overlay(self.scene, run)

    def _idle(self) -> None:
        self.panel.set_running(False)
        self.run_action.setEnabled(True)
        self.stop_action.setEnabled(False)

    def _finished(self, run: RunData) -> None:
        self._idle()
        if run is self._orphan:
            self._orphan = None
            return
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
        if run is self._orphan:
            self._orphan = None
            return
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
        if run is not None:
            self.results_shown.emit()
        self.view.show_run(run)
        apply_overlay(self.scene, run)
        self.panel.show_slos(self.design.slo, run if run is not None and run.finished else None)

    def _say(self, text: str, error: bool = False) -> None:
        self.panel.set_status(text, error)
        self.message.emit(text, error)

    # -- kept results ---------------------------------------------------------------------------
    def _keep_toggled(self, on: bool) -> None:
        self.keep_action.blockSignals(True)
        self.keep_action.setChecked(on)
        self.keep_action.blockSignals(False)
        design = self.design
        if on and self.latest is not None and self.latest.summary and not self.latest.from_file:
            self._keep(self.latest)
        elif not on and RESULTS_KEY in design.extra:
            self.document.push(SetExtraCommand(design, RESULTS_KEY, None, "Drop kept results"))
            self._say("Results will no longer be saved with the design.")

    def _keep(self, run: RunData) -> None:
        self.document.push(SetExtraCommand(self.design, RESULTS_KEY, run.to_compact(), "Keep run results"))
        self._say(self.panel.status.text().rstrip(".") + ". Results will be saved with the design.")

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
        self.compare_dialog = CompareDialog(runs, a, b, self.host)
        self.compare_dialog.show()

    def open_chaos(self) -> None:
        from designer.runs.chaos import ChaosDock

        if self.chaos_dock is None:
            self.chaos_dock = ChaosDock(self, self.host)
            self.dock_added.emit(self.chaos_dock)  # the window tabs it with the run dock
        self.chaos_dock.panel.refresh_nodes()
        self.chaos_dock.show()
        self.chaos_dock.raise_()

    def open_calibrate(self) -> None:
        from designer.runs.calibrate import CalibrateDialog

        if self.calibrate_dialog is None:
            self.calibrate_dialog = CalibrateDialog(self.document, self.scene.selected_node_ids, self.host)
        self.calibrate_dialog.show()
        self.calibrate_dialog.raise_()

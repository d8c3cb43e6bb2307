"""Starts, watches and stops one simulation at a time in a worker process.

Why a process and not a QThread: the engine is pure Python and holds the GIL for whole chunks, so a
thread would make the UI stutter (benchmarks/ui_responsiveness.py measures both). The worker writes
messages into a one-way Pipe; a small reader thread here blocks on it (releasing the GIL while it waits)
and hands whole messages to the UI thread, which drains them on a QTimer without ever blocking.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from designer.results.model import RunData
from designer.runs.worker import run_worker

POLL_MS = 30  # how often the UI drains the worker's queue
STOP_GRACE_MS = 120  # a stop request waits this long for the worker's partial result, then terminates it
PARTIAL_EVERY_S = 0.25  # live refreshes of the views, at most this often
MAX_MESSAGES_PER_POLL = 50


def _pump(conn: Any, inbox: queue_mod.Queue) -> None:
    """Reader thread: whole messages from the worker's pipe into the UI's inbox, then ("eof", None)."""
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, ValueError):
            inbox.put(("eof", None))
            return
        except Exception as exc:  # noqa: BLE001 - a message that cannot be unpickled must not hang the UI
            inbox.put(("error", {"message": f"unreadable message from the simulation process: {exc}"}))
            return
        inbox.put(msg)
        if msg[0] in ("done", "error"):
            return


def design_snapshot(design: Any) -> dict[str, Any]:
    """The design as the run sees it (loader.design_to_dict), without kept results: what Compare diffs."""
    from simulation.loader import design_to_dict

    data = design_to_dict(design)
    for key in ("results", "sweeps", "notes", "seed_figures"):
        data.pop(key, None)
    return data


class RunController(QObject):
    """One run at a time. A second start while one is going is refused (``refused`` says why)."""

    started = Signal(object)  # RunData
    progressed = Signal(object, float)  # RunData, ETA seconds (NaN when unknown)
    partial = Signal(object)  # RunData with new live figures
    finished = Signal(object)  # RunData: done or cancelled
    failed = Signal(object, str)  # RunData, one-line message
    refused = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._inbox: queue_mod.Queue = queue_mod.Queue()
        self._reader: Any = None
        self._cancel: Any = None
        self.current: RunData | None = None
        self._stop_deadline: float | None = None
        self._stop_requested_at: float | None = None
        self._last_partial = 0.0
        self._run_started = 0.0
        self._dirty_partial = False
        self._reaping: list[Any] = []
        self.last_stop_latency_s: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    # -- public ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.current is not None

    def start(
        self,
        design: Any,
        seed: int | None = None,
        duration_s: float | None = None,
        label: str = "",
        tag: str = "",
        base_dir: str | None = None,
    ) -> RunData | None:
        """Start a run of a snapshot of ``design`` (a Design or a design dict); None when refused.
        ``base_dir``: where its relative file names resolve (default: a Design's own folder)."""
        if self.running:
            self.refused.emit("A run is already going: stop it (Shift+F5) before starting another.")
            return None
        if isinstance(design, dict):
            data = dict(design)
        else:
            data = design_snapshot(design)
            base_dir = base_dir if base_dir is not None else design.base_dir
        w = data.get("workload", {})
        seed_used = int(seed if seed is not None else w.get("seed", 0))
        dur = float(duration_s if duration_s is not None else w.get("duration_s", 600.0))
        run = RunData(
            label=label or f"{data.get('name', 'design')} · seed {seed_used}",
            seed=seed_used,
            duration_s=dur,
            design=data,
            tag=tag,
        )
        reader, writer = self._ctx.Pipe(duplex=False)
        self._cancel = self._ctx.Event()
        self._proc = self._ctx.Process(
            target=run_worker,
            name="genai-sim-run",
            args=(data, base_dir, seed_used, dur, writer, self._cancel, True),
            daemon=True,
        )
        self.current = run
        self._stop_deadline = None
        self._stop_requested_at = None
        self._run_started = time.perf_counter()
        self._proc.start()
        writer.close()  # only the worker writes: its exit (or termination) ends the reader thread with EOF
        self._reader = reader
        self._inbox = queue_mod.Queue()
        threading.Thread(
            target=_pump, args=(reader, self._inbox), name="genai-sim-run-reader", daemon=True
        ).start()
        self._timer.start()
        self.started.emit(run)
        return run

    def stop(self) -> bool:
        """Ask the worker to cancel; if it has not answered within STOP_GRACE_MS it is terminated."""
        if not self.running or self._stop_deadline is not None:
            return False
        self._cancel.set()
        self._stop_requested_at = time.perf_counter()
        self._stop_deadline = self._stop_requested_at + STOP_GRACE_MS / 1000.0
        QTimer.singleShot(STOP_GRACE_MS, self, self._poll)
        return True

    def shutdown(self) -> None:
        """Kill any run (the window is closing)."""
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()
        self._proc = None
        self.current = None
        self._timer.stop()

    # -- polling --------------------------------------------------------------------------------
    def _poll(self) -> None:
        self._reap()
        run = self.current
        if run is None:
            return
        for _ in range(MAX_MESSAGES_PER_POLL):
            try:
                kind, body = self._inbox.get_nowait()
            except queue_mod.Empty:
                break
            if kind == "eof":
                if self._stop_deadline is not None:
                    break  # stopped: handled below
                run.status = "error"
                code = self._proc.exitcode if self._proc is not None else None
                run.message = f"the simulation process ended unexpectedly (exit code {code})"
                self._end(run, run.message)
                return
            if kind == "progress":
                run.add_progress(body)
                self._dirty_partial = True
            elif kind == "done":
                run.finish(body)
                self._end(run, None)
                return
            elif kind == "error":
                run.status = "error"
                run.message = str(body.get("message", "the run failed"))
                detail = body.get("detail", "")
                run.summary = None
                self._end(run, run.message if not detail else run.message)
                return
        if self._dirty_partial and self._stop_deadline is None:
            elapsed = time.perf_counter() - self._run_started
            eta = float("nan")
            if run.fraction > 0.01 and run.wall_s > 0:
                eta = run.wall_s * (1.0 - run.fraction) / run.fraction
            self.progressed.emit(run, eta)
            if elapsed - self._last_partial >= PARTIAL_EVERY_S:
                self._last_partial = elapsed
                self._dirty_partial = False
                self.partial.emit(run)
        if self._stop_deadline is not None and time.perf_counter() >= self._stop_deadline:
            self._proc.terminate()
            run.status = "cancelled"
            run.message = "stopped"
            self._end(run, None)

    def _end(self, run: RunData, error: str | None) -> None:
        if self._stop_requested_at is not None:
            self.last_stop_latency_s = time.perf_counter() - self._stop_requested_at
            if run.status == "done":  # finished just as Stop was pressed
                run.status = "cancelled" if run.fraction < 1.0 else "done"
        if self._proc is not None:
            self._reaping.append(self._proc)
        self._proc = None
        self._cancel = None  # its semaphore is released once the worker has exited
        self.current = None
        self._timer.stop()
        if self._reaping:
            QTimer.singleShot(500, self, self._reap)
        if error is not None:
            self.failed.emit(run, error)
        else:
            self.finished.emit(run)

    def _reap(self) -> None:
        """Join finished worker processes without blocking the UI."""
        alive = []
        for proc in self._reaping:
            proc.join(0)
            if proc.exitcode is None:
                alive.append(proc)
        self._reaping = alive
        if not alive and self._reader is not None and self.current is None:
            self._reader.close()  # the reader thread has seen EOF or its last message by now
            self._reader = None
        if alive:
            QTimer.singleShot(500, self, self._reap)

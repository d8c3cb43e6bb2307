"""Background what-if work for the designer, cancellable, that never touches Qt off the UI thread.

The work runs in a plain Python thread that only waits on the executor's futures (the simulations run in
worker processes, ``LocalProcessExecutor``; with one worker they run in that thread). It writes its
progress into a small locked state; a QTimer in the UI thread polls it and emits the signals. No Qt object
is used from the worker thread at all, which keeps PySide6 out of cross-thread trouble.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from simulation.errors import DesignError

POLL_MS = 100


class Cancelled(Exception):
    pass


class WhatIfJob(QObject):
    """Runs ``work(executor, progress)``; ``progress(done, total)`` or ``progress(text)`` report back.

    Signals (UI thread): ``progressed(done, total)``, ``noted(text)``, ``succeeded(result)``,
    ``failed(message)``, ``cancelled()``. ``cancel()`` stops at the next reported step.
    """

    progressed = Signal(int, int)
    noted = Signal(str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, work: Callable[[Any, Callable[..., None]], Any], workers: int, parent: Any = None) -> None:
        super().__init__(parent)
        self.work = work
        self.workers = workers
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"progress": None, "notes": [], "outcome": None}
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="whatif", daemon=True)
        self._thread.start()
        self._timer.start()

    def isRunning(self) -> bool:  # noqa: N802 - mirrors QThread
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_ms: int) -> None:
        if self._thread is not None:
            self._thread.join(timeout_ms / 1000.0)

    def cancel(self) -> None:
        self._stop.set()

    # -- worker thread: plain Python only -------------------------------------------------------------
    def _progress(self, *args: Any) -> None:
        if self._stop.is_set():
            raise Cancelled
        with self._lock:
            if len(args) == 2:
                self._state["progress"] = (int(args[0]), int(args[1]))
            elif args:
                self._state["notes"].append(str(args[0]))

    def _run(self) -> None:
        from simulation.analysis.executors import make_executor

        outcome: tuple[str, Any]
        executor = None
        try:
            executor = make_executor("local", self.workers)
            outcome = ("ok", self.work(executor, self._progress))
        except Cancelled:
            outcome = ("cancelled", None)
        except DesignError as exc:
            outcome = ("failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash of the UI
            outcome = ("failed", f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=4)}")
        finally:
            if executor is not None:
                executor.close()
        with self._lock:
            self._state["outcome"] = outcome

    # -- UI thread --------------------------------------------------------------------------------------
    def _poll(self) -> None:
        with self._lock:
            progress, notes, outcome = self._state["progress"], self._state["notes"], self._state["outcome"]
            self._state["progress"], self._state["notes"] = None, []
        if progress is not None:
            self.progressed.emit(*progress)
        for text in notes:
            self.noted.emit(text)
        if outcome is None:
            return
        self._timer.stop()
        kind, value = outcome
        if kind == "ok":
            self.succeeded.emit(value)
        elif kind == "cancelled":
            self.cancelled.emit()
        else:
            self.failed.emit(value)

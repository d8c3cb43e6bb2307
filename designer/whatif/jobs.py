"""Background what-if work for the designer, cancellable, that never touches Qt off the UI thread.

The work runs in a plain Python thread that only waits on the executor's results (the simulations run in
worker processes, ``CancellableProcessExecutor``; with one worker they run in that thread). It writes its
progress into a small locked state; a QTimer in the UI thread polls it and emits the signals. No Qt object
is used from the worker thread at all, which keeps PySide6 out of cross-thread trouble.

Cancel is immediate: the worker processes are terminated (a simulation in flight is not waited for), the
dialog hears ``cancelled`` at once and keeps what had finished; the thread winds down on its own.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from simulation.errors import DesignError

POLL_MS = 100


WAIT_S = 0.05  # how often the worker thread looks at its runs (and at a cancel)


class Cancelled(Exception):
    pass


def _call(fn: Callable[[Any], Any], task: Any) -> Any:
    return fn(task)


def _kill_workers(pool: Any) -> None:
    for process in list(getattr(pool, "_pool", [])):  # SIGTERM the runs first, then let the pool tidy up
        process.terminate()
    pool.terminate()


class CancellableProcessExecutor:
    """The what-if executor protocol (``workers``, ``map``, ``close``) on a spawn ``multiprocessing.Pool``,
    plus ``abort()``: terminate the workers now. With one worker the runs happen in the calling thread."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))
        self._pool: Any = None
        self._aborted = threading.Event()
        self.finished: list[tuple[Any, Any]] = []  # (task, result) as each run ends: what a cancel keeps

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any],
            progress: Callable[[int, int], None] | None = None) -> list[Any]:
        if self._aborted.is_set():
            raise Cancelled
        if self.workers == 1 or len(tasks) <= 1:
            out = []
            for i, task in enumerate(tasks, 1):
                out.append(fn(task))
                self.finished.append((task, out[-1]))
                if self._aborted.is_set():
                    raise Cancelled
                if progress:
                    progress(i, len(tasks))
            return out
        if self._pool is None:
            self._pool = multiprocessing.get_context("spawn").Pool(self.workers)
        pending = {i: self._pool.apply_async(_call, (fn, task)) for i, task in enumerate(tasks)}
        out: list[Any] = [None] * len(tasks)
        done = 0
        while pending:
            if self._aborted.is_set():
                raise Cancelled
            for i in [i for i, r in pending.items() if r.ready()]:
                out[i] = pending.pop(i).get()  # re-raises a worker's exception here
                self.finished.append((tasks[i], out[i]))
                done += 1
                if progress:
                    progress(done, len(tasks))
            if pending:
                time.sleep(WAIT_S)
        return out

    def abort(self) -> None:
        """Stop every run now (from any thread, returning at once); later ``map`` calls raise ``Cancelled``."""
        self._aborted.set()
        pool, self._pool = self._pool, None
        if pool is not None:
            # Pool.terminate joins its handler threads (seconds): off the caller's (the UI's) thread.
            threading.Thread(target=_kill_workers, args=(pool,), name="whatif-abort", daemon=True).start()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()  # the work is done (or cancelled): idle workers have nothing to finish
            pool.join()


class WhatIfJob(QObject):
    """Runs ``work(executor, progress)``; ``progress(done, total)``, ``progress(text)`` or ``progress(obj)`` (a
    finished piece, e.g. one capacity probe) report back.

    Signals (UI thread): ``progressed(done, total)``, ``noted(text)``, ``found(obj)``, ``succeeded(result)``,
    ``failed(message)``, ``cancelled()``. ``cancel()`` stops the runs and emits ``cancelled`` at once.
    """

    progressed = Signal(int, int)
    noted = Signal(str)
    found = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, work: Callable[[Any, Callable[..., None]], Any], workers: int, parent: Any = None) -> None:
        super().__init__(parent)
        self.work = work
        self.workers = workers
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"progress": None, "notes": [], "found": [], "outcome": None}
        self._thread: threading.Thread | None = None
        self._executor: CancellableProcessExecutor | None = None
        self._finished = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="whatif", daemon=True)
        self._thread.start()
        self._timer.start()

    @property
    def active(self) -> bool:
        """Started and not yet finished, failed or cancelled (as far as the dialog is concerned)."""
        return self._thread is not None and not self._finished

    def isRunning(self) -> bool:  # noqa: N802 - mirrors QThread
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout_ms: int) -> None:
        if self._thread is not None:
            self._thread.join(timeout_ms / 1000.0)

    def cancel(self) -> None:
        """Stop now: terminate the runs in flight and report ``cancelled`` (what finished was reported)."""
        if self._finished:
            return
        self._stop.set()
        with self._lock:
            executor = self._executor
        if executor is not None:
            executor.abort()
        self._poll()  # deliver what had finished before the cancel
        self._end()
        self.cancelled.emit()

    def finished_runs(self) -> list[tuple[Any, Any]]:
        """(task, result) of every run that ended before now (a cancel keeps these)."""
        with self._lock:
            executor = self._executor
        return list(executor.finished) if executor is not None else []

    def _end(self) -> None:
        self._finished = True
        self._timer.stop()

    # -- worker thread: plain Python only -------------------------------------------------------------
    def _progress(self, *args: Any) -> None:
        if self._stop.is_set():
            raise Cancelled
        with self._lock:
            if len(args) == 2:
                self._state["progress"] = (int(args[0]), int(args[1]))
            elif args and isinstance(args[0], str):
                self._state["notes"].append(args[0])
            elif args:
                self._state["found"].append(args[0])

    def _run(self) -> None:
        outcome: tuple[str, Any]
        executor = CancellableProcessExecutor(self.workers)
        with self._lock:
            self._executor = executor
        try:
            if self._stop.is_set():
                raise Cancelled
            outcome = ("ok", self.work(executor, self._progress))
        except Cancelled:
            outcome = ("cancelled", None)
        except DesignError as exc:
            outcome = ("failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash of the UI
            outcome = ("failed", f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=4)}")
        finally:
            executor.close()
        if self._stop.is_set():
            outcome = ("cancelled", None)  # a run killed by the cancel fails; that is not an error to show
        with self._lock:
            self._state["outcome"] = outcome

    # -- UI thread --------------------------------------------------------------------------------------
    def _poll(self) -> None:
        if self._finished:
            return
        with self._lock:
            progress, notes, found = self._state["progress"], self._state["notes"], self._state["found"]
            outcome = self._state["outcome"]
            self._state["progress"], self._state["notes"], self._state["found"] = None, [], []
        if progress is not None:
            self.progressed.emit(*progress)
        for text in notes:
            self.noted.emit(text)
        for piece in found:
            self.found.emit(piece)
        if outcome is None or self._stop.is_set():
            return
        self._end()
        kind, value = outcome
        if kind == "ok":
            self.succeeded.emit(value)
        elif kind == "cancelled":
            self.cancelled.emit()
        else:
            self.failed.emit(value)

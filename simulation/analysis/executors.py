"""Where sweep, capacity and autosize runs execute: in this process, on local processes, or on Dask.

Every executor has one method, ``map(fn, tasks, progress=None) -> list`` returning ``fn(task)`` for each
task *in task order*, so a sweep gives the same numbers whichever executor ran it (each task carries its
own seed; nothing depends on which worker ran it or when).

Cluster engine: Dask distributed, not Ray (an existing engine, never a home-made one).

- Dask distributed is pure Python and pip-installable on every platform the designer ships to; Ray needs
  a native core (plasma store, GCS server) with wheels that lag new Python versions, and weighs hundreds
  of MB inside a PyInstaller bundle.
- ``distributed.LocalCluster`` starts a real scheduler and workers in-process (``processes=False``) or as
  subprocesses, so the cluster path is tested here exactly as it runs on a cluster; ``Client(address)``
  connects to a ``dask-scheduler`` started on any machines (SSH, Kubernetes, HPC job queues via
  dask-jobqueue) with no code change.
- Our work is embarrassingly parallel (independent simulations of a few hundred ms each, a small pickled
  dict in and a small dict out); Ray's actor model and object store bring nothing here.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

from simulation.errors import DesignError

ProgressFn = Callable[[int, int], None]  # (tasks done, tasks in all)
EXECUTORS = ("local", "dask", "serial")
CHUNKS_PER_WORKER = 8


class Executor(Protocol):
    name: str

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], progress: ProgressFn | None = None) -> list[Any]:
        ...

    def close(self) -> None:
        ...


class SerialExecutor:
    """Runs tasks one after another in this process (one worker, or the designer's thread)."""

    name = "serial"
    workers = 1

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], progress: ProgressFn | None = None) -> list[Any]:
        out = []
        for i, task in enumerate(tasks):
            out.append(fn(task))
            if progress:
                progress(i + 1, len(tasks))
        return out

    def close(self) -> None:
        pass


class LocalProcessExecutor:
    """A pool of ``workers`` processes started with 'spawn' (safe under Qt, threads and macOS/Windows).

    The pool is created on first use and kept for later ``map`` calls (a capacity search maps many small
    batches); ``close`` ends it. ``fn`` must be a module-level function so it pickles by name.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], progress: ProgressFn | None = None) -> list[Any]:
        if self.workers == 1 or len(tasks) <= 1:
            return SerialExecutor().map(fn, tasks, progress)
        pool = self._ensure_pool()
        futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
        out: list[Any] = [None] * len(tasks)
        try:
            for done, fut in enumerate(as_completed(futures), 1):
                out[futures[fut]] = fut.result()
                if progress:
                    progress(done, len(tasks))
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Runs tasks on a Dask cluster: ``address`` of a running scheduler, or a LocalCluster of ``workers``.

    ``processes=False`` keeps the LocalCluster's workers as threads of this process (tests; the GIL makes
    that serial), True starts one single-threaded worker process per core.
    """

    name = "dask"

    def __init__(self, workers: int | None = None, address: str | None = None, processes: bool = True) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - distributed is a dependency of genai-sim
            raise DesignError("--executor dask needs the 'distributed' package (pip install distributed)") from None
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._cluster = None
        if address:
            try:
                self.client = Client(address, timeout=10)
            except OSError as exc:
                raise DesignError(f"cannot reach the Dask scheduler at {address}: {exc}", "--dask-address") from None
        else:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=processes,
                                         dashboard_address=None, silence_logs=40)
            self.client = Client(self._cluster)

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], progress: ProgressFn | None = None) -> list[Any]:
        from distributed import as_completed as dask_completed

        if not tasks:
            return []
        # Batches of tasks per Dask task: each Dask task costs tens of ms of scheduling and transfer, as
        # much as a short simulation; CHUNKS_PER_WORKER batches per worker still balance the load.
        size = max(1, math.ceil(len(tasks) / (self.workers * CHUNKS_PER_WORKER)))
        chunks = [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]
        futures = self.client.map(_run_chunk, [fn] * len(chunks), chunks, pure=False)
        index = {fut.key: i for i, fut in enumerate(futures)}
        out: list[Any] = [None] * len(chunks)
        done = 0
        try:
            for fut in dask_completed(futures):
                i = index[fut.key]
                out[i] = fut.result()
                done += len(chunks[i])
                if progress:
                    progress(done, len(tasks))
        except BaseException:
            self.client.cancel(futures)
            raise
        return [r for chunk in out for r in chunk]

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def _run_chunk(fn: Callable[[Any], Any], chunk: list[Any]) -> list[Any]:
    return [fn(task) for task in chunk]


def make_executor(name: str = "local", workers: int | None = None, address: str | None = None) -> Executor:
    """The executor a CLI option names; ``workers=1`` with 'local' runs in this process."""
    if workers is not None and workers < 1:
        raise DesignError(f"must be ≥ 1, got {workers}", "--workers")
    if name == "serial" or (name == "local" and workers == 1):
        return SerialExecutor()
    if name == "local":
        return LocalProcessExecutor(workers)
    if name == "dask":
        return DaskExecutor(workers, address)
    raise DesignError(f"must be one of {', '.join(EXECUTORS)}, got {name!r}", "--executor")


class ProgressBar:
    """``done/total`` runs on stderr: a redrawn bar on a terminal, a line per 10 % elsewhere (logs, CI)."""

    def __init__(self, label: str = "runs", stream: Any = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.t0 = time.perf_counter()
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_decile = -1

    def __call__(self, done: int, total: int) -> None:
        if total != getattr(self, "_total", total):  # a search that adds work as it goes: start the count over
            self._last_decile = -1
        self._total = total
        frac = done / total if total else 1.0
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / frac - elapsed if frac > 0 else 0.0
        text = f"{done}/{total} {self.label}  {elapsed:.0f}s elapsed, ~{eta:.0f}s left"
        if self._tty:
            n = int(frac * self.width)
            print(f"\r[{'#' * n}{'.' * (self.width - n)}] {frac:4.0%}  {text}", end="", file=self.stream, flush=True)
            if done >= total:
                print(file=self.stream)
        elif int(frac * 10) > self._last_decile:
            self._last_decile = int(frac * 10)
            print(f"{frac:4.0%}  {text}", file=self.stream, flush=True)

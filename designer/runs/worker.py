"""The simulation worker: runs in a separate process (multiprocessing 'spawn') so the engine, which is
pure Python and holds the GIL, never stalls the UI thread. It streams messages through a Queue:

- ``("progress", {fraction, sim_t, wall_s, timeline, latency})``: at most every PROGRESS_EVERY_S of wall time,
  with the timeline points and finished-request latencies added since the last message;
- ``("done", payload)``: designer.results.model.result_payload of the (possibly cancelled) RunResult;
- ``("error", {message, detail})``: a DesignError's one-line message, or the exception and its traceback.

The channel is the write end of a one-way Pipe (or anything with ``send`` or ``put``). Messages stay small
(numpy arrays, not lists) and the UI side reads them on a helper thread, so it never blocks on a half-written
message. No Qt here: the child process imports only the simulation.
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

import numpy as np

PROGRESS_EVERY_S = 0.1
WORKER_NICENESS = 5  # the interactive UI wins the CPU when both want it (one core machines, busy laptops)


class _Streamer:
    """The engine's progress callback: cancels on request and sends what changed since the last message."""

    def __init__(self, send: Any, cancel_event: Any) -> None:
        self.send = send
        self.cancel_event = cancel_event
        self.sim: Any = None
        self.wall0 = time.perf_counter()
        self.last_send = 0.0
        self.sent_timeline = 0
        self.sent_done = 0

    def attach(self, sim: Any) -> None:
        self.sim = sim

    def __call__(self, fraction: float, sim_t: float) -> None:
        if self.cancel_event.is_set() and self.sim is not None:
            self.sim.cancel()
            return
        now = time.perf_counter()
        if now - self.last_send < PROGRESS_EVERY_S and fraction < 1.0:
            return
        self.last_send = now
        self.send(("progress", self.snapshot(fraction, sim_t, now - self.wall0)))

    def snapshot(self, fraction: float, sim_t: float, wall_s: float) -> dict[str, Any]:
        sim = self.sim
        msg: dict[str, Any] = {"fraction": fraction, "sim_t": sim_t, "wall_s": wall_s}
        if sim is None:
            return msg
        tl = sim.timeline
        i = self.sent_timeline
        msg["timeline"] = {
            "t": tl["t"][i:],
            "completed": tl["completed"][i:],
            "nodes": {nid: s[i:] for nid, s in tl["nodes"].items()},
        }
        self.sent_timeline = len(tl["t"])
        new = sim.done[self.sent_done :]
        self.sent_done = len(sim.done)
        ok = [r for r in new if r.status == "ok"]
        n = len(ok)
        end = np.fromiter((r.end for r in ok), float, n)
        arrival = np.fromiter((r.arrival for r in ok), float, n)
        # Live TTFT: first token, else the end (non-LLM paths); the finished run refines both.
        first = np.fromiter((r.end if r.first_token is None else r.first_token for r in ok), float, n)
        out_tokens = np.fromiter((r.output_tokens if r.first_token is not None else 1 for r in ok), float, n)
        e2e = (end - arrival) * 1000.0
        ttft = (first - arrival) * 1000.0
        with np.errstate(divide="ignore", invalid="ignore"):
            tpot = np.where(out_tokens > 1, (e2e - ttft) / (out_tokens - 1), np.nan)
        msg["latency"] = {"end_t": end, "e2e_ms": e2e, "ttft_ms": ttft, "tpot_ms": tpot}
        return msg


def run_worker(
    design_data: dict[str, Any],
    base_dir: str | None,
    seed: int | None,
    duration_s: float | None,
    channel: Any,
    cancel_event: Any,
    nice: bool = False,
) -> None:
    """Process entry point: load the design snapshot, run it, stream progress, send the result or error."""
    send = getattr(channel, "send", None) or channel.put
    if nice and hasattr(os, "nice"):
        try:
            os.nice(WORKER_NICENESS)
        except OSError:
            pass
    try:
        from designer.results.model import result_payload
        from simulation.errors import DesignError
        from simulation.loader import load_design
        from simulation.run import run_design
    except Exception as exc:  # noqa: BLE001 - a broken install must reach the user as a message
        send(("error", {"message": f"cannot start the simulation: {exc}", "detail": traceback.format_exc()}))
        return
    streamer = _Streamer(send, cancel_event)
    try:
        design = load_design(design_data)
        design.base_dir = base_dir
        result = run_design(
            design, seed=seed, duration_s=duration_s, progress=streamer, cancel_check=streamer.attach
        )
        send(("done", result_payload(result)))
    except DesignError as exc:
        send(("error", {"message": str(exc), "detail": ""}))
    except Exception as exc:  # noqa: BLE001 - any failure inside the model is shown, never a crash
        send(("error", {"message": f"{type(exc).__name__}: {exc}", "detail": traceback.format_exc()}))

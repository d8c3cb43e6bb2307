"""The worker process entry point, called in-process: progress, result, and every error as a message."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any

import pytest

from designer.runs import worker
from simulation.loader import design_to_dict, load_design

RAG = Path(__file__).resolve().parents[2] / "assets" / "templates" / "rag-pipeline.genai.json"


def drain(q: queue.Queue) -> list[tuple[str, Any]]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


def test_worker_streams_progress_then_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "PROGRESS_EVERY_S", 0.0)
    q: queue.Queue = queue.Queue()
    worker.run_worker(design_to_dict(load_design(RAG)), None, 3, 200.0, q, threading.Event())
    msgs = drain(q)
    kinds = [k for k, _ in msgs]
    assert kinds[-1] == "done" and kinds.count("progress") > 100
    fractions = [b["fraction"] for k, b in msgs if k == "progress"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    live_done = sum(len(b["latency"]["e2e_ms"]) for k, b in msgs if k == "progress")
    payload = msgs[-1][1]
    assert payload["summary"]["seed"] == 3 and not payload["cancelled"]
    assert live_done == payload["summary"]["requests"]["completed"]  # every request streamed once


def test_cancel_event_stops_the_run_with_a_partial_result() -> None:
    q: queue.Queue = queue.Queue()
    cancel = threading.Event()
    cancel.set()
    worker.run_worker(design_to_dict(load_design(RAG)), None, 3, 5000.0, q, cancel)
    kind, payload = drain(q)[-1]
    assert kind == "done" and payload["cancelled"] and payload["summary"]["simulated_s"] < 100


def test_design_error_is_sent_as_its_one_line_message() -> None:
    data = design_to_dict(load_design(RAG))
    data["nodes"] = [n for n in data["nodes"] if n["kind"] != "client"]
    data["edges"] = [e for e in data["edges"] if e["source"] != "users"]
    q: queue.Queue = queue.Queue()
    worker.run_worker(data, None, 1, 10.0, q, threading.Event())
    kind, body = drain(q)[-1]
    assert kind == "error" and "client" in body["message"] and "\n" not in body["message"]


def test_unexpected_exception_is_sent_with_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import simulation.run

    def explode(*_a: Any, **_k: Any) -> None:
        raise ZeroDivisionError("boom in a node")

    monkeypatch.setattr(simulation.run, "run_design", explode)
    q: queue.Queue = queue.Queue()
    worker.run_worker(design_to_dict(load_design(RAG)), None, 1, 10.0, q, threading.Event())
    kind, body = drain(q)[-1]
    assert kind == "error" and body["message"] == "ZeroDivisionError: boom in a node"
    assert "Traceback" in body["detail"]

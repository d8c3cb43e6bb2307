"""Finished requests as columns: 8 bytes a number instead of a Python object per request.

The engine appends every measured request here when it ends; metrics read the columns with numpy. A run
may also keep the Request objects (``Simulation.done``: live views, per-node waterfalls, tests), and the
per-request inter-token runs only where something reads them (``keep_token_timings``).
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from simulation.engine.request import Request

NAN = float("nan")


class Completed:
    __slots__ = ("arrival", "end", "first_token", "llm_done", "input_tokens", "output_tokens", "llm_output_tokens",
                 "status_code", "buffered", "fallback", "itl_runs", "statuses", "_codes", "keep_token_timings")

    def __init__(self, keep_token_timings: bool = True) -> None:
        self.arrival = array("d")
        self.end = array("d")
        self.first_token = array("d")   # NaN: no LLM produced a token for it
        self.llm_done = array("d")
        self.input_tokens = array("d")
        self.output_tokens = array("d")
        self.llm_output_tokens = array("d")  # 0: the request's own output_tokens
        self.status_code = array("b")
        self.buffered = array("b")
        self.fallback = array("b")
        self.itl_runs: list[list[tuple[float, int]]] = []  # per request, only when token timings are kept
        self.statuses: list[str] = ["ok"]  # code -> status name
        self._codes = {"ok": 0}
        self.keep_token_timings = keep_token_timings

    def __len__(self) -> int:
        return len(self.arrival)

    def add(self, req: Request) -> None:
        self.arrival.append(req.arrival)
        self.end.append(req.end)  # type: ignore[arg-type]
        ft = req.first_token
        self.first_token.append(NAN if ft is None else ft)
        ld = req.llm_done
        self.llm_done.append(NAN if ld is None else ld)
        self.input_tokens.append(req.input_tokens)
        self.output_tokens.append(req.output_tokens)
        self.llm_output_tokens.append(req.llm_output_tokens)
        code = self._codes.get(req.status)
        if code is None:
            code = self._codes[req.status] = len(self.statuses)
            self.statuses.append(req.status)
        self.status_code.append(code)
        self.buffered.append(req.buffered)
        self.fallback.append(req.fallback)
        if self.keep_token_timings:
            self.itl_runs.append(req.itl_runs)

    # numpy views ---------------------------------------------------------------------------------
    def column(self, name: str) -> np.ndarray:
        values = getattr(self, name)
        dtype = np.int8 if values.typecode == "b" else np.float64
        return np.frombuffer(values, dtype=dtype).copy() if len(values) else np.zeros(0, dtype=dtype)

    def status_names(self) -> list[str]:
        names = self.statuses
        return [names[c] for c in self.status_code]

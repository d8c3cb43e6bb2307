"""Trace files for the `trace` arrival process: CSV with a header or JSONL of arrival time and token counts."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from simulation.errors import DesignError
from simulation.safe_paths import read_text_capped

MAX_TRACE_ROWS = 5_000_000


def read_trace(path: Path) -> list[tuple[float, int | None, int | None]]:
    """Read a trace: CSV with a header or JSONL; columns arrival time (s), input tokens, output tokens."""
    where = f"trace {path.name}"
    try:
        return _read_trace_rows(path, where)
    except csv.Error as exc:
        raise DesignError(f"malformed CSV ({exc})", where) from None
    except RecursionError:
        raise DesignError("a JSON line is nested too deeply", where) from None


def _read_trace_rows(path: Path, where: str) -> list[tuple[float, int | None, int | None]]:
    rows: list[tuple[float, int | None, int | None]] = []
    # read_text_capped: regular files only, capped on the bytes read, UTF-8 and I/O errors as one line
    with io.StringIO(read_text_capped(path, where, what="trace"), newline=None) as fh:
        if path.suffix.lower() in (".jsonl", ".json"):
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DesignError(f"line {lineno}: invalid JSON ({exc.msg})", where) from None
                except ValueError:  # an integer literal beyond the 4300-digit limit
                    raise DesignError(f"line {lineno}: a number literal is too long", where) from None
                rows.append(_trace_row(obj, lineno, where))
                if len(rows) > MAX_TRACE_ROWS:
                    raise DesignError(f"more than {MAX_TRACE_ROWS} rows", where)
        else:
            for lineno, obj in enumerate(csv.DictReader(fh), 2):
                rows.append(_trace_row(obj, lineno, where))
                if len(rows) > MAX_TRACE_ROWS:
                    raise DesignError(f"more than {MAX_TRACE_ROWS} rows", where)
    if not rows:
        raise DesignError("trace holds no rows", where)
    rows.sort(key=lambda r: r[0])
    return rows


_TIME_KEYS = ("arrival_s", "arrival_time", "timestamp", "time", "t")
_IN_KEYS = ("input_tokens", "input_toks", "prompt_tokens", "isl")
_OUT_KEYS = ("output_tokens", "output_toks", "completion_tokens", "osl")


def _trace_row(obj: Any, lineno: int, where: str) -> tuple[float, int | None, int | None]:
    if not isinstance(obj, dict):
        raise DesignError(f"line {lineno}: expected an object", where)

    def pick(keys: tuple[str, ...], kind: type) -> Any:
        for k in keys:
            if k in obj and obj[k] not in (None, ""):
                try:
                    value = kind(float(obj[k]))
                except (TypeError, ValueError, OverflowError):
                    raise DesignError(f"line {lineno}: {k} is not a number: {str(obj[k])[:20]!r}", where) from None
                if value < 0 or (kind is float and not math.isfinite(value)):
                    raise DesignError(f"line {lineno}: {k} must be ≥ 0", where)
                return value
        return None

    t = pick(_TIME_KEYS, float)
    if t is None:
        raise DesignError(f"line {lineno}: no arrival time column (one of {', '.join(_TIME_KEYS)})", where)
    return t, pick(_IN_KEYS, int), pick(_OUT_KEYS, int)

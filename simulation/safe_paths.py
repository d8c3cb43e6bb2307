"""Files named inside a design (traces, empirical samples) may not reach outside the design's folder."""

from __future__ import annotations

from pathlib import Path

from simulation.errors import DesignError

MAX_USER_FILE_BYTES = 200 * 1024 * 1024


def resolve_user_file(name: object, base_dir: Path | None, path: str) -> Path:
    if not isinstance(name, str) or not name:
        raise DesignError("must be a file name (a string)", path)
    base = (base_dir or Path.cwd()).resolve()
    candidate = Path(name)
    if candidate.is_absolute():
        raise DesignError(f"must be relative to the design's folder, got an absolute path {name!r}", path)
    target = (base / candidate).resolve()
    if target != base and base not in target.parents:
        raise DesignError(f"{name!r} points outside the design's folder", path)
    if not target.is_file():
        raise DesignError(f"file not found: {name!r} (looked in {base})", path)
    if target.stat().st_size > MAX_USER_FILE_BYTES:
        raise DesignError(f"{name!r} is larger than {MAX_USER_FILE_BYTES // 2**20} MiB", path)
    return target

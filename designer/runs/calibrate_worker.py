"""Calibration in a worker process (torch benchmarks hold the GIL and the CPU); no Qt here.

Messages on the queue: ("progress", done, total, label), ("done", profile_path), ("error", message).
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any


def user_profiles_dir() -> Path:
    """Where calibrated profiles live: <user data dir>/genai-sim/profiles (platformdirs)."""
    from platformdirs import user_data_path

    return user_data_path("genai-sim", appauthor=False) / "profiles"


def calibrate_worker(device: str, quick: bool, out: str, queue: Any) -> None:
    try:
        from kernels.calibrate import calibrate
        from kernels.errors import InputError
    except Exception as exc:  # noqa: BLE001 - a missing optional part must reach the user as a message
        queue.put(("error", f"calibration is not available: {exc}"))
        return

    def progress(done: int, total: int, label: str) -> None:
        queue.put(("progress", int(done), int(total), str(label)))

    try:
        path = calibrate(device, quick=quick, out=out, progress=progress)
        queue.put(("done", str(path)))
    except InputError as exc:
        queue.put(("error", str(exc)))
    except ModuleNotFoundError as exc:
        queue.put(("error", f"calibration needs {exc.name} (pip install 'genai-sim[calibrate]')"))
    except Exception as exc:  # noqa: BLE001 - shown in the dialog, never a crash
        queue.put(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"))

"""Record every built-in template's `run --json` (fixed seed, short duration) as a regression fixture.

    .venv/bin/python -m tests.simulation.record_template_runs   # rewrites tests/simulation/data/template_runs.json

test_template_regression.py compares today's output with it. Re-record only on purpose (a modelling change),
and say why in the commit message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simulation.run import load_with_overrides, run_design
from simulation.templates import template_paths

FIXTURE = Path(__file__).parent / "data" / "template_runs.json"
SEED = 11
DURATION_S = 40.0  # short enough for a fast test, long enough for every template to complete requests


def template_run(path: Path) -> dict[str, Any]:
    """One template's run --json, less what depends on the machine (wall time) or the file's location."""
    design = load_with_overrides(path)
    data = run_design(design, seed=SEED, duration_s=DURATION_S).to_json(path.name)
    data.pop("wall_s", None)
    return data


def record() -> dict[str, Any]:
    return {"seed": SEED, "duration_s": DURATION_S,
            "runs": {p.name: template_run(p) for p in template_paths()}}


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(record(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}")

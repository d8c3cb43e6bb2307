"""Behaviour preserved: every template's `run --json` equals the recorded fixture.

Identical (to float rounding) where the random streams are unchanged. A change that draws numbers
differently on purpose lists the template in STATISTICAL with the reason; there request counts and
latency statistics must agree within a confidence band instead.
Re-record with `python -m tests.simulation.record_template_runs` only for a deliberate modelling change.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from simulation.templates import template_paths
from tests.simulation.record_template_runs import DURATION_S, FIXTURE, SEED, template_run

RECORDED = json.loads(FIXTURE.read_text(encoding="utf-8"))
# template file -> why its numbers are drawn differently from the recording (empty: identical streams)
STATISTICAL: dict[str, str] = {}
EXACT_REL = 1e-9


def _diffs(old: Any, new: Any, path: str, rel: float) -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = [f"{path}.{k}: missing now" for k in old.keys() - new.keys()]
        out += [f"{path}.{k}: new key" for k in new.keys() - old.keys()]
        for k in old.keys() & new.keys():
            out += _diffs(old[k], new[k], f"{path}.{k}", rel)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} items, now {len(new)}"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in _diffs(a, b, f"{path}[{i}]", rel)]
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        if math.isclose(old, new, rel_tol=rel, abs_tol=1e-9 if rel == EXACT_REL else rel):
            return []
    elif old == new:
        return []
    return [f"{path}: recorded {old!r}, now {new!r}"]


def test_fixture_covers_every_template() -> None:
    assert RECORDED["seed"] == SEED and RECORDED["duration_s"] == DURATION_S
    assert sorted(RECORDED["runs"]) == sorted(p.name for p in template_paths())


@pytest.mark.parametrize("path", template_paths(), ids=lambda p: p.name.split(".")[0])
def test_template_run_matches_recording(path) -> None:
    old = RECORDED["runs"][path.name]
    new = template_run(path)
    if path.name not in STATISTICAL:
        problems = _diffs(old, new, path.name, EXACT_REL)
        assert not problems, "\n".join(problems[:20])
        return
    # Redrawn: counts within a Poisson band, latency statistics within 15 % (a short run's sampling error).
    arrived_old, arrived_new = old["requests"]["arrived"], new["requests"]["arrived"]
    assert abs(arrived_new - arrived_old) <= 4 * math.sqrt(max(arrived_old, 1)) + 2
    for metric, stats in old["metrics"].items():
        for stat in ("mean", "p50"):
            a, b = stats[stat], new["metrics"][metric][stat]
            assert math.isclose(a, b, rel_tol=0.15, abs_tol=1.0), f"{metric}.{stat}: {a} -> {b}"
    assert set(old["slo"]) == set(new["slo"])
    assert set(old["nodes"]) == set(new["nodes"])

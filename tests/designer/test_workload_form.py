"""The inspector's workload section is generated from simulation.arrivals' declarations."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from designer.commands import SetSectionCommand
from designer.runs.panel import workload_text
from designer.workload_form import arrival_fields, default_arrival, workload_fields
from simulation.arrivals import ARRIVALS, DEFAULT_DURATION_S, WORKLOAD_PARAMS


def test_form_rows_follow_the_declarations(qtbot) -> None:  # type: ignore[no-untyped-def]
    for name, cls in ARRIVALS.items():
        fields = arrival_fields({"arrival": default_arrival(name)})
        assert [f.name for f in fields] == [p.name for p in cls.params]
        assert all(f.tooltip for f in fields)
    names = [f.name for f in workload_fields({})]
    assert names == [p.name for p in WORKLOAD_PARAMS] and "peak_to_mean" in names
    duration = next(f for f in workload_fields({}) if f.name == "duration_s")
    assert duration.editor.value() == DEFAULT_DURATION_S  # the engine's default, not 3600
    assert "req/day" in workload_text({"arrival": default_arrival("diurnal")})
    assert workload_text({"arrival": {"process": "closed", "concurrency": 3}}) == "closed loop, 3 users"


def test_inspector_shows_the_declared_fields_of_each_process(window) -> None:  # type: ignore[no-untyped-def]
    design = window.design
    window.undo_stack.push(SetSectionCommand(design, "workload", {"arrival": default_arrival("diurnal")}))
    QApplication.processEvents()
    rows = window.inspector.rows
    assert {"arrival.requests_per_day", "arrival.peak_to_mean", "arrival.peak_hour", "workload.peak_to_mean"} <= set(rows)
    assert rows["workload.duration_s"].editor.value() == DEFAULT_DURATION_S
    rows["workload.peak_to_mean"].editor.setValue(3.0)
    assert window.design.workload["peak_to_mean"] == 3.0
    rows["workload.peak_to_mean"].editor.setValue(0.5)
    assert "1…100" in rows["workload.peak_to_mean"].message.text()
    assert window.design.workload["peak_to_mean"] == 3.0  # refused: the model keeps the last valid value

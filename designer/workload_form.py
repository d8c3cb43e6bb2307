"""The inspector's workload, SLO and budget fields, generated from ``simulation.arrivals``' declarations.

Nothing here knows an arrival process by name: each process's ``Param`` tuple gives the editors (type),
labels (name and unit), tooltips (help, range, default and source) and defaults, so a new process or
field appears in the inspector without touching the designer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QWidget

from designer.fields import DistEditor, NumberBox, TextBox
from simulation.arrivals import (
    ARRIVALS,
    BUDGET_PARAMS,
    DEFAULT_ARRIVAL,
    SLO_METRICS,
    SLO_STATS,
    WORKLOAD_PARAMS,
    arrival_of,
    slo_param,
)
from simulation.params import Param

PROCESS_NAMES = tuple(ARRIVALS)
_SUFFIXES = ("_per_s", "_per_day", "_s", "_ms")
__all__ = ["BUDGET_PARAMS", "PROCESS_NAMES", "SLO_METRICS", "SLO_STATS", "FormField", "arrival_fields",
           "default_arrival", "process_help", "slo_default", "workload_fields", "workload_summary"]


@dataclass
class FormField:
    """One generated row: ``name`` is the field inside its section (workload or workload.arrival)."""

    name: str
    label: str
    tooltip: str
    editor: QWidget


def label_of(p: Param) -> str:
    name = p.name
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name != suffix.lstrip("_"):
            name = name[: -len(suffix)]
            break
    text = name.replace("_", " ")
    return f"{text} ({p.unit})" if p.unit and p.type != "dist" else text


def tooltip_of(p: Param, path: str) -> str:
    parts = [f"{path}: {p.help}" if p.help else path]
    if p.describe_range():
        parts.append(f"range {p.describe_range()}" + (f" {p.unit}" if p.unit else ""))
    if p.type != "dist":
        parts.append(f"default {p.default}")
    if p.source:
        parts.append(f"source: {p.source}")
    return " · ".join(parts)


def editor_for(p: Param, value: Any, object_name: str) -> QWidget:
    editor: QWidget
    if p.type in ("int", "float"):
        box = NumberBox(integer=p.type == "int", step=1.0 if p.type == "int" else 0.1)
        box.set_number(float(value))
        editor = box
    elif p.type == "dist":
        dist = DistEditor(p.unit)
        dist.set_spec(value)
        editor = dist
    else:
        text = TextBox()
        text.set_text(str(value))
        editor = text
    editor.setObjectName(object_name)
    return editor


def arrival_fields(workload: dict[str, Any]) -> list[FormField]:
    """The fields of the workload's arrival process, filled with its values (defaults where absent)."""
    arrival = arrival_of(workload)
    return [FormField(p.name, label_of(p), tooltip_of(p, f"workload.arrival.{p.name}"),
                      editor_for(p, arrival.values[p.name], f"arrival_{p.name}"))
            for p in type(arrival).params]


def workload_fields(workload: dict[str, Any]) -> list[FormField]:
    """duration, warm-up, seed, peak-to-mean and the token distributions, with the declared defaults."""
    return [FormField(p.name, label_of(p), tooltip_of(p, f"workload.{p.name}"),
                      editor_for(p, workload.get(p.name, p.default), f"workload_{p.name}"))
            for p in WORKLOAD_PARAMS]


def default_arrival(process: str) -> dict[str, Any]:
    """A complete, valid arrival of ``process`` (what picking it in the combo writes)."""
    return ARRIVALS[process].defaults() if process in ARRIVALS else dict(DEFAULT_ARRIVAL)


def process_help() -> str:
    return "Arrival process: " + "; ".join(f"{name}: {cls.help}" for name, cls in ARRIVALS.items())


def slo_default(metric: str, stat: str = "p99") -> float:
    return float(slo_param(f"{metric}_{stat}_ms").default)


def workload_summary(workload: dict[str, Any]) -> str:
    """One line for the run panel: the process and its load."""
    try:
        return arrival_of(workload if isinstance(workload, dict) else {}).describe()
    except (TypeError, ValueError, KeyError):
        return "—"

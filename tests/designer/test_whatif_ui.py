"""What-if UI: Run-menu actions, the sweep dialog (plots, stored results, open a point), capacity dialog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from designer.whatif import install_whatif_ui
from designer.whatif.sweep_dialog import WORKLOAD, parameter_choices, pareto_indices, suggest_values
from simulation.loader import load_design
from simulation.registry import get_kind

REPO = Path(__file__).resolve().parents[2]
MMC = REPO / "assets" / "templates" / "mmc-service.genai.json"


def test_parameter_choices_come_from_the_declarations():
    data = json.loads(MMC.read_text())
    paths = [p for p, _label, _param in parameter_choices(data, "svc")]
    assert "nodes.svc.params.replicas" in paths and "nodes.svc.params.concurrency" in paths
    assert not any(p.endswith("service_time") for p in paths)  # distributions are not swept from a list
    assert parameter_choices(data, WORKLOAD)[0][0] == "workload.arrival.rate_per_s"


def test_suggested_values():
    replicas = next(p for p in get_kind("service").all_params if p.name == "replicas")
    assert suggest_values(replicas, 2) == "1,2,4,8"
    dtype = next(p for p in get_kind("llm_server").all_params if p.name == "dtype")
    assert suggest_values(dtype, "bf16").split(",")[:2] == ["bf16", "fp16"]
    assert suggest_values(None, 8.0) == "4,6,8,12,16"


def test_pareto_indices():
    costs = [10.0, 20.0, 30.0, 15.0, float("nan")]
    lats = [900.0, 500.0, 450.0, 950.0, 1.0]
    assert pareto_indices(costs, lats) == [0, 1, 2]


@pytest.fixture
def mmc_window(window):  # type: ignore[no-untyped-def]
    assert window.open_path(str(MMC))
    actions = install_whatif_ui(window)
    QApplication.processEvents()
    return window, actions


def test_actions_are_in_the_run_menu(mmc_window):
    window, actions = mmc_window
    texts = [a.text() for a in window.run_menu.actions()]
    assert actions.sweep_action.text() in texts and actions.capacity_action.text() in texts


def test_sweep_dialog_runs_plots_stores_and_opens_a_point(mmc_window, qtbot):
    window, actions = mmc_window
    dialog = actions.open_sweep()
    qtbot.addWidget(dialog)
    dialog.axis1.select("svc", "nodes.svc.params.concurrency", "4,6")
    dialog.axis2.select(WORKLOAD, "workload.arrival.rate_per_s", "6,8")
    dialog.replications.setValue(2)
    dialog.duration.setValue(30)
    dialog.workers.setValue(1)
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None and dialog.run_button.isEnabled(), timeout=60000)
    result = dialog.result
    assert len(result.points) == 4 and result.replications == 2
    assert dialog.metric_box.currentData() == "e2e_p95_ms"  # the design's SLO metric comes first
    assert len(dialog.metric_card.data_rows) == 5 and dialog.table.rowCount() == 4
    assert len(dialog.pareto_scatter.points()) == 4
    stored = window.design.extra["sweeps"][-1]
    assert stored["kind"] == "sweep" and len(stored["points"]) == 4 and not window.undo_stack.isClean()
    window.undo_stack.undo()
    assert "sweeps" not in window.design.extra
    window.undo_stack.redo()
    assert window.design.extra["sweeps"][-1]["id"] == "sweep-1"
    path = dialog.open_point(3)
    opened = load_design(path)
    assert opened.node("svc").params["concurrency"] == 6 and opened.workload["arrival"]["rate_per_s"] == 8
    assert actions.opened and actions.opened[-1].design.node("svc").params["concurrency"] == 6
    for win in actions.opened:
        win.undo_stack.setClean()
        win.close()
    Path(path).unlink()
    window.undo_stack.setClean()


def test_sweep_dialog_reports_bad_values(mmc_window, qtbot):
    _window, actions = mmc_window
    dialog = actions.open_sweep()
    qtbot.addWidget(dialog)
    dialog.axis1.select("svc", "nodes.svc.params.concurrency", "4..x")
    dialog.run_button.click()
    assert "concurrency" in dialog.status.text() and dialog.job is None


def test_capacity_dialog_finds_and_stores(mmc_window, qtbot):
    window, actions = mmc_window
    dialog = actions.open_capacity()
    qtbot.addWidget(dialog)
    dialog.replications.setValue(1)
    dialog.tolerance.setValue(0.1)
    dialog.duration.setValue(120)
    dialog.workers.setValue(1)
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.result is not None and dialog.run_button.isEnabled(), timeout=60000)
    assert "Capacity:" in dialog.answer.text() and "svc" in dialog.answer.text()
    assert 6 < dialog.result.max_rate_per_s < 10
    stored = window.design.extra["sweeps"][-1]
    assert stored["kind"] == "capacity" and stored["summary"]["limiting_slo"] == "e2e_p95_ms"
    window.undo_stack.setClean()

"""What-if UI: Run-menu actions, the sweep dialog (plots, stored results, open a point), capacity dialog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from designer.whatif.sweep_dialog import (
    WORKLOAD,
    axis_title,
    format_mean_ci,
    metric_title,
    parameter_choices,
    pareto_indices,
    partial_sweep,
    suggest_values,
)
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


def test_partial_sweep_keeps_only_points_with_every_replication():
    from types import SimpleNamespace

    from simulation.analysis.sweep import Axis

    data = json.loads(MMC.read_text())
    axes = [Axis("nodes.svc.params.concurrency", [4, 6, 8])]
    run = {"e2e_p95_ms": 100.0, "error_rate": 0.0}
    finished = [(SimpleNamespace(point=p, replication=r), run) for p, r in ((0, 0), (1, 1), (0, 1), (2, 0))]
    partial = partial_sweep(data, axes, 2, 60.0, finished)
    assert [p.assignments for p in partial.points] == [{"nodes.svc.params.concurrency": 4}]
    assert partial_sweep(data, axes, 2, 60.0, finished[:1]) is None


def test_sweep_table_numbers_and_titles_read_like_a_report():
    assert format_mean_ci(1802.4, 130.2) == "1,802 ± 130"
    assert format_mean_ci(1802.4, 1.31) == "1,802 ± 1.3"
    assert format_mean_ci(0.01234, 0.0021) == "0.0123 ± 0.0021"
    assert format_mean_ci(45.678, float("nan")) == "45.68"
    assert format_mean_ci(float("nan"), 1.0) == "—"
    assert metric_title("e2e_p95_ms") == "E2E p95 (ms)" and metric_title("throughput_rps") == "throughput (req/s)"
    assert metric_title("util.svc") == "svc utilisation"
    assert axis_title("nodes.svc.params.concurrency") == "svc · concurrency"


@pytest.fixture
def mmc_window(window):  # type: ignore[no-untyped-def]
    assert window.open_path(str(MMC))
    QApplication.processEvents()
    return window, window.whatif


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
    headers = [dialog.table.horizontalHeaderItem(i).text() for i in range(dialog.table.columnCount())]
    assert headers[:3] == ["svc · concurrency", "arrival rate (req/s)", "SLOs met"]
    assert headers[3].startswith("E2E p95 (ms)") and "_" not in "".join(headers)
    # The results are only shown: the design is untouched, no save prompt, until the user keeps them.
    assert "sweeps" not in window.design.extra and window.undo_stack.isClean()
    assert dialog.keep_button.isEnabled()
    dialog.keep_button.click()
    stored = window.design.extra["sweeps"][-1]
    assert stored["kind"] == "sweep" and len(stored["points"]) == 4 and not window.undo_stack.isClean()
    assert not dialog.keep_button.isEnabled()
    window.undo_stack.undo()
    assert "sweeps" not in window.design.extra
    window.undo_stack.redo()
    assert window.design.extra["sweeps"][-1]["id"] == "sweep-1"
    opened_windows = []
    actions.open_requested.connect(lambda d: opened_windows.append(window.open_in_new_window(d)))
    opened = dialog.open_point(3)
    assert opened.node("svc").params["concurrency"] == 6 and opened.workload["arrival"]["rate_per_s"] == 8
    new = opened_windows[-1]
    assert new is not window and new.design.node("svc").params["concurrency"] == 6
    assert new.file_path is None and new.document.is_dirty  # untitled: Save asks where
    new.undo_stack.setClean()
    new.close()
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
    assert len(dialog.card.data_rows) == len(dialog.result.points) + 1
    assert "sweeps" not in window.design.extra and window.undo_stack.isClean()  # not kept unasked
    dialog.keep_button.click()
    stored = window.design.extra["sweeps"][-1]
    assert stored["kind"] == "capacity" and stored["summary"]["limiting_slo"] == "e2e_p95_ms"
    window.undo_stack.setClean()


def test_capacity_cancel_is_immediate_and_keeps_finished_probes(mmc_window, qtbot):
    """Two worker processes, long runs: Cancel returns at once, the probes that finished stay plotted."""
    import time

    window, actions = mmc_window
    dialog = actions.open_capacity()
    qtbot.addWidget(dialog)
    dialog.replications.setValue(2)
    dialog.duration.setValue(400)
    dialog.workers.setValue(2)
    dialog.run_button.click()
    qtbot.waitUntil(lambda: len(dialog.points) >= 1, timeout=90000)  # the first load has finished...
    assert dialog.progress.isVisible() and "Searching" in dialog.answer.text()
    assert len(dialog.card.data_rows) == len(dialog.points) + 1  # ...and is on the plot while searching
    started = time.perf_counter()
    dialog.cancel_button.click()
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, elapsed
    assert dialog.run_button.isEnabled() and not dialog.progress.isVisible()
    assert "Cancelled" in dialog.answer.text() and "stay plotted" in dialog.answer.text()
    assert len(dialog.card.data_rows) >= 2 and dialog.result is None and not dialog.keep_button.isEnabled()
    assert "sweeps" not in window.design.extra and window.undo_stack.isClean()


def test_sweep_cancel_is_immediate_and_shows_the_finished_points(mmc_window, qtbot):
    import time

    window, actions = mmc_window
    dialog = actions.open_sweep()
    qtbot.addWidget(dialog)
    dialog.axis1.select("svc", "nodes.svc.params.concurrency", "4,6,8,10")
    dialog.replications.setValue(2)
    dialog.duration.setValue(400)
    dialog.workers.setValue(2)
    dialog.run_button.click()
    def a_point_is_complete() -> bool:
        done = [t.point for t, _r in dialog.job.finished_runs()]
        return any(done.count(p) == 2 for p in set(done))

    qtbot.waitUntil(a_point_is_complete, timeout=90000)
    assert "done…" in dialog.status.text()  # the line counts the runs as the bar does
    started = time.perf_counter()
    dialog.cancel_button.click()
    assert time.perf_counter() - started < 1.0
    assert dialog.run_button.isEnabled() and "Cancelled after" in dialog.status.text()
    assert dialog.result is not None and 1 <= len(dialog.result.points) < 4
    assert dialog.table.rowCount() == len(dialog.result.points)
    assert not dialog.keep_button.isEnabled()
    assert "sweeps" not in window.design.extra and window.undo_stack.isClean()

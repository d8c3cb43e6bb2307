"""The inspector is generated from the declarations, validates live, and edits through undo commands."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from designer.fields import DistEditor, NumberBox
from simulation.registry import get_kind


def select(window, node_id: str):  # type: ignore[no-untyped-def]
    window.scene.select_nodes([node_id])
    QApplication.processEvents()
    return window.inspector


def test_rows_come_from_the_declaration(rag_window) -> None:  # type: ignore[no-untyped-def]
    inspector = select(rag_window, "vdb")
    declared = {p.name for p in get_kind("vector_db").all_params}
    assert declared <= set(inspector.rows)
    row = inspector.rows["top_k"]
    assert isinstance(row.editor, NumberBox) and row.editor.number() == 20
    assert "Default" in row.label.toolTip()
    param = get_kind("vector_db").param("top_k")
    if param.source:
        assert "Source" in row.label.toolTip()


def test_bad_value_is_rejected_with_a_message(rag_window) -> None:  # type: ignore[no-untyped-def]
    inspector = select(rag_window, "vdb")
    row = inspector.rows["replicas"]
    count = rag_window.undo_stack.count()
    row.editor.setValue(0)  # a spin-box commit, as arrows or Enter would do
    assert rag_window.design.node("vdb").params["replicas"] == 2
    assert row.message.isVisibleTo(inspector) and "must be an integer" in row.message.text()
    assert rag_window.undo_stack.count() == count
    row.probe("abc")  # live validation while typing
    assert "not a number" in row.message.text()
    row.editor.setValue(4)
    assert rag_window.design.node("vdb").params["replicas"] == 4
    assert not row.message.isVisibleTo(inspector)
    rag_window.undo_stack.undo()
    assert rag_window.design.node("vdb").params["replicas"] == 2
    QApplication.processEvents()
    assert select(rag_window, "vdb").rows["replicas"].editor.number() == 2  # the form follows undo


def test_spinner_edits_merge_into_one_undo_step(rag_window) -> None:  # type: ignore[no-untyped-def]
    inspector = select(rag_window, "vdb")
    count = rag_window.undo_stack.count()
    box = inspector.rows["top_k"].editor
    for _ in range(5):
        box.stepBy(1)
    assert rag_window.design.node("vdb").params["top_k"] == 25
    assert rag_window.undo_stack.count() == count + 1


def test_enum_and_catalog_fields(rag_window) -> None:  # type: ignore[no-untyped-def]
    inspector = select(rag_window, "vdb")
    inspector.rows["index"].editor.setCurrentText("flat")
    assert rag_window.design.node("vdb").params["index"] == "flat"
    rag_window.add_node_at_center("llm_server")
    QApplication.processEvents()
    inspector = rag_window.inspector
    row = inspector.rows["gpu"]
    row.editor.set_text("no-such-gpu")
    row.editor._commit()
    assert "unknown gpus id" in row.message.text()
    assert "gpu" not in rag_window.design.node("llm_server").params


def test_distribution_editor(rag_window) -> None:  # type: ignore[no-untyped-def]
    inspector = select(rag_window, "llm")
    row = inspector.rows["service_time"]
    dist: DistEditor = row.editor
    assert dist.type_combo.currentText() == "Log-normal (p50, p99)"
    dist.editors["p99"].setValue(100)  # p99 below p50 = 2500: invalid
    assert "p50 ≤ p99" in row.message.text()
    assert rag_window.design.node("llm").params["service_time"]["p99"] == 7000
    dist.editors["p99"].setValue(9000)
    assert rag_window.design.node("llm").params["service_time"] == {"dist": "lognormal", "p50": 2500, "p99": 9000}
    exponential = [i for i in range(dist.type_combo.count()) if dist.type_combo.itemText(i) == "Exponential"][0]
    dist.type_combo.setCurrentIndex(exponential)
    dist._type_changed(exponential)
    value = rag_window.design.node("llm").params["service_time"]
    assert value["dist"] == "exponential" and value["mean"] > 2500  # keeps the old mean


def test_design_level_editors(window) -> None:  # type: ignore[no-untyped-def]
    inspector = window.inspector
    assert "arrival.rate_per_s" in inspector.rows
    rate = inspector.rows["arrival.rate_per_s"]
    rate.editor.setValue(-3)
    assert "must be > 0" in rate.message.text()
    rate.editor.setValue(12.5)
    assert window.design.workload["arrival"] == {"process": "poisson", "rate_per_s": 12.5}
    inspector.rows["arrival.process"].editor.setCurrentText("closed")
    assert window.design.workload["arrival"]["process"] == "closed"
    QApplication.processEvents()
    assert "arrival.concurrency" in window.inspector.rows
    window.undo_stack.push(__import__("designer.commands", fromlist=["x"]).SetSectionCommand(
        window.design, "slo", {"ttft_p99_ms": 800.0}))
    QApplication.processEvents()
    slo = window.inspector.rows["slo.ttft_p99_ms"]
    slo.editor.setValue(-1)
    assert "≥ 0" in slo.message.text()
    slo.editor.setValue(500)
    assert window.design.slo == {"ttft_p99_ms": 500.0}
    budget = window.inspector.rows["budget.usd_per_month"]
    budget.submit(-5.0, False)
    assert "≥ 0" in budget.message.text() and window.design.budget == {}


def test_edge_inspector(rag_window) -> None:  # type: ignore[no-untyped-def]
    w = rag_window
    w.scene.edge_items[2].setSelected(True)
    QApplication.processEvents()
    rows = w.inspector.rows
    assert rows["when"].editor.currentText() == "miss"
    rows["latency_ms"].editor.setValue(-4)
    assert "≥ 0" in rows["latency_ms"].message.text()
    rows["latency_ms"].editor.setValue(12)
    assert w.design.edges[2].latency_ms == 12.0
    rows["when"].editor.setCurrentText("(always)")
    assert w.design.edges[2].when is None


def test_budget_toggle_and_value(window) -> None:  # type: ignore[no-untyped-def]
    from designer.fields import BoolBox, NumberBox

    row = window.inspector.rows["budget.usd_per_month"]
    row.editor.findChild(BoolBox).setChecked(True)
    assert window.design.budget == {"usd_per_month": 0.0}
    QApplication.processEvents()
    box = window.inspector.rows["budget.usd_per_month"].editor.findChild(NumberBox)
    assert box.isEnabled()
    box.setValue(25_000)
    assert window.design.budget == {"usd_per_month": 25_000.0}
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.design.budget == {}

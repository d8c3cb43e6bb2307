"""Compare two session runs; the chaos panel: faults on a design copy change availability as expected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pytestqt")

from designer.runs.chaos import Scenario, apply_faults, availability  # noqa: E402
from designer.runs.compare import CompareDialog, design_diff  # noqa: E402
from simulation.loader import design_to_dict, load_design  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
RAG = REPO / "assets" / "templates" / "rag-pipeline.genai.json"


def test_design_diff_lists_changed_added_and_removed_leaves() -> None:
    a = design_to_dict(load_design(RAG))
    b = json.loads(json.dumps(a))
    vdb = next(n for n in b["nodes"] if n["id"] == "vdb")
    before = vdb["params"]["top_k"]
    vdb["params"]["top_k"] = before * 2
    vdb["pos"] = [9, 9]  # moving a node is not a difference
    b["slo"]["ttft_p99_ms"] = 2000
    b["edges"].append({"source": "cache", "target": "llm", "when": "hit"})
    diff = {p: (x, y) for p, x, y in design_diff(a, b)}
    assert diff["nodes.vdb.params.top_k"] == (before, before * 2)
    assert diff["slo.ttft_p99_ms"] == (1000.0, 2000)
    assert diff["edges.cache → llm [hit].present"] == ("(absent)", True)
    assert len(diff) == 3


def test_apply_faults_merges_into_a_copy() -> None:
    base = design_to_dict(load_design(RAG))
    scenarios = [
        Scenario("llm", "outage", {"start_s": 10, "end_s": 20}),
        Scenario("llm", "error_rate", {"rate": 0.1}),
        Scenario("llm", "error_rate", {"rate": 0.1}),
        Scenario("vdb", "slowdown_window", {"start_s": 1, "end_s": 2, "factor": 3}),
        Scenario("vdb", "replica_loss", {"at_s": 5, "replicas": 1, "recovery_s": 60}),
        Scenario("embed", "slowdown", {"factor": 2}, enabled=False),
    ]
    out = apply_faults(base, scenarios)
    nodes = {n["id"]: n for n in out["nodes"]}
    assert nodes["llm"]["faults"]["outages"] == [[10.0, 20.0]]
    assert nodes["llm"]["faults"]["error_rate"] == pytest.approx(0.19)
    assert nodes["vdb"]["faults"] == {
        "slowdown_windows": [[1.0, 2.0, 3.0]],
        "replica_loss": [{"at_s": 5.0, "replicas": 1, "recovery_s": 60.0}],
    }
    assert "faults" not in nodes["embed"] and all("faults" not in n for n in base["nodes"])
    load_design(out)  # the loader accepts what the panel writes


def test_compare_dialog_overlays_two_runs(qtbot: Any) -> None:
    from tests.designer.test_runs_session import make_window, wait_idle

    window, session = make_window(qtbot, load_design(RAG))
    first = session.run()
    wait_idle(qtbot, session)
    window.design.set_param("rerank", "replicas", 3)
    second = session.run()
    wait_idle(qtbot, session)
    assert first.status == second.status == "done"
    session.open_compare()
    dialog: CompareDialog = session.compare_dialog
    qtbot.addWidget(dialog)
    assert len(dialog.cdf.plot.plotItem.listDataItems()) == 2
    diff = dialog.diff.rows()[1:]
    assert diff == [["nodes.rerank.params.replicas", "(absent)", "3"]]
    rows = {r[0]: r for r in dialog.table.rows()[1:]}
    assert rows["requests completed"][1] == rows["requests completed"][2]  # same seed, same traffic
    cost = rows["cost per month"]
    assert cost[3].startswith("+") and cost[1] != cost[2]  # two more reranker replicas cost more


def test_chaos_outage_costs_availability_in_proportion(qtbot: Any) -> None:
    """An outage of the query-embedding service for 10 % of the measured window fails the cache misses (70 %)
    arriving during it: availability drops by about 0.1 × 0.7 = 7 %."""
    from tests.designer.test_runs_session import make_window

    data = json.loads(RAG.read_text(encoding="utf-8"))
    data["workload"]["duration_s"] = 660  # measured window 60…660 s
    window, session = make_window(qtbot, load_design(data))
    session.open_chaos()
    panel = session.chaos_dock.panel
    assert panel.node.findData("embed") >= 0
    panel.add_scenario(Scenario("embed", "outage", {"start_s": 200, "end_s": 260}))
    panel.add_scenario(Scenario("vdb", "slowdown", {"factor": 3}, enabled=False))
    assert panel.run_comparison()
    assert not panel.run_comparison()  # refused while the pair is running
    qtbot.waitUntil(lambda: panel.faulty is not None and not session.controller.running, timeout=60_000)
    healthy, faulty = panel.healthy, panel.faulty
    assert healthy.status == faulty.status == "done"
    assert availability(healthy.summary) == 1.0
    loss = 1.0 - availability(faulty.summary)
    assert 0.05 < loss < 0.09
    rows = {r[0]: r for r in panel.result.rows()[1:]}
    assert rows["error-budget burn rate"][3] == "over budget"  # 7 % errors against a 1 % budget
    assert "faults" not in json.dumps(design_to_dict(window.design))  # the design itself is untouched
    assert panel.compare_button.isEnabled()

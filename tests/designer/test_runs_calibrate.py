"""The calibration dialog: efficiency curves from a profile, a worker process that reports errors, and
calibrated profiles listed from the user data folder and settable on an llm_server node."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from designer.runs import calibrate as calibrate_ui  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
H100 = REPO / "assets" / "profiles" / "h100-sxm.json"


def test_efficiency_curves_from_a_profile() -> None:
    curves = calibrate_ui.efficiency_curves(json.loads(H100.read_text(encoding="utf-8")))
    assert {"GEMM bf16", "attention decode bf16", "memory copy"} <= set(curves)
    x, y = curves["GEMM bf16"]
    assert np.all(np.diff(x) > 0) and np.all((y > 0) & (y <= 1.0))


@pytest.fixture
def profiles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "profiles"
    monkeypatch.setattr(calibrate_ui, "user_profiles_dir", lambda: folder)
    return folder


def test_dialog_lists_and_plots_calibrated_profiles(qtbot: Any, profiles_dir: Path) -> None:
    profiles_dir.mkdir(parents=True)
    shutil.copy(H100, profiles_dir / "my-box.json")
    dialog = calibrate_ui.CalibrateDialog()
    qtbot.addWidget(dialog)
    assert dialog.profiles.count() == 1 and dialog.profiles.item(0).text() == "my-box"
    assert dialog.show_profile(profiles_dir / "my-box.json")
    assert len(dialog.plot.plot.plotItem.listDataItems()) >= 4
    assert "TFLOP/s" in dialog.peaks_label.text()


def test_dialog_shows_a_calibration_error(qtbot: Any, profiles_dir: Path) -> None:
    dialog = calibrate_ui.CalibrateDialog()
    qtbot.addWidget(dialog)
    dialog.device.addItem("tpu")
    dialog.device.setCurrentText("tpu")
    assert dialog.start()
    qtbot.waitUntil(lambda: not dialog.running(), timeout=60_000)
    assert dialog.status.text().startswith("Calibration failed:")
    assert "tpu" in dialog.status.text()
    assert dialog.start_button.isEnabled()


def test_use_on_selected_llm_server_sets_the_profile_path(qtbot: Any, profiles_dir: Path) -> None:
    from designer.document import DesignDocument
    from simulation.design import Design, Node

    document = DesignDocument(Design(nodes=[Node("gen", "llm_server")]))
    dialog = calibrate_ui.CalibrateDialog(document, lambda: ["gen"])
    qtbot.addWidget(dialog)
    dialog.profile_path = profiles_dir / "box.json"
    dialog.use_on_selected()
    assert document.design.node("gen").params["profile"] == str(profiles_dir / "box.json")
    assert document.is_dirty
    document.undo_stack.undo()
    assert "profile" not in document.design.node("gen").params

"""Layers go one way: designer → simulation → kernels. simulation imports no Qt/torch; only kernels/bench* imports
torch. Checked on the source (AST), so a violation anywhere fails, even in modules tests never import."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n.split(".")[0] for n in names} | names


def files(package: str):
    return sorted((REPO / package).rglob("*.py"))


def test_simulation_imports_no_qt_torch_or_designer():
    bad = {}
    for f in files("simulation"):
        hit = imports_of(f) & {"PySide6", "pyqtgraph", "torch", "designer", "shiboken6", "genai_sim"}
        if hit:
            bad[str(f.relative_to(REPO))] = hit
    assert not bad, bad


def test_kernels_import_nothing_above_and_torch_only_in_bench():
    bad = {}
    for f in files("kernels"):
        names = imports_of(f)
        hit = names & {"simulation", "designer", "PySide6", "genai_sim"}
        if "torch" in names and not f.name.startswith("bench") and f.parent.name != "bench":
            hit = hit | {"torch"}
        if hit:
            bad[str(f.relative_to(REPO))] = hit
    assert not bad, bad


def test_designer_does_not_import_cli():
    bad = [str(f) for f in files("designer") if "genai_sim" in imports_of(f)]
    assert not bad


def test_detector_catches_a_violation(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("from PySide6.QtCore import QObject\nimport torch.nn\n")
    assert {"PySide6", "torch"} <= imports_of(f)

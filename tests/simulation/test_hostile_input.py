"""Hostile input: nothing from a user file is executed, sizes and depths are bounded, and file names
inside a design cannot reach outside the design's folder. (Report escaping is tested with the reports.)"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulation import loader
from simulation.errors import DesignError
from simulation.loader import load_design, read_json_file
from simulation.safe_paths import MAX_USER_FILE_BYTES, resolve_user_file
from simulation.workload import read_trace

REPO = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("simulation", "designer", "kernels", "genai_sim")
# Modules that turn bytes into live objects or code; none of them may parse anything in this product.
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "jsonpickle", "marshal", "shelve", "yaml",
                     "ruamel", "joblib"}
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__", "execfile"}


def _sources() -> list[Path]:
    return [p for d in SOURCE_DIRS for p in sorted((REPO / d).rglob("*.py"))]


def _violations(path: Path, root: Path = REPO) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(root)
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        out += [f"{where}:{node.lineno}: imports {n}" for n in names
                if n.split(".")[0] in FORBIDDEN_MODULES]
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in FORBIDDEN_BUILTINS:
                out.append(f"{where}:{node.lineno}: calls {f.id}()")
            for kw in node.keywords:  # np.load(..., allow_pickle=True), torch.load(..., weights_only=False)
                if (kw.arg, getattr(kw.value, "value", None)) in (("allow_pickle", True), ("weights_only", False)):
                    out.append(f"{where}:{node.lineno}: {kw.arg}={kw.value.value}")
            if isinstance(f, ast.Attribute) and f.attr == "load" and isinstance(f.value, ast.Name) \
                    and f.value.id == "torch" and not any(kw.arg == "weights_only" for kw in node.keywords):
                out.append(f"{where}:{node.lineno}: torch.load without weights_only=True")
    return out


def test_the_source_tree_is_scanned():
    assert len(_sources()) > 30


def test_no_code_executing_parsers_anywhere():
    found = [v for p in _sources() for v in _violations(p)]
    assert not found, "\n".join(found)


def test_the_scanner_catches_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nfrom yaml import load\nx = eval('1')\nimport numpy as np\n"
                   "np.load('f', allow_pickle=True)\n")
    found = _violations(bad, tmp_path)
    assert [f.split(": ", 1)[1] for f in found] == ["imports pickle", "imports yaml", "calls eval()",
                                                     "allow_pickle=True"], found


# --- size and depth limits -------------------------------------------------------------------------
def test_oversized_design_file_is_refused_without_reading_it(tmp_path):
    f = tmp_path / "huge.genai.json"
    with f.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(loader.MAX_FILE_BYTES + 1)
    with pytest.raises(DesignError, match="MiB; the limit is 20 MiB"):
        read_json_file(f)


@pytest.mark.parametrize("depth", [loader.MAX_DEPTH + 2, 10_000, 1_000_000])
def test_deep_nesting_is_refused(tmp_path, depth):
    f = tmp_path / "deep.genai.json"
    f.write_text('{"format": "genai-sim.design", "version": 1, "notes": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(DesignError, match="nested deeper than 40 levels"):
        load_design(f)


def test_deep_nesting_in_a_dict_is_refused_before_copying():
    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    with pytest.raises(DesignError, match="nested deeper than 40 levels"):
        load_design({"format": "genai-sim.design", "version": 1, "notes": deep})


def test_too_many_nodes_is_refused():
    nodes = [{"id": f"n{i}", "kind": "service"} for i in range(loader.MAX_NODES + 1)]
    with pytest.raises(DesignError, match="nodes: at most 5000 nodes"):
        load_design({"format": "genai-sim.design", "version": 1, "nodes": nodes})


@pytest.mark.parametrize("value, message", [(10**400, "number too large"), (float("nan"), "nan is not allowed"),
                                            (float("inf"), "inf is not allowed")])
def test_numbers_a_json_file_cannot_hold_are_refused(value, message):
    with pytest.raises(DesignError, match=message):
        load_design({"format": "genai-sim.design", "version": 1, "budget": {"usd_per_month": value}})


def test_oversized_trace_is_refused(tmp_path):
    (tmp_path / "big.csv").open("wb").truncate(MAX_USER_FILE_BYTES + 1)
    with pytest.raises(DesignError, match="larger than 200 MiB"):
        resolve_user_file("big.csv", tmp_path, "workload.arrival.file")


def test_binary_trace_is_refused(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes(b"time\n1\n\xff\xfe\x00")
    with pytest.raises(DesignError, match="not a UTF-8 text file"):
        read_trace(f)


# --- paths inside a design stay inside its folder --------------------------------------------------------
def _design_with_trace(folder: Path, name: str) -> Path:
    f = folder / "d.genai.json"
    f.write_text(json.dumps({"format": "genai-sim.design", "version": 1,
                             "workload": {"arrival": {"process": "trace", "file": name}},
                             "nodes": [{"id": "users", "kind": "client"}]}))
    return f


@pytest.fixture
def outside(tmp_path) -> Path:
    secret = tmp_path / "secret.csv"
    secret.write_text("time\n0\n1\n")
    (tmp_path / "design").mkdir()
    return tmp_path / "design"


@pytest.mark.parametrize("name", ["../secret.csv", "sub/../../secret.csv", "/etc/passwd", "~/secret.csv", "",
                                  "..", "/dev/zero"])
def test_trace_path_cannot_escape(outside, name):
    with pytest.raises(DesignError, match=r"workload\.arrival\.file"):
        load_design(_design_with_trace(outside, name))


def test_symlink_out_of_the_folder_is_refused(outside):
    os.symlink(outside.parent / "secret.csv", outside / "link.csv")
    with pytest.raises(DesignError, match="points outside the design's folder"):
        load_design(_design_with_trace(outside, "link.csv"))


def test_trace_inside_the_folder_loads(outside):
    (outside / "sub").mkdir()
    (outside / "sub" / "t.csv").write_text("time,input_tokens,output_tokens\n0,10,5\n1,20,6\n")
    design = load_design(_design_with_trace(outside, "sub/t.csv"))
    assert design.workload["arrival"]["file"] == "sub/t.csv"


@pytest.mark.parametrize("name", ["../secret.csv", "/etc/hostname", "../../../../../../etc/passwd"])
def test_empirical_file_cannot_escape(outside, name):
    f = outside / "d.genai.json"
    f.write_text(json.dumps({"format": "genai-sim.design", "version": 1,
                             "workload": {"input_tokens": {"dist": "empirical", "file": name}}}))
    with pytest.raises(DesignError, match=r"workload\.input_tokens\.file"):
        load_design(f)


def test_cli_refuses_hostile_file_with_one_line(tmp_path):
    f = tmp_path / "evil.genai.json"
    f.write_text('{"format": "genai-sim.design", "version": 1, "notes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code = "import sys; from genai_sim.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, "validate", str(f)], capture_output=True,
                          text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize(("section", "value", "where"), [
    ("arrival", {"process": "gamma", "rate_per_s": 1, "cv": 1e-170}, "workload.arrival.cv"),
    ("arrival", {"process": "gamma", "rate_per_s": 1, "cv": 1e200}, "workload.arrival.cv"),
    ("slo", {"ttft_p99_ms": 1e308}, "slo.ttft_p99_ms"),
])
def test_values_where_the_maths_breaks_are_refused_with_the_path(section, value, where):
    data = {"format": "genai-sim.design", "version": 1, "name": "x",
            "workload": {"arrival": {"process": "poisson", "rate_per_s": 1}},
            "nodes": [{"id": "u", "kind": "client"}, {"id": "s", "kind": "service"}],
            "edges": [{"source": "u", "target": "s"}]}
    if section == "arrival":
        data["workload"]["arrival"] = value
    else:
        data["slo"] = value
    with pytest.raises(DesignError, match=where.replace(".", r"\.")):
        load_design(data)

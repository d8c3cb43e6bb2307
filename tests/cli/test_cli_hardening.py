"""CLI hardening: one validation path, up-front output checks, bounded flags, clean terminal output, bounded export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from genai_sim.cli import main

REPO = Path(__file__).resolve().parents[2]


def write(folder: Path, nodes, edges, name="d", **top) -> Path:
    d = {"format": "genai-sim.design", "version": 1, "name": "hardening",
         "workload": {"arrival": {"process": "poisson", "rate_per_s": 2}, "duration_s": 10, "warmup_s": 0},
         "nodes": [{"id": "users", "kind": "client"}, *nodes], "edges": edges, **top}
    f = folder / f"{name}.genai.json"
    f.write_text(json.dumps(d))
    return f


def svc(node_id, **params):
    return {"id": node_id, "kind": "service", "params": {"service_time": {"dist": "fixed", "value": 5}, **params}}


def one_line_exit_2(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("genai-sim: error: ") and "Traceback" not in err
    return err


@pytest.mark.parametrize("params", [{"tp": 64}, {"profile": "no-such-gpu"}])
def test_validate_refuses_what_run_refuses(tmp_path, capsys, params):
    f = write(tmp_path, [{"id": "llm", "kind": "llm_server", "params": params}], [{"source": "users", "target": "llm"}])
    one_line_exit_2(capsys, ["run", str(f)])
    assert main(["validate", str(f), "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    bad = [i for i in findings if i["rule"] == "cannot-run"]
    assert bad and bad[0]["node"] == "llm" and "nodes.llm.params" in bad[0]["message"]


def test_report_to_an_unwritable_place_fails_up_front(tmp_path, capsys):
    f = write(tmp_path, [svc("a")], [{"source": "users", "target": "a"}])
    err = one_line_exit_2(capsys, ["report", str(f), "-o", "/proc/version.html"])
    assert "/proc/version.html" in err


def test_sweep_into_a_missing_folder_fails_before_the_sweep(tmp_path, capsys, monkeypatch):
    f = write(tmp_path, [svc("a")], [{"source": "users", "target": "a"}])
    import simulation.analysis.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "sweep", lambda *a, **k: pytest.fail("the sweep ran"))
    err = one_line_exit_2(capsys, ["sweep", str(f), "--set", "nodes.a.params.replicas=1,2", "-o",
                                   str(tmp_path / "missing" / "dir" / "s.csv")])
    assert "does not exist" in err
    assert not (tmp_path / "missing").exists()


def test_output_check_leaves_nothing_behind(tmp_path, capsys):
    f = write(tmp_path, [svc("a")], [{"source": "users", "target": "a"}])
    out = tmp_path / "d.svg"
    assert main(["export", str(f), "-o", str(out)]) == 0
    assert out.exists()
    one_line_exit_2(capsys, ["export", str(f), "-o", str(tmp_path)])  # a folder is not an output file


@pytest.mark.parametrize("flags, what", [(["--seed", "-1"], "--seed"), (["--duration", "1e12"], "--duration"),
                                         (["--duration", "nan"], "--duration"), (["--duration", "-5"], "--duration")])
def test_run_flags_out_of_range_are_one_line(tmp_path, capsys, flags, what):
    f = write(tmp_path, [svc("a")], [{"source": "users", "target": "a"}])
    assert what in one_line_exit_2(capsys, ["run", str(f), *flags])


def test_terminal_output_has_no_control_characters(tmp_path, capsys):
    evil = "\x1b[31mred\x1b[0m\x07\u202e"
    f = write(tmp_path, [{**svc("a"), "name": evil}], [{"source": "users", "target": "a"}], name="evil")
    for argv in (["validate", str(f)], ["run", str(f)]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert main(["run", str(f), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["design"]  # JSON stays JSON (escaped by the encoder)


def test_a_long_hostile_key_gives_a_short_clean_error(tmp_path, capsys):
    f = write(tmp_path, [{**svc("a"), "params": {"\x1b[2J" + "k" * 1_000_000: 1}}], [])
    err = one_line_exit_2(capsys, ["validate", str(f)])
    assert len(err) < 1100 and "\x1b" not in err


def test_export_far_apart_nodes_is_bounded_and_says_so(tmp_path):
    f = write(tmp_path, [{**svc("a"), "pos": [20000, 20000], "name": "bad\x00\x1bname"}],
              [{"source": "users", "target": "a"}], name="far")
    png, svg = tmp_path / "far.png", tmp_path / "far.svg"
    code = ("import resource, sys; from genai_sim.cli import main; rc = main(sys.argv[1:]); "
            "print('peak_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)")
    p = subprocess.run([sys.executable, "-c", code, "export", str(f), "-o", str(png)], capture_output=True,
                       text=True, cwd=REPO, timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin"})
    assert p.returncode == 0, p.stderr
    assert "scaled down" in p.stderr
    peak_kb = int(p.stderr.split("peak_kb")[1].split()[0])
    assert peak_kb < 1_000_000
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert max(image.width(), image.height()) <= 8192
    assert main(["export", str(f), "-o", str(svg)]) == 0
    import xml.dom.minidom

    doc = xml.dom.minidom.parse(str(svg))  # valid XML: no NUL or ESC in <title> or text
    assert "\x1b" not in doc.toxml()

"""The validating loader: path-precise one-line errors, round trips, migrations."""

import json
from pathlib import Path

import pytest

from simulation import loader
from simulation.errors import DesignError
from simulation.loader import design_to_dict, load_design, save_design

from .helpers import design, edge, svc

TEMPLATES = Path(__file__).resolve().parents[2] / "assets" / "templates"


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.genai.json")), ids=lambda p: p.name)
def test_templates_round_trip_without_loss(path, tmp_path):
    d = load_design(path)
    out = tmp_path / "copy.genai.json"
    save_design(d, out)
    again = load_design(out)
    assert design_to_dict(again) == design_to_dict(d)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["nodes"][1]["params"].update(replicas="two"),
     'nodes[1].params.replicas: must be an integer in 1…10000, got "two"'),
    (lambda d: d["nodes"][1].update(kind="warp_drive"), "nodes[1].kind: unknown kind 'warp_drive'"),
    (lambda d: d["edges"].append({"source": "users", "target": "nowhere"}), 'edges[1].target: no node with id "nowhere"'),
    (lambda d: d["workload"]["arrival"].update(rate_per_s=-1), "workload.arrival.rate_per_s: must be > 0, got -1"),
    (lambda d: d.update(slo={"ttft_p42_ms": 3}), "slo.ttft_p42_ms: unknown SLO"),
    (lambda d: d["nodes"][1]["params"].update(service_time={"dist": "lognormal", "p50": 5}),
     "nodes[1].params.service_time: lognormal needs either mean and std, or p50 and p99"),
    (lambda d: d.update(version=99), "version: file is format version 99"),
    (lambda d: d.update(extra_field=1), "extra_field: unknown field"),
    (lambda d: d["nodes"].append(dict(d["nodes"][1])), 'nodes[2].id: duplicate node id "a"'),
    (lambda d: d["edges"][0].update(when="hit"), "edges[0].when: client nodes have outcomes"),
])
def test_errors_name_the_path(mutate, message):
    d = design([svc("a")], [edge("users", "a")])
    mutate(d)
    with pytest.raises(DesignError) as exc:
        load_design(d)
    text = str(exc.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_invalid_json_reports_line_and_column(tmp_path):
    f = tmp_path / "bad.genai.json"
    f.write_text('{"format": "genai-sim.design",\n "version": 1,,}')
    with pytest.raises(DesignError, match=r"line 2, column 15: invalid JSON"):
        load_design(f)


def test_nan_and_huge_files_are_refused(tmp_path):
    f = tmp_path / "nan.genai.json"
    f.write_text('{"format": "genai-sim.design", "version": 1, "x": NaN}')
    with pytest.raises(DesignError, match="NaN is not allowed"):
        load_design(f)
    big = tmp_path / "big.genai.json"
    big.write_bytes(b" " * (loader.MAX_FILE_BYTES + 1))
    with pytest.raises(DesignError, match="limit"):
        load_design(big)


def test_migration_hook_upgrades_old_versions(monkeypatch):
    def v0_to_v1(data):
        for n in data["nodes"]:
            n["kind"] = n.pop("type")
        return data

    monkeypatch.setitem(loader.MIGRATIONS, 0, v0_to_v1)
    d = design([svc("a")], [edge("users", "a")])
    d["version"] = 0
    for n in d["nodes"]:
        n["type"] = n.pop("kind")
    assert [n.kind for n in load_design(d).nodes] == ["client", "service"]


def test_trace_path_cannot_escape_design_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    d = design([svc("a")], [edge("users", "a")])
    d["workload"]["arrival"] = {"process": "trace", "file": "../secret.csv"}
    f = tmp_path / "sub" / "d.genai.json"
    f.write_text(json.dumps(d))
    with pytest.raises(DesignError, match="outside the design's folder"):
        load_design(f)


def test_trace_replay(tmp_path):
    (tmp_path / "t.csv").write_text("arrival_s,input_tokens,output_tokens\n0,10,5\n0.5,20,6\n1.5,30,7\n")
    d = design([svc("a", 1, dist="fixed", concurrency=10)], [edge("users", "a")], duration=10)
    d["workload"]["arrival"] = {"process": "trace", "file": "t.csv"}
    f = tmp_path / "d.genai.json"
    f.write_text(json.dumps(d))
    from simulation.run import run_design

    res = run_design(load_design(f))
    assert res.counts["completed"] == 3
    assert sorted(res.input_tokens.tolist()) == [10, 20, 30]


def test_save_is_atomic_and_keeps_backup(tmp_path, monkeypatch):
    f = tmp_path / "d.genai.json"
    d = load_design(design([svc("a")], [edge("users", "a")]))
    save_design(d, f)
    original = f.read_text()
    d.name = "changed"

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(loader.os, "replace", boom)
    with pytest.raises(OSError):
        save_design(d, f)
    assert f.read_text() == original
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]

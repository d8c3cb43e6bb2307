"""CLI end to end: SPEC §7 commands, §6 JSON keys, exit codes, one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from genai_sim.cli import main

REPO = Path(__file__).resolve().parents[2]
MMC = str(REPO / "assets" / "templates" / "mmc-service.genai.json")
SPEC_KEYS = {"design", "seed", "simulated_s", "wall_s", "requests", "metrics", "throughput", "goodput_per_s", "slo",
             "nodes", "cost", "review"}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "genai_sim", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300)


def test_run_json_has_spec_keys(capsys):
    assert main(["run", MMC, "--json", "--duration", "300", "--seed", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert SPEC_KEYS <= data.keys()
    assert set(data["requests"]) >= {"arrived", "completed", "failed", "blocked", "timeout", "dropped"}
    for m in ("ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"):
        assert set(data["metrics"][m]) == {"mean", "p50", "p90", "p95", "p99"}
    assert set(data["nodes"]["svc"]) >= {"utilization", "mean_queue", "mean_wait_ms", "p99_wait_ms", "served",
                                         "replicas"}
    assert set(data["cost"]) >= {"usd_per_hour", "usd_per_request", "usd_per_month", "by_node"}
    assert data["slo"]["e2e_p95_ms"]["target"] == 2000
    assert data["seed"] == 3


def test_set_overrides_change_the_run(capsys):
    main(["run", MMC, "--json", "--duration", "300", "--set", "nodes.svc.params.concurrency=8"])
    data = json.loads(capsys.readouterr().out)
    assert data["nodes"]["svc"]["utilization"] < 0.45


def test_table_output_is_readable(capsys):
    assert main(["run", MMC, "--duration", "120"]) == 0
    out = capsys.readouterr().out
    assert "TTFT" in out and "SLOs" in out and "svc" in out


@pytest.mark.parametrize("args, fragment", [
    (["run", "missing.genai.json"], "cannot open design file"),
    (["run", MMC, "--set", "nodes.svc.params.concurrency=zero"], "nodes[1].params.concurrency: must be an integer"),
    (["run", MMC, "--set", "nodes.nope.params.x=1"], "no node 'nope'"),
    (["run", MMC, "--set", "novalue"], "--set needs PATH=VALUE"),
    (["run", MMC, "--duration", "-5"], "--duration must be in 0…"),
    (["run", MMC, "--duration", "nan"], "--duration must be in 0…"),  # NaN used to hang the run
    (["report", MMC, "--duration", "inf", "-o", "x.md"], "--duration must be in 0…"),
    (["run", MMC, "--bogus"], "error: unrecognized arguments"),  # no doubled "genai-sim:" prefix
    (["run"], "the following arguments are required"),
    (["frobnicate", "x"], "unknown command"),
])
def test_bad_input_one_line_exit_2(args, fragment, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_validate_exit_codes(tmp_path):
    assert cli("validate", MMC).returncode == 0
    bad = json.loads(Path(MMC).read_text())
    bad["edges"] = []
    f = tmp_path / "no-edges.genai.json"
    f.write_text(json.dumps(bad))
    r = cli("validate", str(f))
    assert r.returncode == 1 and "client-without-edges" in r.stdout
    f.write_text("{not json")
    r = cli("validate", str(f))
    assert r.returncode == 2 and "invalid JSON" in r.stderr and "Traceback" not in r.stderr


def test_templates_lists_builtins(capsys):
    assert main(["templates"]) == 0
    assert "mmc-service.genai.json" in capsys.readouterr().out


def test_slo_table_prints_thousands_in_full_and_no_data_as_such(capsys):
    # the M/M/c template has no LLM: a TPOT SLO has no sample, so it must fail rather than pass on a 0.0 placeholder
    assert main(["run", MMC, "--duration", "120", "--set", "slo.e2e_p95_ms=25000", "--set", "slo.tpot_p95_ms=50"]) == 0
    out = capsys.readouterr().out
    assert "e+0" not in out
    assert "25,000" in next(ln for ln in out.splitlines() if "e2e_p95_ms" in ln)
    tpot = next(ln for ln in out.splitlines() if "tpot_p95_ms" in ln)
    assert "FAIL" in tpot and "no data" in tpot
    assert next(ln for ln in out.splitlines() if ln.startswith("TPOT")).split()[1:] == ["—"] * 5
    assert "$0.00000/request" not in out  # $0.10/h over ~8 req/s is a few micro-dollars, not zero

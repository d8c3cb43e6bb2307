"""Capacity search against Erlang C, autosize pruning and answers, and the what-if CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulation.analysis.autosize import AutosizeSpace, autosize, pareto_front
from simulation.analysis.capacity import find_capacity
from simulation.analysis.queueing import mmc_sojourn_tail, quantile_from_tail
from simulation.errors import DesignError
from tests.conftest import REPO, TEMPLATES
from tests.simulation.test_whatif_sweep import mmc

MU, SERVERS = 1 / 0.4, 4  # assets/templates/mmc-service.genai.json: c = 4, exponential 400 ms service


def erlang_capacity(p95_s: float) -> float:
    """λ at which the M/M/c sojourn-time P95 equals p95_s (FIFO; queueing.mmc_sojourn_tail), by bisection."""
    lo, hi = 0.01, SERVERS * MU * (1 - 1e-9)
    for _ in range(80):
        lam = (lo + hi) / 2
        q = quantile_from_tail(lambda t, lam=lam: mmc_sojourn_tail(t, lam, MU, SERVERS), 0.95, 10.0)
        lo, hi = (lam, hi) if q <= p95_s else (lo, lam)
    return lo


@pytest.mark.slow
def test_capacity_matches_erlang_c_within_5_percent():
    expected = erlang_capacity(2.0)  # 8.15 req/s for an E2E P95 of 2 s
    data = mmc(rate=8.0, duration=600, slo={"e2e_p95_ms": 2000})
    result = find_capacity(data, replications=3, tolerance=0.02)
    assert result.max_rate_per_s == pytest.approx(expected, rel=0.05)
    assert result.limiting_slo == "e2e_p95_ms" and result.bottleneck == "svc"
    assert result.met_at_lowest and result.failing_value > result.max_value
    assert (result.failing_value - result.max_value) / result.max_value <= 0.02
    out = result.to_json()
    assert {"max_rate_per_s", "limiting_slo", "bottleneck", "points"} <= set(out)
    assert [p["value"] for p in out["points"]] == sorted(p["value"] for p in out["points"])


def test_capacity_closed_loop_searches_integer_users():
    data = mmc(duration=120, slo={"e2e_p95_ms": 2000})
    data["workload"]["arrival"] = {"process": "closed", "concurrency": 2,
                                   "think_time": {"dist": "exponential", "mean_ms": 500}}
    result = find_capacity(data, replications=1)
    assert result.path == "workload.arrival.concurrency"
    assert float(result.max_value).is_integer() and result.failing_value == result.max_value + 1
    assert 0 < result.max_rate_per_s <= 1.1 * SERVERS * MU  # measured throughput at the answer (≤ c·μ)


def test_capacity_needs_slos():
    with pytest.raises(DesignError, match="slo"):
        find_capacity(mmc(duration=50, slo={}))


def small_llm_design() -> dict:
    data = json.loads((TEMPLATES / "vllm-cluster-70b.genai.json").read_text())
    data["workload"].update(duration_s=60, warmup_s=10)
    data["workload"]["arrival"]["rate_per_s"] = 4.0
    return data


def test_autosize_prunes_by_envelope_and_finds_the_cheapest_feasible():
    space = AutosizeSpace(gpus=["h100-sxm"], tp=[1, 2, 3, 4], replicas=[1, 2, 3], dtypes=["bf16", "fp8"], apis=[])
    result = autosize(small_llm_design(), "llm", space, replications=1)
    by_label = {c.label: c for c in result.candidates}
    tp1 = by_label["1 × Llama-3.1-70B bf16 on 1 × h100-sxm"]
    assert tp1.status == "pruned" and "does not fit" in tp1.reason  # 141 GB of bf16 weights > one 80 GB GPU
    assert "attention heads" in by_label["1 × Llama-3.1-70B bf16 on 3 × h100-sxm"].reason  # 64 heads, tp 3
    simulated = [c for c in result.candidates if c.status == "simulated"]
    assert simulated and result.best is not None and result.best.point.slo_met
    assert result.best.cost() == min(c.cost() for c in simulated if c.point.slo_met)
    front = result.pareto
    assert [c.cost() for c in front] == sorted(c.cost() for c in front)
    lat = [c.point.mean[result.latency_metric] for c in front]
    assert lat == sorted(lat, reverse=True) and len(set(lat)) == len(lat)
    assert pareto_front(result.candidates, result.latency_metric) == front
    out = result.to_json()
    assert out["best"]["label"] == result.best.label and out["counts"]["pruned"] >= 4


def test_autosize_rejects_other_kinds():
    with pytest.raises(DesignError, match="--node"):
        autosize(small_llm_design(), "gateway", AutosizeSpace(apis=[]))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "genai_sim", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=300)


def test_cli_sweep_writes_csv_and_json(tmp_path):
    src = TEMPLATES / "mmc-service.genai.json"
    out = tmp_path / "grid.csv"
    r = cli("sweep", str(src), "--set", "nodes.svc.params.concurrency=4,5", "--rate", "6,7", "--replications", "2",
            "--duration", "60", "--workers", "2", "-o", str(out))
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("point,nodes.svc.params.concurrency,workload.arrival.rate_per_s,replications,")
    assert len(lines) == 5 and "4 points × 2 replications" in r.stdout
    assert "4/4" not in r.stderr and "8/8 runs" in r.stderr  # progress on stderr
    out_json = tmp_path / "grid.json"
    r = cli("sweep", str(src), "--set", "rate=5,6", "--duration", "30", "--workers", "1", "--no-progress",
            "-o", str(out_json))
    assert r.returncode == 0, r.stderr
    assert json.loads(out_json.read_text())["axes"][0]["path"] == "workload.arrival.rate_per_s"


@pytest.mark.parametrize("args, fragment", [
    (["--set", "nodes.nope.params.replicas=1,2"], "no node 'nope'"),
    (["--set", "nodes.svc.params.replicas=1,two"], "replicas"),
    (["--rate", "1..x"], "--rate"),
    ([], "give at least one"),
])
def test_cli_sweep_bad_input_exit_2(tmp_path, args, fragment):
    r = cli("sweep", str(TEMPLATES / "mmc-service.genai.json"), *args, "--duration", "10", "--workers", "1",
            "-o", str(tmp_path / "x.csv"))
    assert r.returncode == 2 and fragment in r.stderr and "Traceback" not in r.stderr


def test_cli_capacity_json_and_exit_1_when_nothing_meets(tmp_path):
    src = TEMPLATES / "mmc-service.genai.json"
    r = cli("capacity", str(src), "--json", "--duration", "120", "--replications", "1", "--tolerance", "0.1",
            "--workers", "1")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["limiting_slo"] == "e2e_p95_ms" and out["bottleneck"] == "svc" and 6 < out["max_rate_per_s"] < 10
    # exponential 400 ms service alone has a P95 of 1.2 s: a 500 ms E2E P95 breaks at any load
    r = cli("capacity", str(src), "--json", "--slo", "e2e_p95_ms=500", "--duration", "60", "--replications", "1",
            "--workers", "1")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["max_rate_per_s"] == 0 and out["met_at_lowest"] is False and out["limiting_slo"] == "e2e_p95_ms"


def test_cli_capacity_store_keeps_the_result_in_the_design(tmp_path):
    path = tmp_path / "d.genai.json"
    path.write_text(json.dumps(mmc(duration=60, slo={"e2e_p95_ms": 2000})))
    r = cli("capacity", str(path), "--store", "--replications", "1", "--tolerance", "0.2", "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert "Capacity:" in r.stdout
    stored = json.loads(path.read_text())["sweeps"][0]
    assert stored["kind"] == "capacity" and stored["summary"]["bottleneck"] == "svc"


def test_cli_autosize_json(tmp_path):
    path = tmp_path / "llm.genai.json"
    path.write_text(json.dumps(small_llm_design()))
    r = cli("autosize", str(path), "--node", "llm", "--gpus", "h100-sxm", "--tp", "1,2,4", "--replicas", "1..2",
            "--dtype", "fp8", "--no-api", "--replications", "1", "--workers", "1", "--no-progress", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["best"]["slo_met"] is True and out["best"]["kind"] == "llm_server"
    assert out["counts"]["total"] == 6 and out["pareto"][0]["usd_per_month"] <= out["pareto"][-1]["usd_per_month"]
    r = cli("autosize", str(path), "--node", "nope", "--json")
    assert r.returncode == 2 and "--node" in r.stderr

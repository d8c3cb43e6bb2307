"""The interview-ready report: every section for every template, numbers equal to the run's JSON,
user text escaped, and the seed chatbot's figures reproduced or flagged."""

from __future__ import annotations

import argparse
import html
import re

import pytest

from simulation.analysis.envelope import fmt, usd
from simulation.analysis.review import stage_breakdown
from simulation.loader import load_design
from simulation.report import build_report, write_report
from simulation.report.cli import add_report_arguments, report_main
from simulation.report.document import OPTIONAL_SECTIONS, SECTION_IDS, Image, Table
from simulation.report.html import render_html
from simulation.report.markdown import render_markdown
from simulation.report.sections import ms
from simulation.run import run_design
from simulation.templates import TEMPLATES_DIR
from tests.simulation.helpers import design, edge, svc

TEMPLATES = sorted(TEMPLATES_DIR.glob("*.genai.json"))


def short_run(d, seconds: float = 60.0):
    warm = float(d.workload.get("warmup_s", 0.0))
    return run_design(d, duration_s=warm + seconds)


@pytest.fixture(scope="module")
def seed_report():
    d = load_design(TEMPLATES_DIR / "seed-chatbot-100k.genai.json")
    result = run_design(d)  # the template's own 4-hour window: ~16K requests, ~3 s
    return d, result, build_report(d, result)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_every_section_for_every_template(path) -> None:
    d = load_design(path)
    report = build_report(d, short_run(d), resimulate=False)  # the re-simulations are tested on their own below
    ids = [s.id for s in report.sections]
    assert ids == [i for i in SECTION_IDS if i in ids]
    assert set(SECTION_IDS) - set(ids) <= set(OPTIONAL_SECTIONS)
    assert ("rag" in ids) == any(n.kind in ("vector_db", "keyword_index") for n in d.nodes)
    for s in report.sections:
        assert s.blocks, s.id
    page = render_html(report)
    for s in report.sections:
        assert f"<section id='{s.id}'>" in page
    assert "<script" not in page


def test_numbers_equal_the_run_json(seed_report) -> None:
    d, result, report = seed_report
    run = result.to_json()
    assert report.data["run"]["metrics"] == run["metrics"]
    assert report.data["run"]["cost"] == run["cost"]
    text = html.unescape(render_html(report))
    for name in ("ttft_ms", "e2e_ms", "tpot_ms"):
        for stat in ("p50", "p95", "p99"):
            assert ms(run["metrics"][name][stat]) in text
    assert usd(run["cost"]["usd_per_hour"]) in text
    assert usd(run["cost"]["usd_per_month"]) in text
    assert f"{run['requests']['completed']:,}" in text
    slo = run["slo"]["e2e_p95_ms"]
    row = next(r for b in report.section("results").blocks if isinstance(b, Table) and b.caption == "Pass/fail"
               for r in b.rows if r[0] == "e2e_p95_ms")
    assert row[2] == f"{ms(slo['actual'])} ms" and row[3] == ("✔ met" if slo["met"] else "✘ missed")
    wf = report.data["waterfall"]
    assert wf["path"][0] == "gateway" and "gpt35" in wf["path"]


def test_seed_chatbot_reproduces_and_flags_the_seed(seed_report) -> None:
    _, _, report = seed_report
    rows = {r["label"]: r for r in report.data["seed_figures"]}
    calls = rows["LLM calls per day (after a 30 % cache)"]
    assert calls["envelope"] == pytest.approx(70_000, rel=1e-5)
    assert calls["simulated"] == pytest.approx(70_000, rel=0.03)
    spend = rows["LLM spend per day"]
    assert spend["envelope"] == pytest.approx(2_100, rel=1e-5)
    assert spend["simulated"] == pytest.approx(2_100, rel=0.05) and spend["check"] == "✔ reproduced"
    saving = rows["Saving from '30K fewer LLM calls'"]
    assert saving["verdict"] == "inconsistent" and saving["envelope"] == pytest.approx(900, rel=1e-4)
    assert saving["check"].startswith("✘ differs")
    assert rows["Tokens per GPT-4 call (implied)"]["verdict"] == "inconsistent"
    assert rows["Saving from a smaller model for simple queries"]["check"].startswith("✘")
    text = render_html(report)
    assert "answer inconsistent" in text and "Worked answer vs simulated vs envelope" in text


def test_user_text_is_escaped(tmp_path) -> None:
    evil = "<script>alert('x')</script>"
    d = load_design(design([{**svc("svc", 5.0), "name": evil}], [edge("users", "svc", label=evil)], rate=5.0,
                           duration=30.0, name=evil, description=evil + " & <b>bold</b>"))
    report = build_report(d, run_design(d))
    page = render_html(report)
    assert "<script" not in page.lower() and "<b>bold" not in page
    assert "&lt;script&gt;" in page
    md = render_markdown(report, "imgs")
    assert "<script" not in md.lower()
    for img in report.images():
        assert "<script" not in (img.svg or "").lower()
    out = tmp_path / "r.md"
    write_report(report, out)
    assert "<script" not in out.read_text(encoding="utf-8").lower()


def test_html_is_self_contained_and_markdown_writes_images(seed_report, tmp_path) -> None:
    _, _, report = seed_report
    page = render_html(report)
    assert not re.search(r"""src=['"](?!data:)""", page)  # every image inline
    assert page.count("data:image/svg+xml;base64,") == len(report.images())
    files = write_report(report, tmp_path / "seed.md")
    names = {p.name for p in files}
    assert {"seed.md", "diagram.svg", "latency_cdf.svg", "waterfall.svg", "cost_breakdown.svg"} <= names
    md = (tmp_path / "seed.md").read_text(encoding="utf-8")
    assert "](seed_images/latency_cdf.svg)" in md


def test_report_cli_writes_html_and_rejects_bad_suffix(tmp_path, capsys) -> None:
    from simulation.errors import DesignError

    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    out = tmp_path / "mmc.html"
    args = parser.parse_args([str(TEMPLATES_DIR / "mmc-service.genai.json"), "-o", str(out), "--duration", "120",
                              "--set", "nodes.svc.params.concurrency=5"])
    assert report_main(args) == 0
    assert "wrote" in capsys.readouterr().out and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(DesignError):
        report_main(parser.parse_args([str(TEMPLATES_DIR / "mmc-service.genai.json"), "-o", str(tmp_path / "x.doc")]))
    with pytest.raises(DesignError):  # PDF needs the injected Qt writer
        report_main(parser.parse_args([str(TEMPLATES_DIR / "mmc-service.genai.json"), "-o", str(tmp_path / "x.pdf"),
                                       "--duration", "30"]))


def test_sweeps_stored_with_the_design_are_plotted(seed_report) -> None:
    d, result, _ = seed_report
    d = d.clone()
    d.extra["sweeps"] = [{"title": "Arrival rate", "x": "rate_per_s",
                          "rows": [{"rate_per_s": r, "e2e_p95_ms": 900 + 50 * r, "request_per_s": r}
                                   for r in (1.0, 2.0, 4.0)]}]
    report = build_report(d, result, resimulate=False)
    images = [b for b in report.section("tradeoffs").blocks if isinstance(b, Image)]
    assert [i.name for i in images] == ["sweep0_latency", "sweep0_throughput"]
    assert fmt(1100.0) in render_html(report)


def test_sweeps_in_the_sweep_module_shape_are_plotted(seed_report) -> None:
    d, result, _ = seed_report
    d = d.clone()
    d.extra["sweeps"] = [{"id": "sweep-1", "kind": "sweep", "axes": [{"path": "workload.arrival.rate_per_s",
                                                                      "values": [1, 2]}],
                          "points": [{"set": {"workload.arrival.rate_per_s": r}, "mean": {"e2e_p95_ms": 1000.0 * r,
                                      "request_per_s": float(r)}, "ci95": {}, "slo_met": r < 2} for r in (1, 2)]}]
    report = build_report(d, result, resimulate=False)
    assert [b.name for b in report.section("tradeoffs").blocks if isinstance(b, Image)] == \
        ["sweep0_latency", "sweep0_throughput"]


def test_executive_summary_comes_from_the_run(seed_report) -> None:
    d, result, report = seed_report
    assert report.sections[0].id == "summary"
    run = result.to_json()
    s = report.data["summary"]
    text = " ".join(s["text"])
    assert s["slo_missed"] == [k for k, v in run["slo"].items() if not v["met"]]
    assert usd(run["cost"]["usd_per_month"]) in text and ms(run["metrics"]["e2e_ms"]["p95"]) in text
    top_stage = max(stage_breakdown(result, "e2e"), key=lambda x: x[1])[0]
    assert s["bottleneck"] == top_stage and d.node(top_stage).title in text
    levers = report.data["levers"]
    assert levers and all(r["method"] == "simulated" for r in levers)
    good = [r for r in levers if r["slo_met_after"] and r["saving_usd_per_day"] > 0]
    assert [r["saving_usd_per_day"] for r in good] == sorted((r["saving_usd_per_day"] for r in good), reverse=True)
    assert s["top_lever"] == good[0] and usd(good[0]["saving_usd_per_day"]) in text
    banner = report.sections[0].blocks[0]
    assert banner.style == ("ok" if not s["slo_missed"] and not s["budget_over"] else "bad")


def test_executive_summary_names_a_missed_slo_and_the_busy_station() -> None:
    d = load_design(design([svc("slow", 90.0)], [edge("users", "slow")], rate=10.0, duration=120.0,
                           slo={"e2e_p95_ms": 50.0}, budget={"usd_per_month": 1.0}))
    report = build_report(d, run_design(d))
    s = report.data["summary"]
    banner = report.sections[0].blocks[0]
    assert s["slo_missed"] == ["e2e_p95_ms"] and banner.style == "bad"
    assert "Misses 1 of 1 SLO (e2e_p95_ms" in banner.text
    assert s["bottleneck"] == "slow" and s["busiest"] == "slow" and s["busiest_utilization"] > 0.85
    assert "queueing delay grows steeply" in " ".join(s["text"])


def test_charts_label_their_axes_and_switch_to_a_log_axis_for_wide_spreads() -> None:
    import numpy as np

    from simulation.report import charts

    rng = np.random.default_rng(1)
    near = charts.cdf_chart({"E2E": rng.lognormal(6.0, 0.3, 500)}, "CDF", markers={"SLO": (600.0, 0.95)})
    assert "log scale" not in near and "latency (ms)" in near and "<circle" in near
    wide = charts.cdf_chart({"TTFT": rng.lognormal(3.0, 0.3, 500), "E2E": rng.lognormal(7.5, 0.3, 500)}, "CDF")
    assert "log scale" in wide
    wf = charts.waterfall_chart([("gateway", 0.0, 0.3), ("llm", 0.3, 1551.0)], "W", 1574.0)
    assert "0.3 ms" in wf and "1,551 ms" in wf and "mean end-to-end 1,574 ms" in wf and "(ms)" in wf


def test_scale_volumes_are_rounded_like_an_estimate():
    """A volume derived from a rate shows 4 significant figures (1.157 req/s x 86,400 x 150 is not 14,999,995)."""
    from simulation.report.sections import value_text

    assert value_text(1.157407 * 86_400 * 150, "tokens/day") == "15,000,000 tokens/day"
    assert value_text(1.157407 * 86_400 * 30.4167, "req/month") == "3,042,000 req/month"
    assert value_text(16_429, "req/day") == "16,429 req/day"  # an exact count stays exact


@pytest.fixture(scope="module")
def cluster_report():
    d = load_design(TEMPLATES_DIR / "vllm-cluster-70b.genai.json")
    d.node("llm").params["replicas"] = 2  # the under-provisioned draft the issue found
    return d, build_report(d, short_run(d))


def test_sizing_comes_from_simulation_with_the_bound_beside_it(cluster_report) -> None:
    from simulation.report.data import report_json

    d, report = cluster_report
    data = report_json(report)
    sz = data["sizing"]["llm"]
    assert sz["method"] == "simulated" and sz["replicas_now"] == 2
    assert sz["peak_rate_per_s"] == pytest.approx(11.57 * 2)
    need = sz["replicas_at_peak"]
    assert sz["at_peak"]["slo_met"] and sz["at_peak"]["replicas"]["llm"] == need
    assert sz["one_fewer"]["replicas"]["llm"] == need - 1 and not sz["one_fewer"]["slo_met"]
    assert need > 2 and sz["one_fewer_missed"]  # 2 replicas miss an SLO at the peak, as the issue found
    assert sz["analytic_bound"] is not None  # the bound stays, as a cross-check
    text = html.unescape(render_html(report))
    assert f"needs {need} replicas at the peak" in text
    # no lever may right-size below the simulated peak count
    assert not any(r["title"].startswith("Right-size") for r in data["levers"])


def test_levers_are_priced_by_resimulation(cluster_report) -> None:
    from simulation.report.data import report_json

    _, report = cluster_report
    levers = report_json(report)["levers"]
    assert levers and {"title", "saving_usd_per_day", "method", "slo_met_after"} <= set(levers[0])
    assert all(r["method"] == "simulated" for r in levers)
    fp8 = next(r for r in levers if "fp8" in r["change"])
    # whole replicas, real GPU counts: tp 4 → 2 halves the GPUs per replica; the saving is what the re-sized
    # variant costs less per day, not a percentage
    gpu_day = 4 * 3.78 * 24
    n_after = fp8["replicas_after"]["llm"]
    baseline = report.data["lever_baseline"]["usd_per_day"]
    assert fp8["usd_per_day_after"] == pytest.approx(baseline - fp8["saving_usd_per_day"])
    assert (baseline - fp8["usd_per_day_after"]) == pytest.approx(
        report.data["sizing"]["nodes"]["llm"]["replicas_at_peak"] * gpu_day - n_after * gpu_day / 2, rel=0.02)
    assert any("API" in r["title"] or "api" in r["change"] for r in levers)  # self-host ↔ API is priced
    assert set(fp8["slo_after"]) == set(report.data["run"]["slo"])


def test_utilisation_is_busy_share_everywhere(cluster_report) -> None:
    from simulation.report.data import report_json

    _, report = cluster_report
    data = report_json(report)
    run = report.data["run"]
    assert data["nodes"]["llm"]["busy"] == run["nodes"]["llm"]["busy"]
    assert data["nodes"]["llm"]["batch_occupancy"] == run["nodes"]["llm"]["utilization"]
    assert "utilization" not in data["nodes"]["llm"]
    table = next(b for b in report.section("bottlenecks").blocks if isinstance(b, Table))
    assert table.headers[1] == "Busy"
    row = next(r for r in table.rows if r[0] == "Llama-3.1-70B")
    assert row[1] == f"{run['nodes']['llm']['busy']:.0%}" and "batch occupancy" in row[5]


def test_json_report_follows_the_contract(tmp_path) -> None:
    import json

    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    out = tmp_path / "r.json"
    assert report_main(parser.parse_args([str(TEMPLATES_DIR / "rag-pipeline.genai.json"), "-o", str(out),
                                          "--duration", "90"])) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == "genai-sim.report" and data["version"] == 1
    assert data["design"] and data["sections"][0] == "Executive summary" and len(data["sections"]) >= 15
    assert set(data["nodes"]) == set(data["run"]["nodes"]) and all("busy" in v for v in data["nodes"].values())
    assert data["sizing"]["llm"]["method"] == "simulated" and data["sizing"]["llm"]["replicas_at_peak"] >= 1
    assert isinstance(data["levers"], list) and isinstance(data["review"], list)
    assert data["run"]["requests"]["completed"] > 0


def test_markdown_is_safe_for_any_node_name(tmp_path) -> None:
    evil = "[x](javascript:alert(1)) ![p](https://evil.example/p.png) <img src=x> \x07\u202e# `c`"
    d = load_design(design([{**svc("svc", 5.0), "name": evil}], [edge("users", "svc", label=evil)], rate=5.0,
                           duration=30.0, name=evil))
    report = build_report(d, run_design(d), resimulate=False)
    md = render_markdown(report, "imgs")
    assert not re.search(r"(?<!\\)\]\(", md.split("\n## ")[0] + "".join(
        line for line in md.splitlines() if "_images/" not in line and "imgs/" not in line))  # no live link
    assert "<img" not in md
    assert "\x07" not in md and "\u202e" not in md
    page = render_html(report)
    assert "\x07" not in page and "<img src=x>" not in page
    for img in report.images():
        assert "\x07" not in (img.svg or "") and "<img" not in (img.svg or "")


def test_one_configuration_has_one_cost_across_the_report(seed_report) -> None:
    """The headline cost, the levers' baseline and the sweep's 1× row are one measurement: the report's run."""
    from simulation.report.data import report_json

    _, result, report = seed_report
    data = report_json(report)
    today = data["run"]["cost"]["usd_per_hour"] * 24
    base = data["lever_baseline"]
    assert base["is_report_run"] and base["usd_per_day"] == pytest.approx(today, rel=1e-12)
    assert base["window_s"] == pytest.approx(result.window_s)
    for lever in data["levers"]:
        assert lever["usd_per_day_after"] == pytest.approx(today - lever["saving_usd_per_day"])
    at_mean = next(r for r in data["sweep"] if r["x_mean"] == 1.0)
    assert at_mean["is_report_run"] and at_mean["usd_per_day"] == pytest.approx(today, rel=1e-12)
    text = html.unescape(render_html(report))
    quoted = {m for m in re.findall(r"\$([0-9][0-9,]*)/day", text)}
    assert usd(today).lstrip("$") in quoted
    # every daily cost quoted for the design at its mean rate is today's; the others are levers, nodes or rates
    top = data["levers"][0] if data["levers"] else None
    if top:
        assert f"of today's {usd(today)}/day" in text


def test_report_prints_counts_as_counts_and_no_empty_rows(seed_report) -> None:
    from simulation.report.practice import tokens_text
    from simulation.report.sections import _short, budget_label

    assert tokens_text(50.0) == "50" and tokens_text(83.6) == "84" and tokens_text(float("nan")) == "–"
    assert budget_label("usd_per_month") == "per month" and _short(True) == "yes" and _short(False) == "no"
    d, _, report = seed_report
    text = html.unescape(render_html(report))
    assert "usd per month" not in text and "$70,000 per month" in text
    assert "Tokens: 50 in / 150 out" in text and "50.0-token" not in text and "(50 tokens)" in text
    assert "– per call" not in text and "– calls/day" not in text
    assert "as transcribed" not in text and "as remembered" not in text
    arch = next(b for b in report.section("architecture").blocks if isinstance(b, Table))
    assert not any(re.search(r"\b(True|False)\b", cell) for row in arch.rows for cell in row)
    outline = next(b for b in report.section("interview").blocks if isinstance(b, Table))
    deep = next(r[2] for r in outline.rows if r[1] == "Deep dive")
    fallbacks = [n.title for n in d.nodes if n.title.startswith("Fallback")]
    assert fallbacks and not any(f"{t}:" in deep for t in fallbacks)  # no traffic: nothing to say


def test_waterfall_labels_stay_off_the_mean_line() -> None:
    from simulation.report import charts

    # the last stage ends just before the mean: its label used to be drawn across the dashed line
    svg = charts.waterfall_chart([("gateway", 0.0, 20.0), ("llm", 150.0, 687.0)], "w", total_ms=709.0)
    text = re.search(r"<text x='([0-9.]+)'[^>]*text-anchor='(\w+)'[^>]*>537 ms</text>", svg)
    assert text, svg
    line = float(re.search(r"<line x1='([0-9.]+)'[^>]*stroke-dasharray", svg).group(1))
    x, anchor = float(text.group(1)), text.group(2)
    width = charts.LABEL_CHAR_PX * len("537 ms")
    left, right = (x - width, x) if anchor == "end" else (x, x + width)
    assert not left - 2 <= line <= right + 2

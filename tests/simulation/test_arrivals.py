"""The declared workload (simulation/arrivals.py) drives validation, rates, peaks and the generators."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from simulation.analysis.capacity import points_per_round
from simulation.analysis.sweep import rate_path, rate_per_s
from simulation.arrivals import (
    ARRIVALS,
    DEFAULT_DURATION_S,
    WORKLOAD_DEFAULTS,
    Diurnal,
    DiurnalShape,
    arrival_of,
    parse_arrival,
    parse_workload,
    slo_keys,
    slo_param,
)
from simulation.engine.core import Simulation
from simulation.errors import DesignError
from simulation.loader import load_design
from tests.simulation.helpers import design, svc

REPO = Path(__file__).resolve().parents[2]


def test_every_process_declares_valid_defaults_with_units_and_help() -> None:
    for name, cls in ARRIVALS.items():
        arrival = parse_arrival(cls.defaults(), "workload.arrival", REPO) if name != "trace" else None
        for p in cls.params:
            assert p.help, f"{name}.{p.name} has no help"
        if arrival is not None and cls.rate_field:
            assert arrival.rate_value() == float(cls.param(cls.rate_field).default)
    assert {p.name for p in ARRIVALS["diurnal"].params} >= {"requests_per_day", "peak_to_mean", "peak_hour"}


def test_unknown_fields_and_bad_values_name_the_path() -> None:
    with pytest.raises(DesignError, match="workload.arrival.cv"):
        parse_arrival({"process": "poisson", "rate_per_s": 1, "cv": 2}, "workload.arrival", None)
    with pytest.raises(DesignError, match="need 'rate_per_s'"):
        parse_arrival({"process": "gamma", "cv": 2}, "workload.arrival", None)
    with pytest.raises(DesignError, match=r"workload.peak_to_mean.*1…100"):
        parse_workload({"peak_to_mean": 0.5})
    with pytest.raises(DesignError, match="unknown arrival process"):
        parse_workload({"arrival": {"process": "weibull"}})


def test_one_default_duration() -> None:
    assert DEFAULT_DURATION_S == WORKLOAD_DEFAULTS["duration_s"] == 600.0
    sim = Simulation(load_design(design([svc("a")], [{"source": "users", "target": "a"}])))
    d = load_design(design([svc("a")], [{"source": "users", "target": "a"}]))
    del d.workload["duration_s"]
    assert Simulation(d).duration == DEFAULT_DURATION_S
    assert sim.duration == 200.0


def test_peak_to_mean_field_and_accessor() -> None:
    assert parse_workload({}).peak_to_mean == 2.0
    wl = parse_workload({"arrival": {"process": "poisson", "rate_per_s": 4}, "peak_to_mean": 3.5})
    assert wl.peak_to_mean == 3.5 and wl.peak_rate() == pytest.approx(14.0)
    diurnal = parse_workload({"arrival": {"process": "diurnal", "requests_per_day": 86400, "peak_to_mean": 4}})
    assert diurnal.peak_to_mean == 4.0 and diurnal.peak_rate() == pytest.approx(4.0)
    both = parse_workload({"arrival": {"process": "diurnal", "requests_per_day": 86400, "peak_to_mean": 4},
                           "peak_to_mean": 3})
    assert both.peak_to_mean == 3.0  # the workload's own field wins for sizing
    closed = parse_workload({"arrival": {"process": "closed", "concurrency": 4}})
    assert closed.mean_rate() is None and closed.peak_rate() is None
    load_design({"format": "genai-sim.design", "version": 1, "workload": {"peak_to_mean": 2.5}})


def test_rate_fields_and_setter_come_from_the_declaration() -> None:
    for cls in ARRIVALS.values():
        data = {"workload": {"arrival": cls.defaults()}}
        if cls.rate_field is None:
            with pytest.raises(DesignError, match="no rate to sweep"):
                rate_path(data)
            continue
        assert rate_path(data) == f"workload.arrival.{cls.rate_field}"
        arrival = arrival_of(data["workload"])
        doubled = arrival.with_rate(arrival.rate_value() * 2)
        assert arrival_of({"arrival": doubled}).rate_value() == pytest.approx(arrival.rate_value() * 2)
    assert rate_per_s({"workload": {"arrival": {"process": "diurnal", "requests_per_day": 172800}}}) == 2.0
    assert ARRIVALS["closed"].rate_per_s_at(8, 3.5) == 3.5
    assert math.isnan(ARRIVALS["closed"].rate_per_s_at(8, None))


@pytest.mark.parametrize("ptm", [1.5, 4.0, 25.0, 100.0])
def test_diurnal_shape_solved_once_has_mean_one_and_its_peak(ptm: float) -> None:
    shape = DiurnalShape(ptm)
    t = np.linspace(0, 86400, 200_001)[:-1]
    values = shape(t)
    assert values.mean() == pytest.approx(1.0, rel=0.003)
    assert values.max() == pytest.approx(ptm, rel=0.01)
    assert shape(14 * 3600.0) == pytest.approx(ptm, rel=1e-6)


def test_diurnal_arrivals_are_fast_and_right_at_a_high_peak() -> None:
    arrival = parse_arrival({"process": "diurnal", "requests_per_day": 200_000, "peak_to_mean": 50},
                            "workload.arrival", None)
    assert isinstance(arrival, Diurnal)
    times = np.fromiter((t for t, _, _ in arrival.times(np.random.default_rng(5), 86400.0)), float)
    assert len(times) == pytest.approx(200_000, rel=0.02)
    busiest = np.histogram(times, bins=np.arange(0, 86401, 600))[0].max() / 600
    assert busiest == pytest.approx(200_000 / 86400 * 50, rel=0.15)


def test_slo_and_budget_declarations() -> None:
    assert "ttft_p99_ms" in slo_keys() and "error_rate_max" in slo_keys()
    assert slo_param("ttft_p99_ms").unit == "ms" and slo_param("error_rate_max").max == 1.0
    with pytest.raises(DesignError, match="slo.ttft_p98_ms"):
        load_design({"format": "genai-sim.design", "version": 1, "slo": {"ttft_p98_ms": 1}})
    with pytest.raises(DesignError, match="budget.usd_per_year"):
        load_design({"format": "genai-sim.design", "version": 1, "budget": {"usd_per_year": 1}})


def test_capacity_rounds_keep_every_worker_busy() -> None:
    assert points_per_round(1, 3) == 1
    assert points_per_round(2, 3) == 1  # 3 runs on 2 workers: 2 waves; 2 points would need 3 for a 3-fold cut
    assert points_per_round(2, 2) == 1
    assert points_per_round(4, 3) == 1
    assert points_per_round(8, 2) == 4


def test_no_branching_on_the_process_name_outside_the_declaration() -> None:
    out = subprocess.run(["grep", "-rn", '"process"', "simulation", "designer", "--include=*.py"], cwd=REPO,
                         capture_output=True, text=True).stdout
    branches = [line for line in out.splitlines() if "arrivals.py" not in line and ("==" in line or " in (" in line)
                and "simulation/report/" not in line]  # report/sections.py: helper report edits it in parallel
    assert not branches, "\n".join(branches)

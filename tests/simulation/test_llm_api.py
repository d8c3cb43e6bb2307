"""llm_api: published latency, per-token cost, rate limits (queue or 429)."""

import numpy as np
import pytest

from simulation.engine.core import Simulation
from simulation.llm.catalog import api_model
from simulation.loader import load_design
from tests.simulation.helpers import design, edge


def _run(params, rate=2.0, duration=120.0, out=200, inp=1000, extra_nodes=(), extra_edges=()):
    api = {"id": "api", "kind": "llm_api", "params": params}
    data = design([api, *extra_nodes], [edge("users", "api"), *extra_edges], rate=rate, duration=duration,
                  workload={"input_tokens": {"dist": "fixed", "value": inp},
                            "output_tokens": {"dist": "fixed", "value": out}})
    return Simulation(load_design(data), seed=11).run()


def test_latency_follows_the_catalog_medians():
    spec = api_model("openai/gpt-4o")
    res = _run({"provider_model": "openai/gpt-4o", "rate_limits": "none"})
    ttft = res.ttft_ms[res.ok]
    assert np.median(ttft) == pytest.approx(spec.ttft_s * 1000, rel=0.1)
    assert np.median(res.itl_ms) == pytest.approx(1000 / spec.output_tokens_per_s, rel=0.1)
    tpot = res.tpot_ms[res.ok]
    assert np.median(tpot) == pytest.approx(1000 / spec.output_tokens_per_s, rel=0.1)


def test_tokens_are_charged_at_list_price():
    spec = api_model("openai/gpt-4o-mini")
    res = _run({"provider_model": "openai/gpt-4o-mini", "rate_limits": "none"})
    per_request = (1000 * spec.input_usd_per_1m + 200 * spec.output_usd_per_1m) / 1e6
    cost = res.cost()
    assert cost["by_node"]["api"]["fixed_usd_per_hour"] == 0.0
    assert cost["usd_per_request"] == pytest.approx(per_request, rel=0.05)


def test_price_override():
    res = _run({"provider_model": "openai/gpt-4o-mini", "rate_limits": "none", "use_catalog_prices": False,
                "input_usd_per_1m": 1.0, "output_usd_per_1m": 0.0})
    assert res.cost()["usd_per_request"] == pytest.approx(1000 / 1e6, rel=0.05)


def test_rate_limit_returns_429_errors_or_queues():
    limits = {"provider_model": "openai/gpt-4o", "rate_limits": "custom", "rpm": 60, "tpm": 1e9}
    errors = _run({**limits, "on_rate_limit": "error"}, rate=3.0)
    assert errors.counts["failed"] > 0.5 * errors.counts["arrived"]
    assert errors.node_stats["api"]["throttled"] > 0
    queued = _run({**limits, "on_rate_limit": "queue"}, rate=3.0, duration=60.0)
    assert queued.counts["failed"] == 0 and queued.counts["completed"] > 100
    assert queued.node_stats["api"]["throttled"] > 0
    assert queued.node_stats["api"]["p99_wait_ms"] > 10_000
    # first tokens never come faster than the limit allows: a full bucket of 60, then 1 per second
    first = np.sort(queued.arrival + queued.ttft_ms / 1000.0)
    assert all(i + 1 <= 60 + t + 5 for i, t in enumerate(first))


def test_token_limit_and_error_edge_fallback():
    fallback = {"id": "backup", "kind": "llm_api", "params": {"provider_model": "openai/gpt-4o-mini",
                                                              "rate_limits": "none"}}
    res = _run({"provider_model": "openai/gpt-4o", "rate_limits": "custom", "rpm": 1e6, "tpm": 12000,
                "on_rate_limit": "error"}, rate=2.0, extra_nodes=[fallback],
               extra_edges=[edge("api", "backup", when="error")])
    assert res.counts["failed"] == 0
    assert res.node_stats["backup"]["served"] > 0

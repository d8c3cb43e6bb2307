"""max_output_tokens: a capped LLM call produces min(answer length, cap) without shrinking later LLMs' answers."""

import numpy as np
import pytest

from simulation.engine.core import Simulation
from simulation.llm.catalog import api_model
from simulation.loader import load_design
from tests.simulation.helpers import design, edge

LLAMA8 = "meta-llama/Llama-3.1-8B"
OUT = 256


def _server(node_id, cap=0):
    return {"id": node_id, "kind": "llm_server", "params": {"model": LLAMA8, "gpu": "h100-sxm",
                                                              "max_output_tokens": cap}}


def _run(nodes, edges, rate=1.0, duration=60.0):
    data = design(nodes, edges, rate=rate, duration=duration,
                  workload={"input_tokens": {"dist": "fixed", "value": 500},
                            "output_tokens": {"dist": "fixed", "value": OUT}})
    return Simulation(load_design(data), seed=5).run()


def _decoded(res, node):
    st = res.node_stats[node]
    return st["decode_tokens_per_s"] * res.window_s


def test_capped_writer_does_not_shrink_the_final_answer():
    nodes = [_server("writer", cap=32), _server("answer")]
    edges = [edge("users", "writer"), edge("writer", "answer")]
    res = _run(nodes, edges)
    served = res.node_stats["answer"]["served"]
    assert served > 30
    # the writer decodes ~31 tokens per request (the first comes from prefill), the answer ~255
    per_writer = _decoded(res, "writer") / res.node_stats["writer"]["served"]
    per_answer = _decoded(res, "answer") / served
    assert per_writer == pytest.approx(31, rel=0.1)
    assert per_answer == pytest.approx(OUT - 1, rel=0.1)
    ok = res.ok
    assert np.all(res.output_tokens[ok] == OUT)
    # TPOT is the final LLM's own decode pace: the same as its mean inter-token gap
    assert np.nanmean(res.tpot_ms[ok]) == pytest.approx(float(np.average(res.itl_ms, weights=res.itl_weight)),
                                                        rel=0.05)
    # an uncapped writer writes the whole answer twice: clearly slower end to end
    full = _run([_server("writer"), _server("answer")], edges)
    assert np.mean(full.e2e_ms[full.ok]) > np.mean(res.e2e_ms[ok]) + 0.5 * (OUT - 32) * np.nanmean(res.tpot_ms[ok])


def test_capped_last_llm_keeps_tpot_right():
    capped = _run([_server("llm", cap=64)], [edge("users", "llm")])
    ok = capped.ok
    itl = float(np.average(capped.itl_ms, weights=capped.itl_weight))
    # TPOT divides by the 63 gaps actually produced, not the 255 the request asked for
    assert np.nanmean(capped.tpot_ms[ok]) == pytest.approx(itl, rel=0.05)
    assert _decoded(capped, "llm") / capped.node_stats["llm"]["served"] == pytest.approx(63, rel=0.1)


def test_api_cap_limits_time_and_charges_only_produced_tokens():
    spec = api_model("openai/gpt-4o-mini")
    grader = {"id": "grader", "kind": "llm_api",
              "params": {"provider_model": "openai/gpt-4o-mini", "rate_limits": "none", "max_output_tokens": 8}}
    answer = {"id": "answer", "kind": "llm_api",
              "params": {"provider_model": "openai/gpt-4o-mini", "rate_limits": "none"}}
    res = _run([grader, answer], [edge("users", "grader"), edge("grader", "answer")], rate=2.0)
    per_request = (2 * 500 * spec.input_usd_per_1m + (8 + OUT) * spec.output_usd_per_1m) / 1e6
    # (uncapped: 2 × OUT output tokens, ~50 % more; the tolerance covers calls charged but not yet finished)
    assert res.cost()["usd_per_request"] == pytest.approx(per_request, rel=0.05)
    ok = res.ok
    gap_ms = 1000.0 / spec.output_tokens_per_s
    # the final answer streams OUT tokens at the catalog's pace
    assert np.median(res.tpot_ms[ok]) == pytest.approx(gap_ms, rel=0.15)
    # grader: ~TTFT + 7 gaps; answer: ~TTFT + 255 gaps → E2E well under two full answers
    e2e = np.median(res.e2e_ms[ok])
    assert e2e < 2 * spec.ttft_s * 1000 * 1.5 + (OUT + 30) * gap_ms


def test_cap_is_a_declared_parameter():
    from simulation.registry import get_kind

    for kind in ("llm_server", "llm_api"):
        p = {q.name: q for q in get_kind(kind).params}["max_output_tokens"]
        assert p.type == "int" and p.default == 0 and p.min == 0 and p.unit == "tokens" and p.help and p.source

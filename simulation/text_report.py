"""The readable table `genai-sim run` prints (from the same JSON `--json` prints)."""

from __future__ import annotations

from typing import Any


def _ms(v: float) -> str:
    return f"{v:,.1f}" if v < 10_000 else f"{v / 1000:,.2f}s"


def _num(v: float) -> str:
    """Four significant digits, but thousands in full (25,000 ms rather than 2.5e+04)."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def _per_request(usd: float) -> str:
    """$0.00436, or two significant digits below $0.0001 ($3.3e-06 rather than $0.00000)."""
    return f"{usd:.5f}" if usd >= 0.0001 or usd == 0 else f"{usd:.2g}"


def _share(x: float) -> str:
    return "<1%" if 0 < x < 0.005 else f"{x:.0%}"


def run_table(data: dict[str, Any]) -> str:
    r = data["requests"]
    lines = [f"{data['design']}  (seed {data['seed']}, {data['simulated_s']:,.0f} s simulated in {data['wall_s']} s)",
             "",
             "requests  arrived {arrived:,}  completed {completed:,}  failed {failed:,}  blocked {blocked:,}  "
             "timeout {timeout:,}  dropped {dropped:,}".format(**r)
             + (f"  unfinished {r['unfinished']:,}" if r.get("unfinished") else ""),
             "",
             f"{'latency (ms)':<14}{'mean':>10}{'p50':>10}{'p90':>10}{'p95':>10}{'p99':>10}"]
    for key, label in (("ttft_ms", "TTFT"), ("tpot_ms", "TPOT"), ("itl_ms", "ITL"), ("e2e_ms", "E2E")):
        m = data["metrics"][key]
        stats = ("mean", "p50", "p90", "p95", "p99")
        # all zero: no sample (no LLM on the path, or a buffered answer has no token gaps), not a 0 ms latency
        cells = ["—"] * len(stats) if not any(m[s] for s in stats) else [_ms(m[s]) for s in stats]
        lines.append(f"{label:<14}" + "".join(f"{c:>10}" for c in cells))
    t = data["throughput"]
    lines += ["", f"throughput  {t['request_per_s']:,.2f} req/s   {t['output_tokens_per_s']:,.0f} output tok/s   "
                  f"goodput {data['goodput_per_s']:,.2f} req/s"]
    if data["slo"]:
        lines += ["", "SLOs"]
        for key, s in data["slo"].items():
            mark = "PASS" if s["met"] else "FAIL"
            actual = "no data" if s["actual"] is None else _num(s["actual"])
            lines.append(f"  {mark}  {key:<16} target {_num(s['target']):>10}   actual {actual:>10}")
    # "busy" = share of time working (an LLM server's `busy`; a station's utilisation); an LLM server's batch-slot
    # occupancy (its `utilization`) is a different quantity and keeps its own column.
    lines += ["", f"{'node':<22}{'busy':>7}{'batch':>7}{'queue':>8}{'wait ms':>10}{'p99 wait':>10}{'served':>10}"
                  f"{'$/h':>9}"]
    cost = data["cost"]["by_node"]
    for nid, s in data["nodes"].items():
        busy = s.get("busy", s.get("utilization", 0))
        batch = f"{s['utilization']:.0%}" if "busy" in s and "utilization" in s else ""
        lines.append(f"{nid[:21]:<22}{_share(busy):>7}{batch:>7}{s.get('mean_queue', 0):>8.2f}"
                     f"{s.get('mean_wait_ms', 0):>10.1f}{s.get('p99_wait_ms', 0):>10.1f}{s.get('served', 0):>10,}"
                     f"{cost.get(nid, {}).get('usd_per_hour', 0):>9.2f}")
    if any("busy" in s for s in data["nodes"].values()):
        lines.append("  busy = share of time working; batch = an LLM server's batch occupancy (share of its binding "
                     "limit: max_num_seqs, KV blocks or token budget)")
    c = data["cost"]
    lines += ["", f"cost  ${c['usd_per_hour']:,.2f}/h   ${_per_request(c['usd_per_request'])}/request   "
                  f"${c['usd_per_month']:,.0f}/month"]
    review = [i for i in data.get("review", []) if i["severity"] in ("error", "warning")]
    if review:
        lines += ["", "review"]
        lines += [f"  {i['severity'].upper():8}{(i.get('node') or '-'):<16}{i['message']}" for i in review[:12]]
    return "\n".join(lines)

"""Autosize: the cheapest configuration of one LLM node that meets the design's SLOs.

Candidates: GPU × tensor parallelism × weight dtype × replicas for a self-hosted ``llm_server``, plus
hosted ``llm_api`` models (the design's own, or ``--api``). Three stages:

1. Envelope pruning (no simulation; ``simulation.analysis.envelope`` and ``simulation.llm.memory``):
   - TP must divide the attention heads (vLLM refuses otherwise);
   - the weights plus the activation reserve must fit in ``gpu_memory_utilization × memory × tp``
     (``memory_plan`` raises: the candidate is pruned with its numbers);
   - one sequence's decode step must read every weight byte: if ``weights ÷ (tp × HBM bandwidth)``
     already exceeds a TPOT/ITL target, no batch size can help;
   - the compute-bound prefill of the mean prompt must fit in a TTFT target;
   - ``replicas × capacity`` (the envelope's optimistic per-replica requests/s bound from the decode
     bandwidth at the largest batch the KV pool and the SLO allow) must exceed the node's arrival rate.
2. Search: for each surviving (GPU, TP, dtype) the replica counts are tried in increasing order, all
   chains one step per round (a round is one parallel batch on the executor). A chain stops at its first
   count meeting the SLOs (more replicas only cost more), and candidates costing more than
   ``COST_CAP × the cheapest feasible so far`` are skipped. Every run uses the same seeds (CRN).
3. Answer: the cheapest simulated candidate meeting every SLO (cost = the whole design's simulated
   $/month, ``RunResult.cost()``, so API token spend and other nodes count), and the cost–latency Pareto
   front over everything simulated (latency = the first latency SLO's metric, else e2e P99).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulation.analysis.sweep import Axis, PointResult, evaluate_points, stored_entry
from simulation.errors import DesignError

COST_CAP = 3.0  # simulate nothing dearer than 3 × the cheapest feasible found (it cannot be the answer)
DEFAULT_GPUS = ("h100-sxm", "a100-80gb", "l40s")  # the common rental tiers (assets/catalogs/gpus.json)
DEFAULT_SELF_HOSTED_MODEL = "meta-llama/Llama-3.1-70B"  # as envelope.SELF_HOSTED_REFERENCE


@dataclass
class AutosizeSpace:
    gpus: list[str] | None = None
    tp: list[int] = field(default_factory=lambda: [1, 2, 4, 8])
    replicas: list[int] = field(default_factory=lambda: list(range(1, 9)))
    dtypes: list[str] = field(default_factory=lambda: ["bf16", "fp8"])
    model: str | None = None
    apis: list[str] | None = None  # None = the llm_api models already in the design; [] = none


@dataclass
class Candidate:
    kind: str                    # llm_server | llm_api
    params: dict[str, Any]       # the node's params for this candidate
    label: str
    fixed_usd_per_hour: float    # provisioned cost of the node (0 for an API: it bills per token)
    status: str = "pending"      # pruned | skipped | simulated
    reason: str = ""
    point: PointResult | None = None

    @property
    def chain(self) -> tuple[str, int, str]:
        return (str(self.params.get("gpu")), int(self.params.get("tp", 1)), str(self.params.get("dtype")))

    def cost(self) -> float:
        return self.point.mean.get("usd_per_month", math.nan) if self.point else math.nan

    def to_json(self, latency_metric: str) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "kind": self.kind, "params": self.params,
                               "status": self.status, "reason": self.reason,
                               "fixed_usd_per_hour": round(self.fixed_usd_per_hour, 4)}
        if self.point:
            p = self.point
            out.update(slo_met=p.slo_met, usd_per_month=_f(p.mean.get("usd_per_month")),
                       usd_per_request=_f(p.mean.get("usd_per_request")),
                       latency=_f(p.mean.get(latency_metric)), latency_ci95=_f(p.ci95.get(latency_metric)),
                       slo={k: {"target": v["target"], "mean": _f(v["mean"]), "met": v["met"]}
                            for k, v in p.slo.items()})
        return out


def _f(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


@dataclass
class AutosizeResult:
    node: str
    latency_metric: str
    candidates: list[Candidate]
    best: Candidate | None
    pareto: list[Candidate]
    replications: int
    seed: int
    duration_s: float | None

    def to_json(self) -> dict[str, Any]:
        counts = {s: sum(c.status == s for c in self.candidates) for s in ("pruned", "skipped", "simulated")}
        m = self.latency_metric
        return {"node": self.node, "latency_metric": m, "best": self.best.to_json(m) if self.best else None,
                "pareto": [c.to_json(m) for c in self.pareto], "counts": {"total": len(self.candidates), **counts},
                "replications": self.replications, "seed": self.seed,
                "candidates": [c.to_json(m) for c in self.candidates]}

    def text(self) -> str:
        m = self.latency_metric
        sims = [c for c in self.candidates if c.status == "simulated"]
        pruned = [c for c in self.candidates if c.status == "pruned"]
        lines = [f"{len(self.candidates)} candidates for node {self.node}: {len(pruned)} pruned by the envelope, "
                 f"{len(sims)} simulated × {self.replications} replications."]
        if self.best:
            b = self.best
            lines.append(f"Cheapest meeting every SLO: {b.label} — ${b.cost():,.0f}/month, "
                         f"{m} {_short(b.point.mean.get(m, math.nan))}")  # type: ignore[union-attr]
        else:
            lines.append("No candidate meets the SLOs.")
        lines.append("Cost–latency Pareto front:")
        for c in self.pareto:
            p = c.point
            assert p is not None
            lines.append(f"  ${c.cost():>10,.0f}/month  {m} {_short(p.mean.get(m, math.nan)):>9}  "
                         f"{'meets ' if p.slo_met else 'breaks'}  {c.label}")
        reasons: dict[str, int] = {}
        for c in pruned:
            reasons[c.reason.split(":")[0]] = reasons.get(c.reason.split(":")[0], 0) + 1
        for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            lines.append(f"  pruned {n:>3}: {why}")
        return "\n".join(lines)

    def stored_entry(self) -> dict[str, Any]:
        sims = [c for c in self.candidates if c.point is not None]
        summary = {k: v for k, v in self.to_json().items() if k != "candidates"}
        return stored_entry("autosize", [Axis(f"nodes.{self.node}", [c.label for c in sims])], self.replications,
                            self.seed, self.duration_s, True, {}, [c.point for c in sims if c.point], summary)


# -- candidates -----------------------------------------------------------------------------------------
def _node(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    for n in data.get("nodes", []):
        if n.get("id") == node_id:
            return n
    known = ", ".join(str(n.get("id")) for n in data.get("nodes", []))[:200]
    raise DesignError(f"no node {node_id!r} (nodes: {known})", "--node")


def candidate_data(data: dict[str, Any], node_id: str, cand: Candidate) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node = _node(out, node_id)
    node["kind"] = cand.kind
    node["params"] = copy.deepcopy(cand.params)
    return out


def assignments(node_id: str, cand: Candidate) -> dict[str, Any]:
    """The ``--set`` overrides turning the design into this candidate (the designer re-applies them)."""
    return {f"nodes.{node_id}.kind": cand.kind, f"nodes.{node_id}.params": copy.deepcopy(cand.params)}


def enumerate_candidates(data: dict[str, Any], node_id: str, space: AutosizeSpace) -> list[Candidate]:
    from simulation.registry import get_kind

    node = _node(data, node_id)
    if node.get("kind") not in ("llm_server", "llm_api"):
        raise DesignError(f"is a {node.get('kind')}; autosize sizes an llm_server or llm_api node", "--node")
    own = dict(node.get("params") or {})
    base = own if node["kind"] == "llm_server" else {}
    model = space.model or base.get("model") or DEFAULT_SELF_HOSTED_MODEL
    gpus = space.gpus or list(dict.fromkeys([g for g in [base.get("gpu")] if g] + list(DEFAULT_GPUS)))
    server = get_kind("llm_server")
    out: list[Candidate] = []
    for g in gpus:
        for tp in space.tp:
            for dtype in space.dtypes:
                for r in sorted(set(space.replicas)):
                    params = {**base, "model": model, "gpu": g, "tp": tp, "dtype": dtype, "replicas": r}
                    label = f"{r} × {model.split('/')[-1]} {dtype} on {tp} × {g}"
                    out.append(Candidate("llm_server", params, label, server.hourly_cost(
                        server.resolved_params(params))))
    apis = space.apis
    if apis is None:
        apis = [str((n.get("params") or {}).get("provider_model", "openai/gpt-4o-mini"))
                for n in data.get("nodes", []) if n.get("kind") == "llm_api"]
    for m in dict.fromkeys(apis):
        params = {**own, "provider_model": m} if node["kind"] == "llm_api" else {"provider_model": m}
        out.append(Candidate("llm_api", params, f"API {m}", 0.0))
    return out


def prune(data: dict[str, Any], node_id: str, cands: list[Candidate]) -> None:
    """Mark candidates the envelope maths rules out (module docstring, stage 1)."""
    from simulation.analysis.envelope import envelope
    from simulation.llm.catalog import model
    from simulation.llm.memory import memory_plan
    from simulation.loader import load_design
    from simulation.registry import get_kind

    slo = data.get("slo") or {}
    tpot = min([v for k, v in slo.items() if k.startswith(("tpot_", "itl_"))], default=None)
    ttft = min([v for k, v in slo.items() if k.startswith("ttft_")], default=None)
    chain_env: dict[tuple[str, int, str], Any] = {}
    for c in cands:
        if c.kind != "llm_server":
            continue
        spec = model(c.params["model"], f"nodes.{node_id}.params.model")
        tp = int(c.params["tp"])
        if spec.heads % tp:
            c.status, c.reason = "pruned", f"tp must divide the attention heads: {spec.heads} heads, tp {tp}"
            continue
        try:
            memory_plan(get_kind("llm_server").resolved_params(c.params), f"nodes.{node_id}.params")
        except DesignError as exc:
            c.status, c.reason = "pruned", f"does not fit in GPU memory: {str(exc).split(': ', 1)[-1][:200]}"
            continue
        if c.chain not in chain_env:
            d = candidate_data(data, node_id, Candidate(c.kind, {**c.params, "replicas": 1}, "", 0.0))
            chain_env[c.chain] = envelope(load_design(d))
        env = chain_env[c.chain]
        single = env.value(f"{node_id}.decode_single_tps")
        if tpot and math.isfinite(single) and 1000.0 / single > tpot:
            c.status, c.reason = "pruned", (f"decode bandwidth bound: one token needs ≥ {1000 / single:.1f} ms "
                                            f"(weights ÷ tp × HBM bandwidth) > TPOT/ITL target {tpot:g} ms")
            continue
        prefill = env.value(f"{node_id}.prefill_ms")
        if ttft and math.isfinite(prefill) and prefill > ttft:
            c.status, c.reason = "pruned", (f"prefill compute bound: the mean prompt needs ≥ {prefill:.0f} ms "
                                            f"> TTFT target {ttft:g} ms")
            continue
        cap = env.value(f"{node_id}.capacity_rps")
        rate = env.facts.get("rate")
        share = env.flows[node_id].share if node_id in env.flows else 1.0
        if rate and math.isfinite(cap) and int(c.params["replicas"]) * cap < rate * share:
            c.status, c.reason = "pruned", (f"throughput bound: {c.params['replicas']} × {cap:.3g} req/s "
                                            f"(decode-bandwidth capacity per replica) < {rate * share:.3g} req/s "
                                            f"arriving")


def pareto_front(cands: list[Candidate], metric: str) -> list[Candidate]:
    """Simulated candidates no other beats on both cost and latency (ascending cost)."""
    pts = [c for c in cands if c.point is not None and math.isfinite(c.cost())
           and math.isfinite(c.point.mean.get(metric, math.nan))]
    pts.sort(key=lambda c: (c.cost(), c.point.mean[metric]))  # type: ignore[union-attr]
    front, best_latency = [], math.inf
    for c in pts:
        lat = c.point.mean[metric]  # type: ignore[union-attr]
        if lat < best_latency:
            front.append(c)
            best_latency = lat
    return front


def default_latency_metric(slo: dict[str, Any]) -> str:
    return next((k for k in slo if k != "error_rate_max"), "e2e_p99_ms")


def autosize(data: dict[str, Any], node_id: str, space: AutosizeSpace | None = None, replications: int = 2,
             seed: int | None = None, duration_s: float | None = None, executor: Any = None,
             latency_metric: str | None = None, max_sims: int = 60,
             progress: Callable[[int, int], None] | None = None, base_dir: str | None = None) -> AutosizeResult:
    """Search the candidate space of node ``node_id`` in design dict ``data`` (module docstring)."""
    space = space or AutosizeSpace()
    if not data.get("slo"):
        raise DesignError("the design has no SLOs to meet; add targets such as ttft_p99_ms", "slo")
    if max_sims < 1:
        raise DesignError(f"must be ≥ 1, got {max_sims}", "--max-sims")
    metric = latency_metric or default_latency_metric(data["slo"])
    cands = enumerate_candidates(data, node_id, space)
    prune(data, node_id, cands)
    base = int((data.get("workload") or {}).get("seed", 0) if seed is None else seed)
    chains: dict[Any, list[Candidate]] = {}
    for c in cands:
        if c.status == "pending":
            chains.setdefault(c.chain if c.kind == "llm_server" else ("api", c.label), []).append(c)
    for chain in chains.values():
        chain.sort(key=lambda c: int(c.params.get("replicas", 1)))
    best_cost = math.inf
    simulated = 0
    done_runs = [0]
    while chains and simulated < max_sims:
        round_ = [chain[0] for chain in chains.values()]
        round_.sort(key=lambda c: c.fixed_usd_per_hour)
        for c in round_:
            if c.fixed_usd_per_hour * 730 > COST_CAP * best_cost:
                c.status, c.reason = "skipped", f"costs over {COST_CAP:g} × the cheapest feasible candidate"
        batch = [c for c in round_ if c.status == "pending"][: max_sims - simulated]
        if batch:
            def tick(done: int, total: int, offset: int = done_runs[0]) -> None:
                if progress:
                    progress(offset + done, offset + total)

            points = evaluate_points(data, [assignments(node_id, c) for c in batch], replications, base,
                                     duration_s, executor, True, tick, base_dir, first_index=simulated)
            done_runs[0] += len(batch) * replications
            simulated += len(batch)
            for c, p in zip(batch, points):
                c.point, c.status = p, "simulated"
                if p.slo_met:
                    best_cost = min(best_cost, c.cost())
        for key in list(chains):
            chain = chains[key]
            head = chain.pop(0)
            if head.status == "pending":  # over the simulation budget
                chain.insert(0, head)
                break
            if head.point is not None and head.point.slo_met:
                for c in chain:
                    c.status, c.reason = "skipped", f"more replicas than {head.label}, which already meets the SLOs"
                chain.clear()
            elif head.status == "skipped":  # too dear already: more replicas only cost more
                for c in chain:
                    c.status, c.reason = "skipped", head.reason
                chain.clear()
            if not chain:
                del chains[key]
    for chain in chains.values():
        for c in chain:
            if c.status == "pending":
                c.status, c.reason = "skipped", f"over the simulation budget (--max-sims {max_sims})"
    feasible = [c for c in cands if c.point is not None and c.point.slo_met]
    best = min(feasible, key=lambda c: c.cost()) if feasible else None
    return AutosizeResult(node_id, metric, cands, best, pareto_front(cands, metric), replications, base, duration_s)


def _short(value: float) -> str:
    """Four significant digits, thousands in full (18,700 rather than 1.87e+04)."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"

"""Replays of real serving measurements (the held-out validation data) through the llm_server model.

* LLMServingSim's vLLM 0.19.0 runs (e2e/llmservingsim): every request's arrival (``queued_ts``) and
  token counts are replayed on the matching GPU, model and engine settings; TTFT/TPOT/E2E are compared
  as LLMServingSim's own validator computes them.
* Splitwise's batch prefill/decode times (e2e/splitwise/perf_model.csv): medians per configuration
  against the predicted prefill step and decode step.

Used by ``benchmarks/llm_validation.py`` and ``tests/validation/test_llm_validation.py``; nothing is
copied from the data folder.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

# run folder -> (GPU id, model id, tp, replicas (data parallel), note)
LLMSERVINGSIM_RUNS: dict[str, tuple[str, str, int, int, str]] = {
    "RTX4090/Llama-3.1-8B": ("rtx-4090", "meta-llama/Llama-3.1-8B", 1, 1, "KV cache full, long queue"),
    "RTXPRO6000/Llama-3.1-8B": ("rtx-pro-6000", "meta-llama/Llama-3.1-8B", 1, 1, ""),
    "RTXPRO6000/Qwen3-32B": ("rtx-pro-6000", "Qwen/Qwen3-32B", 2, 1, "TP2 over PCIe"),
    "RTXPRO6000/Qwen3-30B-A3B-Instruct-2507": ("rtx-pro-6000", "Qwen/Qwen3-30B-A3B-Instruct-2507", 1, 2,
                                               "DP2 + expert parallel: 2 replicas sharing the experts"),
}

SPLITWISE_GPUS = {"a100-80gb": "a100-80gb", "h100-80gb": "h100-sxm"}
SPLITWISE_MODELS = {"llama2-70b": "meta-llama/Llama-2-70b"}


def default_validation_dir() -> Path:
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "validation"


def load_llmservingsim_run(run_dir: Path) -> dict[str, Any]:
    """Arrivals (s from the first), token counts and measured TTFT/TPOT/E2E (ms) of one recorded run."""
    meta = json.loads((run_dir / "vllm" / "meta.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (run_dir / "vllm" / "requests.jsonl").read_text().splitlines() if line]
    rows.sort(key=lambda r: r["queued_ts"])
    t0 = rows[0]["queued_ts"]
    q = np.array([r["queued_ts"] for r in rows])
    first = np.array([r["first_token_ts"] for r in rows])
    last = np.array([r["last_token_ts"] for r in rows])
    out = np.array([r["output_toks"] for r in rows])
    return {
        "meta": meta,
        "arrivals": [(float(r["queued_ts"] - t0), int(r["input_toks"]), int(r["output_toks"])) for r in rows],
        "ttft_ms": (first - q) * 1000.0,
        "tpot_ms": (last - first) / np.maximum(1, out - 1) * 1000.0,
        "e2e_ms": (last - q) * 1000.0,
    }


def scaled_allreduce_profile(profile_id: str, factor: float, out_dir: Path) -> Path:
    """A copy of a built-in profile whose all-reduce takes ``factor`` times as long (a sensitivity check)."""
    import math

    from kernels.perf import PROFILES_DIR

    data = json.loads((PROFILES_DIR / f"{profile_id}.json").read_text(encoding="utf-8"))
    for table in data["tables"].get("allreduce", {}).values():
        table["log_eff"] = [v - math.log(factor) for v in table["log_eff"]]
    data["id"] = f"{profile_id}-allreduce-x{factor:.3g}"
    data["source"] = f"{data['source']}; all-reduce time x{factor:g} (sensitivity check)"
    path = out_dir / f"{data['id']}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def replay_llmservingsim(run: str, validation_dir: Path | None = None, profile: str | None = None
                         ) -> dict[str, Any]:
    """Simulate one LLMServingSim run; returns measured and predicted summary figures (ms)."""
    from simulation.llm.bench import run_bench

    base = (validation_dir or default_validation_dir()) / "e2e" / "llmservingsim" / run
    data = load_llmservingsim_run(base)
    gpu, model_id, tp, replicas, note = LLMSERVINGSIM_RUNS[run]
    kw = data["meta"]["engine_kwargs"]
    params = {"max_num_seqs": int(kw["max_num_seqs"]), "max_num_batched_tokens": int(kw["max_num_batched_tokens"]),
              "replicas": replicas, "gpu_memory_utilization": 0.9,
              "expert_parallel": bool(kw.get("enable_expert_parallel", False))}
    if kw.get("max_model_len"):
        params["max_model_len"] = int(kw["max_model_len"])
    res = run_bench(model_id, gpu, tp=tp, arrivals=data["arrivals"], server_params=params, seed=42,
                    profile=profile)
    measured = {
        "ttft_mean": float(data["ttft_ms"].mean()), "ttft_p99": float(np.percentile(data["ttft_ms"], 99)),
        "tpot_mean": float(data["tpot_ms"].mean()), "e2e_mean": float(data["e2e_ms"].mean()),
    }
    predicted = {"ttft_mean": res["mean_ttft_ms"], "ttft_p99": res["p99_ttft_ms"], "tpot_mean": res["mean_tpot_ms"],
                 "e2e_mean": res["mean_e2el_ms"]}
    return {"run": run, "gpu": gpu, "model": model_id, "tp": tp, "replicas": replicas, "note": note,
            "measured": measured, "predicted": predicted, "completed": res["completed"],
            "preemptions": res["node"].get("preemptions", 0), "wall_s": res["wall_s"],
            "kv_blocks": res["node"].get("kv_blocks_per_replica")}


def splitwise_rows(validation_dir: Path | None = None) -> list[dict[str, Any]]:
    """Median prompt_time / token_time (ms) per (model, hardware, tp, prompt, batch, tokens) configuration."""
    path = (validation_dir or default_validation_dir()) / "e2e" / "splitwise" / "perf_model.csv"
    groups: dict[tuple, list[tuple[float, float]]] = defaultdict(list)
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["model"] not in SPLITWISE_MODELS or r["hardware"] not in SPLITWISE_GPUS:
                continue
            key = (r["model"], r["hardware"], int(r["tensor_parallel"]), int(r["prompt_size"]),
                   int(r["batch_size"]), int(r["token_size"]))
            groups[key].append((float(r["prompt_time"]), float(r["token_time"])))
    out = []
    for (m, hw, tp, prompt, batch, tokens), vals in sorted(groups.items()):
        arr = np.array(vals)
        out.append({"model": m, "hardware": hw, "tp": tp, "prompt": prompt, "batch": batch, "tokens": tokens,
                    "prompt_ms": float(np.median(arr[:, 0])), "token_ms": float(np.median(arr[:, 1]))})
    return out


def predict_splitwise(row: dict[str, Any]) -> tuple[float, float]:
    """Predicted (prefill ms of the whole batch, decode step ms at the mean KV length)."""
    from simulation.llm.server import build_timer

    params = {"model": SPLITWISE_MODELS[row["model"]], "gpu": SPLITWISE_GPUS[row["hardware"]], "tp": row["tp"],
              "pp": 1, "dtype": "bf16", "kv_dtype": "auto", "engine": "vllm", "gpu_memory_utilization": 0.9,
              "max_num_batched_tokens": 8192}
    timer = build_timer(params, "splitwise")
    b, p = row["batch"], row["prompt"]
    prefill = timer.mixed_s(0, 0.0, [(p, p)] * b, b) * 1e3
    decode = timer.decode_s(b, p + row["tokens"] / 2.0) * 1e3
    return prefill, decode


def splitwise_comparison(validation_dir: Path | None = None) -> list[dict[str, Any]]:
    rows = []
    for r in splitwise_rows(validation_dir):
        pre, dec = predict_splitwise(r)
        rows.append({**r, "pred_prompt_ms": pre, "pred_token_ms": dec})
    return rows

"""Safety kinds: input_guardrail, output_guardrail, pii_redactor."""

from __future__ import annotations

from typing import Any

from kernels.sources import cite
from simulation.components.common import (
    ASSUMED,
    LatencyStation,
    latency_param,
    per_replica_cost,
    price_param,
)
from simulation.engine.request import Request
from simulation.params import Param
from simulation.registry import ComponentKind, register

THREATS = ("prompt_injection", "indirect_injection", "jailbreak", "toxicity", "pii", "hallucination", "tool_abuse")


class Guardrail(LatencyStation):
    def setup(self) -> None:
        self.block_rate = float(self.params["block_rate"])
        self.blocked = 0

    def outcome(self, req: Request) -> str | None:
        if self.chance(self.block_rate):
            self.blocked += 1
            return "blocked"
        return None

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "blocked": self.blocked}


def _checks(*on: str) -> tuple[Param, ...]:
    return tuple(Param(f"checks_{t}", "bool", t in on, help=f"Checks for {t.replace('_', ' ')}.",
                       source=cite("owasp-llm-top10", detail="threats a defence-in-depth design screens for")) for t in THREATS)


register(ComponentKind(
    "input_guardrail", "safety", "Input guardrail",
    "Screens prompts for injection, jailbreaks and toxic content before they reach the model; 'blocked' ends the "
    "request (or follows a 'blocked' edge).",
    (latency_param(100.0, 300.0, cite("llama-guard-3", "cloudflare-guardrails", detail="assumption: a self-hosted Llama Guard 3 8B check takes 100–300 ms on an A100-class GPU (one short prefill and a few output tokens); hosted it adds ~500 ms")),
     Param("block_rate", "float", 0.01, "fraction", 0, 1, help="Share of requests blocked.", source=ASSUMED),
     *_checks("prompt_injection", "jailbreak", "toxicity"),
     price_param(0.80, cite("modal-pricing", detail="one L4 on Modal, $0.80/h"))),
    Guardrail, per_replica_cost, outcomes=("blocked",), icon="input_guardrail", defaults_override={"concurrency": 16}))

register(ComponentKind(
    "output_guardrail", "safety", "Output guardrail",
    "Checks answers for PII leaks, toxicity and hallucination. Buffering mode holds the whole answer (TTFT becomes "
    "E2E); streaming mode checks chunks as they pass.",
    (Param("mode", "enum", "streaming", choices=("streaming", "buffering"),
           help="Streaming keeps TTFT low; buffering waits for the full answer.", source="design choice: streaming keeps TTFT; buffering is the safe default only when every token must be checked first"),
     latency_param(50.0, 200.0, cite("nemo-guardrails", detail="NeMo Guardrails rails take 25–200 ms per check")),
     Param("block_rate", "float", 0.005, "fraction", 0, 1, help="Share of answers blocked.", source=ASSUMED),
     *_checks("pii", "toxicity", "hallucination"),
     price_param(0.80, cite("modal-pricing", detail="one L4 on Modal, $0.80/h"))),
    Guardrail, per_replica_cost, outcomes=("blocked",), icon="output_guardrail",
    buffers_output=lambda p: p.get("mode") == "buffering", defaults_override={"concurrency": 16}))

register(ComponentKind(
    "pii_redactor", "safety", "PII redactor",
    "Detects and masks personal data (regex + NER) before retrieval, logging or the model.",
    (latency_param(5.0, 20.0, ASSUMED + " (regex + small NER model)"), *_checks("pii"), price_param(0.10, ASSUMED)),
    LatencyStation, per_replica_cost, icon="pii_redactor", defaults_override={"concurrency": 64}))

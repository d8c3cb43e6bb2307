"""Parameter declarations: one per parameter, driving the inspector, loader, validation, docs and report."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulation.errors import DesignError

PARAM_TYPES = ("int", "float", "bool", "str", "enum", "dist", "catalog", "dict")


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:40]


@dataclass(frozen=True)
class Param:
    """One parameter of a component kind.

    ``source`` says where the default comes from (a seed digest line, the catalog, a datasheet).
    ``catalog`` names the catalog whose ids a ``catalog`` parameter takes ("models", "gpus", ...).
    """

    name: str
    type: str
    default: Any
    unit: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""
    source: str = ""
    catalog: str | None = None
    advanced: bool = False

    def __post_init__(self) -> None:
        assert self.type in PARAM_TYPES, self.type

    def describe_range(self) -> str:
        if self.choices:
            return " | ".join(self.choices)
        if self.min is not None and self.max is not None:
            return f"{self.min:g} – {self.max:g}"
        if self.min is not None:
            return f"≥ {self.min:g}"
        if self.max is not None:
            return f"≤ {self.max:g}"
        return ""

    def validate(self, value: Any, path: str, catalog_ids: Callable[[str], list[str]] | None = None) -> Any:
        """Return the value normalised, or raise DesignError naming ``path``."""
        t = self.type
        if t == "int":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise DesignError(f"must be an integer{self._range_text()}, got {_show(value)}", path)
            self._check_range(value, path)
            return value
        if t == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise DesignError(f"must be a number{self._range_text()}, got {_show(value)}", path)
            self._check_range(value, path)
            return float(value)
        if t == "bool":
            if not isinstance(value, bool):
                raise DesignError(f"must be true or false, got {_show(value)}", path)
            return value
        if t == "str":
            if not isinstance(value, str) or len(value) > 10_000:
                raise DesignError(f"must be a string, got {_show(value)}", path)
            return value
        if t == "enum":
            if value not in self.choices:
                raise DesignError(f"must be one of {', '.join(self.choices)}, got {_show(value)}", path)
            return value
        if t == "catalog":
            if not isinstance(value, str):
                raise DesignError(f"must be a {self.catalog} id (a string), got {_show(value)}", path)
            if catalog_ids is not None:
                known = catalog_ids(self.catalog or "")
                if known and value not in known and not _is_alias(value, known) and not (
                        self.catalog == "models" and _model_variant(value)):
                    hint = ", ".join(known[:8]) + (" …" if len(known) > 8 else "")
                    raise DesignError(f"unknown {self.catalog} id {_show(value)}; known: {hint}", path)
            return value
        if t == "dist":
            from simulation.distributions import parse_dist

            parse_dist(value, path)
            return value
        if not isinstance(value, dict):
            raise DesignError(f"must be an object, got {_show(value)}", path)
        return value

    def _range_text(self) -> str:
        if self.min is not None and self.max is not None:
            return f" in {self.min:g}…{self.max:g}"
        if self.min is not None:
            return f" ≥ {self.min:g}"
        return ""

    def _check_range(self, value: float, path: str) -> None:
        if self.min is not None and value < self.min:
            raise DesignError(f"must be {'an integer' if self.type == 'int' else 'a number'}"
                              f"{self._range_text()}, got {_show(value)}", path)
        if self.max is not None and value > self.max:
            raise DesignError(f"must be {'an integer' if self.type == 'int' else 'a number'}"
                              f"{self._range_text()}, got {_show(value)}", path)


def _model_variant(value: str) -> bool:
    """A model alias or fine-tuned variant (-Instruct-v0.1, -chat-hf ...) the model catalog resolves."""
    from simulation.llm.catalog import resolve_model_id

    return resolve_model_id(value) is not None


def _is_alias(value: str, known: list[str]) -> bool:
    # "-Instruct" and similar variants resolve to their base architecture (catalog resolves them).
    low = value.lower()
    return any(low.startswith(k.lower()) for k in known) or low.startswith("profile:") or low.endswith(".json")


# Parameters every kind shares (design file format: replicas, concurrency, queue_limit, timeout_ms).
COMMON_PARAMS: tuple[Param, ...] = (
    Param("replicas", "int", 1, "copies", 1, 10_000, help="Copies of this node behind its own balancer."),
    Param("concurrency", "int", 1, "requests", 1, 1_000_000,
          help="Requests one replica serves at once (servers sharing one queue)."),
    Param("queue_limit", "int", 100_000, "requests", 0, 100_000_000,
          help="Longest queue per node before requests are rejected (dropped, or the error edge); 0 means "
               "unbounded. Bounded by default, as real servers are: an overloaded node sheds load instead of "
               "queueing without end, and the review warns when it did.",
          source="assumption: a bound far above any healthy queue (Envoy's default max_pending_requests is 1024 "
                 "per upstream; vLLM's waiting queue is unbounded)"),
    Param("timeout_ms", "float", 0.0, "ms", 0, 1e9,
          help="A request waiting longer than this in the queue times out; 0 means never."),
    Param("retries", "int", 0, "retries", 0, 20, advanced=True,
          help="Retries of a failed call (outage, error) before the error edge or failure."),
    Param("retry_backoff_ms", "float", 100.0, "ms", 0, 1e7, advanced=True,
          help="First retry delay; doubles on each retry, with ±50 % jitter."),
    Param("breaker_threshold", "float", 0.0, "fraction", 0, 1, advanced=True,
          help="Circuit breaker: open when this share of the last 20 calls failed; 0 turns it off."),
    Param("breaker_cooldown_s", "float", 30.0, "s", 0, 1e6, advanced=True,
          help="How long an open breaker fails calls fast before letting one through."),
    Param("outage_policy", "enum", "fail", choices=("fail", "drain"), advanced=True,
          help="What an outage window does to work the node already holds: fail (a crash: queued and in-service "
               "requests fail and take the error path or retry) or drain (planned maintenance: new work is "
               "refused, held work finishes)."),
)
# Parameters that only mean something on a node that can fail (not on clients, fan-outs, autoscalers).
RESILIENCE_PARAMS = ("retries", "retry_backoff_ms", "breaker_threshold", "breaker_cooldown_s", "outage_policy")

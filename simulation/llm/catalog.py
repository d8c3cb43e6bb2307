"""Model and hosted-API catalogs (``assets/catalogs/models.json``, ``api_models.json``).

Model ids are Hugging Face ids, matched case-insensitively; aliases and fine-tuned variants
(``-Instruct``, ``-chat-hf``, ``-it``, ``-Instruct-2507`` ...) resolve to their base architecture.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kernels.hardware import ASSETS_DIR
from simulation.errors import DesignError

MODELS_FILE = "catalogs/models.json"
API_MODELS_FILE = "catalogs/api_models.json"

# Suffixes of fine-tuned / repackaged variants that share the base architecture.
_VARIANT_SUFFIX = re.compile(
    r"(-(instruct|chat|it|hf|base|thinking|fp8|awq|gptq|int4|int8|bnb-4bit|dynamic)(-\d{4})?)$", re.IGNORECASE)


@dataclass(frozen=True)
class MoESpec:
    experts: int
    top_k: int
    shared: int
    expert_intermediate: int
    moe_layers: int


@dataclass(frozen=True)
class ModelSpec:
    """One architecture; ``total_params_b`` counts every expert, ``active_params_b`` those one token uses."""

    id: str
    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    context_length: int
    tie_embeddings: bool
    total_params_b: float
    active_params_b: float
    moe: MoESpec | None
    attention: dict[str, Any] = field(compare=False, hash=False)
    source: str = ""

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def sliding_window(self) -> int:
        return int(self.attention.get("sliding_window") or 0)

    @property
    def window_layers(self) -> int:
        """Layers whose KV is capped at ``sliding_window`` tokens."""
        return int(self.attention.get("window_layers") or 0) if self.sliding_window else 0

    @property
    def full_layers(self) -> int:
        return self.layers - self.window_layers

    @property
    def is_mla(self) -> bool:
        return self.attention.get("type") == "mla"

    def kv_elements_per_token_layer(self) -> float:
        """Cached elements per token and layer: K and V of every KV head, or MLA's compressed latent."""
        if self.is_mla:
            return float(self.attention["kv_lora_rank"] + self.attention["qk_rope_head_dim"])
        return 2.0 * self.kv_heads * self.head_dim


@dataclass(frozen=True)
class APIModelSpec:
    id: str
    name: str
    input_usd_per_1m: float
    output_usd_per_1m: float
    cached_input_usd_per_1m: float | None
    ttft_s: float
    output_tokens_per_s: float
    rpm: float
    tpm: float
    sources: dict[str, str] = field(compare=False, hash=False)

    def __hash__(self) -> int:
        return hash(self.id)


def _read(name: str) -> dict[str, Any]:
    path = Path(ASSETS_DIR) / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DesignError(f"cannot read catalog ({exc})", str(path)) from None


@lru_cache(maxsize=1)
def _models() -> tuple[dict[str, ModelSpec], dict[str, str]]:
    specs: dict[str, ModelSpec] = {}
    index: dict[str, str] = {}
    for e in _read(MODELS_FILE)["models"]:
        moe = MoESpec(**e["moe"]) if e.get("moe") else None
        spec = ModelSpec(e["id"], e["name"], e["layers"], e["hidden"], e["heads"], e["kv_heads"], e["head_dim"],
                         e["intermediate"], e["vocab"], e["context_length"], e["tie_embeddings"],
                         float(e["total_params_b"]), float(e["active_params_b"]), moe, dict(e["attention"]),
                         e["source"])
        specs[spec.id] = spec
        for name in [spec.id, *e.get("aliases", [])]:
            index[name.lower()] = spec.id
    return specs, index


@lru_cache(maxsize=1)
def _api_models() -> dict[str, APIModelSpec]:
    out: dict[str, APIModelSpec] = {}
    for e in _read(API_MODELS_FILE)["models"]:
        out[e["id"]] = APIModelSpec(e["id"], e["name"], float(e["input_usd_per_1m"]), float(e["output_usd_per_1m"]),
                                    e.get("cached_input_usd_per_1m"), float(e["ttft_s"]),
                                    float(e["output_tokens_per_s"]), float(e["rpm"]), float(e["tpm"]),
                                    dict(e.get("sources", {})))
    return out


def model_ids() -> list[str]:
    """Canonical model ids in catalog order."""
    return list(_models()[0])


def api_model_ids() -> list[str]:
    return list(_api_models())


def resolve_model_id(model_id: str) -> str | None:
    """The canonical id ``model_id`` names (alias or fine-tuned variant), or None."""
    specs, index = _models()
    key = str(model_id).strip().lower()
    while key:
        if key in index:
            return index[key]
        stripped = _VARIANT_SUFFIX.sub("", key)
        if stripped == key:
            break
        key = stripped
    return None


def model(model_id: str, path: str = "model") -> ModelSpec:
    """The architecture of ``model_id``; DesignError naming ``path`` when unknown."""
    canonical = resolve_model_id(model_id)
    if canonical is None:
        known = ", ".join(model_ids())
        raise DesignError(f"unknown model {json.dumps(str(model_id))}; known: {known}", path)
    return _models()[0][canonical]


def api_model(model_id: str, path: str = "provider_model") -> APIModelSpec:
    models = _api_models()
    key = str(model_id).strip().lower()
    for mid, spec in models.items():
        if mid.lower() == key:
            return spec
    raise DesignError(f"unknown API model {json.dumps(str(model_id))}; known: {', '.join(models)}", path)

"""Non-LLM model kinds: diffusion_model and classifier (intent, moderation)."""

from __future__ import annotations

from typing import Any

from kernels.sources import cite
from simulation.components.common import ASSUMED, LatencyStation, latency_param, per_replica_cost, price_param
from simulation.engine.request import Request
from simulation.params import Param
from simulation.registry import ComponentKind, register


class Diffusion(LatencyStation):
    """Image = text encoder + steps × (1 or 2 with CFG) denoiser passes + VAE decode."""

    latency_key = "fixed_overhead"

    def setup(self) -> None:
        p = self.params
        self.passes = int(p["steps"]) * (2 if p["cfg"] else 1)
        self.per_pass_s = float(p["per_step_ms"]) / 1000.0
        self.images = int(p["images_per_request"])

    def service_time(self, req: Request) -> float:
        return self.latency.sample(self.rng) / 1000.0 + self.passes * self.per_pass_s * self.images


def diffusion_seconds(params: dict[str, Any]) -> float:
    passes = int(params["steps"]) * (2 if params["cfg"] else 1)
    return passes * float(params["per_step_ms"]) / 1000.0 * int(params["images_per_request"])


register(ComponentKind(
    "diffusion_model", "models", "Diffusion model",
    "Text-to-image: steps × denoiser passes on a GPU (classifier-free guidance doubles the passes).",
    (Param("steps", "int", 30, "steps", 1, 1000, help="Sampler steps.", source=cite("ddim-paper", detail="DDIM sampling reaches good quality in 20–50 steps")),
     Param("cfg", "bool", True, help="Classifier-free guidance: a conditional and an unconditional pass per step.",
           source=cite("cfg-paper", detail="guidance evaluates the denoiser with and without the prompt")),
     Param("per_step_ms", "float", 40.0, "ms", 0.1, 1e5, help="One denoiser pass at the chosen resolution.",
           source=ASSUMED + " (SDXL-class U-Net at 1024² on an H100-class GPU)"),
     Param("images_per_request", "int", 1, "images", 1, 64),
     latency_param(150.0, 300.0, ASSUMED + " (text encoder + VAE decode)", name="fixed_overhead",
                   help="Text encoding and VAE decoding per request."),
     Param("gpu", "catalog", "h100-sxm", catalog="gpus", help="GPU type (sets the price)."),
     price_param(3.78, cite("lambda-pricing", detail="Lambda 1×H100 SXM $3.78/h"), "Price of one GPU per hour.")),
    Diffusion, per_replica_cost, icon="diffusion_model"))


class Classifier(LatencyStation):
    def setup(self) -> None:
        self.flag_rate = float(self.params["flag_rate"])

    def outcome(self, req: Request) -> str | None:
        return "blocked" if self.chance(self.flag_rate) else None


register(ComponentKind(
    "classifier", "models", "Small classifier",
    "An intent or moderation classifier; 'blocked' when it flags the request.",
    (Param("task", "enum", "moderation", choices=("moderation", "intent", "other"), help="What it classifies."),
     latency_param(10.0, 30.0, "assumption: a small self-hosted classifier (BERT-class) answers in tens of ms; a hosted moderation API takes ~150 ms"),
     Param("flag_rate", "float", 0.0, "fraction", 0, 1, help="Share of requests it flags (blocked outcome)."),
     price_param(0.80, cite("modal-pricing", detail="one L4 on Modal, $0.80/h"))),
    Classifier, per_replica_cost, outcomes=("blocked",), icon="classifier", defaults_override={"concurrency": 64}))

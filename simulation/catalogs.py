"""Ids of the catalogs that ``catalog`` parameters refer to (models, GPUs, API models, profiles)."""

from __future__ import annotations

from functools import cache


@cache
def catalog_ids(name: str) -> list[str]:
    """Known ids of a catalog; an empty list means 'not checked here' (validated at run time)."""
    if name == "gpus":
        from kernels.hardware import all_gpus

        return [g.id for g in all_gpus()]
    if name == "profiles":
        from kernels.perf import builtin_profile_ids

        return list(builtin_profile_ids())
    if name == "models":
        from simulation.llm.catalog import model_ids

        return list(model_ids())
    if name == "api_models":
        from simulation.llm.catalog import api_model_ids

        return list(api_model_ids())
    return []

"""Structural checks live in ``simulation.structure`` (the model layer: the engine runs them before a run)."""

from simulation.structure import DETACHED_KINDS, structural_errors, structural_issues

__all__ = ["DETACHED_KINDS", "structural_errors", "structural_issues"]

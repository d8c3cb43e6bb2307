"""The component registry: one declaration per kind (parameters, behaviour, cost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulation.errors import DesignError
from simulation.params import COMMON_PARAMS, RESILIENCE_PARAMS, Param

if TYPE_CHECKING:
    from simulation.engine.runtime import NodeRuntime

GROUPS: tuple[tuple[str, str], ...] = (
    ("traffic", "Traffic"),
    ("caching", "Caching"),
    ("application", "Application"),
    ("retrieval", "Retrieval"),
    ("models", "Models"),
    ("agents", "Agents"),
    ("safety", "Safety"),
    ("operations", "Operations"),
)


def _no_cost(params: dict[str, Any]) -> float:
    return 0.0


@dataclass(frozen=True)
class ComponentKind:
    """Everything the product knows about one kind of node.

    ``runtime`` builds the engine behaviour; ``hourly_cost`` gives provisioned USD/hour for the whole node
    (all replicas); ``outcomes`` lists the ``when`` values its out edges may use; ``buffers_output`` says
    whether the node holds a streamed answer until it is complete (then TTFT = E2E after it).
    """

    kind: str
    group: str
    label: str
    help: str
    params: tuple[Param, ...]
    runtime: Callable[..., NodeRuntime] | None
    hourly_cost: Callable[[dict[str, Any]], float] = _no_cost
    outcomes: tuple[str, ...] = ()
    icon: str = ""
    buffers_output: Callable[[dict[str, Any]], bool] = lambda params: False
    cost_help: str = ""
    defaults_override: dict[str, Any] = field(default_factory=dict)
    can_fail: bool = True  # False: zero-time or detached kinds; fault injection and retries do not apply

    @property
    def all_params(self) -> tuple[Param, ...]:
        own = {p.name for p in self.params}
        if not self.can_fail:
            own |= set(RESILIENCE_PARAMS)
        common = tuple(
            Param(p.name, p.type, self.defaults_override.get(p.name, p.default), p.unit, p.min, p.max,
                  p.choices, p.help, p.source, p.catalog, p.advanced)
            for p in COMMON_PARAMS if p.name not in own
        )
        return self.params + common

    def param(self, name: str) -> Param:
        for p in self.all_params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.all_params}

    def resolved_params(self, given: dict[str, Any]) -> dict[str, Any]:
        out = self.defaults()
        out.update(given)
        return out


_REGISTRY: dict[str, ComponentKind] = {}


def register(kind: ComponentKind) -> ComponentKind:
    if kind.kind in _REGISTRY:
        raise ValueError(f"kind {kind.kind!r} registered twice")
    if kind.group not in dict(GROUPS):
        raise ValueError(f"kind {kind.kind!r}: unknown group {kind.group!r}")
    _REGISTRY[kind.kind] = kind
    return kind


def _ensure_loaded() -> None:
    if not _REGISTRY:
        import simulation.components  # noqa: F401  (registers every kind)


def get_kind(name: str, path: str = "") -> ComponentKind:
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise DesignError(f"unknown kind {name!r}; known kinds: {known}", path) from None


def all_kinds() -> list[ComponentKind]:
    _ensure_loaded()
    order = {g: i for i, (g, _) in enumerate(GROUPS)}
    return sorted(_REGISTRY.values(), key=lambda k: (order[k.group], k.label))

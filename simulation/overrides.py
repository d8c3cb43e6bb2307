"""`--set PATH=VALUE` overrides: dotted paths into a design dict (nodes addressed by id)."""

from __future__ import annotations

import json
from typing import Any

from simulation.errors import DesignError


def parse_value(text: str) -> Any:
    """JSON when it parses (numbers, true/false, objects), else the plain string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
    except RecursionError:
        raise DesignError(f"--set value nested too deeply: {text[:20]!r}…") from None
    except ValueError:  # a number literal beyond Python's 4300-digit limit
        raise DesignError(f"--set value is not a usable number: {text[:20]!r}…") from None


def split_assignment(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise DesignError(f"--set needs PATH=VALUE, got {item[:60]!r}")
    path, value = item.split("=", 1)
    if not path.strip():
        raise DesignError(f"--set needs PATH=VALUE, got {item[:60]!r}")
    return path.strip(), value


def apply_override(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at ``path`` (e.g. ``nodes.llm.params.replicas`` or ``workload.arrival.rate_per_s``)."""
    parts = path.split(".")
    cur: Any = data
    for i, part in enumerate(parts[:-1]):
        where = ".".join(parts[: i + 1])
        if isinstance(cur, list):
            cur = _find_in_list(cur, part, where)
            continue
        if not isinstance(cur, dict):
            raise DesignError(f"cannot descend into {type(cur).__name__}", f"--set {where}")
        if part not in cur:
            if i == 0 or parts[i - 1] == "nodes":
                raise DesignError("no such field or node", f"--set {where}")
            cur[part] = {}
        cur = cur[part]
    last = parts[-1]
    if isinstance(cur, list):
        raise DesignError("cannot replace a whole node; set one of its fields", f"--set {path}")
    if not isinstance(cur, dict):
        raise DesignError(f"cannot set a field inside a {type(cur).__name__}", f"--set {path}")
    cur[last] = value


def _find_in_list(items: list[Any], key: str, where: str) -> Any:
    for item in items:
        if isinstance(item, dict) and item.get("id") == key:
            return item
    if key.isdigit() and int(key) < len(items):
        return items[int(key)]
    known = ", ".join(str(i.get("id")) for i in items if isinstance(i, dict))[:200]
    raise DesignError(f"no node {key!r} (nodes: {known})", f"--set {where}")


def with_overrides(data: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(data)
    for item in assignments:
        path, text = split_assignment(item)
        apply_override(out, path, parse_value(text))
    return out

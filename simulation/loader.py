"""The one validating loader for ``*.genai.json`` files, and the one serializer.

Nothing in a file is executed. Errors are ``DesignError`` with the JSON path of the bad value.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulation.arrivals import parse_budget, parse_slo, parse_workload
from simulation.catalogs import catalog_ids
from simulation.design import Design, Edge, Group, Node
from simulation.errors import DesignError, clean_text
from simulation.overrides import with_overrides
from simulation.safe_paths import atomic_write_text as safe_atomic_write_text
from simulation.safe_paths import read_text_capped, resolve_user_file

FORMAT = "genai-sim.design"
VERSION = 1
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 40
MAX_NODES = 5000
MAX_EDGES = 20000
TOP_KEYS = {"format", "version", "name", "description", "workload", "slo", "budget", "nodes", "edges",
            "groups", "results", "sweeps", "notes", "seed_figures"}
EXTRA_KEYS = ("results", "sweeps", "notes", "seed_figures")
NODE_KEYS = {"id", "kind", "name", "pos", "params", "faults"}
GROUP_KEYS = {"id", "name", "rect"}
EDGE_KEYS = {"source", "target", "weight", "when", "latency_ms", "label", "retry_budget"}
GENERIC_OUTCOMES = ("error", "timeout", "fallback")
ID_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
FAULT_KEYS = {"outages", "error_rate", "slowdown", "slowdown_windows", "replica_loss"}

# version N -> function migrating a version-N dict to version N+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _show(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)[:40]


MAX_ABS_INT = 10**18  # larger integers overflow float conversions; no design value needs them


def _check_depth(obj: Any, depth: int = 0, path: str = "") -> None:
    """Refuse what a JSON file could not hold (or what breaks float maths) before anything copies the tree."""
    if depth > MAX_DEPTH:
        raise DesignError(f"nested deeper than {MAX_DEPTH} levels", path)
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise DesignError(f"object keys must be strings, got {type(k).__name__}", path)
            _check_depth(k, depth + 1, path)
            _check_depth(v, depth + 1, (f"{path}.{k[:60]}" if path else k[:60])[:200])
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _check_depth(v, depth + 1, f"{path[:200]}[{i}]")
    elif isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800"): no file, report or terminal can hold it
            raise DesignError("text holds a lone surrogate (an invalid \\ud800-\\udfff escape)", path) from None
    elif isinstance(obj, bool) or obj is None:
        return
    elif isinstance(obj, int):
        if abs(obj) > MAX_ABS_INT:
            raise DesignError(f"number too large ({str(obj)[:12]}…)", path)
    elif isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            raise DesignError(f"{obj} is not allowed in a design", path)
    else:
        raise DesignError(f"not a JSON value ({type(obj).__name__})", path)


def read_json_file(path: Path, what: str = "design") -> Any:
    """Parse a JSON file: a regular file only, read with a byte cap (``st_size`` is not trusted)."""
    where = _clean_path(path)
    text = read_text_capped(Path(path), where, MAX_FILE_BYTES, what)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DesignError(f"line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})", where) from None
    except RecursionError:
        raise DesignError(f"nested deeper than {MAX_DEPTH} levels", where) from None
    except DesignError:  # NaN/Infinity, refused by _reject_constant
        raise
    except ValueError:  # e.g. an integer literal longer than Python's 4300-digit limit
        raise DesignError("invalid JSON (a number literal is too long)", where) from None


def _clean_path(path: Any) -> str:
    return clean_text(str(path), 200)


def _reject_constant(name: str) -> Any:
    raise DesignError(f"{name} is not allowed in a design file")


def load_design(source: str | Path | dict[str, Any], *, check_catalogs: bool = True,
                base_dir: Path | None = None) -> Design:
    """Load and validate a design from a path or an already-parsed dict.

    Files the design names resolve in the design file's folder; for a dict, in ``base_dir`` (default: the
    current folder).
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        data = read_json_file(path)
        _check_depth(data)
        base_dir = path.resolve().parent
    else:
        _check_depth(source)  # before deepcopy, which would overflow the stack on deep nesting
        data = copy.deepcopy(source)
    design = design_from_dict(data, base_dir=base_dir, check_catalogs=check_catalogs)
    design.base_dir = str(base_dir) if base_dir else None
    return design


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise DesignError(f"must be an integer format version, got {_show(version)}", "version")
    if version > VERSION:
        raise DesignError(f"file is format version {version}; this genai-sim reads up to {VERSION} "
                          "(update genai-sim)", "version")
    while version < VERSION:
        if version not in MIGRATIONS:
            raise DesignError(f"no migration from format version {version}", "version")
        data = MIGRATIONS[version](data)
        version += 1
        data["version"] = version
    return data


def design_from_dict(data: Any, base_dir: Path | None = None, check_catalogs: bool = True) -> Design:
    if not isinstance(data, dict):
        raise DesignError("a design file must hold a JSON object")
    if data.get("format") != FORMAT:
        raise DesignError(f"must be {_show(FORMAT)}, got {_show(data.get('format'))}", "format")
    data = migrate(data)
    for key in data:
        if key not in TOP_KEYS:
            raise DesignError(f"unknown field (allowed: {', '.join(sorted(TOP_KEYS))})", str(key)[:60])
    name = data.get("name", "Untitled design")
    description = data.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if not isinstance(value, str) or len(value) > 100_000:
            raise DesignError(f"must be a string, got {_show(value)}", key)
    workload = data.get("workload", {})
    parse_workload(workload, "workload", base_dir)
    slo = parse_slo(data.get("slo", {}))
    budget = parse_budget(data.get("budget", {}))
    nodes = _validate_nodes(data.get("nodes", []), check_catalogs, base_dir)
    ids = {n.id for n in nodes}
    kinds = {n.id: n.kind for n in nodes}
    edges = _validate_edges(data.get("edges", []), ids, kinds)
    extra = {k: copy.deepcopy(data[k]) for k in EXTRA_KEYS if k in data}
    groups = _validate_groups(data.get("groups", []))
    return Design(name=name, description=description, workload=copy.deepcopy(workload), slo=slo, budget=budget,
                  nodes=nodes, edges=edges, extra=extra, groups=groups)


def _validate_groups(raw: Any) -> list[Group]:
    """Optional layout boxes: [{"id", "name", "rect": [x, y, width, height]}]; the simulation ignores them."""
    if not isinstance(raw, list):
        raise DesignError(f"must be a list, got {_show(raw)}", "groups")
    groups: list[Group] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"groups[{i}]"
        if not isinstance(item, dict):
            raise DesignError(f"must be an object, got {_show(item)}", path)
        for key in item:
            if key not in GROUP_KEYS:
                raise DesignError(f"unknown field (allowed: {', '.join(sorted(GROUP_KEYS))})", f"{path}.{key}")
        gid = item.get("id")
        if not isinstance(gid, str) or not ID_RE.match(gid):
            raise DesignError(f"must be an id of letters, digits, '_', '-' or '.', got {_show(gid)}", f"{path}.id")
        if gid in seen:
            raise DesignError(f"duplicate group id {_show(gid)}", f"{path}.id")
        seen.add(gid)
        name = item.get("name", "")
        if not isinstance(name, str) or len(name) > 200:
            raise DesignError(f"must be a string of at most 200 characters, got {_show(name)}", f"{path}.name")
        rect = item.get("rect")
        if (not isinstance(rect, list) or len(rect) != 4
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in rect)
                or rect[2] <= 0 or rect[3] <= 0):
            raise DesignError(f"must be [x, y, width, height] with width and height > 0, got {_show(rect)}",
                              f"{path}.rect")
        groups.append(Group(gid, name, tuple(float(v) for v in rect)))  # type: ignore[arg-type]
    return groups


def _validate_nodes(raw: Any, check_catalogs: bool, base_dir: Path | None = None) -> list[Node]:
    from simulation.registry import get_kind

    if not isinstance(raw, list):
        raise DesignError(f"must be a list, got {_show(raw)}", "nodes")
    if len(raw) > MAX_NODES:
        raise DesignError(f"at most {MAX_NODES} nodes, got {len(raw)}", "nodes")
    nodes: list[Node] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"nodes[{i}]"
        if not isinstance(item, dict):
            raise DesignError(f"must be an object, got {_show(item)}", path)
        for key in item:
            if key not in NODE_KEYS:
                raise DesignError(f"unknown field (allowed: {', '.join(sorted(NODE_KEYS))})", f"{path}.{key}")
        node_id = item.get("id")
        if not isinstance(node_id, str) or not ID_RE.match(node_id):
            raise DesignError(f"must be 1–64 letters, digits, '_', '-' or '.', got {_show(node_id)}", f"{path}.id")
        if node_id in seen:
            raise DesignError(f"duplicate node id {_show(node_id)}", f"{path}.id")
        seen.add(node_id)
        if not isinstance(item.get("kind"), str) or len(item["kind"]) > 64:
            raise DesignError(f"must be a kind name, got {_show(item.get('kind'))}", f"{path}.kind")
        kind = get_kind(item["kind"], f"{path}.kind")
        name = item.get("name", "")
        if not isinstance(name, str) or len(name) > 200:
            raise DesignError(f"must be a string of at most 200 characters, got {_show(name)}", f"{path}.name")
        pos = item.get("pos", [0, 0])
        if (not isinstance(pos, list) or len(pos) != 2
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) or abs(v) > 1e7 for v in pos)):
            raise DesignError(f"must be [x, y] numbers, got {_show(pos)}", f"{path}.pos")
        params = item.get("params", {})
        if not isinstance(params, dict):
            raise DesignError(f"must be an object, got {_show(params)}", f"{path}.params")
        clean: dict[str, Any] = {}
        declared = {p.name: p for p in kind.all_params}
        for key, value in params.items():
            if key not in declared:
                raise DesignError(f"unknown parameter for {kind.kind} (known: {', '.join(declared)})",
                                  f"{path}.params.{key}")
            ids = catalog_ids if check_catalogs else None
            clean[key] = declared[key].validate(value, f"{path}.params.{key}", ids)
            if key == "profile" and clean[key]:
                profile_file(clean[key], base_dir, f"{path}.params.{key}")
        faults = _validate_faults(item.get("faults", {}), f"{path}.faults")
        if faults and not kind.can_fail:
            raise DesignError(f"{kind.kind} nodes do not fail (they take no time and hold no work); put the "
                              "faults on the node that does", f"{path}.faults")
        nodes.append(Node(node_id, kind.kind, name, (float(pos[0]), float(pos[1])), clean, faults))
    return nodes


def profile_file(name: str, base_dir: Path | None, path: str) -> Path | None:
    """The file a ``profile`` parameter names (inside the design's folder or the built-in profiles), or None
    for a built-in profile id (checked when the run builds the server)."""
    if "/" not in name and "\\" not in name and not name.lower().endswith(".json"):
        return None
    from kernels.perf import PROFILES_DIR

    return resolve_user_file(name, base_dir, path, extra_roots=(PROFILES_DIR,))


def _validate_faults(faults: Any, path: str) -> dict[str, Any]:
    if not isinstance(faults, dict):
        raise DesignError(f"must be an object, got {_show(faults)}", path)
    for key, value in faults.items():
        p = f"{path}.{key}"
        if key not in FAULT_KEYS:
            raise DesignError(f"unknown fault (allowed: {', '.join(sorted(FAULT_KEYS))})", p)
        if key == "error_rate":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise DesignError(f"must be a fraction in 0…1, got {_show(value)}", p)
        elif key == "slowdown":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 1000:
                raise DesignError(f"must be a factor in 1…1000, got {_show(value)}", p)
        elif key in ("outages", "slowdown_windows"):
            _validate_windows(value, p, with_factor=key == "slowdown_windows")
        elif key == "replica_loss":
            if not isinstance(value, list):
                raise DesignError("must be a list of {at_s, replicas, recovery_s}", p)
            for j, ev in enumerate(value):
                if not isinstance(ev, dict) or set(ev) - {"at_s", "replicas", "recovery_s"} or "at_s" not in ev:
                    raise DesignError("must be {at_s, replicas, recovery_s}", f"{p}[{j}]")
                for k, v in ev.items():
                    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                        raise DesignError(f"must be a number ≥ 0, got {_show(v)}", f"{p}[{j}].{k}")
    return copy.deepcopy(faults)


def _validate_windows(value: Any, path: str, with_factor: bool) -> None:
    if not isinstance(value, list):
        raise DesignError("must be a list of [start_s, end_s] windows", path)
    for j, w in enumerate(value):
        size = 3 if with_factor else 2
        if (not isinstance(w, list) or len(w) != size
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in w)
                or w[1] < w[0]):
            shape = "[start_s, end_s, factor]" if with_factor else "[start_s, end_s]"
            raise DesignError(f"must be {shape} with 0 ≤ start ≤ end, got {_show(w)}", f"{path}[{j}]")


def _validate_edges(raw: Any, ids: set[str], kinds: dict[str, str]) -> list[Edge]:
    from simulation.registry import get_kind

    if not isinstance(raw, list):
        raise DesignError(f"must be a list, got {_show(raw)}", "edges")
    if len(raw) > MAX_EDGES:
        raise DesignError(f"at most {MAX_EDGES} edges", "edges")
    edges: list[Edge] = []
    for i, item in enumerate(raw):
        path = f"edges[{i}]"
        if not isinstance(item, dict):
            raise DesignError(f"must be an object, got {_show(item)}", path)
        for key in item:
            if key not in EDGE_KEYS:
                raise DesignError(f"unknown field (allowed: {', '.join(sorted(EDGE_KEYS))})", f"{path}.{key}")
        for end in ("source", "target"):
            if not isinstance(item.get(end), str) or item[end] not in ids:
                raise DesignError(f"no node with id {_show(item.get(end))}", f"{path}.{end}")
        weight = item.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight < 1e9:
            raise DesignError(f"must be a number ≥ 0, got {_show(weight)}", f"{path}.weight")
        when = item.get("when")
        if when is not None:
            allowed = get_kind(kinds[item["source"]]).outcomes + GENERIC_OUTCOMES
            if when not in allowed:
                raise DesignError(f"{kinds[item['source']]} nodes have outcomes {', '.join(allowed)}; "
                                  f"got {_show(when)}", f"{path}.when")
        latency = item.get("latency_ms", 0.0)
        if isinstance(latency, bool) or not isinstance(latency, (int, float)) or not 0 <= latency < 1e9:
            raise DesignError(f"must be a number of ms ≥ 0, got {_show(latency)}", f"{path}.latency_ms")
        label = item.get("label")
        if label is not None and (not isinstance(label, str) or len(label) > 200):
            raise DesignError(f"must be a short string, got {_show(label)}", f"{path}.label")
        budget = item.get("retry_budget")
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or not 0 <= budget <= 100):
            raise DesignError(f"must be an integer 0…100, got {_show(budget)}", f"{path}.retry_budget")
        edges.append(Edge(item["source"], item["target"], float(weight), when, float(latency), label, budget))
    return edges


def design_to_dict(design: Design) -> dict[str, Any]:
    """The one serializer: files, copy/paste and undo snapshots all use it."""
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION, "name": design.name}
    if design.description:
        out["description"] = design.description
    out["workload"] = copy.deepcopy(design.workload)
    out["slo"] = dict(design.slo)
    if design.budget:
        out["budget"] = dict(design.budget)
    out["nodes"] = [node_to_dict(n) for n in design.nodes]
    out["edges"] = [edge_to_dict(e) for e in design.edges]
    if design.groups:
        out["groups"] = [{"id": g.id, "name": g.name, "rect": [round(v, 2) for v in g.rect]} for g in design.groups]
    for key in EXTRA_KEYS:
        if key in design.extra:
            out[key] = copy.deepcopy(design.extra[key])
    return out


def node_to_dict(n: Node) -> dict[str, Any]:
    d: dict[str, Any] = {"id": n.id, "kind": n.kind}
    if n.name:
        d["name"] = n.name
    d["pos"] = [round(n.pos[0], 2), round(n.pos[1], 2)]
    if n.params:
        d["params"] = copy.deepcopy(n.params)
    if n.faults:
        d["faults"] = copy.deepcopy(n.faults)
    return d


def edge_to_dict(e: Edge) -> dict[str, Any]:
    d: dict[str, Any] = {"source": e.source, "target": e.target}
    if e.weight != 1.0:
        d["weight"] = e.weight
    if e.when:
        d["when"] = e.when
    if e.latency_ms:
        d["latency_ms"] = e.latency_ms
    if e.label:
        d["label"] = e.label
    if e.retry_budget is not None:
        d["retry_budget"] = e.retry_budget
    return d


def dumps_design(design: Design) -> str:
    return json.dumps(design_to_dict(design), indent=2, ensure_ascii=False) + "\n"


def atomic_write_text(path: Path, text: str, keep_backup: bool = True) -> None:
    """Compatibility name: ``simulation.safe_paths.atomic_write_text`` does the work."""
    safe_atomic_write_text(path, text, backup=keep_backup)


def save_design(design: Design, path: str | Path) -> None:
    atomic_write_text(Path(path), dumps_design(design))


def load_with_overrides(path: str | Path, assignments: list[str] | None = None) -> Design:
    design = load_design(path)
    if assignments:
        base = design.base_dir
        data = with_overrides(design_to_dict(design), assignments)
        design = load_design(data)
        design.base_dir = base
    return design

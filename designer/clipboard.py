"""Copy/paste through the system clipboard with the design serializer, so it works across windows
(and across running copies of the app). Pasted fragments are validated by the one loader."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData

from simulation.design import Design, Edge, Node
from simulation.errors import DesignError
from simulation.loader import FORMAT, VERSION, edge_to_dict, load_design, node_to_dict

FRAGMENT_MIME = "application/x-genai-sim-fragment"
NODE_REFERENCE_PARAMS = ("join", "target")


def fragment(design: Design, node_ids: list[str]) -> dict[str, Any]:
    """The selected nodes and the edges among them, as a tiny design file."""
    ids = set(node_ids)
    return {
        "format": FORMAT, "version": VERSION, "name": "clipboard",
        "nodes": [node_to_dict(n) for n in design.nodes if n.id in ids],
        "edges": [edge_to_dict(e) for e in design.edges if e.source in ids and e.target in ids],
    }


def to_mime(design: Design, node_ids: list[str]) -> QMimeData:
    text = json.dumps(fragment(design, node_ids), indent=1, ensure_ascii=False)
    mime = QMimeData()
    mime.setData(FRAGMENT_MIME, text.encode("utf-8"))
    mime.setText(text)  # plain text too: a fragment pasted into an editor is readable JSON
    return mime


def from_mime(mime: QMimeData) -> Design | None:
    """The fragment on the clipboard, validated; None when the clipboard holds something else."""
    if mime.hasFormat(FRAGMENT_MIME):
        raw = bytes(mime.data(FRAGMENT_MIME).data()).decode("utf-8")
    elif mime.hasText() and '"genai-sim.design"' in mime.text():
        raw = mime.text()
    else:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DesignError(f"clipboard: invalid JSON ({exc.msg})") from None
    if isinstance(data, dict):
        data = {k: data[k] for k in ("format", "version", "name", "nodes", "edges") if k in data}
    return load_design(data, check_catalogs=False)


def prepare_paste(target: Design, pasted: Design, offset: tuple[float, float]) -> tuple[list[Node], list[Edge]]:
    """Give pasted nodes fresh ids (they may collide with the target's) and shift them by ``offset``."""
    taken = {n.id for n in target.nodes}
    mapping: dict[str, str] = {}
    nodes: list[Node] = []
    for n in pasted.nodes:
        new_id = n.id
        if new_id in taken:
            stem = n.id.rstrip("0123456789") or n.kind
            i = 2
            while f"{stem}{i}" in taken:
                i += 1
            new_id = f"{stem}{i}"
        taken.add(new_id)
        mapping[n.id] = new_id
        nodes.append(Node(new_id, n.kind, n.name, (n.pos[0] + offset[0], n.pos[1] + offset[1]), dict(n.params),
                          dict(n.faults)))
    for node in nodes:  # node references inside params (fan-out join, autoscaler target) follow the copy
        for key in NODE_REFERENCE_PARAMS:
            if node.params.get(key) in mapping:
                node.params[key] = mapping[node.params[key]]
    edges = [Edge(mapping[e.source], mapping[e.target], e.weight, e.when, e.latency_ms, e.label, e.retry_budget)
             for e in pasted.edges]
    return nodes, edges

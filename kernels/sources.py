"""The bibliography (``assets/sources.json``) and the citations built from it.

Every figure the product carries names its public origin. In code a figure cites a bibliography entry by id
(``cite("nvidia-h100", "dense BF16 989 TFLOPS")``), which expands at import to a self-contained plain citation:
``dense BF16 989 TFLOPS — NVIDIA: NVIDIA H100 Tensor Core GPU ..., https://... (read 2026-12-06)``. Catalog and profile
JSON files carry such plain strings directly, so every place that shows a source (inspector, report, docs) shows
something a reader can follow without this module. ``check_source`` decides whether a string is a citation or a
marked assumption; the provenance test runs it over every declared source.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from kernels.hardware import ASSETS_DIR

SOURCES_FILE = "sources.json"

# "Publisher: Title, https://... (read YYYY-MM-DD)" anywhere in the text.
_PLAIN_CITATION = re.compile(r"https?://\S+.*?\(read \d{4}-\d{2}-\d{2}\)")
# Words that mark a figure as the model's own: an assumption, a derivation, a measurement or a fit by this project.
_OWN_MARKERS = ("assumption", "assumed", "derived", "measured", "fitted", "fit to", "computed", "by definition",
                "design choice", "convention", "model:", "user input", "cites its", "cites the")


@dataclass(frozen=True)
class Source:
    id: str
    publisher: str
    title: str
    url: str
    read: str
    note: str = ""

    def citation(self) -> str:
        return f"{self.publisher}: {self.title}, {self.url} (read {self.read})"


@cache
def bibliography() -> dict[str, Source]:
    """Every entry of ``assets/sources.json`` by id (checked: all fields present, ids unique)."""
    data = json.loads((ASSETS_DIR / SOURCES_FILE).read_text(encoding="utf-8"))
    out: dict[str, Source] = {}
    for i, e in enumerate(data["sources"]):
        missing = [k for k in ("id", "publisher", "title", "url", "read") if not e.get(k)]
        if missing:
            raise ValueError(f"{SOURCES_FILE}: sources[{i}] lacks {', '.join(missing)}")
        if e["id"] in out:
            raise ValueError(f"{SOURCES_FILE}: duplicate id {e['id']!r}")
        if not re.fullmatch(r"https?://\S+", e["url"]) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", e["read"]):
            raise ValueError(f"{SOURCES_FILE}: sources[{i}] ({e['id']}): url must be http(s), read YYYY-MM-DD")
        out[e["id"]] = Source(e["id"], e["publisher"], e["title"], e["url"], e["read"], e.get("note", ""))
    return out


def source(source_id: str) -> Source:
    """One entry; an unknown id is a programming error caught at import of the declaring module."""
    try:
        return bibliography()[source_id]
    except KeyError:
        raise KeyError(f"unknown source id {source_id!r} (add it to assets/{SOURCES_FILE})") from None


def cite(*source_ids: str, detail: str = "") -> str:
    """``detail — citation; citation``: a plain, self-contained citation of one or more entries."""
    cited = "; ".join(source(s).citation() for s in source_ids)
    return f"{detail} — {cited}" if detail else cited


def check_source(text: str) -> str | None:
    """None when ``text`` cites a public origin or marks itself as the model's own figure; else why not."""
    if not text.strip():
        return "empty source"
    if _PLAIN_CITATION.search(text):
        return None
    low = text.lower()
    if any(m in low for m in _OWN_MARKERS):
        return None
    return "names no public origin (Publisher: Title, URL (read YYYY-MM-DD)) and is not marked as an assumption"

"""The report as a plain document tree: sections of paragraphs, lists, tables and images.

Builders fill it from the design, the run and the envelope; renderers (HTML, Markdown, the Qt PDF)
turn it into files. Every string is plain text: renderers escape it, so user text can never inject markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

# C0/C1 control characters (tab and newline kept), and the bidirectional overrides that can make text display in
# an order other than the one stored: none may reach HTML, SVG (invalid XML) or Markdown.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: Any) -> str:
    """User text with control and bidi-override characters removed (carriage returns become spaces)."""
    return _UNSAFE.sub("", str(text).replace("\r", " "))


def escape(text: Any, quote: bool = True) -> str:
    """HTML/XML-escaped text, cleaned of control characters first: the only escape the renderers use."""
    return html.escape(clean_text(text), quote=quote)


@dataclass
class Para:
    text: str
    style: str = "p"  # "p", "lead" (emphasised), "note" (small grey), "ok" / "bad" (verdict banners)


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: tuple[int, ...] = ()  # right-aligned columns
    widths: tuple[int, ...] = ()  # column widths in % of the page (print layouts need them for wide text)


@dataclass
class Image:
    name: str  # file stem, unique within the report
    caption: str
    svg: str | None = None
    png: bytes | None = None
    width_pct: int = 100

    @property
    def filename(self) -> str:
        return f"{self.name}.{'svg' if self.svg is not None else 'png'}"


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Any] = field(default_factory=list)

    def add(self, *blocks: Any) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[Section]
    data: dict[str, Any] = field(default_factory=dict)  # the numbers behind the text (tests compare them)

    def section(self, sid: str) -> Section:
        return next(s for s in self.sections if s.id == sid)

    def images(self) -> list[Image]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Image)]


# Every section in print order; OPTIONAL_SECTIONS appear only where the design has something for them
# (retrieval to size, a baseline to compare with).
SECTION_IDS = ("summary", "requirements", "architecture", "request-path", "envelope", "results", "sizing",
               "bottlenecks", "review", "failures", "monitoring", "evaluation", "rag", "before-after", "tradeoffs",
               "cost-levers", "roi", "assumptions", "interview")
OPTIONAL_SECTIONS = ("rag", "before-after")

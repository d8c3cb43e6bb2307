"""The one error type for bad user input: a one-line message naming where the problem is."""

from __future__ import annotations

import re

# C0 and C1 control characters, DEL, and the bidirectional overrides/isolates that reorder what a terminal
# shows ("Trojan source"): none of them belongs in a one-line message, a terminal table or an SVG.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
MAX_PATH_CHARS = 160
MAX_MESSAGE_CHARS = 1000


def clean_text(text: str, limit: int | None = None) -> str:
    """``text`` with control, bidi-override and lone-surrogate characters replaced by '?' and, with ``limit``,
    cut to that many characters (ending in '…')."""
    text = _CONTROL.sub("?", str(text))
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def clean_lines(text: str) -> str:
    """Multi-line terminal output with every line cleaned (newlines and tabs kept)."""
    return "\n".join(clean_text(line.replace("\t", "    ")) for line in str(text).split("\n"))


class DesignError(ValueError):
    """Invalid design, workload, parameter or command-line value.

    The message is one line and starts with the path of the offending value, e.g.
    ``nodes[3].params.replicas: must be an integer ≥ 1, got "two"``. Control characters are replaced and long
    paths and messages cut, so a hostile key or name can neither move the cursor nor fill the screen.
    """

    def __init__(self, message: str, path: str = "") -> None:
        self.path = clean_text(" ".join(str(path).split()), MAX_PATH_CHARS)
        text = f"{self.path}: {message}" if self.path else str(message)
        super().__init__(clean_text(" ".join(text.split()), MAX_MESSAGE_CHARS))

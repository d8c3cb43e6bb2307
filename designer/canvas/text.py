"""Word wrapping for card titles (cards grow or titles wrap; nothing is cut at a fixed character count)."""

from __future__ import annotations

import re
from functools import lru_cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF

ELIDE = Qt.TextElideMode.ElideRight


@lru_cache(maxsize=64)
def title_font(px: int) -> tuple[QFont, QFontMetricsF]:
    """The title font at ``px`` pixels (DemiBold), with its metrics; sizes are few, so cache them."""
    font = QFont()
    font.setPixelSize(max(1, px))
    font.setWeight(QFont.Weight.DemiBold)
    return font, QFontMetricsF(font)


def _pieces(text: str) -> list[tuple[str, bool]]:
    """Words split after hyphens and slashes too ("Llama-3.1-70B" may break as "Llama-3.1-" / "70B"),
    each with whether a space comes before it."""
    out: list[tuple[str, bool]] = []
    for word in text.split():
        parts = re.findall(r"[^-/]*[-/]+|[^-/]+$", word) or [word]
        for i, part in enumerate(parts):
            out.append((part, i == 0))
    return out


def wrap(text: str, metrics: QFontMetricsF, width: float, max_lines: int, break_words: bool = True) -> list[str]:
    """Greedy word wrap into at most ``max_lines`` lines of ``width``, breaking at spaces, then after
    hyphens and slashes, and inside a word only when one piece is wider than a line; what still does not
    fit after ``max_lines`` is elided (with "…")."""
    pending = _pieces(text)
    if not pending:
        return [""]
    lines: list[str] = []
    current = ""
    while pending:
        piece, spaced = pending.pop(0)
        candidate = (f"{current} {piece}" if spaced else current + piece) if current else piece
        if metrics.horizontalAdvance(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
            pending.insert(0, (piece, spaced))
        elif not break_words:  # a piece wider than the line ends in "…" rather than breaking mid-word
            lines.append(metrics.elidedText(piece, ELIDE, width))
        else:  # one piece longer than the line: break it where it overflows
            cut = max(1, _fit_chars(piece, metrics, width))
            lines.append(piece[:cut])
            pending.insert(0, (piece[cut:], False))
        if len(lines) == max_lines:
            rest = current + "".join((" " if sp else "") + p for p, sp in pending)
            if rest.strip():
                lines[-1] = metrics.elidedText(f"{lines[-1]} {rest.strip()}", ELIDE, width)
            return lines
    lines.append(current)
    return lines


def _fit_chars(word: str, metrics: QFontMetricsF, width: float) -> int:
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if metrics.horizontalAdvance(word[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def breaks_cleanly(lines: list[str], text: str) -> bool:
    """Whether ``lines`` show all of ``text`` and break only at spaces, hyphens or slashes (never mid-word)."""
    squeezed = text.replace(" ", "")
    if "".join(lines).replace(" ", "") != squeezed:
        return False
    allowed = set()
    at = 0
    for piece, _spaced in _pieces(text):
        at += len(piece)
        allowed.add(at)
    at = 0
    for line in lines:
        at += len(line.replace(" ", ""))
        if at not in allowed:
            return False
    return True

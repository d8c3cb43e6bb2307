"""Word wrapping for card titles (cards grow or titles wrap; nothing is cut at a fixed character count)."""

from __future__ import annotations

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


def wrap(text: str, metrics: QFontMetricsF, width: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most ``max_lines`` lines of ``width``; a word wider than a line is broken
    at characters; only what still does not fit after ``max_lines`` is elided (with "…")."""
    words = text.split()
    if not words:
        return [""]
    lines: list[str] = []
    current = ""
    pending = list(words)
    while pending:
        word = pending.pop(0)
        candidate = f"{current} {word}" if current else word
        if metrics.horizontalAdvance(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
            pending.insert(0, word)
        else:  # one word longer than the line: break it where it overflows
            cut = max(1, _fit_chars(word, metrics, width))
            lines.append(word[:cut])
            pending.insert(0, word[cut:])
        if len(lines) == max_lines:
            rest = " ".join(([current] if current else []) + pending)
            if rest:
                lines[-1] = metrics.elidedText(f"{lines[-1]} {rest}", ELIDE, width)
            return lines
    lines.append(current)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [metrics.elidedText(" ".join(lines[max_lines - 1:]), ELIDE, width)]
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

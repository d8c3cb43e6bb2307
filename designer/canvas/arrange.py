"""Align and distribute: new card centres from card rectangles (pure; the caller pushes one move command)."""

from __future__ import annotations

from collections.abc import Mapping

Rect = tuple[float, float, float, float]  # left, top, right, bottom

ALIGN_MODES = ("left", "center", "right", "top", "middle", "bottom")


def align(cards: Mapping[str, Rect], mode: str) -> dict[str, tuple[float, float]]:
    """Centres after aligning every card's ``mode`` edge (or centre line) with the selection's."""
    if mode not in ALIGN_MODES:
        raise ValueError(f"unknown alignment {mode!r}")
    if len(cards) < 2:
        return {k: _centre(r) for k, r in cards.items()}
    rects = list(cards.values())
    out = {}
    for key, (left, top, right, bottom) in cards.items():
        cx, cy = (left + right) / 2, (top + bottom) / 2
        half_w, half_h = (right - left) / 2, (bottom - top) / 2
        if mode == "left":
            cx = min(r[0] for r in rects) + half_w
        elif mode == "right":
            cx = max(r[2] for r in rects) - half_w
        elif mode == "center":
            cx = (min(r[0] for r in rects) + max(r[2] for r in rects)) / 2
        elif mode == "top":
            cy = min(r[1] for r in rects) + half_h
        elif mode == "bottom":
            cy = max(r[3] for r in rects) - half_h
        else:
            cy = (min(r[1] for r in rects) + max(r[3] for r in rects)) / 2
        out[key] = (cx, cy)
    return out


def distribute(cards: Mapping[str, Rect], axis: str) -> dict[str, tuple[float, float]]:
    """Equal gaps between neighbouring cards along ``axis`` ("h" or "v"); the two outer cards stay put."""
    if axis not in ("h", "v"):
        raise ValueError(f"unknown axis {axis!r}")
    lo, hi = (0, 2) if axis == "h" else (1, 3)
    order = sorted(cards, key=lambda k: (cards[k][lo] + cards[k][hi], k))
    out = {k: _centre(r) for k, r in cards.items()}
    if len(order) < 3:
        return out
    first, last = cards[order[0]], cards[order[-1]]
    sizes = sum(cards[k][hi] - cards[k][lo] for k in order)
    gap = (last[hi] - first[lo] - sizes) / (len(order) - 1)
    edge = first[lo]
    for k in order:
        size = cards[k][hi] - cards[k][lo]
        centre = edge + size / 2
        cx, cy = out[k]
        out[k] = (centre, cy) if axis == "h" else (cx, centre)
        edge += size + gap
    return out


def _centre(r: Rect) -> tuple[float, float]:
    return ((r[0] + r[2]) / 2, (r[1] + r[3]) / 2)

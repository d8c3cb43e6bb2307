"""Where a click-added node goes: the free grid spot nearest the wanted point, never on top of a card."""

from __future__ import annotations

from collections.abc import Iterable

from designer.canvas.items import GRID, NODE_H, NODE_W

Rect = tuple[float, float, float, float]  # left, top, right, bottom
GAP = 30.0  # free space kept around a new card


def free_spot(want: tuple[float, float], cards: Iterable[Rect], step: float = GRID,
              size: tuple[float, float] = (NODE_W, NODE_H), max_rings: int = 200) -> tuple[float, float]:
    """The grid point nearest ``want`` where a card of ``size`` (centred there) keeps GAP from every card."""
    rects = list(cards)
    w, h = size[0] / 2 + GAP, size[1] / 2 + GAP
    x0, y0 = round(want[0] / step) * step, round(want[1] / step) * step

    def free(x: float, y: float) -> bool:
        return not any(r[0] < x + w and x - w < r[2] and r[1] < y + h and y - h < r[3] for r in rects)

    if free(x0, y0):
        return (x0, y0)
    for ring in range(1, max_rings + 1):
        spots = [(x0 + i * step, y0 + j * step) for i in range(-ring, ring + 1) for j in range(-ring, ring + 1)
                 if max(abs(i), abs(j)) == ring]
        spots.sort(key=lambda p: ((p[0] - want[0]) ** 2 + (p[1] - want[1]) ** 2, p[1], p[0]))
        for x, y in spots:
            if free(x, y):
                return (x, y)
    return (x0, y0)

"""Orthogonal edge routing that keeps clear of the cards.

Pure geometry on (left, top, right, bottom) tuples, no Qt, so it is cheap and testable. Every route leaves
the source's output port heading right and enters the target's input port heading right (the arrow head
always points right), with horizontal and vertical pieces only:

- a forward edge tries one vertical channel between the ends (3 pieces), scanning candidate x positions
  outward from the middle, then a detour through a free horizontal channel (5 pieces);
- a back edge (target left of the source: retries, agent loops) goes round underneath every card between
  its ends, each in its own lane, so two back edges never share a segment.
"""

from __future__ import annotations

from collections.abc import Sequence

Rect = tuple[float, float, float, float]  # left, top, right, bottom
Point = tuple[float, float]

CLEAR = 10.0  # how far a route keeps from a card
STUB = 18.0  # the straight run out of a port before the first bend
LANE = 14.0  # spacing between parallel back-edge lanes


def _hits_h(y: float, x1: float, x2: float, rects: Sequence[Rect]) -> bool:
    lo, hi = min(x1, x2), max(x1, x2)
    return any(r[1] - CLEAR < y < r[3] + CLEAR and r[0] - CLEAR < hi and lo < r[2] + CLEAR for r in rects)


def _hits_v(x: float, y1: float, y2: float, rects: Sequence[Rect]) -> bool:
    lo, hi = min(y1, y2), max(y1, y2)
    return any(r[0] - CLEAR < x < r[2] + CLEAR and r[1] - CLEAR < hi and lo < r[3] + CLEAR for r in rects)


def path_hits(points: Sequence[Point], rects: Sequence[Rect]) -> bool:
    """Whether any piece of an orthogonal polyline crosses (or grazes) one of ``rects``."""
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        if ay == by and _hits_h(ay, ax, bx, rects):
            return True
        if ax == bx and _hits_v(ax, ay, by, rects):
            return True
    return False


def _simplify(points: list[Point]) -> list[Point]:
    out: list[Point] = []
    for p in points:
        if out and abs(out[-1][0] - p[0]) < 1e-6 and abs(out[-1][1] - p[1]) < 1e-6:
            continue
        if len(out) >= 2:
            (ax, ay), (bx, by) = out[-2], out[-1]
            if (abs(ax - bx) < 1e-6 and abs(bx - p[0]) < 1e-6) or (abs(ay - by) < 1e-6 and abs(by - p[1]) < 1e-6):
                out[-1] = p  # collinear: drop the middle point
                continue
        out.append(p)
    return out


def _near(rects: Sequence[Rect], box: Rect) -> list[Rect]:
    return [r for r in rects if r[0] < box[2] and box[0] < r[2] and r[1] < box[3] and box[1] < r[3]]


def route_forward(p1: Point, p2: Point, obstacles: Sequence[Rect], exclude: Sequence[Rect] = ()) -> list[Point]:
    """From the output port ``p1`` to the input port ``p2`` (p2 to the right of p1)."""
    (x1, y1), (x2, y2) = p1, p2
    a, b = x1 + STUB, x2 - STUB
    if abs(y1 - y2) < 0.5:
        straight = [p1, p2]
        if not path_hits(straight, obstacles):
            return straight
    # Candidate vertical channels between the ends: the middle first, then beside each card edge.
    mid = (a + b) / 2
    box = (x1, min(y1, y2) - 400, x2, max(y1, y2) + 400)
    local = _near(obstacles, box)
    xs = {mid, a, b}
    for r in local:
        for x in (r[0] - CLEAR - 1, r[2] + CLEAR + 1):
            if a <= x <= b:
                xs.add(x)
    for x in sorted(xs, key=lambda v: (abs(v - mid), v)):
        pts = [p1, (x, y1), (x, y2), p2]
        if not path_hits(pts, local):
            return _simplify(pts)
    # A detour through a horizontal channel above or below the cards in the way.
    return _simplify(_detour(p1, p2, a, b, local))


def _detour(p1: Point, p2: Point, a: float, b: float, local: Sequence[Rect]) -> list[Point]:
    y1, y2 = p1[1], p2[1]
    ys = {y1, y2}
    for r in local:
        ys.add(r[1] - CLEAR - 1)
        ys.add(r[3] + CLEAR + 1)
    best: list[Point] | None = None
    best_cost = float("inf")
    for y in ys:
        pts = [p1, (a, y1), (a, y), (b, y), (b, y2), p2]
        cost = abs(y - y1) + abs(y - y2)
        if cost < best_cost and not path_hits(pts, local):
            best, best_cost = pts, cost
    if best is not None:
        return best
    mid = (a + b) / 2
    return [p1, (mid, y1), (mid, y2), p2]  # boxed in on all sides: the plain route is the least bad


PORT_SPREAD = 7.0  # back edges leaving (or entering) one port turn at different distances from it


def route_back(p1: Point, p2: Point, floor: float, lane: int, out_rank: int = 0, in_rank: int = 0) -> list[Point]:
    """A back edge: out right, down below ``floor`` (the lowest card bottom between the ends), left, up
    into the target from its left. ``lane`` (the horizontal run) and the ranks among the back edges of the
    same source and target (the vertical runs, kept inside the gap next to the card) keep several back
    edges from sharing a segment."""
    (x1, y1), (x2, y2) = p1, p2
    out_x = x1 + STUB + PORT_SPREAD * out_rank
    in_x = x2 - STUB - PORT_SPREAD * in_rank
    y = floor + 2 * CLEAR + LANE * lane
    return [p1, (out_x, y1), (out_x, y), (in_x, y), (in_x, y2), p2]


def route_loop(p1: Point, p2: Point, top: float, lane: int = 0) -> list[Point]:
    """A self loop: out right, up over the card, down into its left port."""
    (x1, y1), (x2, y2) = p1, p2
    y = top - 2 * CLEAR - LANE * (lane + 1)
    return [p1, (x1 + STUB, y1), (x1 + STUB, y), (x2 - STUB, y), (x2 - STUB, y2), p2]


def floor_between(left: float, right: float, rects: Sequence[Rect], at_least: float) -> float:
    """The lowest card bottom among cards overlapping the x range [left, right]."""
    bottom = at_least
    for r in rects:
        if r[0] <= right and left <= r[2]:
            bottom = max(bottom, r[3])
    return bottom


def assign_lanes(spans: Sequence[tuple[float, float]]) -> list[int]:
    """Interval colouring: spans that overlap get different lanes (lowest free lane first)."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i][1] - spans[i][0], spans[i][0]))
    lanes = [0] * len(spans)
    placed: list[int] = []
    for i in order:
        lo, hi = spans[i]
        used = {lanes[j] for j in placed if spans[j][0] <= hi + STUB and lo - STUB <= spans[j][1]}
        lane = 0
        while lane in used:
            lane += 1
        lanes[i] = lane
        placed.append(i)
    return lanes


def midpoint(points: Sequence[Point]) -> Point:
    """Where a label sits: the middle of the longest piece (it has the most room)."""
    best, length = (points[0], points[-1]), -1.0
    for a, b in zip(points, points[1:]):
        d = abs(a[0] - b[0]) + abs(a[1] - b[1])
        if d > length:
            best, length = (a, b), d
    (ax, ay), (bx, by) = best
    return ((ax + bx) / 2, (ay + by) / 2)

"""Orthogonal edge routing that keeps clear of the cards.

Pure geometry on (left, top, right, bottom) tuples, no Qt, so it is cheap and testable. Every route leaves
the source's output port heading right, with horizontal and vertical pieces only:

- a forward edge enters the target's input port heading right: one vertical channel between the ends
  (3 pieces), scanning candidate x positions outward from the middle (from just before the port when
  several edges merge into it, so they share one trunk), else a detour through a free horizontal channel;
- a back edge (target's input port left of the source's: fallbacks, retries, agent loops) takes the
  shortest free detour (:func:`route_back_short`): into a target wholly above or below the source from the
  side facing it, otherwise round through the nearest free channel beside the row; the scene routes all
  back edges together so their parallel runs keep a lane apart. Only when no short detour is free does one
  go round underneath every card between its ends (:func:`route_back`), in its own lane.
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


def route_forward(p1: Point, p2: Point, obstacles: Sequence[Rect], exclude: Sequence[Rect] = (),
                  trunk: bool = False) -> list[Point]:
    """From the output port ``p1`` to the input port ``p2`` (p2 to the right of p1). ``trunk``: the target
    has several incoming edges, so the vertical run sits just before its port where they all merge into one
    line, instead of each edge bending at its own middle (a bunch of near-parallel lines beside the card)."""
    (x1, y1), (x2, y2) = p1, p2
    a, b = x1 + STUB, x2 - STUB
    if abs(y1 - y2) < 0.5:
        straight = [p1, p2]
        if not path_hits(straight, obstacles):
            return straight
    # Candidate vertical channels between the ends: the middle first, then beside each card edge.
    mid = b if trunk else (a + b) / 2
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


# -- short back routes --------------------------------------------------------------------------------
Segment = tuple[float, float, float]  # the fixed coordinate, then the span along the other axis
SIDE_STEP = 10.0  # spacing between parallel vertical runs of short back routes


def _clashes(fixed: float, lo: float, hi: float, used: Sequence[Segment], spacing: float) -> bool:
    """Whether a run at ``fixed`` over [lo, hi] comes closer than ``spacing`` to a run already taken."""
    lo, hi = min(lo, hi), max(lo, hi)
    return any(abs(fixed - f) < spacing - 0.5 and lo < h + STUB and start - STUB < hi for f, start, h in used)


def runs(points: Sequence[Point]) -> tuple[list[Segment], list[Segment]]:
    """The horizontal and vertical runs of an orthogonal polyline."""
    horizontal: list[Segment] = []
    vertical: list[Segment] = []
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        if abs(ay - by) < 1e-6 and abs(ax - bx) > 1e-6:
            horizontal.append((ay, min(ax, bx), max(ax, bx)))
        elif abs(ax - bx) < 1e-6 and abs(ay - by) > 1e-6:
            vertical.append((ax, min(ay, by), max(ay, by)))
    return horizontal, vertical


def route_back_short(p1: Point, p2: Point, src: Rect, dst: Rect, rects: Sequence[Rect],
                     used_h: list[Segment], used_v: list[Segment], side: int = 0) -> list[Point] | None:
    """A back edge (target's input port left of the source's output port) by the shortest free detour:

    - a target wholly below (above) the source is entered from its top (bottom), the side that faces the
      source: down the gap right of the source, along the nearest free channel, into the target;
    - a target beside the source goes round through the nearest free channel above or below the cards
      between them, not underneath the whole design.

    ``used_h``/``used_v`` are runs other back edges already took: a route keeps a lane's distance from them
    (and they are extended with this route). None when no short route is free; the caller falls back to
    :func:`route_back`. ``side`` (+1 below, -1 above) keeps a second edge between the same two cards on the
    side the first took: one above and one below would frame the cards between them like a group box."""
    (x1, y1), (x2, y2) = p1, p2
    span_lo, span_hi = min(x2, dst[0]) - 4 * STUB, max(x1, src[2], dst[2]) + 4 * STUB
    top, bottom = min(src[1], dst[1]) - 300, max(src[3], dst[3]) + 300
    # Cards a margin beyond the candidates' reach count too, so every candidate is checked against all it could touch.
    local = _near(rects, (span_lo - 4 * STUB, top - 4 * STUB, span_hi + 4 * STUB, bottom + 4 * STUB))
    outs = [x1 + STUB + SIDE_STEP * k for k in range(4)]
    # Past a card in the way (one stacked between the source and a target below it), too.
    past = sorted({r[2] + CLEAR + 1 for r in local if x1 + STUB < r[2] + CLEAR + 1 <= span_hi})[:3]
    outs += [x + SIDE_STEP * k for x in past for k in range(3)]
    candidates: list[tuple[float, list[Point], list[Point]]] = []  # (length, route, the part to keep clear)
    facing = dst[1] - STUB > max(y1, src[3]) or dst[3] + STUB < min(y1, src[1])
    if facing:
        below = dst[1] > y1
        edge_y = dst[1] if below else dst[3]
        approach = edge_y - STUB if below else edge_y + STUB
        centre = (dst[0] + dst[2]) / 2
        for out_x in outs:
            near_x = min(max(out_x, dst[0] + 14), dst[2] - 14)
            txs = [near_x - SIDE_STEP * k for k in range(3)]
            for tx in txs:
                if abs(tx - out_x) < 1e-6:
                    route = [p1, (out_x, y1), (out_x, approach), (out_x, edge_y)]
                    candidates.append((abs(edge_y - y1) + abs(out_x - x1), route, route[1:-1]))
                    continue
                ys = {approach}
                for r in local:
                    if r[0] < max(out_x, tx) + CLEAR and min(out_x, tx) - CLEAR < r[2]:
                        ys.update((r[3] + CLEAR + 1 + LANE * k if below else r[1] - CLEAR - 1 - LANE * k) for k in range(3))
                        ys.update((r[1] - CLEAR - 1 - LANE * k if below else r[3] + CLEAR + 1 + LANE * k) for k in range(3))
                for y in ys:
                    if not (min(y1, approach) <= y <= max(y1, approach)):
                        continue
                    route = [p1, (out_x, y1), (out_x, y), (tx, y), (tx, approach), (tx, edge_y)]
                    length = abs(y - y1) + abs(tx - out_x) + abs(edge_y - y) + abs(out_x - x1) + abs(centre - tx) * 0.1
                    candidates.append((length, route, route[1:-1]))
    # Into the input port from the left, round through the nearest free channel (the only way for a target
    # beside the source; the fallback for one above or below whose facing side is walled in).
    ins = [x2 - STUB - SIDE_STEP * k for k in range(6)]
    ys = set()
    penalty = 4 * STUB if facing else 0.0
    for r in local:
        if r[0] < max(outs) + CLEAR and min(ins) - CLEAR < r[2]:
            for k in range(4):
                ys.add(r[3] + CLEAR + 1 + LANE * k)
                ys.add(r[1] - CLEAR - 1 - LANE * k)
    taken = _pick(candidates, local, used_h, used_v)
    if taken is not None:
        return taken
    # Round-about routes: the channels nearest the ports first; stop once no farther channel can be shorter.
    best: tuple[float, list[Point]] | None = None
    def channel_cost(y: float) -> float:
        other_side = side != 0 and (y - y1) * side < 0
        return abs(y - y1) + abs(y - y2) + penalty + (10_000.0 if other_side else 0.0)

    for y in sorted((y for y in ys if top <= y <= bottom), key=channel_cost):
        base = channel_cost(y)
        if best is not None and base >= best[0]:
            break
        pairs = sorted(((i + j, out_x, in_x) for i, out_x in enumerate(outs) for j, in_x in enumerate(ins)))
        for steps, out_x, in_x in pairs:
            if best is not None and base + steps * SIDE_STEP >= best[0]:
                break
            route = [p1, (out_x, y1), (out_x, y), (in_x, y), (in_x, y2), p2]
            if _free(route, local, used_h, used_v):
                best = (base + steps * SIDE_STEP, route)
                break
    if best is None:
        return None
    _take(best[1], used_h, used_v)
    return _simplify(best[1])


def _free(route: list[Point], local: Sequence[Rect], used_h: Sequence[Segment], used_v: Sequence[Segment]) -> bool:
    """Whether a route's inner part keeps clear of the cards and a lane away from runs already taken."""
    if path_hits(route[1:-1], local):
        return False
    horizontal, vertical = runs(route[1:-1])
    return not (any(_clashes(f, lo, hi, used_h, LANE) for f, lo, hi in horizontal)
                or any(_clashes(f, lo, hi, used_v, SIDE_STEP) for f, lo, hi in vertical))


def _take(route: list[Point], used_h: list[Segment], used_v: list[Segment]) -> None:
    horizontal, vertical = runs(route[1:-1])
    used_h.extend(horizontal)
    used_v.extend(vertical)


def _pick(candidates: list[tuple[float, list[Point], list[Point]]], local: Sequence[Rect],
          used_h: list[Segment], used_v: list[Segment]) -> list[Point] | None:
    """The shortest free candidate (taken: its runs join the used ones), or None."""
    for _, route, _keep_clear in sorted(candidates, key=lambda c: c[0]):
        if _free(route, local, used_h, used_v):
            _take(route, used_h, used_v)
            return _simplify(route)
    return None

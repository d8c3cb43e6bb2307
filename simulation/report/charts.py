"""Small self-contained SVG charts for the report (no plotting library: the output is plain text, prints
crisply and embeds in HTML, Markdown and, rasterised by Qt, the PDF)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from simulation.report.document import escape

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#7c3aed", "#0891b2", "#ca8a04", "#db2777")
FONT = "font-family='Helvetica, Arial, sans-serif'"
W, H = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 30, 46
LOG_SPREAD = 30.0  # a CDF axis spanning more than this ratio (its end over the smallest median) is logarithmic


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' {FONT} font-size='12'>"
            f"<rect width='{width}' height='{height}' fill='white'/>"
            f"<text x='{LEFT}' y='18' font-size='13' font-weight='bold' fill='#111'>{escape(title)}</text>"
            + "".join(body) + "</svg>")


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int(math.ceil((hi - start) / step)) + 1)]


def _label(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v / 1000:g}k" if v % 1000 == 0 else f"{v:,.0f}"
    return f"{v:g}"


def _axes(body: list[str], xt: Sequence[float], yt: Sequence[float], sx, sy, xlabel: str, ylabel: str,
          width: int, height: int, ylabels: Sequence[str] | None = None) -> None:
    for i, y in enumerate(yt):
        py = sy(y)
        body.append(f"<line x1='{LEFT}' x2='{width - RIGHT}' y1='{py:.1f}' y2='{py:.1f}' stroke='#e5e7eb'/>")
        text = ylabels[i] if ylabels else _label(y)
        body.append(f"<text x='{LEFT - 6}' y='{py + 4:.1f}' text-anchor='end' fill='#374151'>{escape(text)}</text>")
    for x in xt:
        px = sx(x)
        body.append(f"<line x1='{px:.1f}' x2='{px:.1f}' y1='{TOP}' y2='{height - BOTTOM}' stroke='#f3f4f6'/>")
        body.append(f"<text x='{px:.1f}' y='{height - BOTTOM + 16}' text-anchor='middle' fill='#374151'>"
                    f"{escape(_label(x))}</text>")
    body.append(f"<line x1='{LEFT}' x2='{width - RIGHT}' y1='{height - BOTTOM}' y2='{height - BOTTOM}' stroke='#111'/>")
    body.append(f"<line x1='{LEFT}' x2='{LEFT}' y1='{TOP}' y2='{height - BOTTOM}' stroke='#111'/>")
    body.append(f"<text x='{(LEFT + width - RIGHT) / 2}' y='{height - 8}' text-anchor='middle' fill='#111'>"
                f"{escape(xlabel)}</text>")
    body.append(f"<text transform='translate(14 {(TOP + height - BOTTOM) / 2}) rotate(-90)' text-anchor='middle' "
                f"fill='#111'>{escape(ylabel)}</text>")


def _legend_size(entries: Sequence[str]) -> tuple[float, float]:
    return 34 + 6.6 * max((len(n) for n in entries), default=0), 8 + 18 * len(entries)


def _legend(body: list[str], names: Sequence[str], x: float, y: float, dashed: Sequence[str] = ()) -> None:
    """A boxed legend with its top-left corner at (x, y) (inside the plot, where the curves do not go):
    a colour swatch per series, then a red dashed line per entry of ``dashed`` (SLO targets)."""
    entries = list(names) + list(dashed)
    if not entries:
        return
    width, height = _legend_size(entries)
    body.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{width:.1f}' height='{height}' fill='white' "
                "stroke='#d1d5db'/>")
    for i, name in enumerate(entries):
        row = y + 7 + 18 * i
        if i < len(names):
            body.append(f"<rect x='{x + 8:.1f}' y='{row:.1f}' width='18' height='12' "
                        f"fill='{PALETTE[i % len(PALETTE)]}'/>")
        else:
            body.append(f"<line x1='{x + 8:.1f}' x2='{x + 26:.1f}' y1='{row + 6:.1f}' y2='{row + 6:.1f}' "
                        "stroke='#dc2626' stroke-width='2' stroke-dasharray='5 3'/>")
        body.append(f"<text x='{x + 32:.1f}' y='{row + 10:.1f}' fill='#111'>{escape(name)}</text>")


def cdf_chart(series: dict[str, np.ndarray], title: str, xlabel: str = "latency (ms)",
              markers: dict[str, float | tuple[float, float | None]] | None = None) -> str:
    """Empirical CDFs (y = share of requests ≤ x). ``markers`` draws dashed SLO lines: name → x, or
    name → (x, quantile), which also rings the point the curve must pass above (e.g. p95 ≤ 8 s: x, 0.95)."""
    data = {k: np.sort(np.asarray(v, float)[np.isfinite(v)]) for k, v in series.items()}
    data = {k: v for k, v in data.items() if v.size}
    marks = {k: (v if isinstance(v, tuple) else (float(v), None)) for k, v in (markers or {}).items()}
    # The far tail would squeeze the body of the curve into a corner: the axis ends at p99.5 (or the SLO line).
    tail = max([float(np.quantile(v, 0.995)) for v in data.values()] + [1.0])
    top = max([float(v[-1]) for v in data.values()] + [1.0])
    hi = max([tail] + [x for x, _ in marks.values()])
    medians = [float(np.median(v)) for v in data.values() if np.median(v) > 0]
    log = bool(medians) and hi / min(medians) > LOG_SPREAD
    if log:  # series an order of magnitude apart (TTFT vs end to end, cache hits vs misses): log axis
        lo_exp = math.floor(math.log10(max(min(float(v[max(0, int(v.size * 0.01))]) for v in data.values()),
                                           hi / 1e5, 1e-3)))
        hi_exp = math.ceil(math.log10(hi * 1.02))
        steps = (1, 2, 5) if hi_exp - lo_exp <= 4 else (1,)
        xt = [m * 10.0 ** e for e in range(lo_exp, hi_exp + 1) for m in steps if m * 10.0 ** e <= 10 ** hi_exp]
        x0, x1 = math.log10(xt[0]), math.log10(xt[-1])
        sx = lambda x: LEFT + (W - LEFT - RIGHT) * (math.log10(min(max(x, xt[0]), xt[-1])) - x0) / (x1 - x0)  # noqa
    else:
        xt = nice_ticks(0, hi)
        sx = lambda x: LEFT + (W - LEFT - RIGHT) * min(x, xt[-1]) / xt[-1]  # noqa: E731
    sy = lambda y: H - BOTTOM - (H - TOP - BOTTOM) * y  # noqa: E731
    if top > xt[-1]:
        xlabel += f"{' (log scale)' if log else ''}; axis ends at p99.5, slowest request {top:,.0f} ms"
    elif log:
        xlabel += " (log scale)"
    body: list[str] = []
    _axes(body, xt, [0, 0.25, 0.5, 0.75, 0.9, 1.0], sx, sy, xlabel, "share of requests ≤ x", W, H,
          ["0", "25%", "50%", "75%", "90%", "100%"])
    for x, q in marks.values():
        px = sx(x)
        body.append(f"<line x1='{px:.1f}' x2='{px:.1f}' y1='{TOP}' y2='{H - BOTTOM}' stroke='#dc2626' "
                    "stroke-dasharray='5 4'/>")
        if q is not None:
            body.append(f"<circle cx='{px:.1f}' cy='{sy(q):.1f}' r='5' fill='none' stroke='#dc2626' "
                        "stroke-width='2'/>")
    drawn: list[tuple[float, float]] = []
    for i, v in enumerate(data.values()):
        idx = np.unique(np.linspace(0, v.size - 1, min(v.size, 400)).astype(int))
        idx = idx[v[idx] <= xt[-1]]
        xy = [(sx(float(v[j])), sy((j + 1) / v.size)) for j in idx]
        drawn += xy
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in xy)
        color = PALETTE[i % len(PALETTE)]
        body.append(f"<polyline points='{sx(0):.1f},{sy(0):.1f} {pts}' fill='none' stroke='{color}' "
                    "stroke-width='2'/>")
    entries = list(data) + list(marks)
    box_w, box_h = _legend_size(entries)
    # top-left or bottom-right of the plot, whichever the curves cross least
    corners = [(LEFT + 8, TOP + 4), (W - RIGHT - 8 - box_w, H - BOTTOM - 8 - box_h)]
    x, y = min(corners, key=lambda c: sum(c[0] - 4 <= a <= c[0] + box_w + 4 and c[1] - 4 <= b <= c[1] + box_h + 4
                                          for a, b in drawn))
    _legend(body, list(data), x, y, list(marks))
    return _svg(W, H, body, title)


def duration_label(v: float) -> str:
    if abs(v) >= 10_000:
        return f"{v / 1000:,.1f} s"
    return f"{v:,.0f} ms" if abs(v) >= 10 else f"{v:.1f} ms"


def bar_chart(items: Sequence[tuple[str, float]], title: str, unit: str = "", fmt=None) -> str:
    """Horizontal bars, largest first (cost breakdown, per-stage time)."""
    items = [(k, float(v)) for k, v in items if v > 0][:14]
    fmt = fmt or (lambda v: f"{v:,.2f}")
    height = TOP + 26 * max(len(items), 1) + 20
    left = 220
    hi = max([v for _, v in items] + [1e-12])
    span = W - left - 110
    body: list[str] = []
    for i, (name, v) in enumerate(items):
        y = TOP + 8 + 26 * i
        w = span * v / hi
        short = name if len(name) <= 32 else name[:31] + "…"
        body.append(f"<text x='{left - 8}' y='{y + 14}' text-anchor='end' fill='#111'>{escape(short)}</text>")
        body.append(f"<rect x='{left}' y='{y}' width='{max(w, 1):.1f}' height='18' rx='2' "
                    f"fill='{PALETTE[i % len(PALETTE)]}'/>")
        body.append(f"<text x='{left + w + 6:.1f}' y='{y + 14}' fill='#374151'>{escape(fmt(v))}{escape(unit)}</text>")
    if not items:
        body.append(f"<text x='{left}' y='{TOP + 20}' fill='#6b7280'>nothing to show</text>")
    return _svg(W, height, body, title)


LABEL_CHAR_PX = 7.0  # width of one label character at the charts' font size, for collision checks


def waterfall_chart(stages: Sequence[tuple[str, float, float]], title: str, total_ms: float | None = None) -> str:
    """Gantt-style bars: (stage, start ms, end ms) relative to the request's arrival; each bar is labelled with
    its duration, and the dashed line marks ``total_ms`` (the mean end-to-end latency)."""
    stages = list(stages)[:20]
    row = 26
    top = TOP + 14
    height = top + row * max(len(stages), 1) + BOTTOM
    left = 200
    end = max([e for _, _, e in stages] + [total_ms or 0.0, 1.0])
    xt = nice_ticks(0, end)
    x_max = xt[-1]
    span = W - left - RIGHT - 70
    sx = lambda x: left + span * x / x_max  # noqa: E731
    body: list[str] = []
    for i in range(0, len(stages), 2):
        body.append(f"<rect x='{left - 190}' y='{top + row * i:.1f}' width='{W - RIGHT - left + 190}' "
                    f"height='{row}' fill='#f9fafb'/>")
    for x in xt:
        px = sx(x)
        body.append(f"<line x1='{px:.1f}' x2='{px:.1f}' y1='{top}' y2='{height - BOTTOM}' stroke='#e5e7eb'/>")
        body.append(f"<text x='{px:.1f}' y='{height - BOTTOM + 16}' text-anchor='middle' fill='#374151'>"
                    f"{escape(_label(x))}</text>")
    body.append(f"<line x1='{left}' x2='{left + span}' y1='{height - BOTTOM}' y2='{height - BOTTOM}' "
                "stroke='#111'/>")
    body.append(f"<text x='{left + span / 2}' y='{height - 10}' text-anchor='middle' fill='#111'>"
                "time after the request arrives (ms)</text>")
    for i, (name, start, stop) in enumerate(stages):
        y = top + row * i + 5
        short = name if len(name) <= 28 else name[:27] + "…"
        body.append(f"<text x='{left - 8}' y='{y + 12}' text-anchor='end' fill='#111'>{escape(short)}</text>")
        w = max(sx(stop) - sx(start), 2.0)
        body.append(f"<rect x='{sx(start):.1f}' y='{y}' width='{w:.1f}' height='16' rx='2' "
                    f"fill='{PALETTE[i % len(PALETTE)]}'/>")
        label = duration_label(stop - start)
        lx, anchor, colour = sx(start) + w + 5, "start", "#374151"
        label_w = LABEL_CHAR_PX * len(label)
        if total_ms and lx - 4 <= sx(total_ms) <= lx + label_w + 4:  # it would sit on the dashed mean line
            if w >= label_w + 10:
                lx, anchor, colour = sx(start) + w - 5, "end", "#ffffff"  # inside its own bar
            else:
                lx = sx(total_ms) + 5  # just past the line
        body.append(f"<text x='{lx:.1f}' y='{y + 12}' text-anchor='{anchor}' fill='{colour}'>{escape(label)}</text>")
    if total_ms:
        px = sx(total_ms)
        body.append(f"<line x1='{px:.1f}' x2='{px:.1f}' y1='{top - 4}' y2='{height - BOTTOM}' stroke='#111' "
                    "stroke-dasharray='4 3'/>")
        body.append(f"<text x='{px:.1f}' y='{top - 7}' text-anchor='middle' fill='#111'>mean end-to-end "
                    f"{escape(duration_label(total_ms))}</text>")
    return _svg(W, height, body, title)


def line_chart(x: Sequence[float], series: dict[str, Sequence[float]], title: str, xlabel: str, ylabel: str,
               hline: tuple[str, float] | None = None) -> str:
    """Lines over a shared x axis (sweep results: latency or throughput vs load)."""
    xs = [float(v) for v in x]
    ys = [float(v) for vals in series.values() for v in vals if v is not None and math.isfinite(float(v))]
    if hline:
        ys.append(hline[1])
    xt = nice_ticks(min(xs + [0.0]), max(xs + [1.0]))
    yt = nice_ticks(0, max(ys + [1.0]))
    sx = lambda v: LEFT + (W - LEFT - RIGHT) * (v - xt[0]) / (xt[-1] - xt[0])  # noqa: E731
    sy = lambda v: H - BOTTOM - (H - TOP - BOTTOM) * v / yt[-1]  # noqa: E731
    body: list[str] = []
    _axes(body, xt, yt, sx, sy, xlabel, ylabel, W, H)
    for i, (name, vals) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        pts = [(sx(a), sy(float(b))) for a, b in zip(xs, vals) if b is not None and math.isfinite(float(b))]
        body.append("<polyline points='" + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
                    + f"' fill='none' stroke='{color}' stroke-width='2'/>")
        body.extend(f"<circle cx='{a:.1f}' cy='{b:.1f}' r='3' fill='{color}'/>" for a, b in pts)
        body.append(f"<rect x='{LEFT + 10}' y='{TOP + 6 + 18 * i}' width='12' height='12' fill='{color}'/>"
                    f"<text x='{LEFT + 28}' y='{TOP + 16 + 18 * i}' fill='#111'>{escape(name)}</text>")
    if hline:
        py = sy(hline[1])
        body.append(f"<line x1='{LEFT}' x2='{W - RIGHT}' y1='{py:.1f}' y2='{py:.1f}' stroke='#dc2626' "
                    "stroke-dasharray='5 4'/>")
        body.append(f"<text x='{W - RIGHT - 4}' y='{py - 4:.1f}' text-anchor='end' fill='#dc2626'>"
                    f"{escape(hline[0])}</text>")
    return _svg(W, H, body, title)


def diagram_svg(nodes: Sequence[tuple[str, str, float, float]], edges: Sequence[tuple[str, str, str]]) -> str:
    """A plain box-and-arrow drawing at the nodes' canvas positions (used when no canvas renderer is given)."""
    if not nodes:
        return _svg(W, 80, [], "(empty design)")
    bw, bh, pad = 150, 44, 30
    xs = [x for _, _, x, _ in nodes]
    ys = [y for _, _, _, y in nodes]
    x0, y0 = min(xs) - pad, min(ys) - pad
    width = int(max(xs) - x0 + bw + pad)
    height = int(max(ys) - y0 + bh + pad + 20)
    pos = {nid: (x - x0, y - y0 + 20) for nid, _, x, y in nodes}
    body = ["<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='7' markerHeight='7' "
            "orient='auto'><path d='M0,0 L10,5 L0,10 z' fill='#6b7280'/></marker></defs>"]
    for src, dst, label in edges:
        if src not in pos or dst not in pos:
            continue
        (ax, ay), (bx, by) = pos[src], pos[dst]
        x1, y1, x2, y2 = ax + bw, ay + bh / 2, bx, by + bh / 2
        if bx <= ax:
            x1, x2 = ax + bw / 2, bx + bw / 2
            y1, y2 = (ay + bh, by) if by > ay else (ay, by + bh)
        body.append(f"<line x1='{x1:.0f}' y1='{y1:.0f}' x2='{x2:.0f}' y2='{y2:.0f}' stroke='#6b7280' "
                    "stroke-width='1.5' marker-end='url(#arrow)'/>")
        if label:
            body.append(f"<text x='{(x1 + x2) / 2:.0f}' y='{(y1 + y2) / 2 - 4:.0f}' text-anchor='middle' "
                        f"font-size='10' fill='#374151'>{escape(label)}</text>")
    for nid, title, _, _ in nodes:
        x, y = pos[nid]
        short = title if len(title) <= 22 else title[:21] + "…"
        body.append(f"<rect x='{x:.0f}' y='{y:.0f}' width='{bw}' height='{bh}' rx='8' fill='#eff6ff' "
                    "stroke='#2563eb'/>")
        body.append(f"<text x='{x + bw / 2:.0f}' y='{y + 26:.0f}' text-anchor='middle' font-size='11' "
                    f"fill='#111'>{escape(short)}</text>")
    return _svg(width, height, body, "")

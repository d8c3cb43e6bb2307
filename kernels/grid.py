"""Regular grids in log space: fast scalar interpolation, gap filling and least-squares fitting.

A grid has one sorted list of positive node values per axis and one value per node (C order).
Interpolation is multilinear in log(axis) and returns the stored value exactly at nodes; outside
the grid the coordinate is clamped, i.e. the boundary value is held (for efficiency grids that is
"extrapolate along the roofline with the boundary efficiency").
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence

import numpy as np


class LogGrid:
    """Multilinear interpolation in log-axis space; pure Python so a scalar call costs a few µs."""

    __slots__ = ("axes", "_log_axes", "_strides", "_values")

    def __init__(self, axes: Sequence[Sequence[float]], values: Sequence[float]) -> None:
        self.axes = [list(map(float, ax)) for ax in axes]
        if any(not ax or min(ax) <= 0 for ax in self.axes):
            raise ValueError("grid axes must be non-empty and positive")
        if any(b <= a for ax in self.axes for a, b in zip(ax, ax[1:])):
            raise ValueError("grid axes must be strictly increasing")
        size = math.prod(len(ax) for ax in self.axes)
        vals = [float(v) for v in values]
        if len(vals) != size or not all(math.isfinite(v) for v in vals):
            raise ValueError(f"grid needs {size} finite values, got {len(vals)}")
        self._log_axes = [[math.log(a) for a in ax] for ax in self.axes]
        strides, stride = [], 1
        for ax in reversed(self.axes):
            strides.append(stride)
            stride *= len(ax)
        self._strides = strides[::-1]
        self._values = vals

    @property
    def values(self) -> list[float]:
        return list(self._values)

    def __call__(self, *coords: float) -> float:
        base = 0
        offsets = [0]
        weights = [1.0]
        for log_axis, stride, x in zip(self._log_axes, self._strides, coords):
            last = len(log_axis) - 1
            lx = math.log(x) if x > 0 else -math.inf
            if lx <= log_axis[0]:
                continue
            if lx >= log_axis[last]:
                base += last * stride
                continue
            i = bisect_right(log_axis, lx) - 1
            base += i * stride
            w = (lx - log_axis[i]) / (log_axis[i + 1] - log_axis[i])
            if w > 0.0:
                offsets = offsets + [o + stride for o in offsets]
                weights = [wt * (1.0 - w) for wt in weights] + [wt * w for wt in weights]
        vals = self._values
        return sum(vals[base + o] * wt for o, wt in zip(offsets, weights))


def axis_neighbour_estimate(log_axes: Sequence[np.ndarray], values: np.ndarray) -> np.ndarray:
    """Estimate every node from its nearest valid (non-NaN) neighbours along each axis, itself excluded.

    Along each axis with a valid neighbour on both sides the estimate is the linear interpolation in
    log(axis); the axes' estimates are averaged with weights 1 / span^2 (span = distance between the
    two neighbours in log(axis)), so the tightest bracket dominates. Nodes with no two-sided axis take the mean of the
    nearest one-sided neighbours (constant extrapolation). NaN where no neighbour exists at all.
    This is how a profile fills a node it could not measure, so it is also the leave-one-out predictor.
    """
    valid = ~np.isnan(values)
    two_sum = np.zeros(values.shape)
    two_cnt = np.zeros(values.shape)
    one_sum = np.zeros(values.shape)
    one_cnt = np.zeros(values.shape)
    for axis, log_axis in enumerate(log_axes):
        n = values.shape[axis]
        if n < 2:
            continue
        v = np.moveaxis(values, axis, -1)
        ok = np.moveaxis(valid, axis, -1)
        idx = np.broadcast_to(np.arange(n), v.shape)
        # index of the nearest valid node strictly left / right of each node
        left_src = np.where(ok, idx, -1)
        left = np.full(v.shape, -1)
        left[..., 1:] = np.maximum.accumulate(left_src, axis=-1)[..., :-1]
        right_src = np.where(ok, idx, n)
        right = np.full(v.shape, n)
        right[..., :-1] = np.flip(np.minimum.accumulate(np.flip(right_src, -1), axis=-1), -1)[..., 1:]
        has_l, has_r = left >= 0, right < n
        vl = np.take_along_axis(v, np.clip(left, 0, n - 1), -1)
        vr = np.take_along_axis(v, np.clip(right, 0, n - 1), -1)
        xl, xr, x = log_axis[np.clip(left, 0, n - 1)], log_axis[np.clip(right, 0, n - 1)], log_axis[idx]
        both = has_l & has_r
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(both, (x - xl) / np.where(both, xr - xl, 1.0), 0.0)
        interp = np.where(both, vl + t * (vr - vl), 0.0)
        # closer neighbours are more reliable: weight each axis by 1 / (log-span between neighbours)^2
        weight = np.where(both, 1.0 / np.where(both, xr - xl, 1.0) ** 2, 0.0)
        two_sum += np.moveaxis(interp * weight, -1, axis)
        two_cnt += np.moveaxis(weight, -1, axis)
        one = np.where(has_l, vl, 0.0) + np.where(has_r, vr, 0.0)
        one_sum += np.moveaxis(np.where(~both, one, 0.0), -1, axis)
        one_cnt += np.moveaxis(np.where(~both, has_l.astype(float) + has_r, 0.0), -1, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(two_cnt > 0, two_sum / np.where(two_cnt > 0, two_cnt, 1.0),
                        np.where(one_cnt > 0, one_sum / np.maximum(one_cnt, 1), np.nan))


def fill_missing(log_axes: Sequence[np.ndarray], values: np.ndarray) -> np.ndarray:
    """Fill NaN nodes from axis neighbours, repeatedly, until every node has a value."""
    out = np.array(values, dtype=float)
    if np.isnan(out).all():
        raise ValueError("grid has no measured value")
    while np.isnan(out).any():
        est = axis_neighbour_estimate(log_axes, out)
        missing = np.isnan(out) & ~np.isnan(est)
        out[missing] = est[missing]
    return out


def fit_grid(
    axes: Sequence[Sequence[float]],
    points: np.ndarray,
    targets: np.ndarray,
    smoothness: float = 1e-2,
    prior: np.ndarray | None = None,
    prior_weight: float = 1e-2,
) -> np.ndarray:
    """Least-squares node values so that LogGrid interpolation of points matches targets.

    points: (N, d) positive coordinates (clamped to the grid); a second-difference penalty along
    each axis (weight ``smoothness`` per node) keeps nodes with little data well behaved. With a
    prior grid the fit solves for a smooth correction to it, pulled towards zero away from the data.
    """
    log_axes = [np.log(np.asarray(ax, dtype=float)) for ax in axes]
    shape = tuple(len(ax) for ax in axes)
    size = int(np.prod(shape))
    lp = np.log(np.asarray(points, dtype=float))
    n_pts, dims = lp.shape
    lo_idx = np.zeros((n_pts, dims), dtype=int)
    frac = np.zeros((n_pts, dims))
    for d, la in enumerate(log_axes):
        x = np.clip(lp[:, d], la[0], la[-1])
        if len(la) == 1:
            continue
        i = np.clip(np.searchsorted(la, x, side="right") - 1, 0, len(la) - 2)
        lo_idx[:, d] = i
        frac[:, d] = (x - la[i]) / (la[i + 1] - la[i])
    strides = np.array([int(np.prod(shape[d + 1:])) for d in range(dims)])
    cols, wts = [], []
    for corner in range(2 ** dims):
        bits = np.array([(corner >> d) & 1 for d in range(dims)])
        if any(bits[d] and shape[d] == 1 for d in range(dims)):
            continue
        idx = ((lo_idx + bits) * strides).sum(axis=1)
        w = np.prod(np.where(bits, frac, 1.0 - frac), axis=1)
        cols.append(idx)
        wts.append(w)
    cols_a, wts_a = np.stack(cols, 1), np.stack(wts, 1)
    base = np.zeros(size) if prior is None else np.asarray(prior, dtype=float).ravel()
    targets = np.asarray(targets, dtype=float) - (base[cols_a] * wts_a).sum(axis=1)
    ata = np.zeros((size, size))
    atb = np.zeros(size)
    for a in range(cols_a.shape[1]):
        np.add.at(atb, cols_a[:, a], wts_a[:, a] * targets)
        for b in range(cols_a.shape[1]):
            np.add.at(ata, (cols_a[:, a], cols_a[:, b]), wts_a[:, a] * wts_a[:, b])
    # smoothness: second differences (in log-axis units) along every axis
    node = np.arange(size).reshape(shape)
    for d in range(dims):
        if shape[d] < 3:
            continue
        la = log_axes[d]
        a0 = np.take(node, range(0, shape[d] - 2), axis=d).ravel()
        a1 = np.take(node, range(1, shape[d] - 1), axis=d).ravel()
        a2 = np.take(node, range(2, shape[d]), axis=d).ravel()
        h0 = np.repeat(np.diff(la)[:-1], 1)
        h1 = np.diff(la)[1:]
        # weights of the second difference for uneven spacing, broadcast along the other axes
        c0 = np.broadcast_to(np.expand_dims(2 / (h0 * (h0 + h1)), tuple(i for i in range(dims) if i != d)),
                             np.take(node, range(0, shape[d] - 2), axis=d).shape).ravel()
        c2 = np.broadcast_to(np.expand_dims(2 / (h1 * (h0 + h1)), tuple(i for i in range(dims) if i != d)),
                             np.take(node, range(0, shape[d] - 2), axis=d).shape).ravel()
        c1 = -(c0 + c2)
        rows = [(a0, c0), (a1, c1), (a2, c2)]
        for ia, ca in rows:
            for ib, cb in rows:
                np.add.at(ata, (ia, ib), smoothness * ca * cb)
    ata[np.diag_indices(size)] += 1e-9 if prior is None else prior_weight
    return (base + np.linalg.solve(ata, atb)).reshape(shape)

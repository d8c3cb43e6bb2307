import math

import numpy as np

from kernels.grid import LogGrid, axis_neighbour_estimate, fill_missing, fit_grid


def _linear_grid():
    axes = [[1, 2, 8], [16, 64]]
    values = [math.log(a) + 2 * math.log(b) for a in axes[0] for b in axes[1]]
    return axes, values, LogGrid(axes, values)


def test_exact_at_nodes_and_linear_in_log_between():
    axes, values, grid = _linear_grid()
    for i, a in enumerate(axes[0]):
        for j, b in enumerate(axes[1]):
            assert grid(a, b) == values[i * 2 + j]
    assert grid(4, 32) == pytest_approx(math.log(4) + 2 * math.log(32))


def test_clamps_outside_the_grid():
    _, _, grid = _linear_grid()
    assert grid(0.5, 16) == grid(1, 16)
    assert grid(100, 1000) == grid(8, 64)


def test_neighbour_estimate_reproduces_a_log_linear_interior():
    la = [np.log([1.0, 2, 4, 8]), np.log([1.0, 3, 9])]
    values = np.add.outer(la[0], 2 * la[1])
    est = axis_neighbour_estimate(la, values)
    assert np.allclose(est[1:-1, 1:-1], values[1:-1, 1:-1])
    holes = values.copy()
    holes[1, 1] = holes[2, 0] = np.nan
    filled = fill_missing(la, holes)
    assert not np.isnan(filled).any()
    assert filled[1, 1] == pytest_approx(values[1, 1])


def test_fit_grid_recovers_a_smooth_function():
    rng = np.random.default_rng(0)
    pts = np.exp(rng.uniform(0, np.log(64), size=(400, 2)))
    y = np.log(pts[:, 0]) - 0.5 * np.log(pts[:, 1])
    axes = [[1, 4, 16, 64], [1, 8, 64]]
    fitted = fit_grid(axes, pts, y, smoothness=1e-4)
    expected = np.subtract.outer(np.log(axes[0]), 0.5 * np.log(axes[1]))
    assert np.allclose(fitted, expected, atol=1e-3)


def pytest_approx(x):
    import pytest

    return pytest.approx(x, rel=1e-9, abs=1e-12)

"""LineFit: least squares, the minimax (Chebyshev) line, anchored lines; the jitter's shape."""

from __future__ import annotations

import itertools

import numpy as np

from rig.timing.linefit import LineFit, bounded_jitter


def _fit(ks, ts, anchor=None):
    f = LineFit(1000, int(ks[0]) if anchor is None else anchor[0], int(ts[0]) if anchor is None
                else anchor[1], anchor)  # fmt: skip
    for k, t in zip(ks, ts, strict=True):
        f.add(int(k), int(t))
    return f


def _worst(ks, ts, period, a):
    return max(abs(t - (a + k * period)) for k, t in zip(ks, ts, strict=True))


def test_the_minimax_line_is_the_narrowest_strip():
    """Against brute force: the Chebyshev line of n points touches three of them, so
    the best line through any pair (slope) centred on the rest is the optimum."""
    rng = np.random.default_rng(3)
    ks = np.arange(14)
    ts = (1e9 + ks * 20_833_333 + rng.uniform(-1e6, 1e6, 14)).round().astype(np.int64)
    period, x, y = _fit(ks, ts).line(minimax=True)
    a = ts[0] + y - (ks[0] + x) * period
    got = _worst(ks, ts, period, a)
    brute = min(
        (max(r) - min(r)) / 2
        for i, j in itertools.combinations(range(14), 2)
        for s in [(ts[j] - ts[i]) / (ks[j] - ks[i])]
        for r in [[t - k * s for k, t in zip(ks, ts, strict=True)]]
    )
    assert abs(got - brute) < 1.0  # ns


def test_an_anchored_line_passes_through_its_anchor():
    rng = np.random.default_rng(4)
    ks = np.arange(1, 30)
    ts = (5_000_000 + ks * 18_939_394 + rng.uniform(-1e6, 1e6, 29)).round().astype(np.int64)
    anchor = (0, 5_000_000)
    for minimax in (False, True):
        period, x, y = _fit(ks, ts, anchor).line(minimax=minimax)
        assert (x, y) == (0.0, 0.0)  # relative to the anchor: it is on the line
        assert abs(period - 18_939_394) < 60_000  # 0.06 ms per clock from 29 points
    # minimax: no slope through the anchor has a smaller largest distance
    p_mm = _fit(ks, ts, anchor).line(minimax=True)[0]
    best = _worst(ks, ts, p_mm, 5_000_000)
    for d in (-200.0, -20.0, 20.0, 200.0):
        assert _worst(ks, ts, p_mm + d, 5_000_000) >= best - 1e-6


def test_minimax_gives_way_to_least_squares_once_the_window_slides():
    f = LineFit(8, 0, 0)
    for k in range(12):
        f.add(k, k * 1000 + (50 if k % 3 else -50))
    assert not f.whole and f.anchor is None
    assert f.line(minimax=True) == f.line()


def test_the_jitter_shape_tells_bounded_from_gaussian():
    rng = np.random.default_rng(5)
    assert bounded_jitter(rng.uniform(-1, 1, 192))
    assert not bounded_jitter(rng.normal(0, 0.58, 192))
    assert not bounded_jitter(rng.uniform(-1, 1, 40))  # too few to tell

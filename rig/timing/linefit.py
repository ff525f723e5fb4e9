"""The straight line ``time = a + period · k`` through MIDI clock stamps, two ways.

`LineFit` keeps a window of (clock number k, arrival ns) points with exact integer
sums (relative to a reference point, so a long night loses nothing to float
cancellation) and gives the line by one of two rules:

- **least squares** — the optimal estimate for a steady tempo under Gaussian-like
  arrival jitter (what a second-order delay-locked loop approximates);
- **minimax** (the Chebyshev line: the narrowest strip holding every point) — the
  estimate for *bounded* jitter, where arrivals are quantised to a USB frame or an
  audio period and never stray beyond a fixed ±J. Its error falls as 1/n rather than
  1/√n: with ±1 ms of uniform jitter and one beat (24 clocks) of points, least
  squares leaves a p99 of ~0.3 ms at the next clock and minimax ~0.1 ms. The
  follower only uses it on jitter it has measured to be bounded (`bounded_jitter`),
  and only while the fit is young (the window not yet sliding): the strip is read
  off the points' upper and lower convex hulls, kept as points arrive.

A fit may be **anchored**: after a tempo step the new line starts where the old one
was at the step (the master changed its period at a clock, its phase did not jump),
so the line is one through the anchor and only the period is estimated — worth a
good part of the first beats' error. The anchor holds while every point since the
step is in the window.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable

__all__ = ["LineFit", "bounded_jitter", "hinge"]

# Innovations kept to judge the jitter's shape, and the max/RMS ratio below which it is
# bounded: uniform jitter has max ≈ √3 · RMS (1.73), Gaussian ~2.6 over 192 samples
# (the chance a Gaussian run of 192 stays below 2.1 · RMS is under 0.1 %).
SHAPE_KEEP = 192
_SHAPE_MIN = 96
_BOUNDED_RATIO = 2.1


def bounded_jitter(innovations: Iterable[float]) -> bool:
    """True when the arrival jitter looks bounded (max |e| < 2.1 × RMS over ≥ 96
    innovations of a mature fit): quantised to a frame, not Gaussian-tailed."""
    values = list(innovations)
    if len(values) < _SHAPE_MIN:
        return False
    rms = math.sqrt(sum(e * e for e in values) / len(values))
    return rms > 0 and max(abs(e) for e in values) < _BOUNDED_RATIO * rms


def hinge(
    candidates: Iterable[int],
    a: float,
    p: float,
    stamps: list[tuple[int, int]],
    current: int | None,
    margin: Callable[[float], float],
    min_step: float = 0.0,
) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
    """Where a tempo step began: of the `candidates` (clock numbers), the one whose
    hinge — the old line ``a + p·k`` up to it, a line through the old line's point
    there from it on — fits `stamps` (k, ns) best by least squares: (the stamps after
    it, the anchor (k, ns)). The anchor is None unless the runner-up leaves `margin(ssr)`
    more squared error (an anchor one clock off costs the whole step's period
    difference; a free line only a little more noise).

    `current`: the clock a young fit is anchored at now, kept unless another is
    clearly better — looked at again with every stamp, a best hinge that wins by less
    than the noise flapped between neighbours on a small step (120 → 126 BPM with
    ±1 ms), each switch moving the line by ~1 ms.

    `min_step` (ns per clock): a step whose period changed by less cannot have begun
    at a candidate — it took more than the candidates' three clocks to stray beyond
    the noise (120 → 121 BPM: 0.17 ms per clock), so one of them would only be the
    least wrong; no anchor then (a free line)."""
    fits: list[tuple[float, list[tuple[int, int]], tuple[int, int], float]] = []
    for kb in candidates:
        tb = round(a + kb * p)
        after = [(k, t) for k, t in stamps if k > kb]
        den = sum((k - kb) ** 2 for k, _ in after)
        period = sum((k - kb) * (t - tb) for k, t in after) / den
        ssr = sum((t - (tb + (k - kb) * period if k > kb else a + k * p)) ** 2 for k, t in stamps)
        fits.append((ssr, after, (kb, tb), period))
    fits.sort(key=lambda f: f[0])
    (ssr, after, anchor, period), runner_up = fits[0], fits[1][0]
    if abs(period - p) < min_step:
        return after, None
    held = [f for f in fits if f[2][0] == current]
    if held:
        if held[0][0] - ssr < margin(ssr):
            return held[0][1], held[0][2]
        return after, anchor
    if runner_up - ssr < margin(ssr):  # no clear step clock (yet):
        return after, None  # a free line is better than an anchor one clock off
    return after, anchor


def _cross(o: tuple[int, int], a: tuple[int, int], b: tuple[int, int]) -> int:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


class LineFit:
    """A window of (k, ns) points and the line through them (see module doc)."""

    def __init__(self, window: int, k0: int, t0: int, anchor: tuple[int, int] | None = None):
        self.window = window
        self.k0, self.t0 = k0, t0  # reference point: sums are of (k - k0, t - t0)
        self.points: deque[tuple[int, int]] = deque()
        self.sx = self.sy = self.sxx = self.sxy = 0
        self.anchor = None if anchor is None else (anchor[0] - k0, anchor[1] - t0)
        self.whole = True  # every point since the start is in the window (hulls valid)
        self._upper: list[tuple[int, int]] = []
        self._lower: list[tuple[int, int]] = []

    def add(self, k: int, t: int) -> None:
        x, y = k - self.k0, t - self.t0
        self.points.append((x, y))
        self.sx += x
        self.sy += y
        self.sxx += x * x
        self.sxy += x * y
        if len(self.points) > self.window:
            ox, oy = self.points.popleft()
            self.sx -= ox
            self.sy -= oy
            self.sxx -= ox * ox
            self.sxy -= ox * oy
            self.whole = False
            self.anchor = None
        if self.whole:
            for hull, sign in ((self._upper, 1), (self._lower, -1)):
                while len(hull) >= 2 and sign * _cross(hull[-2], hull[-1], (x, y)) >= 0:
                    hull.pop()
                hull.append((x, y))

    def drop_last(self) -> None:
        """Take the newest point out again (a stamp that made the tempo absurd)."""
        x, y = self.points.pop()
        self.sx -= x
        self.sy -= y
        self.sxx -= x * x
        self.sxy -= x * y
        self.whole = False  # the hulls cannot give a point back: least squares from here
        self.anchor = None

    @property
    def n(self) -> int:
        return len(self.points)

    def line(self, minimax: bool = False) -> tuple[float, float, float] | None:
        """(period_ns, x, y): the line's slope and a point on it (relative to k0, t0);
        None with fewer than two points. `minimax`: the Chebyshev line, while the
        fit is whole (else least squares)."""
        if self.n < 2:
            return None
        if minimax and self.whole and self.n >= 3:
            return self._minimax()
        if self.anchor is not None:
            xa, ya = self.anchor
            n = self.n
            den = self.sxx - 2 * xa * self.sx + n * xa * xa
            num = self.sxy - xa * self.sy - ya * self.sx + n * xa * ya
            return (num / den, float(xa), float(ya)) if den else None
        n = self.n
        den = n * self.sxx - self.sx * self.sx
        if den == 0:
            return None
        period = (n * self.sxy - self.sx * self.sy) / den  # int/int: correctly rounded
        return period, self.sx / n, self.sy / n

    def _minimax(self) -> tuple[float, float, float]:
        upper, lower = self._upper, self._lower
        if self.anchor is not None:
            return self._minimax_anchored()
        # The strip's width at slope s is convex in s, its corners at the hulls' edge
        # slopes: the narrowest strip has one of them.
        slopes = {
            (b[1] - a[1]) / (b[0] - a[0])
            for h in (upper, lower)
            for a, b in zip(h, h[1:], strict=False)
        }
        best: tuple[float, float, float] | None = None
        for s in slopes:
            top = max(y - s * x for x, y in upper)
            bottom = min(y - s * x for x, y in lower)
            if best is None or top - bottom < best[0]:
                best = (top - bottom, s, (top + bottom) / 2)
        assert best is not None
        return best[1], 0.0, best[2]

    def _minimax_anchored(self) -> tuple[float, float, float]:
        """The line through the anchor with the smallest largest distance to a point.

        A two-variable linear programme: for slope b the largest distance e is the
        upper envelope of the lines e = dy − b·dx (upper hull's points) and
        e = b·dx − dy (lower hull's), slopes −dx < 0 and dx > 0; its lowest point is
        where the envelope's slope changes sign. Exact integer arithmetic up to the
        one division."""
        assert self.anchor is not None
        xa, ya = self.anchor
        lines = sorted(
            {(xa - x, y - ya) for x, y in self._upper if x != xa}
            | {(x - xa, ya - y) for x, y in self._lower if x != xa}
        )
        env: list[tuple[int, int]] = []
        for m, c in lines:
            if env and env[-1][0] == m:
                env.pop()  # same slope: the later one (larger c) is above it
            while len(env) >= 2:
                (m1, c1), (m2, c2) = env[-2], env[-1]
                if (c1 - c) * (m2 - m1) <= (c1 - c2) * (m - m1):
                    env.pop()  # the new line passes the one before it first
                else:
                    break
            env.append((m, c))
        for (m1, c1), (m2, c2) in zip(env, env[1:], strict=False):
            if m1 < 0 < m2:
                return (c1 - c2) / (m2 - m1), float(xa), float(ya)
        raise AssertionError("both hulls give lines: the envelope's slope changes sign")

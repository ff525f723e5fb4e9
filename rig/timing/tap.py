"""Tap tempo: the tempo of the last few taps, from their timestamps.

Pure: each tap passes its time in (the engine stamps a tap when its OSC message
arrives, a few µs after the key or pad was hit), so tests feed exact times.
"""

from __future__ import annotations

__all__ = ["TapTempo"]


class TapTempo:
    """The mean interval of up to `keep` recent taps gives the tempo.

    A pause longer than `reset_s` starts a new count, so a stray tap from a minute
    ago does not drag the tempo. Two taps give a first tempo; more refine it.
    """

    def __init__(
        self, *, keep: int = 4, reset_s: float = 2.0, low: float = 30.0, high: float = 300.0
    ):
        self.keep = keep
        self.reset_ns = round(reset_s * 1e9)
        self.low, self.high = low, high
        self._taps: list[int] = []

    def tap(self, now_ns: int) -> float | None:
        """Record a tap; the tempo it implies (BPM), or None after a first tap."""
        if self._taps and now_ns - self._taps[-1] > self.reset_ns:
            self._taps = []
        self._taps = [*self._taps, now_ns][-(self.keep + 1) :]
        if len(self._taps) < 2:
            return None
        interval = (self._taps[-1] - self._taps[0]) / (len(self._taps) - 1)
        if interval <= 0:
            return None
        return min(self.high, max(self.low, 60e9 / interval))

"""Beats ↔ seconds through tempo steps and linear ramps, computed in closed form.

A ramp is linear in tempo per beat; its duration is the integral of 60/bpm(b)
(a logarithm), not a sum of small steps, so a clock that schedules tick k at
``t0 + seconds_at(k)`` never drifts, however long the ramp.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from fractions import Fraction

from rig.song.events import PPQ

__all__ = ["TempoSegment", "TempoMap"]


@dataclass(frozen=True, slots=True)
class TempoSegment:
    """From `start_tick` the tempo goes linearly from `bpm` to `end_bpm` at `end_tick`.

    `end_tick` None means the segment lasts until the next one (constant tempo).
    """

    start_tick: int
    bpm: float
    end_bpm: float
    end_tick: int | None

    def bpm_at(self, tick: float) -> float:
        if self.end_tick is None or self.bpm == self.end_bpm:
            return self.bpm
        frac = min(1.0, (tick - self.start_tick) / (self.end_tick - self.start_tick))
        return self.bpm + (self.end_bpm - self.bpm) * frac

    def seconds(self, tick: float) -> float:
        """Seconds from the segment start to `tick` (beyond a ramp's end: constant)."""
        beats = (tick - self.start_tick) / PPQ
        if self.end_tick is None or self.bpm == self.end_bpm:
            return 60.0 * beats / self.bpm
        length = (self.end_tick - self.start_tick) / PPQ
        slope = (self.end_bpm - self.bpm) / length  # bpm per beat
        in_ramp = min(beats, length)
        out = 60.0 / slope * math.log1p(slope * in_ramp / self.bpm)
        if beats > length:
            out += 60.0 * (beats - length) / self.end_bpm
        return out

    def tick_after(self, seconds: float) -> float:
        """Inverse of `seconds`: the (fractional) tick reached `seconds` after the start."""
        if self.end_tick is None or self.bpm == self.end_bpm:
            return self.start_tick + seconds * self.bpm / 60.0 * PPQ
        length = (self.end_tick - self.start_tick) / PPQ
        slope = (self.end_bpm - self.bpm) / length
        ramp_seconds = self.seconds(self.end_tick)
        if seconds <= ramp_seconds:
            beats = self.bpm * math.expm1(slope * seconds / 60.0) / slope
            return self.start_tick + beats * PPQ
        return self.end_tick + (seconds - ramp_seconds) * self.end_bpm / 60.0 * PPQ


class TempoMap:
    """The tempo of a whole arrangement: ordered segments from tick 0."""

    def __init__(self, segments: list[TempoSegment]):
        if not segments or segments[0].start_tick != 0:
            raise ValueError("a tempo map starts at tick 0")
        self.segments = tuple(segments)
        self._starts = [s.start_tick for s in segments]
        # Seconds at each segment start: a handful of closed-form terms, not a running sum
        # over beats, so error does not grow with song length.
        starts = [0.0]
        for prev, seg in zip(segments, segments[1:], strict=False):
            starts.append(starts[-1] + prev.seconds(seg.start_tick))
        self._start_seconds = starts

    @classmethod
    def constant(cls, bpm: float) -> TempoMap:
        return cls([TempoSegment(0, bpm, bpm, None)])

    def _segment(self, tick: float) -> int:
        return max(0, bisect.bisect_right(self._starts, tick) - 1)

    def bpm_at(self, tick: float) -> float:
        return self.segments[self._segment(tick)].bpm_at(tick)

    def seconds_at(self, tick: float) -> float:
        """Seconds from tick 0 to `tick`."""
        i = self._segment(tick)
        return self._start_seconds[i] + self.segments[i].seconds(tick)

    def seconds_at_beat(self, beat: Fraction | float) -> float:
        return self.seconds_at(float(beat) * PPQ)

    def tick_at(self, seconds: float) -> float:
        """The (fractional) tick reached after `seconds` from tick 0."""
        i = max(0, bisect.bisect_right(self._start_seconds, seconds) - 1)
        return self.segments[i].tick_after(seconds - self._start_seconds[i])

    def beat_at(self, seconds: float) -> float:
        return self.tick_at(seconds) / PPQ

    def shifted(self, tick: int) -> TempoMap:
        """The same map seen from `tick` on, re-based to start at tick 0 (for --from BAR)."""
        i = self._segment(tick)
        seg = self.segments[i]
        ramp_left = None if seg.end_tick is None else seg.end_tick - tick
        if ramp_left is not None and ramp_left <= 0:
            ramp_left = None
        bpm = seg.bpm_at(tick)
        first = TempoSegment(0, bpm, seg.end_bpm if ramp_left else bpm, ramp_left)
        rest = [
            TempoSegment(
                s.start_tick - tick,
                s.bpm,
                s.end_bpm,
                None if s.end_tick is None else s.end_tick - tick,
            )
            for s in self.segments[i + 1 :]
        ]
        return TempoMap([first, *rest])

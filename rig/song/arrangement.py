"""The compiled, pure form of a song: a sorted event list and its tempo map.

Every consumer (MIDI file export, offline render, the real-time engine, the
terminal picture) asks one question — `query(beat_from, beat_to)` — and gets the
events in that half-open window, in order. Nothing here does I/O or keeps time.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from rig.song.events import PPQ, Event, sort_key
from rig.song.model import Spot
from rig.song.tempomap import TempoMap
from rig.source.errors import SourceError

__all__ = ["TrackInfo", "SectionSpan", "ChordSpan", "Arrangement"]


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """Where a track's events go: a device (hardware, via config) or a software voice."""

    name: str
    device: str | None  # device name from patches/devices, or None for a pure software voice
    voice: str | None  # software voice (the track's own, else the device's stand-in)
    channel: int  # 0..15
    drums: bool = False
    latency_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class SectionSpan:
    name: str
    start_tick: int
    end_tick: int
    start_bar: int  # 1-based
    bars: int
    numerator: int
    denominator: int

    @property
    def bar_ticks(self) -> int:
        return PPQ * 4 * self.numerator // self.denominator


@dataclass(frozen=True, slots=True)
class ChordSpan:
    """A chord of the written harmony where a pattern plays it (a chord, arp or `harmony:`
    pattern), so the notes over it can be read against it: its tones as pitch classes
    (a slash bass included), transposed as the pattern's notes are."""

    start_tick: int
    end_tick: int
    track: str
    symbol: str
    tones: frozenset[int]


def _to_tick(beat: Fraction | int | float) -> int:
    """Smallest tick at or after `beat` (exact for Fractions and ints)."""
    if isinstance(beat, float):
        beat = Fraction(beat)
    return math.ceil(Fraction(beat) * PPQ)


class Arrangement:
    """Events of one cue, ready to be queried by beat window."""

    def __init__(
        self,
        name: str,
        events: Sequence[Event],
        tempo: TempoMap,
        sections: Sequence[SectionSpan],
        tracks: Sequence[TrackInfo],
        length_ticks: int,
        source: str = "",
        key: str | None = None,
        warnings: Sequence[SourceError] = (),
        timecode: Spot | None = None,
        harmony: Sequence[ChordSpan] = (),
    ):
        self.name = name
        self.events: tuple[Event, ...] = tuple(sorted(events, key=sort_key))
        self._ticks = [e.tick for e in self.events]
        self.tempo = tempo
        self.sections = tuple(sections)
        self.tracks = tuple(tracks)
        self.length_ticks = length_ticks
        self.source = source
        self.key = key
        self.timecode = timecode  # `timecode:` — where bar 1 was spotted to picture
        # The written chords, in start order, where patterns play them (none: no chords).
        self.harmony: tuple[ChordSpan, ...] = tuple(sorted(harmony, key=lambda c: c.start_tick))
        # The same cue with the live fill control held (only when a `fill` condition is used).
        self.fill_variant: Arrangement | None = None
        # Things that sound but may not be meant (printed by `rig check`, errors with --strict).
        self.warnings: tuple[SourceError, ...] = tuple(warnings)

    @property
    def length_beats(self) -> Fraction:
        return Fraction(self.length_ticks, PPQ)

    @property
    def length_bars(self) -> int:
        return sum(s.bars for s in self.sections)

    @property
    def duration_seconds(self) -> float:
        return self.tempo.seconds_at(self.length_ticks)

    def track(self, name: str) -> TrackInfo:
        for info in self.tracks:
            if info.name == name:
                return info
        raise KeyError(name)

    def query_ticks(self, tick_from: int, tick_to: int, fill: bool = False) -> list[Event]:
        """Events with tick_from <= tick < tick_to, in order; `fill`: with fill held."""
        if fill and self.fill_variant is not None:
            return self.fill_variant.query_ticks(tick_from, tick_to)
        lo = bisect.bisect_left(self._ticks, tick_from)
        hi = bisect.bisect_left(self._ticks, tick_to)
        return list(self.events[lo:hi])

    def first_tick_from(self, tick: int) -> int | None:
        """The tick of the first event at or after `tick` (None: none left)."""
        i = bisect.bisect_left(self._ticks, tick)
        return self._ticks[i] if i < len(self._ticks) else None

    def query(
        self, beat_from: Fraction | int | float, beat_to: Fraction | int | float, fill: bool = False
    ) -> list[Event]:
        """Events whose beat position b satisfies beat_from <= b < beat_to, in order.

        `fill`: as played while the live fill control is held (`fill` conditions on).
        """
        return self.query_ticks(_to_tick(beat_from), _to_tick(beat_to), fill)

    def bar_tick(self, bar: int) -> int:
        """Tick where 1-based `bar` starts (bars past the end continue the last meter)."""
        if bar < 1:
            raise ValueError("bars are numbered from 1")
        for span in self.sections:
            if bar < span.start_bar + span.bars:
                return span.start_tick + (bar - span.start_bar) * span.bar_ticks
        if not self.sections:
            return (bar - 1) * PPQ * 4
        last = self.sections[-1]
        return last.end_tick + (bar - last.start_bar - last.bars) * last.bar_ticks

    def chords_at(self, tick: int) -> list[ChordSpan]:
        """The chords of the harmony sounding at `tick` (several patterns may play one)."""
        return [c for c in self.harmony if c.start_tick <= tick < c.end_tick]

    def section_at(self, tick: int) -> SectionSpan | None:
        for span in self.sections:
            if span.start_tick <= tick < span.end_tick:
                return span
        return None

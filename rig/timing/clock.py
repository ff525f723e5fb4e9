"""Clock sources: where a tick of the song lies in `time.monotonic_ns()` time.

The scheduler never keeps time itself; it asks a clock source two questions —
"at what monotonic ns does tick t fall?" and "which tick is it at ns n?" — and
whether the source is running. Every source answers in absolute terms, so
nothing is ever summed:

- `InternalClock` (here): one anchor and the song's `TempoMap`; every deadline is
  ``t0_ns + round(tempo.seconds_at(tick) * 1e9)`` (closed form, ramps included),
  never a sum of sleeps or float increments, so it does not drift.
- Following another clock (MIDI clock in, Ableton Link, MTC): `rig.engine.sync.
  FollowClock`, an InternalClock that asks a `rig.timing.source.SyncSource` where
  the beat is (`rig.timing.follow` fits the incoming F8 stamps; `rig.timing.link`
  reads the session timeline; `rig.timing.mtc` the timecode).

Sources are started, stopped and re-tempo'd by their owner (the engine), never
by the scheduler: the scheduler only reads them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from rig.song.events import PPQ
from rig.song.tempomap import TempoMap

__all__ = ["ClockSource", "InternalClock"]


@runtime_checkable
class ClockSource(Protocol):
    """Maps song ticks to monotonic nanoseconds while running."""

    @property
    def running(self) -> bool: ...

    @property
    def revision(self) -> int:
        """Changes whenever the tick↔time mapping changes (tempo, locate, re-lock)."""
        ...

    def ns_at(self, tick: float) -> int:
        """Monotonic ns at which `tick` falls (meaningful only while running)."""
        ...

    def tick_at(self, ns: int) -> float:
        """The (fractional) tick reached at monotonic `ns`."""
        ...

    def bpm_at(self, tick: float) -> float: ...


class InternalClock:
    """The rig's own clock: an anchor on `time.monotonic_ns()` plus a tempo map.

    ``ns_at(tick) = t0_ns + round(tempo.seconds_at(tick) * 1e9)``, where t0_ns is the
    (virtual) monotonic time of tick 0. Starting at tick k at time T sets
    ``t0_ns = T - round(seconds_at(k) * 1e9)``. A tempo change re-anchors at a tick
    whose time is already fixed, so the timeline stays continuous.
    """

    def __init__(self, tempo: TempoMap):
        self._tempo = tempo
        self._t0_ns = 0
        self._running = False
        self._revision = 0

    @property
    def tempo(self) -> TempoMap:
        return self._tempo

    @property
    def running(self) -> bool:
        return self._running

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def t0_ns(self) -> int:
        return self._t0_ns

    def start(self, tick: int, at_ns: int, tempo: TempoMap | None = None) -> None:
        """Run so that `tick` falls exactly at monotonic `at_ns` (optionally on a new map)."""
        if tempo is not None:
            self._tempo = tempo
        self._t0_ns = at_ns - round(self._tempo.seconds_at(tick) * 1e9)
        self._running = True
        self._revision += 1

    def stop(self) -> None:
        self._running = False
        self._revision += 1

    def set_tempo(self, tempo: TempoMap, at_tick: int) -> None:
        """Follow `tempo` from `at_tick` on, keeping the time of `at_tick` where it was."""
        if self._running:
            at_ns = self.ns_at(at_tick)
            self._tempo = tempo
            self._t0_ns = at_ns - round(tempo.seconds_at(at_tick) * 1e9)
        else:
            self._tempo = tempo
        self._revision += 1

    def set_bpm(self, bpm: float, at_tick: int) -> None:
        """A constant-tempo override from `at_tick` on (the `/rig/tempo` control)."""
        if not 1.0 <= bpm <= 999.0:
            raise ValueError(f"tempo {bpm} BPM is out of range 1..999")
        self.set_tempo(TempoMap.constant(bpm), at_tick)

    def ns_at(self, tick: float) -> int:
        return self._t0_ns + round(self._tempo.seconds_at(tick) * 1e9)

    def tick_at(self, ns: int) -> float:
        return self._tempo.tick_at((ns - self._t0_ns) / 1e9)

    def bpm_at(self, tick: float) -> float:
        return self._tempo.bpm_at(tick)

    def beat_at(self, ns: int) -> float:
        return self.tick_at(ns) / PPQ

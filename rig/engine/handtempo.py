"""The tempo set by hand (`/rig/tempo`, nudge, tap) and the tempos a set kept.

A mixin of `rig.engine.transport.Engine` (its scheduler, clock, view, taps and the
two fields below), apart so the transport stays one readable module. A tempo set
by hand holds for its cue — a section jump, a reload, stop and continue or a replay
of the cue keep it — until another cue starts at its written tempo (issue 12, item
10: a section jump snapped a tapped tempo back). A set file's `live:` block may keep
a tempo per cue (`rig.engine.kept`): a cue plays at it unless the hand set another.
"""

from __future__ import annotations

from typing import Any

from rig.song.tempomap import TempoMap

__all__ = ["HandTempo"]


class HandTempo:
    """Tempo by hand for an `Engine` (which sets `tempo_override` and `kept_tempos`)."""

    scheduler: Any
    clock: Any
    view: Any
    taps: Any
    # (cue index, bpm) set by hand: every view of that cue plays at it.
    tempo_override: tuple[int, float] | None
    kept_tempos: dict[int, float]  # a set file's live: tempo per cue index

    def tempo(self, bpm: float) -> None:
        """Set the tempo by hand (`/rig/tempo`, nudge, tap): it holds for this cue —
        a section jump or a reload of the cue keeps it — until another cue starts at
        its written tempo (issue 12, item 10: a jump snapped a tapped tempo back)."""
        self.scheduler.set_bpm(bpm)
        self.tempo_override = (self.view.index, float(bpm))
        if not self.scheduler.playing:  # stopped: play and continue start at it
            self.view.tempo = TempoMap.constant(float(bpm))

    def nudge(self, delta_bpm: float) -> float:
        """Tempo up or down by `delta_bpm` from the next unscheduled tick; the new tempo."""
        bpm = round(self.clock.bpm_at(max(0, self.scheduler.next_tick)) + delta_bpm, 3)
        self.tempo(bpm)
        return bpm

    def tap(self, now_ns: int) -> float | None:
        """A tap-tempo tap; sets and returns the tempo from the second tap on."""
        bpm = self.taps.tap(now_ns)
        if bpm is not None:
            self.tempo(round(bpm, 2))
        return bpm

    def _hand_tempo(self, view: Any, index: int) -> None:
        """A new view of cue `index` plays at the hand's tempo, else at a kept one."""
        override = self.tempo_override
        if override is not None:
            if override[0] == index:  # a jump, reload or restart of the cue keeps it
                view.tempo = TempoMap.constant(override[1])
            else:  # another cue starts at its written (or kept) tempo
                self.tempo_override = None
        if self.tempo_override is None and index in self.kept_tempos:
            view.tempo = TempoMap.constant(self.kept_tempos[index])

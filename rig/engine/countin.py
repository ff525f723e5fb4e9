"""The count-in before `p` (config.yaml `count_in:`, `rig.config.countin`).

A cue whose set entry has a `count_in:` (a `count-in` section compiled into the cue,
`rig.song.transitions`) starts with that one instead: the config's is for every
other start, so a performer never hears two count-ins in a row.

`Engine.play` moves the downbeat later by `bars` bars of the cue's meter and tempo
at the start point, and hands the click device one note per beat of those bars —
the first beat of each bar accented — on the same deadlines as everything else
(so a stand-in voice plays it sample-exactly, hardware on its frame). The status
says `count-in` until the downbeat, with the beat of the count (`counting`), so
the header can count and flash even with no click device.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.config.countin import CountIn
from rig.midi.wire import NOTE_ON, note_off
from rig.song.transitions import COUNT_IN

__all__ = ["Count", "plan", "clicks"]

_ACCENT, _BEAT = 127, 90
_CLICK_NS = 60_000_000  # a click's length (shorter on a very fast beat)


@dataclass(frozen=True)
class Count:
    """One count-in: its beats, each `beat_ns` long, ending on the downbeat."""

    beats: int
    per_bar: int
    beat_ns: int
    downbeat_ns: int = 0

    @property
    def lead_ns(self) -> int:
        return self.beats * self.beat_ns

    def beat_at(self, now_ns: int) -> int:
        """The beat of the count (1..beats) at `now_ns`; 0 before it, beats+1 after it."""
        start = self.downbeat_ns - self.lead_ns
        if now_ns < start:
            return 0
        return min(self.beats + 1, 1 + (now_ns - start) // self.beat_ns)


def plan(config: CountIn, view: object, tick: int) -> Count | None:
    """The count-in for a start at `tick` of `view` (a CueView): its meter and tempo."""
    if config.bars <= 0:
        return None
    span = view.section_at(tick)  # type: ignore[attr-defined]
    if span is not None and span.name == COUNT_IN:
        # The set gives this cue a count-in of its own (`count_in:` on its entry,
        # rig.song.transitions): that one counts, never two in a row.
        return None
    num, den = (span.numerator, span.denominator) if span is not None else (4, 4)
    bpm = view.tempo.bpm_at(tick)  # type: ignore[attr-defined]
    beat_ns = round(60e9 / bpm * 4 / den)
    return Count(config.bars * num, num, beat_ns)


def clicks(config: CountIn, count: Count) -> list[tuple[int, bytes]]:
    """(deadline, message) of every click of `count`, in order."""
    out = []
    length = min(_CLICK_NS, count.beat_ns // 2)
    for k in range(count.beats):
        at = count.downbeat_ns - (count.beats - k) * count.beat_ns
        velocity = _ACCENT if k % count.per_bar == 0 else _BEAT
        out.append((at, bytes((NOTE_ON | config.channel, config.note, velocity))))
        out.append((at + length, note_off(config.channel, config.note)))
    return out

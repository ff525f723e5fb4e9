"""The events an Arrangement yields: plain, frozen, exactly timed.

Time is an integer tick on a grid of `PPQ` ticks per quarter-note beat, so beat
positions are exact (no float accumulation): 1920 = 2^7·3·5 holds 1/64 notes,
triplets, quintuplets, Elektron micro-timing (1/24 of a 16th = 20 ticks) and
MIDI clock (24 PPQN = 80 ticks) without rounding.

Events at one tick sort as: meter/tempo/section, program change, control
change, note-off, note-on — so a re-struck note's off goes out before its on.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "PPQ",
    "NoteOn",
    "NoteOff",
    "ControlChange",
    "ProgramChange",
    "TempoChange",
    "MeterChange",
    "SectionStart",
    "Event",
    "sort_key",
    "beat_of",
]

PPQ = 1920


@dataclass(frozen=True, slots=True)
class NoteOn:
    tick: int
    track: str
    channel: int  # 0..15
    note: int
    velocity: int  # 1..127


@dataclass(frozen=True, slots=True)
class NoteOff:
    tick: int
    track: str
    channel: int
    note: int


@dataclass(frozen=True, slots=True)
class ControlChange:
    tick: int
    track: str
    channel: int
    control: int
    value: int
    name: str = ""  # the device's name for the CC, e.g. "cutoff"


@dataclass(frozen=True, slots=True)
class ProgramChange:
    tick: int
    track: str
    channel: int
    program: int
    bank_msb: int | None = None
    bank_lsb: int | None = None


@dataclass(frozen=True, slots=True)
class TempoChange:
    """Tempo at `tick`; a ramp goes linearly (per beat) to `to_bpm` at `until_tick`."""

    tick: int
    bpm: float
    to_bpm: float | None = None
    until_tick: int | None = None


@dataclass(frozen=True, slots=True)
class MeterChange:
    tick: int
    numerator: int
    denominator: int


@dataclass(frozen=True, slots=True)
class SectionStart:
    tick: int
    name: str
    bar: int  # 1-based bar number where the section starts


Event = NoteOn | NoteOff | ControlChange | ProgramChange | TempoChange | MeterChange | SectionStart

_ORDER = {
    MeterChange: 0,
    TempoChange: 1,
    SectionStart: 2,
    ProgramChange: 3,
    ControlChange: 4,
    NoteOff: 5,
    NoteOn: 6,
}


def sort_key(event: Event) -> tuple:
    """Total order of events: by tick, then kind, then track/channel/data."""
    order = _ORDER[type(event)]
    if isinstance(event, NoteOn | NoteOff):
        return (event.tick, order, event.track, event.channel, event.note)
    if isinstance(event, ControlChange):
        return (event.tick, order, event.track, event.channel, event.control, event.value)
    if isinstance(event, ProgramChange):
        return (event.tick, order, event.track, event.channel, event.program)
    return (event.tick, order)


def beat_of(tick: int) -> Fraction:
    """The exact beat position of a tick."""
    return Fraction(tick, PPQ)

"""The events an Arrangement yields: plain, frozen, exactly timed.

Time is an integer tick on a grid of `PPQ` ticks per quarter-note beat, so beat
positions are exact (no float accumulation): 1920 = 2^7·3·5 holds 1/64 notes,
triplets, quintuplets, Elektron micro-timing (1/24 of a 16th = 20 ticks) and
MIDI clock (24 PPQN = 80 ticks) without rounding.

Events at one tick sort as: meter/tempo/section, program change, control
change, note-off, note-on — so a re-struck note's off goes out before its on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

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

# Each kind's key: tick, the kind's place at one tick (the order the module's docstring
# gives), then its data. Looked up by the event's exact type, not a chain of isinstance:
# every event of every compiled cue is sorted by it.
_KEYS: dict[type, Callable[[Any], tuple]] = {
    MeterChange: lambda e: (e.tick, 0),
    TempoChange: lambda e: (e.tick, 1),
    SectionStart: lambda e: (e.tick, 2),
    ProgramChange: lambda e: (e.tick, 3, e.track, e.channel, e.program),
    ControlChange: lambda e: (e.tick, 4, e.track, e.channel, e.control, e.value),
    NoteOff: lambda e: (e.tick, 5, e.track, e.channel, e.note),
    NoteOn: lambda e: (e.tick, 6, e.track, e.channel, e.note),
}


def sort_key(event: Event) -> tuple:
    """Total order of events: by tick, then kind, then track/channel/data."""
    return _KEYS[type(event)](event)


def beat_of(tick: int) -> Fraction:
    """The exact beat position of a tick."""
    return Fraction(tick, PPQ)

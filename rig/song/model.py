"""The checked, frozen form of a song file: what the loader hands to the compiler.

Everything here is already validated: device names exist, CC names resolved to
numbers, notes parsed, lanes mapped to notes. The compiler trusts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from rig.song.conditions import Condition
from rig.song.steps import ChordSlot, Step
from rig.source.errors import Pos

__all__ = [
    "PlayWhen",
    "Dynamics",
    "CCLane",
    "Echo",
    "FillSpec",
    "PlayEntry",
    "TrackDef",
    "LaneSteps",
    "ArpSpec",
    "PatternDef",
    "TempoSpec",
    "Automation",
    "ProgramSpec",
    "SectionDef",
    "Song",
    "Lead",
    "CountIn",
    "SetEntry",
    "SetList",
]


@dataclass(frozen=True)
class TrackDef:
    name: str
    device: str | None
    voice: str | None
    channel: int  # 0-based, resolved (device/config channel + part - 1, or explicit)
    drums: bool
    latency_ms: float
    transpose: int
    pos: Pos


@dataclass(frozen=True)
class PlayWhen:
    """When a pattern or lane plays: a condition per loop, `every` N bars, `on` these bars."""

    cond: Condition | None = None
    every: int | None = None  # bars: plays in the first bar of every N-bar group
    on: tuple[int, ...] = ()  # 1-based bars of the section (of each `every` group if given)

    def bar_ok(self, bar_index: int) -> bool:
        """Does the 0-based bar of the section pass `every`/`on`?"""
        if self.every is not None:
            in_group = bar_index % self.every
            return (in_group + 1 in self.on) if self.on else in_group == 0
        return bar_index + 1 in self.on if self.on else True


ALWAYS = PlayWhen()


@dataclass(frozen=True)
class Dynamics:
    """Velocity shaping: a ramp, a per-step accent cycle and seeded humanize."""

    ramp: tuple[int, int] | None = None  # from, to
    ramp_over: str = "pattern"  # "pattern" (each loop) | "section"
    accent: tuple[str, ...] = ()  # per step, cycling: "X" accent, "x" as written, "." soft
    humanize_velocity: int = 0  # ± this much, seeded
    humanize_ms: float = 0.0  # ± this many milliseconds, seeded


PLAIN = Dynamics()


@dataclass(frozen=True)
class Echo:
    """Repeats of every note: `repeats` more, `every` note value apart, each `decay` as loud."""

    repeats: int
    every: Fraction
    decay: Fraction


@dataclass(frozen=True)
class CCLane:
    """A per-step CC lane of a pattern (`cc: {sustain: "x~~~ ~~~."}`)."""

    control: str
    number: int
    values: tuple[int | None, ...]  # per step: a value to send, None: nothing
    release: int | None = None  # a pedal lane (`x`): the value that lets go when it is cut


@dataclass(frozen=True)
class LaneSteps:
    lane: str
    note: int
    channel: int | None  # None: the track's channel
    steps: tuple[Step, ...]
    when: PlayWhen = ALWAYS


@dataclass(frozen=True)
class ArpSpec:
    mode: str  # up | down | updown | downup | random | order
    rate: Fraction  # note value, e.g. 1/16 of a whole note
    octaves: int
    gate: Fraction


@dataclass(frozen=True)
class PatternDef:
    """One loop on one track. `kind` says which of the fields is the material."""

    name: str
    track: str
    kind: str  # "steps" | "lanes" | "chords" | "arp"
    rate: Fraction  # step length as a note value (1/16)
    length: int  # steps per loop (steps/lanes/rhythm); bars per loop for chords without rhythm
    velocity: int
    gate: Fraction
    swing: Fraction  # 1/2 = straight
    transpose: int
    octave: int
    voicing: str
    steps: tuple[Step, ...] = ()
    lanes: tuple[LaneSteps, ...] = ()
    progression: tuple[ChordSlot, ...] = ()
    progression_bars: int = 0
    rhythm: tuple[Step, ...] | None = None
    arp: ArpSpec | None = None
    pos: Pos | None = None
    when: PlayWhen = ALWAYS
    dynamics: Dynamics = PLAIN
    cc: tuple[CCLane, ...] = ()
    offset: int = 0  # steps after the section start where the pattern begins
    echo: Echo | None = None


@dataclass(frozen=True)
class TempoSpec:
    """A tempo step (`to_bpm` None) or a ramp from the current/`bpm` tempo to `to_bpm`."""

    bpm: float | None
    to_bpm: float | None = None
    over_bars: Fraction | None = None


@dataclass(frozen=True)
class Automation:
    track: str
    control: str  # the device's CC name
    number: int
    start: int
    end: int | None  # None: a single value at the section start
    over_bars: Fraction | None
    hold: bool = False  # True: the value stays after the section; else it returns there
    default: int | None = None  # the device's default for the CC (what it returns to)
    pos: Pos | None = None


@dataclass(frozen=True)
class ProgramSpec:
    track: str
    program: int
    bank_msb: int | None
    bank_lsb: int | None


@dataclass(frozen=True)
class FillSpec:
    """The last `bars` of a section: `play` patterns sound there, `fill` conditions are on."""

    bars: int
    play: tuple[str, ...]


@dataclass(frozen=True)
class PlayEntry:
    """One entry of a section's `play`, with its overrides (`{pattern: tune, velocity: 80%}`)."""

    pattern: str
    velocity: Fraction = Fraction(1)  # scale
    transpose: int = 0
    octave: int = 0


@dataclass(frozen=True)
class SectionDef:
    name: str
    bars: int
    play: tuple[str, ...]
    mute: frozenset[str]
    tempo: TempoSpec | None
    meter: tuple[int, int] | None
    automate: tuple[Automation, ...]
    programs: tuple[ProgramSpec, ...]
    pos: Pos
    fill: FillSpec | None = None
    entries: tuple[PlayEntry, ...] = ()  # the `play` list with overrides, in order
    velocity: Fraction = Fraction(1)  # the section's velocity scale
    transpose: int = 0  # semitones for every pitched pattern (from `transpose:` or `key:`)
    key: str | None = None  # the section's own key (`key:`), shown as the song's is


@dataclass(frozen=True)
class Song:
    cue: str
    path: Path
    tempo: float
    meter: tuple[int, int]
    key: str | None
    seed: int
    tracks: tuple[TrackDef, ...]
    patterns: dict[str, PatternDef] = field(hash=False)
    sections: tuple[SectionDef, ...] = ()
    timecode: Spot | None = None  # where the cue was spotted to picture


@dataclass(frozen=True)
class Spot:
    """A cue's `timecode: HH:MM:SS:FF` (`;FF` = drop-frame): bar 1 falls there. Frames
    count at the rate of the timecode it meets (`rig.timing.mtc`), so it stays text-true."""

    hours: int
    minutes: int
    seconds: int
    frames: int
    drop: bool = False

    def __str__(self) -> str:
        sep = ";" if self.drop else ":"
        return f"{self.hours:02d}:{self.minutes:02d}:{self.seconds:02d}{sep}{self.frames:02d}"


@dataclass(frozen=True)
class Lead:
    """A set entry's `tempo: {to: 122, over: 4 bars}`: its cue's last bars ramp to `to_bpm`."""

    to_bpm: float
    over_bars: int
    pos: Pos  # the `tempo:` value, where problems with it are reported


@dataclass(frozen=True)
class CountIn:
    """A set entry's `count_in:` bars before its cue, clicking on `click` (`drums.RS`,
    `keys.C6`: a track of the cue and a drum lane or a note) or silent (None)."""

    bars: int
    click: str | None
    pos: Pos


@dataclass(frozen=True)
class SetEntry:
    song: Path
    next: str  # "wait" (stop, wait for a launch) | "bar" (continue at the next bar line)
    pos: Pos
    lead: Lead | None = None  # a tempo ramp at the end of this cue, into the next
    count_in: CountIn | None = None  # bars counted in before this cue


@dataclass(frozen=True)
class SetList:
    name: str
    path: Path
    entries: tuple[SetEntry, ...]
    # The `live:` block (rig.song.kept.Kept): tweaks a show kept; None: none kept.
    kept: Any = None
    kept_line: int | None = None  # the 1-based line of its `live:` key (the last key)

"""Where a pattern plays in a section and how hard: the `Play` of one pattern in one
section (its span, fill bars, overrides) and the velocity of each note (written velocity,
accent, ramp, accent cycle, section/entry scale, seeded humanize).

Pure functions of their arguments and the seed: the same song gives the same velocities.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from rig.song.events import PPQ, ControlChange
from rig.song.model import Dynamics, PatternDef, PlayWhen, TrackDef
from rig.song.steps import Step

__all__ = [
    "Play", "velocity_of", "humanize_ticks", "cc_lane_events", "ACCENT_VELOCITY", "ACCENT_STEP",
]  # fmt: skip

ACCENT_VELOCITY = 127
ACCENT_STEP = {"X": Fraction(5, 4), "x": Fraction(1), ".": Fraction(3, 4)}  # accent: cycle


@dataclass(frozen=True)
class Play:
    """One pattern playing in one section: its span, the section's, and the overrides."""

    section: int  # index of the section
    start: int  # where the pattern starts looping (the section start, or the fill start)
    end: int  # where it is cut (the section end, or the fill start for a replaced part)
    section_start: int
    section_end: int
    bar_ticks: int
    fill_start: int  # fill conditions are on from here to the section end
    live_fill: bool  # the live fill control is held (the arrangement's fill variant)
    scale: Fraction = Fraction(1)  # velocity scale: section × play entry
    shift: int = 0  # semitones from the play entry (transpose + 12 × octave)

    def bar_index(self, tick: int) -> int:
        """0-based bar of the section that `tick` falls in."""
        return (tick - self.section_start) // self.bar_ticks

    def fill_at(self, tick: int) -> bool:
        return self.live_fill or tick >= self.fill_start


def velocity_of(
    p: PatternDef, step: Step | None, index: int, share: Fraction, play: Play, rng_key: str
) -> int:
    """The velocity of one note: `index` its step in the loop, `share` 0..1 through the ramp."""
    d: Dynamics = p.dynamics
    if step is not None and step.velocity is not None:
        value = Fraction(step.velocity)
    elif step is not None and step.accent:
        value = Fraction(ACCENT_VELOCITY)
    elif d.ramp is not None:
        start, to = d.ramp
        value = start + (to - start) * min(max(share, Fraction(0)), Fraction(1))
    else:
        value = Fraction(p.velocity)
    if d.accent:
        value *= ACCENT_STEP[d.accent[index % len(d.accent)]]
    value *= play.scale
    result = round(value)
    if d.humanize_velocity:
        result += random.Random(rng_key + "/v").randint(-d.humanize_velocity, d.humanize_velocity)
    return min(127, max(1, result))


def humanize_ticks(d: Dynamics, bpm: float, rng_key: str) -> int:
    """A seeded timing offset within ± `humanize_ms`, in ticks at `bpm`."""
    if not d.humanize_ms:
        return 0
    ms = random.Random(rng_key + "/t").uniform(-d.humanize_ms, d.humanize_ms)
    return round(ms / 1000 * bpm / 60 * PPQ)


def cc_lane_events(
    p: PatternDef,
    track: TrackDef,
    play: Play,
    step_ticks: int,
    allowed: Callable[[PlayWhen, Play, int, int, bool], bool],
) -> list[ControlChange]:
    """A pattern's per-step CC values; a pedal still down when the pattern is cut goes up
    there. `allowed` is the pattern's `if`/`every`/`on` test (the compiler's)."""
    out: list[ControlChange] = []
    for lane in p.cc:
        sent: int | None = None
        for n, t in enumerate(range(play.start, play.end, step_ticks)):
            value = lane.values[n % len(lane.values)]
            if value is None or value == sent:
                continue
            if not allowed(p.when, play, t, n // len(lane.values), False):
                continue
            out.append(
                ControlChange(t, track.name, track.channel, lane.number, value, lane.control)
            )
            sent = value
        if lane.release is not None and sent is not None and sent != lane.release:
            out.append(
                ControlChange(
                    play.end, track.name, track.channel, lane.number, lane.release, lane.control
                )
            )
    return out

"""Where a pattern plays in a section and how hard: the `Play` of one pattern in one
section (its span, fill bars, overrides) and the velocity of each note (written velocity,
accent, ramp, accent cycle, section/entry scale, seeded humanize).

Pure functions of their arguments and the seed: the same song gives the same velocities.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from rig.song.events import PPQ, ControlChange
from rig.song.model import Dynamics, PatternDef, PlayWhen, TrackDef
from rig.song.steps import Step

__all__ = [
    "Play", "velocity_of", "base_velocity", "humanized", "humanize_ticks", "cc_lane_events",
    "ACCENT_VELOCITY", "ACCENT_STEP",
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
    p: PatternDef, step: Step | None, index: int, part: int, whole: int, play: Play, rng_key: str
) -> int:
    """The velocity of one note: `index` its step in the loop, `part`/`whole` (`whole` > 0)
    how far through the ramp it is (read only with a ramp)."""
    return humanized(p.dynamics, base_velocity(p, step, index, part, whole, play.scale), rng_key)


def base_velocity(
    p: PatternDef, step: Step | None, index: int, part: int, whole: int, scale: Fraction
) -> int:
    """A note's velocity before humanize and the 1..127 bounds: written velocity, accent or
    ramp, times the accent cycle's step and `scale`, rounded once (half to even).

    Exact rationals in plain integers: this runs for every note of every cue, and Fraction
    products made `rig check songs` miss its 2 s.
    """
    d: Dynamics = p.dynamics
    if step is not None and step.velocity is not None:
        num, den = step.velocity, 1
    elif step is not None and step.accent:
        num, den = ACCENT_VELOCITY, 1
    elif d.ramp is not None:
        start, to = d.ramp
        part = 0 if part < 0 else whole if part > whole else part  # the share kept in 0..1
        num, den = start * whole + (to - start) * part, whole
    else:
        num, den = p.velocity, 1
    num, den = num * scale.numerator, den * scale.denominator
    if d.accent:
        factor = ACCENT_STEP[d.accent[index % len(d.accent)]]
        num, den = num * factor.numerator, den * factor.denominator
    result, rest = divmod(num, den)
    if 2 * rest > den or (2 * rest == den and result % 2):
        result += 1
    return result


def humanized(d: Dynamics, velocity: int, rng_key: str) -> int:
    """`velocity` with its seeded ± `humanize_velocity`, kept within 1..127."""
    if d.humanize_velocity:
        velocity += _seeded_int(rng_key + "/v", d.humanize_velocity)
    return min(127, max(1, velocity))


def _seeded_unit(key: str) -> float:
    """A repeatable number in [0, 1) for `key` (the same song and seed give the same key).

    A hash, not `random.Random(key)`: seeding a Mersenne Twister from a string per note cost
    8x more, and humanize runs for every note of a cue.
    """
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _seeded_int(key: str, spread: int) -> int:
    """A repeatable integer in -spread..spread for `key`."""
    return math.floor(_seeded_unit(key) * (2 * spread + 1)) - spread


def humanize_ticks(d: Dynamics, bpm: float, rng_key: str) -> int:
    """A seeded timing offset within ± `humanize_ms`, in ticks at `bpm`."""
    if not d.humanize_ms:
        return 0
    ms = (2 * _seeded_unit(rng_key + "/t") - 1) * d.humanize_ms
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

"""Step strings played through a section: the compiler's inner loop (`StepPlayer`).

What a step does that does not depend on where it plays (its ties, its sounding length,
its swing and nudge, its chance, its velocity before humanize) is worked out once per
pattern into a table of its hits (`hit_table`), so the loop over the section's cycles
does integer arithmetic only. Before, each note recomputed them with Fractions, which
was most of the largest cue's compile time. The rules stay in one place
(`rig.song.steps.held_ticks`/`nudge_ticks`, `rig.song.dynamics.base_velocity`); the table
only stores what they return.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from rig.song.conditions import Situation
from rig.song.dynamics import ACCENT_VELOCITY, Play, base_velocity, humanize_ticks, humanized
from rig.song.events import PPQ
from rig.song.model import ALWAYS, PLAIN, PatternDef, PlayWhen, TrackDef
from rig.song.steps import Step, held_ticks, nudge_ticks
from rig.song.tempomap import TempoMap

__all__ = ["Hit", "StepPlayer", "hit_table", "lane_pitch", "step_ticks_of"]

Pitches = Callable[[Step, int], tuple[int, ...]]


def step_ticks_of(note_value: Fraction) -> int:
    """Ticks of a note value (1/16 → 480); the loader only admits values on the grid."""
    ticks = note_value * 4 * PPQ
    return max(1, round(ticks))


def lane_pitch(note: int) -> Pitches:
    """A drum lane's pitches: its note on every hit."""
    notes = (note,)
    return lambda step, tick: notes


@dataclass(frozen=True, slots=True)
class Hit:
    """A hit step of a pattern, with what it does wherever it plays."""

    index: int  # the step's place in its string
    step: Step
    offset: int  # ticks from the loop's start: index × step ticks
    delay: int  # swing + nudge, in ticks
    sounding: int  # ticks from the written start to the end: ties and gate
    chance: int  # 1 always plays, 0 never, -1 seeded (`?`, `@60%`)
    sets_pre: bool  # its chance is what a following `{pre}` reads


def hit_table(
    steps: tuple[Step, ...], step_ticks: int, gate: Fraction, swing_ticks: int
) -> tuple[Hit, ...]:
    """The hits of `steps` with their timing: a step tied over `~` steps sounds through
    them (`held_ticks`), every second step is swung, and `>N`/`<N` nudge it."""
    out = []
    for i, step in enumerate(steps):
        if step.kind != "hit":
            continue
        held = 1
        while i + held < len(steps) and steps[i + held].kind == "tie":
            held += 1
        nudge = nudge_ticks(step.nudge, step_ticks) if step.nudge else 0
        delay = (swing_ticks if i % 2 else 0) + nudge
        chance = 1 if step.chance >= 1 else 0 if step.chance <= 0 else -1
        sets_pre = step.chance < 1 and (step.cond is None or step.cond.kind != "pre")
        sounding = held_ticks(held, step.gate, gate, step_ticks)
        out.append(Hit(i, step, i * step_ticks, delay, sounding, chance, sets_pre))
    return tuple(out)


class StepPlayer:
    """The compiler's step loop, a part of `rig.song.compile._Compiler` (which sets these)."""

    seed: int
    fill_used: bool
    tempo_now: TempoMap
    notes: list[tuple[int, int, TrackDef, int, int, int]]  # on, off, track, ch, note, vel
    _hit_tables: dict[tuple[int, int, Fraction, int], tuple[Hit, ...]]

    def _sound(
        self,
        p: PatternDef,
        play: Play,
        on: int,
        off: int,
        track: TrackDef,
        channel: int,
        note: int,
        velocity: int,
    ) -> None:
        """One note and its echoes: the compiler's (`rig.song.compile._Compiler._sound`)."""
        raise NotImplementedError

    def _hits(
        self, steps: tuple[Step, ...], step_ticks: int, gate: Fraction, swing_ticks: int
    ) -> tuple[Hit, ...]:
        """`hit_table`, once per compile for each step string: a pattern plays in many
        sections. Keyed by the string's identity, which the song keeps alive."""
        key = (id(steps), step_ticks, gate, swing_ticks)
        table = self._hit_tables.get(key)
        if table is None:
            table = self._hit_tables[key] = hit_table(steps, step_ticks, gate, swing_ticks)
        return table

    def _chance(self, chance: Fraction, rng_key: str) -> bool:
        """A seeded `?`/`@60%` (`rng_key`: the song's seed and the step's place)."""
        return random.Random(rng_key).random() < chance

    def _allowed(self, when: PlayWhen, play: Play, tick: int, loop: int, last: bool) -> bool:
        """Does the pattern's (or lane's) `if`/`every`/`on` let a note at `tick` sound?"""
        if when is ALWAYS:
            return True
        if when.cond is not None:
            self.fill_used |= when.cond.kind == "fill"
            if not Situation(loop, last, play.fill_at(tick)).test(when.cond):
                return False
        return when.bar_ok(play.bar_index(tick))

    def _steps(
        self,
        p: PatternDef,
        track: TrackDef,
        steps: tuple[Step, ...],
        length: int,
        play: Play,
        pitches: Pitches,
        when: PlayWhen,
        channel: int | None = None,
        key: str = "",
        transpose: bool = True,
    ) -> None:
        """Loop `steps` (`length` steps a loop) from `play.start`, cut at `play.end`."""
        start, end = play.start, play.end
        step_ticks = step_ticks_of(p.rate)
        swing_ticks = round((2 * p.swing - 1) * step_ticks)
        hits = self._hits(steps, step_ticks, p.gate, swing_ticks)
        loop = length * step_ticks
        channel = track.channel if channel is None else channel
        shift = (p.transpose if transpose else 0) + play.shift
        span = max(1, play.section_end - play.section_start - step_ticks)
        d = p.dynamics
        shaped = d != PLAIN or play.scale != 1
        by_section = shaped and d.ramp is not None and d.ramp_over == "section"
        whole = max(1, length - 1)
        if not shaped:  # the plain case: the written velocity, or the accent
            velocities = [
                h.step.velocity or (ACCENT_VELOCITY if h.step.accent else p.velocity) for h in hits
            ]
        else:  # the share through a pattern's ramp is the step's place in the loop
            velocities = [base_velocity(p, h.step, h.index, h.index, whole, play.scale)
                          for h in hits]  # fmt: skip
        prefix = f"{self.seed}/{p.name}/{key}/{play.section}/"  # + cycle/index: a note's key
        always = when is ALWAYS
        humanize = shaped and (d.humanize_velocity or d.humanize_ms)
        direct, append = p.echo is None, self.notes.append
        cycle, pre = 0, False
        while start + cycle * loop < end:
            base = start + cycle * loop
            last = base + loop >= end
            for n, hit in enumerate(hits):
                written = base + hit.offset
                if written >= end:
                    break
                if not always and not self._allowed(when, play, written, cycle, last):
                    continue
                step = hit.step
                if step.cond is not None:
                    self.fill_used |= step.cond.kind == "fill"
                    ok = Situation(cycle, last, play.fill_at(written), pre).test(step.cond)
                    if step.cond.kind != "pre":
                        pre = ok
                    if not ok:
                        continue
                rng_key = f"{prefix}{cycle}/{hit.index}" if hit.chance < 0 or humanize else ""
                played = hit.chance > 0 or (hit.chance < 0 and self._chance(step.chance, rng_key))
                if hit.sets_pre:
                    pre = played
                if not played:
                    continue
                delay = hit.delay
                if d.humanize_ms:
                    delay += humanize_ticks(d, self.tempo_now.bpm_at(written), rng_key)
                on = max(written + delay, start)
                if on >= end:
                    continue
                off = min(max(written + delay + hit.sounding, on + 1), end)
                if not shaped:
                    velocity = velocities[n]
                elif by_section:
                    part = written - play.section_start
                    velocity = humanized(
                        d, base_velocity(p, step, hit.index, part, span, play.scale), rng_key
                    )
                else:
                    velocity = humanized(d, velocities[n], rng_key)  # kept within 1..127
                for note in pitches(step, on):
                    note += shift
                    if direct and 0 <= note <= 127 and off > on:  # `_sound`, without a call
                        append((on, off, track, channel, note, velocity))
                    else:
                        self._sound(p, play, on, off, track, channel, note, velocity)
            cycle += 1

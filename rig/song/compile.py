"""`compile_song(song) → Arrangement`: pure, deterministic, exact to the tick.

Sections are laid end to end; in each, every playing pattern loops from the
section's first beat (so polymeter restarts with each section) and is cut at its
end, so nothing outlives the section that played it. Chance is seeded from the
song's seed and the step's place, so the same song gives the same events.
"""

from __future__ import annotations

import random
from collections import defaultdict
from fractions import Fraction

from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.budget import NoteRange, check_budget
from rig.song.events import (
    PPQ,
    ControlChange,
    Event,
    MeterChange,
    NoteOff,
    NoteOn,
    ProgramChange,
    SectionStart,
    TempoChange,
)
from rig.song.model import PatternDef, SectionDef, Song, TrackDef
from rig.song.steps import NUDGE_DIVISIONS, ChordSlot, Step
from rig.song.tempomap import TempoMap, TempoSegment
from rig.theory.chords import voice_chord

__all__ = ["compile_song", "ACCENT_VELOCITY", "AUTOMATION_GRID"]

ACCENT_VELOCITY = 127
AUTOMATION_GRID = PPQ // 8  # CC ramps are sampled every 1/32 note, sent only when the value changes


def _ticks(note_value: Fraction) -> int:
    """Ticks of a note value (1/16 → 480); the loader only admits values on the grid."""
    ticks = note_value * 4 * PPQ
    return max(1, round(ticks))


def compile_song(song: Song, seed: int | None = None) -> Arrangement:
    """Turn a checked song into its arrangement. `seed` overrides the song's seed.

    Raises InputError when the song would pass the event limit (checked before any
    event is made) or a transpose/arp pushes a note outside MIDI's 0..127.
    """
    check_budget(song)
    return _Compiler(song, song.seed if seed is None else seed).run()


class _Compiler:
    def __init__(self, song: Song, seed: int):
        self.song = song
        self.seed = seed
        self.tracks = {t.name: t for t in song.tracks}
        self.notes: list[
            tuple[int, int, TrackDef, int, int, int]
        ] = []  # on, off, track, ch, note, vel
        self.events: list[Event] = []
        self.playing: tuple[PatternDef, str] | None = None  # the pattern being laid out
        self.outside = NoteRange()  # notes transposed past 0..127, reported after the run

    def run(self) -> Arrangement:
        spans: list[SectionSpan] = []
        segments: list[TempoSegment] = [TempoSegment(0, self.song.tempo, self.song.tempo, None)]
        self.events.append(TempoChange(0, self.song.tempo))
        tick, bar = 0, 1
        meter = self.song.meter
        current_meter = None
        for index, section in enumerate(self.song.sections):
            meter = section.meter or meter
            bar_ticks = PPQ * 4 * meter[0] // meter[1]
            end = tick + section.bars * bar_ticks
            if meter != current_meter:
                self.events.append(MeterChange(tick, meter[0], meter[1]))
                current_meter = meter
            self.events.append(SectionStart(tick, section.name, bar))
            spans.append(
                SectionSpan(section.name, tick, end, bar, section.bars, meter[0], meter[1])
            )
            if section.tempo is not None:
                self._tempo(section, tick, bar_ticks, segments)
            self._programs(section, tick)
            self._automation(section, tick, end, bar_ticks)
            for name in section.play:
                pattern = self.song.patterns[name]
                if pattern.track in section.mute:
                    continue
                self._pattern(pattern, index, tick, end, bar_ticks)
            tick, bar = end, bar + section.bars
        self.outside.raise_if_any()
        self._emit_notes()
        infos = [
            TrackInfo(t.name, t.device, t.voice, t.channel, t.drums, t.latency_ms)
            for t in self.song.tracks
        ]
        return Arrangement(
            self.song.cue,
            self.events,
            TempoMap(segments),
            spans,
            infos,
            tick,
            source=str(self.song.path),
            key=self.song.key,
        )

    # -- tempo, programs, automation -------------------------------------------------
    def _tempo(self, section: SectionDef, tick: int, bar_ticks: int, segments: list) -> None:
        spec = section.tempo
        assert spec is not None
        current = TempoMap(segments).bpm_at(tick)
        if segments[-1].start_tick == tick:
            segments.pop()
            self.events = [
                e for e in self.events if not (isinstance(e, TempoChange) and e.tick == tick)
            ]
        if spec.to_bpm is None:
            assert spec.bpm is not None
            segments.append(TempoSegment(tick, spec.bpm, spec.bpm, None))
            self.events.append(TempoChange(tick, spec.bpm))
            return
        start = spec.bpm if spec.bpm is not None else current
        over = spec.over_bars if spec.over_bars is not None else Fraction(section.bars)
        until = tick + max(1, round(over * bar_ticks))
        segments.append(TempoSegment(tick, start, spec.to_bpm, until))
        self.events.append(TempoChange(tick, start, spec.to_bpm, until))

    def _programs(self, section: SectionDef, tick: int) -> None:
        for spec in section.programs:
            track = self.tracks[spec.track]
            self.events.append(
                ProgramChange(
                    tick, track.name, track.channel, spec.program, spec.bank_msb, spec.bank_lsb
                )
            )

    def _automation(self, section: SectionDef, start: int, end: int, bar_ticks: int) -> None:
        for auto in section.automate:
            track = self.tracks[auto.track]
            if auto.end is None or auto.end == auto.start:
                value = auto.start if auto.end is None else auto.end
                self.events.append(
                    ControlChange(
                        start, track.name, track.channel, auto.number, value, auto.control
                    )
                )
                continue
            over = auto.over_bars if auto.over_bars is not None else Fraction(section.bars)
            length = max(1, round(over * bar_ticks))
            last = None
            denominator = length
            if start + length == end:  # no room for a final event: the last sample lands on `to`
                denominator = max(1, (length - 1) // AUTOMATION_GRID * AUTOMATION_GRID)
            for t in range(start, min(start + length, end), AUTOMATION_GRID):
                value = auto.start + round(
                    (auto.end - auto.start) * Fraction(t - start, denominator)
                )
                if value != last:
                    self.events.append(
                        ControlChange(
                            t, track.name, track.channel, auto.number, value, auto.control
                        )
                    )
                    last = value
            final = start + length
            if final < end and last != auto.end:
                self.events.append(
                    ControlChange(
                        final, track.name, track.channel, auto.number, auto.end, auto.control
                    )
                )

    # -- patterns ------------------------------------------------------------------------
    def _pattern(
        self, p: PatternDef, section_index: int, start: int, end: int, bar_ticks: int
    ) -> None:
        track = self.tracks[p.track]
        self.playing = (p, self.song.sections[section_index].name)
        if p.kind == "steps":
            self._steps(
                p, track, p.steps, p.length, start, end, section_index, lambda s, t: s.notes
            )
        elif p.kind == "lanes":
            for lane in p.lanes:
                channel = track.channel if lane.channel is None else lane.channel
                length = p.length or len(lane.steps)
                self._steps(
                    p, track, lane.steps, length, start, end, section_index,
                    lambda s, t, n=lane.note: (n,), channel=channel, key=lane.lane, transpose=False,
                )  # fmt: skip
        elif p.kind == "chords":
            chords = _ChordTimeline(p, start, bar_ticks)
            if p.rhythm is None:
                self._sustained_chords(p, track, chords, start, end)
            else:
                self._steps(
                    p, track, p.rhythm, p.length, start, end, section_index,
                    lambda s, t: chords.notes_at(t),
                )  # fmt: skip
        elif p.kind == "arp":
            self._arp(p, track, _ChordTimeline(p, start, bar_ticks), start, end, section_index)

    def _chance(self, step: Step, pattern: str, key: str, section: int, cycle: int, i: int) -> bool:
        if step.chance >= 1:
            return True
        if step.chance <= 0:
            return False
        rng = random.Random(f"{self.seed}/{pattern}/{key}/{section}/{cycle}/{i}")
        return rng.random() < step.chance

    def _steps(
        self,
        p: PatternDef,
        track: TrackDef,
        steps: tuple[Step, ...],
        length: int,
        start: int,
        end: int,
        section: int,
        pitches,  # noqa: ANN001 - (step, tick) -> tuple[int, ...]
        channel: int | None = None,
        key: str = "",
        transpose: bool = True,
    ) -> None:
        step_ticks = _ticks(p.rate)
        swing_ticks = round((2 * p.swing - 1) * step_ticks)
        loop = length * step_ticks
        channel = track.channel if channel is None else channel
        shift = p.transpose if transpose else 0
        lengths: dict[int, int] = {}  # held steps → note length in ticks (Fractions once)
        cycle = 0
        while start + cycle * loop < end:
            base = start + cycle * loop
            for i, step in enumerate(steps):
                if step.kind != "hit":
                    continue
                on = base + i * step_ticks
                if on >= end:
                    break
                if not self._chance(step, p.name, key, section, cycle, i):
                    continue
                held = 1
                while i + held < len(steps) and steps[i + held].kind == "tie":
                    held += 1
                delay = (swing_ticks if i % 2 else 0) + step.nudge * step_ticks // NUDGE_DIVISIONS
                on = max(on + delay, start)
                if held not in lengths:
                    lengths[held] = max(1, round((held - 1 + p.gate) * step_ticks))
                off = base + i * step_ticks + delay + lengths[held]
                if held > 1 and p.gate >= 1:
                    off = base + (i + held) * step_ticks + delay
                off = min(max(off, on + 1), end)
                if on >= end:
                    continue
                velocity = step.velocity or (ACCENT_VELOCITY if step.accent else p.velocity)
                for note in pitches(step, on):
                    self._note(on, off, track, channel, note + shift, velocity)
            cycle += 1

    def _sustained_chords(
        self, p: PatternDef, track: TrackDef, chords: _ChordTimeline, start: int, end: int
    ) -> None:
        for on, off, notes in chords.spans(start, end):
            length = off - on
            off = on + max(1, round(length * min(p.gate, Fraction(1))))
            for note in notes:
                self._note(on, min(off, end), track, track.channel, note + p.transpose, p.velocity)

    def _arp(
        self,
        p: PatternDef,
        track: TrackDef,
        chords: _ChordTimeline,
        start: int,
        end: int,
        section: int,
    ) -> None:
        assert p.arp is not None
        arp = p.arp
        step_ticks = _ticks(arp.rate)
        rng = random.Random(f"{self.seed}/{p.name}/arp/{section}")
        index = 0
        previous: tuple[int, ...] = ()
        order: list[int] = []
        length = max(1, round(step_ticks * arp.gate))
        for t in range(start, end, step_ticks):
            notes = chords.notes_at(t)
            if not notes:
                previous = ()
                continue
            if notes != previous:
                index, previous = 0, notes
                order = _arp_order(notes, arp.mode, arp.octaves)
            note = rng.choice(order) if arp.mode == "random" else order[index % len(order)]
            index += 1
            off = min(t + length, end)
            self._note(t, off, track, track.channel, note + p.transpose, p.velocity)

    # -- notes ---------------------------------------------------------------------------
    def _note(
        self, on: int, off: int, track: TrackDef, channel: int, note: int, velocity: int
    ) -> None:
        if not 0 <= note <= 127:
            self.outside.add(self.playing, note)
        elif off > on:
            self.notes.append((on, off, track, channel, note, velocity))

    def _emit_notes(self) -> None:
        """Emit note pairs; a note struck again while sounding ends at the new strike."""
        by_key: dict[tuple[str, int, int], list] = defaultdict(list)
        for item in self.notes:
            by_key[(item[2].name, item[3], item[4])].append(item)
        for (track, channel, note), items in by_key.items():
            items.sort(key=lambda x: (x[0], x[1]))
            for n, (on, off, _t, _c, _n, velocity) in enumerate(items):
                if n + 1 < len(items) and items[n + 1][0] < off:
                    off = items[n + 1][0]
                if off <= on:
                    continue  # two strikes on one tick: the later one sounds
                self.events.append(NoteOn(on, track, channel, note, velocity))
                self.events.append(NoteOff(off, track, channel, note))


def _arp_order(notes: tuple[int, ...], mode: str, octaves: int) -> list[int]:
    up = [n + 12 * o for o in range(octaves) for n in sorted(notes)]
    if mode in ("up", "random"):
        return up
    if mode == "order":
        return [n + 12 * o for o in range(octaves) for n in notes]
    down = up[::-1]
    if mode == "down":
        return down
    if mode == "updown":
        return up + down[1:-1] if len(up) > 2 else up
    return down + up[1:-1] if len(down) > 2 else down  # downup


class _ChordTimeline:
    """Where each chord of a progression sounds, looping from the section start."""

    def __init__(self, p: PatternDef, start: int, bar_ticks: int):
        self.start = start
        self.loop = max(1, p.progression_bars) * bar_ticks
        self.slots: list[tuple[int, int, tuple[int, ...]]] = []  # offset, length, notes
        current: tuple[int, ...] = ()
        for slot in p.progression:
            offset = slot.bar * bar_ticks + slot.index * bar_ticks // slot.slots_in_bar
            length = bar_ticks // slot.slots_in_bar
            if slot.hold:
                if self.slots:
                    o, ln, notes = self.slots[-1]
                    self.slots[-1] = (o, offset + length - o, notes)
                continue
            current = self._voice(slot, p) if slot.chord is not None else ()
            self.slots.append((offset, length, current))

    @staticmethod
    def _voice(slot: ChordSlot, p: PatternDef) -> tuple[int, ...]:
        assert slot.chord is not None
        return tuple(voice_chord(slot.chord, p.octave, p.voicing))

    def notes_at(self, tick: int) -> tuple[int, ...]:
        offset = (tick - self.start) % self.loop
        for o, length, notes in self.slots:
            if o <= offset < o + length:
                return notes
        return ()

    def spans(self, start: int, end: int):  # noqa: ANN201 - Iterator[(on, off, notes)]
        base = start
        while base < end:
            for o, length, notes in self.slots:
                on = base + o
                if on >= end:
                    break
                if notes:
                    yield on, min(on + length, end), notes
            base += self.loop

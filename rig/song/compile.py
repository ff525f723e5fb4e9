"""`compile_song(song) → Arrangement`: pure, deterministic, exact to the tick.

Sections are laid end to end; in each, every playing pattern loops from the
section's first beat (so polymeter restarts with each section) and is cut at its
end, so nothing outlives the section that played it. Chance is seeded from the
song's seed and the step's place, so the same song gives the same events.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from fractions import Fraction

from rig.song.arrangement import Arrangement, ChordSpan, SectionSpan, TrackInfo
from rig.song.automation import AUTOMATION_GRID, AutomationScope
from rig.song.budget import NoteRange, check_budget
from rig.song.chordtime import ChordTimeline, arp_order, degree_pitches
from rig.song.dynamics import ACCENT_VELOCITY, Play, cc_lane_events, velocity_of
from rig.song.events import (
    PPQ,
    Event,
    MeterChange,
    NoteOff,
    NoteOn,
    ProgramChange,
    SectionStart,
    TempoChange,
)
from rig.song.model import PLAIN, PatternDef, PlayEntry, SectionDef, Song, TrackDef
from rig.song.stepplay import StepPlayer, lane_pitch
from rig.song.stepplay import step_ticks_of as _ticks
from rig.song.tempomap import TempoMap, TempoSegment
from rig.source.errors import SourceError

__all__ = ["compile_song", "ACCENT_VELOCITY", "AUTOMATION_GRID"]


def compile_song(song: Song, seed: int | None = None) -> Arrangement:
    """Turn a checked song into its arrangement. `seed` overrides the song's seed.

    Raises InputError when the song would pass the event limit (checked before any
    event is made) or a transpose/arp pushes a note outside MIDI's 0..127.

    When a `fill` condition is used, the arrangement carries a second rendering with the
    live fill control held (`Arrangement.fill_variant`), which its query can switch to.
    """
    check_budget(song)
    seed = song.seed if seed is None else seed
    compiler = _Compiler(song, seed, live_fill=False)
    arrangement = compiler.run()
    if compiler.fill_used:
        arrangement.fill_variant = _Compiler(song, seed, live_fill=True).run()
    return arrangement


class _Compiler(StepPlayer):
    def __init__(self, song: Song, seed: int, live_fill: bool):
        self.song = song
        self.seed = seed
        self.live_fill = live_fill
        self.fill_used = False
        self.warnings: list[SourceError] = []
        self.tempo_now = TempoMap([TempoSegment(0, song.tempo, song.tempo, None)])
        self.tracks = {t.name: t for t in song.tracks}
        self.automation = AutomationScope(self.tracks, str(song.path), self.warnings)
        self._hit_tables = {}  # each step string's hits (rig.song.stepplay.hit_table)
        self.notes: list[tuple[int, int, TrackDef, int, int, int]] = []  # on, off, …, vel
        self.harmony: list[ChordSpan] = []  # the chords where patterns play them
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
            self.events.extend(self.automation.section(section, tick, end, bar_ticks))
            self.tempo_now = TempoMap(segments)
            self._section_patterns(section, index, tick, end, bar_ticks)
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
            warnings=self.warnings,
            timecode=self.song.timecode,
            harmony=self.harmony,
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

    # -- patterns ------------------------------------------------------------------------
    def _section_patterns(
        self, section: SectionDef, index: int, start: int, end: int, bar_ticks: int
    ) -> None:
        """Play the section's patterns; a `fill:` replaces its tracks' parts in the last bars."""
        fill = section.fill
        fill_start = end - fill.bars * bar_ticks if fill is not None else end
        fill_tracks = {self.song.patterns[n].track for n in (fill.play if fill else ())}
        entries = section.entries or tuple(PlayEntry(n) for n in section.play)
        base = Play(index, start, end, start, end, bar_ticks, fill_start, self.live_fill)
        for entry in entries:
            pattern = self.song.patterns[entry.pattern]
            if pattern.track in section.mute:
                continue
            cut = fill_start if pattern.track in fill_tracks else end
            play = replace(
                base,
                end=cut,
                scale=section.velocity * entry.velocity,
                shift=entry.transpose + 12 * entry.octave + self._key_shift(section, pattern),
            )
            self._pattern(pattern, play)
        for name in fill.play if fill is not None else ():
            pattern = self.song.patterns[name]
            if pattern.track not in section.mute:
                shift = self._key_shift(section, pattern)
                self._pattern(
                    pattern, replace(base, start=fill_start, scale=section.velocity, shift=shift)
                )

    def _key_shift(self, section: SectionDef, pattern: PatternDef) -> int:
        """A section's `transpose:`/`key:` moves pitched parts, never drum notes."""
        if not section.transpose or pattern.kind == "lanes" or self.tracks[pattern.track].drums:
            return 0
        return section.transpose

    def _pattern(self, p: PatternDef, play: Play) -> None:
        track = self.tracks[p.track]
        self.playing = (p, self.song.sections[play.section].name)
        if p.offset:
            play = replace(play, start=play.start + p.offset * _ticks(p.rate))
            if play.start >= play.end:
                return
        self._cc_lanes(p, track, play)
        chords = ChordTimeline(p, play.start, play.bar_ticks)
        shift = p.transpose + play.shift  # the chords move with the pattern's notes
        self.harmony.extend(chords.harmony(play.start, play.end, track.name, shift))
        if p.kind == "steps" and p.progression:  # degrees of the sounding chord
            self._steps(p, track, p.steps, p.length, play, degree_pitches(p, chords), p.when)
        elif p.kind == "steps":
            self._steps(p, track, p.steps, p.length, play, lambda s, t: s.notes, p.when)
        elif p.kind == "lanes":
            for lane in p.lanes:
                channel = track.channel if lane.channel is None else lane.channel
                length = p.length or len(lane.steps)
                self._steps(
                    p, track, lane.steps, length, play, lane_pitch(lane.note),
                    lane.when, channel=channel, key=lane.lane, transpose=False,
                )  # fmt: skip
        elif p.kind == "chords":
            if p.rhythm is None:
                self._sustained_chords(p, track, chords, play)
            else:
                self._steps(
                    p, track, p.rhythm, p.length, play, lambda s, t: chords.notes_at(t), p.when
                )
        elif p.kind == "arp":
            self._arp(p, track, chords, play)

    def _sustained_chords(
        self, p: PatternDef, track: TrackDef, chords: ChordTimeline, play: Play
    ) -> None:
        for n, (on, off, notes) in enumerate(chords.spans(play.start, play.end)):
            loop = (on - play.start) // chords.loop
            last = on - (on - play.start) % chords.loop + chords.loop >= play.end
            if not self._allowed(p.when, play, on, loop, last):
                continue
            length = off - on
            off = on + max(1, round(length * min(p.gate, Fraction(1))))
            velocity = p.velocity
            if p.dynamics != PLAIN or play.scale != 1:
                part, whole = on - play.section_start, play.section_end - play.section_start
                key = f"{self.seed}/{p.name}/chords/{play.section}/{n}"
                velocity = velocity_of(p, None, n, part, whole, play, key)
            for note in notes:
                self._sound(p, play,
                    on, min(off, play.end), track, track.channel,
                    note + p.transpose + play.shift, velocity,
                )  # fmt: skip

    def _arp(self, p: PatternDef, track: TrackDef, chords: ChordTimeline, play: Play) -> None:
        assert p.arp is not None
        arp = p.arp
        step_ticks = _ticks(arp.rate)
        rng = random.Random(f"{self.seed}/{p.name}/arp/{play.section}")
        index = 0
        previous: tuple[int, ...] = ()
        gate_ticks = max(1, round(step_ticks * arp.gate))  # a Fraction: once, not per step
        for n, t in enumerate(range(play.start, play.end, step_ticks)):
            notes = chords.notes_at(t)
            if not notes:
                previous = ()
                continue
            if notes != previous:  # the order depends on the notes only: made per chord
                index, previous, order = 0, notes, arp_order(notes, arp.mode, arp.octaves)
            note = rng.choice(order) if arp.mode == "random" else order[index % len(order)]
            index += 1
            loop = (t - play.start) // chords.loop
            last = t - (t - play.start) % chords.loop + chords.loop >= play.end
            if not self._allowed(p.when, play, t, loop, last):
                continue
            off = min(t + gate_ticks, play.end)
            velocity = p.velocity
            if p.dynamics != PLAIN or play.scale != 1:
                part, whole = t - play.section_start, play.section_end - play.section_start
                key = f"{self.seed}/{p.name}/arp/{play.section}/{n}"
                velocity = velocity_of(p, None, n, part, whole, play, key)
            self._sound(
                p, play, t, off, track, track.channel, note + p.transpose + play.shift, velocity
            )

    def _cc_lanes(self, p: PatternDef, track: TrackDef, play: Play) -> None:
        self.events.extend(cc_lane_events(p, track, play, _ticks(p.rate), self._allowed))

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
        """One note of a pattern, and its `echo:` repeats (softer each time, cut at the end)."""
        self._note(on, off, track, channel, note, velocity)
        if p.echo is None:
            return
        every = _ticks(p.echo.every)
        level = Fraction(velocity)
        for k in range(1, p.echo.repeats + 1):
            level *= p.echo.decay
            start = on + k * every
            if start >= play.end or round(level) < 1:
                break
            self._note(start, min(off + k * every, play.end), track, channel, note, round(level))

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
        append = self.events.append
        for (track, channel, note), items in by_key.items():
            items.sort(key=_on_off)
            nxt = len(items)
            for n, (on, off, _t, _c, _n, velocity) in enumerate(items, 1):
                if n < nxt and items[n][0] < off:
                    off = items[n][0]
                if off <= on:
                    continue  # two strikes on one tick: the later one sounds
                append(NoteOn(on, track, channel, note, velocity))
                append(NoteOff(off, track, channel, note))


def _on_off(item: tuple) -> tuple[int, int]:
    return item[0], item[1]

"""Where the chords of a progression sound in a section, and the note orders of the arpeggiator."""

from __future__ import annotations

from collections.abc import Iterator

from rig.song.arrangement import ChordSpan
from rig.song.harmony import degree_note
from rig.song.model import PatternDef
from rig.song.steps import ChordSlot, Step
from rig.theory.chords import Chord, voice_chord

__all__ = ["ChordTimeline", "arp_order", "degree_pitches"]


def arp_order(notes: tuple[int, ...], mode: str, octaves: int) -> list[int]:
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


class ChordTimeline:
    """Where each chord of a progression sounds, looping from the section start."""

    def __init__(self, p: PatternDef, start: int, bar_ticks: int):
        self.start = start
        self.loop = max(1, p.progression_bars) * bar_ticks
        self.slots: list[tuple[int, int, tuple[int, ...]]] = []  # offset, length, notes
        self.chords: list[tuple[int, int, Chord | None]] = []  # offset, length, chord
        current: tuple[int, ...] = ()
        for slot in p.progression:
            offset = slot.bar * bar_ticks + slot.index * bar_ticks // slot.slots_in_bar
            length = bar_ticks // slot.slots_in_bar
            if slot.hold:
                if self.slots:
                    o, ln, notes = self.slots[-1]
                    self.slots[-1] = (o, offset + length - o, notes)
                    self.chords[-1] = (o, offset + length - o, self.chords[-1][2])
                continue
            current = self._voice(slot, p) if slot.chord is not None else ()
            self.slots.append((offset, length, current))
            self.chords.append((offset, length, slot.chord))

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

    def chord_at(self, tick: int) -> Chord | None:
        """The chord sounding at `tick` (None in silence), for degree steps."""
        offset = (tick - self.start) % self.loop
        for o, length, chord in self.chords:
            if o <= offset < o + length:
                return chord
        return None

    def harmony(self, start: int, end: int, track: str, shift: int) -> Iterator[ChordSpan]:
        """The written chords from `start` to `end`, `shift` semitones up (for
        `Arrangement.harmony`: what the notes over them are read against)."""
        base = start
        while base < end and self.chords:
            for o, length, chord in self.chords:
                if base + o >= end:
                    break
                if chord is not None:
                    tones = {*chord.pitch_classes, *(() if chord.bass is None else (chord.bass,))}
                    yield ChordSpan(
                        base + o, min(base + o + length, end), track, chord.symbol,
                        frozenset((t + shift) % 12 for t in tones),
                    )  # fmt: skip
            base += self.loop

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


def degree_pitches(p: PatternDef, harmony: ChordTimeline):  # noqa: ANN202 - (step, tick) -> notes
    """Pitches of a `harmony:` pattern's step: its notes, or its degrees over the chord."""

    def pitches(step: Step, tick: int) -> tuple[int, ...]:
        if step.notes or not step.degrees:
            return step.notes
        chord = harmony.chord_at(tick)
        if chord is None:
            return ()
        return tuple(degree_note(d, chord, p.octave) for d in step.degrees)

    return pitches

"""Notes on the strong beats are tones of the chord under them (issue 14: ≤ 10 % per cue).

Every cue is compiled, and each note that starts on a strong beat (a bar's downbeat, and
its middle in 4/4 and 6/8: beats one and three, one and four) is read against the written
chords sounding at that moment (`Arrangement.harmony`: where the cue's chord, arp and
`harmony:` patterns play them). A note outside every sounding chord is a non-chord tone;
at most a tenth of the judged notes may be. Passing notes between the beats are not
judged; neither are notes over no written chord (Utopie's lone piano in the silence) or
the harmony's own notes (a chord tone on a track that is playing that chord).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from rig.song.arrangement import Arrangement, ChordSpan, SectionSpan
from rig.song.events import PPQ

from .score import CUES, Note, notes

MAX_SHARE = 0.10
# Cues with no line over their chords (Let's Make a Deal: piano chords, their reflection
# and a pad): nothing to judge, so each of their notes must be a tone of its own chord.
CHORDS_ONLY = {"lets-make-a-deal"}
# An onset this close to a strong beat is on it (humanized timing, nudges).
ON_BEAT = PPQ // 16


@dataclass(frozen=True)
class Judged:
    section: str
    bar: int
    track: str
    note: int
    chords: tuple[str, ...]
    chord_tone: bool


def strong_beats(span: SectionSpan) -> tuple[int, ...]:
    """Offsets in the bar of its strong beats: the downbeat, and the middle of an even
    meter of more than two beats (4/4's third beat, 6/8's fourth eighth)."""
    if span.numerator % 2 == 0 and span.numerator > 2:
        return (0, span.bar_ticks // 2)
    return (0,)


def _strong_beat(arr: Arrangement, tick: int) -> tuple[SectionSpan, int] | None:
    """(section, tick of the strong beat) when `tick` falls on one, else None."""
    span = arr.section_at(tick)
    if span is None:
        return None
    bar_start = span.start_tick + (tick - span.start_tick) // span.bar_ticks * span.bar_ticks
    for offset in (*strong_beats(span), span.bar_ticks):  # late onsets of the next bar's 1
        if abs(tick - (bar_start + offset)) <= ON_BEAT:
            beat = bar_start + offset
            return (arr.section_at(beat) or span), beat
    return None


def judge(arr: Arrangement) -> list[Judged]:
    """Every pitched note on a strong beat over a written chord, with its verdict."""
    drums = {t.name for t in arr.tracks if t.drums}
    out = []
    for n in notes(arr):
        if n.track in drums:
            continue
        found = _strong_beat(arr, n.on)
        if found is None:
            continue
        span, beat = found
        chords: list[ChordSpan] = arr.chords_at(beat)
        if not chords:
            continue
        pc = n.note % 12
        if _harmony(arr, n, chords):
            continue
        out.append(
            Judged(
                span.name,
                span.start_bar + (beat - span.start_tick) // span.bar_ticks,
                n.track,
                n.note,
                tuple(c.symbol for c in chords),
                any(pc in c.tones for c in chords),
            )
        )
    return out


def _harmony(arr: Arrangement, n: Note, chords: list[ChordSpan] | None = None) -> bool:
    """Is the note the harmony itself: a tone of a chord its own track plays then?"""
    chords = arr.chords_at(n.on) if chords is None else chords
    return any(c.track == n.track and n.note % 12 in c.tones for c in chords)


@pytest.mark.parametrize("stem", sorted(CUES))
def test_strong_beats_are_chord_tones(cue: Callable[[str], Arrangement], stem: str) -> None:
    arr = cue(stem)
    judged = judge(arr)
    if stem in CHORDS_ONLY:  # nothing but the harmony: every note a tone of its chord
        assert not judged and all(_harmony(arr, n) for n in notes(arr)), stem
        return
    assert len(judged) >= 8, f"{stem}: only {len(judged)} notes to judge"
    off = [j for j in judged if not j.chord_tone]
    share = len(off) / len(judged)
    shown = "; ".join(
        f"bar {j.bar} ({j.section}) {j.track} {j.note} over {'/'.join(j.chords)}" for j in off
    )
    assert share <= MAX_SHARE, f"{stem}: {len(off)} of {len(judged)} off the chord: {shown}"


def test_the_measure_finds_a_clash(cue: Callable[[str], Arrangement]) -> None:
    """The check can fail: Utopie's drops moved a semitone up clash with every chord."""
    arr = cue("utopie")
    moved = Arrangement(
        arr.name,
        [_up(e) if getattr(e, "track", "") == "bells" else e for e in arr.events],
        arr.tempo, arr.sections, arr.tracks, arr.length_ticks, harmony=arr.harmony,
    )  # fmt: skip
    judged = [j for j in judge(moved) if j.track == "bells"]
    off = [j for j in judged if not j.chord_tone]
    assert len(judged) >= 3 and len(off) / len(judged) > MAX_SHARE, judged


def _up(event):  # noqa: ANN001, ANN202 - NoteOn/NoteOff a semitone up
    from dataclasses import replace

    return replace(event, note=event.note + 1) if hasattr(event, "note") else event

"""The cues as music, stated on the compiled events: registers, and notes against chords.

A musical reading of the fifteen cues found parts outside their instrument's useful
range (Heartbeat II's falls up to G7), slash-chord pads dropped to G1 in unison with
the bass, and notes that clash with the chord under them (Utopie's F#5 over Fmaj7#11,
Inferno's bass G and E-minor stabs over B7sus4). These tests keep them fixed.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rig.song.arrangement import Arrangement

from .score import CUES, notes, pitch_classes, progression

# Where each instrument sounds well, MIDI notes (inclusive): the written parts stay inside.
# Synths: C1 (32.7 Hz) to C7 (2.1 kHz) — a line above it is a whistle over the mix; the
# Mono/Poly bass up to C4; the sung line a singer's C3–C6; guitars from the low E; horns
# (a brass section, trumpets on top) Bb1 to Bb5; the piano's 88 keys.
RANGES: dict[str, tuple[int, int]] = {
    "virus": (24, 96),
    "juno60": (24, 96),
    "monopoly": (24, 60),
    "piano": (21, 108),
    "guitar": (40, 88),
    "nylon-guitar": (40, 88),
    "lead-voice": (48, 84),
    "horns": (34, 82),
}
# The tracks that hold chords under a bass line, per cue.
PADS = {
    "rivalry": "atmos",
    "heartbeat-2": "pad",
    "heartbeat-3": "pad",
    "heartbeat-4": "strings",
    "la-nuit-est-longue": "pad",
    "inferno": "pad",
    "its-you": "pad",
    "two-souls": "pad",
    "ciel": "pad",
    "lisbonne": "pad",
}


@pytest.mark.parametrize("stem", sorted(CUES))
def test_every_part_stays_in_its_instruments_range(cue: Callable, stem: str) -> None:
    arr: Arrangement = cue(stem)
    for track in arr.tracks:
        if track.drums:
            continue
        instrument = track.device or track.voice
        assert instrument in RANGES, f"{stem}: no range for {instrument}"
        low, high = RANGES[instrument]
        played = [n.note for n in notes(arr, track.name)]
        if played:
            assert low <= min(played) and max(played) <= high, (
                f"{stem}: {track.name} on {instrument} spans {min(played)}-{max(played)}, "
                f"outside {low}-{high}"
            )


@pytest.mark.parametrize("stem", sorted(PADS))
def test_no_pad_note_sinks_into_the_bass_octave(cue: Callable, stem: str) -> None:
    arr: Arrangement = cue(stem)
    bass = min(n.note for n in notes(arr, "bass"))
    pad = min(n.note for n in notes(arr, PADS[stem]))
    assert pad >= bass + 12, f"{stem}: pad down to {pad}, bass down to {bass}"


def _off_chord(arr: Arrangement, track: str, chords: str, strong_only: bool) -> list[tuple]:
    """Notes of `track` that are not tones of the bar's chord (bars of `chords` from each
    section's start), on the beats (strong_only) or anywhere."""
    bars = progression(chords)
    out = []
    for n in notes(arr, track):
        span = arr.section_at(n.on)
        assert span is not None
        offset = n.on - span.start_tick
        beat_ticks = span.bar_ticks // 4
        if strong_only and offset % beat_ticks:
            continue
        bar = bars[offset // span.bar_ticks % len(bars)]
        chord = bar[offset % span.bar_ticks * len(bar) // span.bar_ticks]
        if n.note % 12 not in pitch_classes(chord):
            out.append((span.name, offset // span.bar_ticks + 1, n.note))
    return out


def test_infernos_bass_and_stabs_follow_the_chords(cue: Callable) -> None:
    arr = cue("inferno")
    chords = "Em9 | Cmaj7 | Am9 | B7sus4"
    assert not _off_chord(arr, "bass", chords, strong_only=True)
    assert not _off_chord(arr, "lead", chords, strong_only=False)  # the stabs
    # the check can fail: the same bass against one chord only is off in other bars
    assert _off_chord(arr, "bass", "Em9", strong_only=True)


def test_utopies_drops_are_tones_of_their_chords(cue: Callable) -> None:
    arr = cue("utopie")
    chords = "Cmaj9 | Cmaj9 | Fmaj7#11 | Fmaj7#11 | Am9 | Am9 | Fmaj7#11 | Fmaj7#11"
    assert not _off_chord(arr, "bells", chords, strong_only=False)


def test_heartbeat_4s_waltz_piano_plays_on_two_and_three(cue: Callable) -> None:
    """Oom-pah-pah: in the waltz sections the piano's chords fall on beats two and three."""
    arr = cue("heartbeat-4")
    waltz = next(s for s in arr.sections if s.name == "waltz")
    beat = waltz.bar_ticks // 3
    onsets = {
        (n.on - waltz.start_tick) % waltz.bar_ticks
        for n in notes(arr, "piano")
        if waltz.start_tick <= n.on < waltz.end_tick
    }
    assert onsets == {beat, 2 * beat}, sorted(onsets)

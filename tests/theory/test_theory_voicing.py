"""Chord voicings as MIDI notes: close, inversions, slash basses, drop-2, spread, range."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rig.theory import VOICINGS, TheoryError, parse_chord, voice_chord
from rig.theory.chords import QUALITIES

# (symbol, octave, voicing) -> notes, worked out by hand on a keyboard (C4 = 60).
VOICED = [
    ("C", 4, "close", (60, 64, 67)),
    ("C", -1, "close", (0, 4, 7)),
    ("C", 9, "close", (120, 124, 127)),
    ("Cm", 4, "close", (60, 63, 67)),
    ("Fm9", 3, "close", (53, 56, 60, 63, 67)),
    ("Fm9", 4, "close", (65, 68, 72, 75, 79)),
    ("F#m7", 3, "close", (54, 57, 61, 64)),
    ("C7b9", 4, "close", (60, 64, 67, 70, 73)),
    ("C13", 4, "close", (60, 64, 67, 70, 74, 81)),
    ("Cadd9", 4, "close", (60, 64, 67, 74)),
    ("Bbsus2", 2, "close", (46, 48, 53)),
    # Inversions: the k lowest tones go up an octave.
    ("Am7^1", 4, "close", (72, 76, 79, 81)),
    ("Am7^1", 3, "close", (60, 64, 67, 69)),
    ("Am7^2", 4, "close", (76, 79, 81, 84)),
    ("Am7^3", 4, "close", (79, 81, 84, 88)),
    ("C^1", 4, "close", (64, 67, 72)),
    ("C^2", 4, "close", (67, 72, 76)),
    ("Cmaj9^1", 4, "close", (64, 67, 71, 72, 74)),
    # Slash basses: nearest below the lowest chord tone; a chord tone leaves the
    # upper voicing only in chords of four or more.
    ("Cmaj7/E", 4, "close", (52, 60, 67, 71)),
    ("Eb/G", 4, "close", (55, 63, 67, 70)),
    ("C/C", 4, "close", (48, 60, 64, 67)),
    ("Cmaj7/C", 4, "close", (60, 64, 67, 71)),
    ("C/Bb", 4, "close", (58, 60, 64, 67)),
    ("C/B", 4, "close", (59, 60, 64, 67)),
    ("C/D", 4, "close", (50, 60, 64, 67)),
    ("Cmaj7/B", 4, "close", (59, 60, 64, 67)),
    ("G7/F", 3, "close", (53, 55, 59, 62)),
    ("Dm7/C", 4, "close", (60, 62, 65, 69)),
    ("Cmaj7/E^1", 4, "close", (64, 67, 71, 72)),
    ("C/B", -1, "close", None),  # B below C-1 does not exist
    # Drop-2: the second-highest tone down an octave.
    ("Cmaj7", 4, "open", (55, 60, 64, 71)),
    ("C", 4, "open", (52, 60, 67)),
    ("Am7^1", 4, "open", (67, 72, 76, 81)),
    ("Fm9", 3, "open", (51, 53, 56, 60, 67)),
    ("C5", 4, "open", (48, 67)),
    ("Cmaj7/E", 4, "open", (52, 55, 60, 71)),
    ("Eb/G", 4, "open", (55, 63, 70)),  # the dropped G is the bass, not G2 under it
    ("Eb/G", 3, "open", (43, 51, 58)),  # a Heartbeat pad: G2, not G1 on the bass line
    # Spread: the lowest tone down an octave, the rest close.
    ("C", 4, "spread", (48, 64, 67)),
    ("Cmaj7", 4, "spread", (48, 64, 67, 71)),
    ("Fm9", 3, "spread", (41, 56, 60, 63, 67)),
    ("Am7^1", 4, "spread", (60, 76, 79, 81)),
    ("Eb/G", 4, "spread", (55, 63, 67, 70)),  # the slash bass is the spread
    ("Eb/G", 3, "spread", (43, 51, 55, 58)),
]


@pytest.mark.parametrize(("symbol", "octave", "voicing", "notes"), VOICED)
def test_voicings(symbol: str, octave: int, voicing: str, notes: tuple[int, ...] | None) -> None:
    chord = parse_chord(symbol)
    if notes is None:
        with pytest.raises(TheoryError):
            voice_chord(chord, octave, voicing)
    else:
        assert voice_chord(chord, octave, voicing) == notes


def test_defaults_are_close_at_octave_4() -> None:
    assert voice_chord(parse_chord("Fm9")) == (65, 68, 72, 75, 79)
    assert VOICINGS == ("close", "open", "spread")


ABOVE = "above G9 (127)"
BELOW = "below C-1 (0)"
RANGE_ERRORS = [
    ("G13", 9, "close", ABOVE),
    ("G", 9, "close", ABOVE),
    ("C", -1, "spread", BELOW),
    ("C", -1, "open", BELOW),
    ("C/B", -1, "close", BELOW),
]


@pytest.mark.parametrize(("symbol", "octave", "voicing", "where"), RANGE_ERRORS)
def test_range_errors(symbol: str, octave: int, voicing: str, where: str) -> None:
    with pytest.raises(TheoryError) as info:
        voice_chord(parse_chord(symbol), octave, voicing)
    assert info.value.message == (
        f"chord '{symbol}' at octave {octave} ({voicing}) reaches {where}; choose another octave"
    )
    assert info.value.offset == 0


def test_range_error_message_reads_well() -> None:
    with pytest.raises(TheoryError) as info:
        voice_chord(parse_chord("G13"), 9)
    expected = "chord 'G13' at octave 9 (close) reaches above G9 (127); choose another octave"
    assert str(info.value) == expected


@pytest.mark.parametrize(
    ("voicing", "message"),
    [
        ("clos", "unknown voicing 'clos' (did you mean 'close'?)"),
        ("Close", "unknown voicing 'Close' (did you mean 'close'?)"),
        ("spred", "unknown voicing 'spred' (did you mean 'spread'?)"),
        ("drop2", "unknown voicing 'drop2' (known: close, open, spread)"),
    ],
)
def test_unknown_voicing(voicing: str, message: str) -> None:
    with pytest.raises(TheoryError) as info:
        voice_chord(parse_chord("C"), 4, voicing)
    assert info.value.message == message


_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


@st.composite
def chords(draw: st.DrawFn) -> str:
    root = draw(st.sampled_from(_NAMES))
    quality = draw(st.sampled_from(sorted(QUALITIES)))
    text = root + quality
    if draw(st.booleans()):
        text += "/" + draw(st.sampled_from(_NAMES))
    inversion = draw(st.integers(0, len(QUALITIES[quality]) - 1))
    if inversion:
        text += f"^{inversion}"
    return text


@given(chords(), st.integers(1, 6), st.sampled_from(VOICINGS))
def test_voicing_invariants(symbol: str, octave: int, voicing: str) -> None:
    chord = parse_chord(symbol)
    notes = voice_chord(chord, octave, voicing)
    assert list(notes) == sorted(set(notes)), "ascending, no doubled keys"
    tones = set(chord.pitch_classes)
    if chord.bass is None:
        assert {n % 12 for n in notes} == tones
        assert len(notes) == len(chord.intervals)
    else:
        assert notes[0] % 12 == chord.bass
        assert {n % 12 for n in notes} == tones | {chord.bass}
        dropped = chord.bass in tones and len(chord.intervals) >= 4
        expected = len(chord.intervals) + (0 if dropped else 1)
        # ...or one fewer: open's drop-2 landed a chord tone on the bass's key
        assert len(notes) == expected or (
            voicing == "open" and chord.bass in tones and len(notes) == expected - 1
        )
        # Nearest below: less than an octave under the next note up — except a dyad's
        # open voicing, whose dropped root is that bass (C5/C open: C1 G2, as C5 open).
        dyad_open = voicing == "open" and len(chord.intervals) == 2 and chord.bass in tones
        assert 0 < notes[1] - notes[0] <= (24 if dyad_open else 12)
    if chord.inversion == 0 and chord.bass is None and voicing != "open":
        assert notes[0] % 12 == chord.root
    if voicing == "close" and chord.bass is None and chord.inversion == 0:
        assert notes[0] == (octave + 1) * 12 + chord.root

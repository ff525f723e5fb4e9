"""Chord symbols: every quality's intervals, roots, slash and inversion parsing, errors."""

from __future__ import annotations

import pytest

from rig.theory import Chord, TheoryError, parse_chord
from rig.theory.chords import ALIASES

MAJ = (0, 4, 7)
MIN = (0, 3, 7)
MAJ7 = (0, 4, 7, 11)
DOM7 = (0, 4, 7, 10)
MIN7 = (0, 3, 7, 10)
MMAJ7 = (0, 3, 7, 11)
DIM = (0, 3, 6)
DIM7 = (0, 3, 6, 9)
HALFDIM = (0, 3, 6, 10)
AUG = (0, 4, 8)
AUG7 = (0, 4, 8, 10)

# Written by hand from the chord spellings (C E G Bb D ...), not from the code.
QUALITY_INTERVALS: dict[str, tuple[int, ...]] = {
    "": MAJ, "M": MAJ, "maj": MAJ, "Maj": MAJ,
    "m": MIN, "min": MIN, "mi": MIN, "-": MIN,
    "5": (0, 7),
    "dim": DIM, "°": DIM, "o": DIM,
    "aug": AUG, "+": AUG,
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7), "sus": (0, 5, 7),
    "add2": (0, 2, 4, 7),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14), "minadd9": (0, 3, 7, 14), "-add9": (0, 3, 7, 14),
    "add11": (0, 4, 7, 17),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9), "min6": (0, 3, 7, 9), "-6": (0, 3, 7, 9),
    "69": (0, 4, 7, 9, 14), "6/9": (0, 4, 7, 9, 14), "6add9": (0, 4, 7, 9, 14),
    "m69": (0, 3, 7, 9, 14), "m6/9": (0, 3, 7, 9, 14), "min69": (0, 3, 7, 9, 14),
    "-69": (0, 3, 7, 9, 14),
    "maj7": MAJ7, "M7": MAJ7, "Maj7": MAJ7, "ma7": MAJ7, "Δ": MAJ7, "Δ7": MAJ7, "∆7": MAJ7,
    "7": DOM7, "dom7": DOM7,
    "m7": MIN7, "min7": MIN7, "mi7": MIN7, "-7": MIN7,
    "mmaj7": MMAJ7, "mMaj7": MMAJ7, "mM7": MMAJ7, "minmaj7": MMAJ7, "minMaj7": MMAJ7,
    "-maj7": MMAJ7, "mΔ7": MMAJ7, "-Δ7": MMAJ7, "m(maj7)": MMAJ7,
    "dim7": DIM7, "°7": DIM7, "o7": DIM7,
    "m7b5": HALFDIM, "ø": HALFDIM, "ø7": HALFDIM, "Ø": HALFDIM, "Ø7": HALFDIM,
    "min7b5": HALFDIM, "mi7b5": HALFDIM, "-7b5": HALFDIM, "m7♭5": HALFDIM,
    "aug7": AUG7, "+7": AUG7, "7#5": AUG7, "7+": AUG7,
    "maj7#5": (0, 4, 8, 11), "augmaj7": (0, 4, 8, 11), "+maj7": (0, 4, 8, 11),
    "Δ7#5": (0, 4, 8, 11), "M7#5": (0, 4, 8, 11),
    "7sus2": (0, 2, 7, 10),
    "7sus4": (0, 5, 7, 10), "7sus": (0, 5, 7, 10),
    "7b5": (0, 4, 6, 10),
    "7b9": (0, 4, 7, 10, 13), "7♭9": (0, 4, 7, 10, 13), "7(b9)": (0, 4, 7, 10, 13),
    "7#9": (0, 4, 7, 10, 15), "7♯9": (0, 4, 7, 10, 15),
    "7#11": (0, 4, 7, 10, 18),
    "maj7#11": (0, 4, 7, 11, 18), "Δ7#11": (0, 4, 7, 11, 18), "M7#11": (0, 4, 7, 11, 18),
    "Maj7#11": (0, 4, 7, 11, 18), "maj7(#11)": (0, 4, 7, 11, 18),
    "9": (0, 4, 7, 10, 14),
    "maj9": (0, 4, 7, 11, 14), "M9": (0, 4, 7, 11, 14), "Maj9": (0, 4, 7, 11, 14),
    "Δ9": (0, 4, 7, 11, 14),
    "m9": (0, 3, 7, 10, 14), "min9": (0, 3, 7, 10, 14), "mi9": (0, 3, 7, 10, 14),
    "-9": (0, 3, 7, 10, 14),
    "9sus4": (0, 5, 7, 10, 14), "9sus": (0, 5, 7, 10, 14),
    "11": (0, 7, 10, 14, 17),  # no 3rd: C G Bb D F
    "m11": (0, 3, 7, 10, 14, 17), "min11": (0, 3, 7, 10, 14, 17), "-11": (0, 3, 7, 10, 14, 17),
    "13": (0, 4, 7, 10, 14, 21),  # no 11th: C E G Bb D A
    "maj13": (0, 4, 7, 11, 14, 21), "M13": (0, 4, 7, 11, 14, 21), "Maj13": (0, 4, 7, 11, 14, 21),
    "Δ13": (0, 4, 7, 11, 14, 21),
    "m13": (0, 3, 7, 10, 14, 17, 21), "min13": (0, 3, 7, 10, 14, 17, 21),
    "-13": (0, 3, 7, 10, 14, 17, 21),
    "(add9)": (0, 4, 7, 14), "m(add9)": (0, 3, 7, 14),
}  # fmt: skip


@pytest.mark.parametrize(("quality", "intervals"), QUALITY_INTERVALS.items())
def test_quality_intervals(quality: str, intervals: tuple[int, ...]) -> None:
    chord = parse_chord("C" + quality)
    assert chord == Chord(0, intervals, None, 0, "C" + quality)


def test_every_accepted_spelling_is_in_the_table() -> None:
    # A new alias must come with its expected intervals above.
    assert set(ALIASES) <= set(QUALITY_INTERVALS)


def test_brief_symbols_all_parse() -> None:
    brief = (
        "C Cm Cmin C- Cmaj7 CM7 CΔ7 C7 Cm7 Cm9 Cmaj9 C9 C11 Cm11 C13 C6 Cm6 C69 Cadd9 Cmadd9 "
        "Csus2 Csus4 C7sus4 Cdim C° Cdim7 Cm7b5 Cø Caug C+ C5 CmMaj7 C7b9 C7#9 C7#11 Cmaj7#11"
    ).split()
    assert len(brief) == 36
    for sym in brief:
        assert parse_chord(sym).intervals == QUALITY_INTERVALS[sym[1:]]


def test_chord_tones_are_distinct_pitch_classes() -> None:
    # Voicing relies on this: moving tones by octaves never lands two on one key.
    for quality, intervals in QUALITY_INTERVALS.items():
        pcs = [i % 12 for i in intervals]
        assert len(set(pcs)) == len(pcs), quality


ROOTS = {
    "F#m7": (6, MIN7),
    "Ebmaj7": (3, MAJ7),
    "Bbsus2": (10, (0, 2, 7)),
    "B♭m7": (10, MIN7),
    "C#": (1, MAJ),
    "Db": (1, MAJ),
    "Cb": (11, MAJ),
    "B#dim": (0, DIM),
    "E#m": (5, MIN),
    "Fb7": (4, DOM7),
    "G#°7": (8, DIM7),
    "Abm9": (8, (0, 3, 7, 10, 14)),
    "Bb": (10, MAJ),
    "Bbb": (9, MAJ),
    "F♯ø": (6, HALFDIM),
    "D5": (2, (0, 7)),
    "A": (9, MAJ),
}


@pytest.mark.parametrize(("text", "expected"), ROOTS.items())
def test_roots(text: str, expected: tuple[int, tuple[int, ...]]) -> None:
    chord = parse_chord(text)
    assert (chord.root, chord.intervals, chord.bass, chord.inversion) == (*expected, None, 0)


STRUCTURE = {
    "Eb/G": Chord(3, MAJ, 7, 0, "Eb/G"),
    "Cmaj7/E": Chord(0, MAJ7, 4, 0, "Cmaj7/E"),
    "Am7^1": Chord(9, MIN7, None, 1, "Am7^1"),
    "Am7^3": Chord(9, MIN7, None, 3, "Am7^3"),
    "C^0": Chord(0, MAJ, None, 0, "C^0"),
    "C^2": Chord(0, MAJ, None, 2, "C^2"),
    "C6/9": Chord(0, (0, 4, 7, 9, 14), None, 0, "C6/9"),
    "C6/9/E": Chord(0, (0, 4, 7, 9, 14), 4, 0, "C6/9/E"),
    "Cmaj7/E^1": Chord(0, MAJ7, 4, 1, "Cmaj7/E^1"),
    "F#m7/C#": Chord(6, MIN7, 1, 0, "F#m7/C#"),
    "Ab/Gb": Chord(8, MAJ, 6, 0, "Ab/Gb"),
    "C/e": Chord(0, MAJ, 4, 0, "C/e"),
    "D/F♯": Chord(2, MAJ, 6, 0, "D/F♯"),
    "C5^1": Chord(0, (0, 7), None, 1, "C5^1"),
    "Cmaj9^4": Chord(0, (0, 4, 7, 11, 14), None, 4, "Cmaj9^4"),
    "  Am7 ": Chord(9, MIN7, None, 0, "Am7"),
}


@pytest.mark.parametrize(("text", "expected"), STRUCTURE.items())
def test_slash_and_inversion(text: str, expected: Chord) -> None:
    assert parse_chord(text) == expected


def test_pitch_classes_and_str() -> None:
    chord = parse_chord("Ebmaj7/G")
    assert chord.pitch_classes == (3, 7, 10, 2)
    assert str(chord) == "Ebmaj7/G"


EXAMPLES = "(write e.g. 'C', 'Cm', 'C7', 'Cmaj7', 'Cm7', 'Csus4')"
CHORD_ERRORS = [
    ("Cmaj8", "unknown chord 'Cmaj8' (did you mean 'Cmaj9'?)", 1),
    ("F#m8", "unknown chord 'F#m8' (did you mean 'F#m9'?)", 2),
    ("Cmin8", "unknown chord 'Cmin8' (did you mean 'Cmin9'?)", 1),
    ("Csus3", "unknown chord 'Csus3' (did you mean 'Csus4'?)", 1),
    ("Cmj7", "unknown chord 'Cmj7' (did you mean 'Cmaj7'?)", 1),
    ("CMAJ7", "unknown chord 'CMAJ7' (did you mean 'CMaj7'?)", 1),
    ("Cm7-5", "unknown chord 'Cm7-5' (did you mean 'Cm7b5'?)", 1),
    ("C7b8", "unknown chord 'C7b8' (did you mean 'C7b9'?)", 1),
    ("Cadd8", "unknown chord 'Cadd8' (did you mean 'Cadd9'?)", 1),
    ("Cdim5", "unknown chord 'Cdim5' (did you mean 'Cdim7'?)", 1),
    ("C maj7", "unknown chord 'C maj7' (did you mean 'Cmaj7'?)", 1),
    ("Cmaj8/E", "unknown chord 'Cmaj8/E' (did you mean 'Cmaj9/E'?)", 1),
    ("Ebm8^1", "unknown chord 'Ebm8^1' (did you mean 'Ebm9^1'?)", 2),
    ("Cxyz", f"unknown chord 'Cxyz' {EXAMPLES}", 1),
    ("Cq", f"unknown chord 'Cq' {EXAMPLES}", 1),
    ("am7", "unknown chord 'am7' (did you mean 'Am7'?)", 0),
    ("eb", "unknown chord 'eb' (did you mean 'Eb'?)", 0),
    ("H7", "unknown chord 'H7' (did you mean 'B7'?)", 0),
    ("Hm/D", "unknown chord 'Hm/D' (did you mean 'Bm/D'?)", 0),
    ("Xm", "unknown chord 'Xm' (a chord starts with its root, A to G, e.g. 'Cm7')", 0),
    ("7", "unknown chord '7' (a chord starts with its root, A to G, e.g. 'Cm7')", 0),
    ("C/H", "unknown chord 'C/H' (did you mean 'C/B'?)", 2),
    ("C/X", "unknown chord 'C/X' (the bass after '/' is a note A to G, e.g. 'C/E')", 2),
    ("C/", "chord 'C/' needs a bass note after '/', e.g. 'C/E'", 1),
    ("C/^1", "chord 'C/^1' needs a bass note after '/', e.g. 'C/E'", 1),
    ("C/E2", "unknown chord 'C/E2' (the bass takes no octave: 'C/E')", 3),
    ("C/E2^1", "unknown chord 'C/E2^1' (the bass takes no octave: 'C/E^1')", 3),
    ("C/Ex", "unexpected 'x' in chord 'C/Ex'", 3),
    ("C^3", "inversion ^3 is too high for 'C' (3 notes: use ^1 or ^2)", 2),
    ("C5^2", "inversion ^2 is too high for 'C5' (2 notes: use ^1)", 3),
    ("Cmaj7^4", "inversion ^4 is too high for 'Cmaj7' (4 notes: use ^1 to ^3)", 6),
    ("Cmaj7/E^7", "inversion ^7 is too high for 'Cmaj7/E' (4 notes: use ^1 to ^3)", 8),
    (
        "Am7^",
        "chord 'Am7^': write the inversion as '^' and a number at the end, e.g. 'Am7^1'",
        4,
    ),
    (
        "Am7^x",
        "chord 'Am7^x': write the inversion as '^' and a number at the end, e.g. 'Am7^1'",
        4,
    ),
    (
        "Am7^1/G",
        "chord 'Am7^1/G': write the inversion as '^' and a number at the end, e.g. 'Am7/G^1'",
        4,
    ),
    ("", f"empty chord {EXAMPLES}", 0),
    ("   ", f"empty chord {EXAMPLES}", 0),
    ("  Cmaj8", "unknown chord 'Cmaj8' (did you mean 'Cmaj9'?)", 3),
    ("\tC/H", "unknown chord 'C/H' (did you mean 'C/B'?)", 3),
]


@pytest.mark.parametrize(("text", "message", "offset"), CHORD_ERRORS)
def test_chord_errors(text: str, message: str, offset: int) -> None:
    with pytest.raises(TheoryError) as info:
        parse_chord(text)
    assert info.value.message == message
    assert info.value.offset == offset


@pytest.mark.parametrize(
    "fields",
    [
        (12, MAJ, None, 0, "?"),
        (0, (4, 7), None, 0, "?"),
        (0, (0, 7, 4), None, 0, "?"),
        (0, MAJ, 12, 0, "?"),
        (0, MAJ, None, 3, "?"),
    ],
)
def test_chord_rejects_inconsistent_fields(fields: tuple) -> None:
    with pytest.raises(ValueError):
        Chord(*fields)

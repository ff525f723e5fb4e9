"""Keys and modes: parsing, scale pitch classes, names, tonic triads, errors."""

from __future__ import annotations

import pytest

from rig.theory import MODES, Key, TheoryError, parse_key, tonic_triad

KEYS = {
    "E minor": (4, "minor"),
    "Em": (4, "minor"),
    "F# major": (6, "major"),
    "C": (0, "major"),
    "A dorian": (9, "dorian"),
    "Bb mixolydian": (10, "mixolydian"),
    "D harmonic minor": (2, "harmonic minor"),
    "D melodic minor": (2, "melodic minor"),
    "E phrygian": (4, "phrygian"),
    "F lydian": (5, "lydian"),
    "A aeolian": (9, "aeolian"),
    "B locrian": (11, "locrian"),
    "C ionian": (0, "major"),
    "Ebm": (3, "minor"),
    "CM": (0, "major"),
    "Cmaj": (0, "major"),
    "Cmin": (0, "minor"),
    "C-": (0, "minor"),
    "Cminor": (0, "minor"),
    "c minor": (0, "minor"),
    "E Minor": (4, "minor"),
    "E m": (4, "minor"),
    "E  harmonic-minor": (4, "harmonic minor"),
    "E Harmonic_Minor": (4, "harmonic minor"),
    " E minor ": (4, "minor"),
    "B♭ major": (10, "major"),
    "F♯m": (6, "minor"),
    "Cb major": (11, "major"),
}


@pytest.mark.parametrize(("text", "expected"), KEYS.items())
def test_parse_key(text: str, expected: tuple[int, str]) -> None:
    key = parse_key(text)
    assert (key.tonic, key.mode) == expected
    assert key == Key(*expected)


# Written out from the note names, not from the interval table.
SCALES = {
    "C major": (0, 2, 4, 5, 7, 9, 11),
    "A minor": (9, 11, 0, 2, 4, 5, 7),
    "E minor": (4, 6, 7, 9, 11, 0, 2),
    "D dorian": (2, 4, 5, 7, 9, 11, 0),
    "E phrygian": (4, 5, 7, 9, 11, 0, 2),
    "F lydian": (5, 7, 9, 11, 0, 2, 4),
    "G mixolydian": (7, 9, 11, 0, 2, 4, 5),
    "A aeolian": (9, 11, 0, 2, 4, 5, 7),
    "B locrian": (11, 0, 2, 4, 5, 7, 9),
    "A harmonic minor": (9, 11, 0, 2, 4, 5, 8),
    "A melodic minor": (9, 11, 0, 2, 4, 6, 8),
    "D harmonic minor": (2, 4, 5, 7, 9, 10, 1),
    "F# major": (6, 8, 10, 11, 1, 3, 5),
    "Bb mixolydian": (10, 0, 2, 3, 5, 7, 8),
}


@pytest.mark.parametrize(("text", "pcs"), SCALES.items())
def test_pitch_classes(text: str, pcs: tuple[int, ...]) -> None:
    assert parse_key(text).pitch_classes() == pcs


def test_modes_list() -> None:
    assert MODES == (
        "major",
        "minor",
        "dorian",
        "phrygian",
        "lydian",
        "mixolydian",
        "aeolian",
        "locrian",
        "harmonic minor",
        "melodic minor",
    )
    for mode in MODES:
        assert parse_key(f"C {mode}").mode == mode


NAMES = [
    (parse_key("E minor"), "E minor"),
    (parse_key("Em"), "E minor"),
    (parse_key("Gb major"), "Gb major"),
    (parse_key("F# major"), "F# major"),
    (parse_key("bb minor"), "Bb minor"),
    (parse_key("B♭ major"), "Bb major"),
    (parse_key("E  harmonic-minor"), "E harmonic minor"),
    (parse_key("C ionian"), "C major"),
    # Built by hand: the tonic is spelled by its key signature.
    (Key(6, "major"), "F# major"),
    (Key(1, "major"), "Db major"),
    (Key(10, "minor"), "Bb minor"),
    (Key(8, "minor"), "G# minor"),
    (Key(1, "minor"), "C# minor"),
    (Key(3, "dorian"), "Eb dorian"),
    (Key(5, "major"), "F major"),
    (Key(10, "mixolydian"), "Bb mixolydian"),
    (Key(2, "dorian"), "D dorian"),
]


@pytest.mark.parametrize(("key", "name"), NAMES)
def test_key_names(key: Key, name: str) -> None:
    assert str(key) == name


def test_spelling_does_not_affect_equality() -> None:
    assert parse_key("Gb major") == parse_key("F# major") == Key(6, "major")
    assert parse_key("A minor") != parse_key("A aeolian")  # same notes, different name


TRIADS = [
    ("E minor", 4, (64, 67, 71)),
    ("C major", 4, (60, 64, 67)),
    ("C", -1, (0, 4, 7)),
    ("C", 9, (120, 124, 127)),
    ("D harmonic minor", 4, (62, 65, 69)),
    ("B locrian", 3, (59, 62, 65)),
    ("F lydian", 4, (65, 69, 72)),
    ("A dorian", 2, (45, 48, 52)),
    ("Bb mixolydian", 3, (58, 62, 65)),
]


@pytest.mark.parametrize(("text", "octave", "notes"), TRIADS)
def test_tonic_triad(text: str, octave: int, notes: tuple[int, ...]) -> None:
    assert tonic_triad(parse_key(text), octave) == notes


def test_tonic_triad_default_octave() -> None:
    assert tonic_triad(parse_key("Em")) == (64, 67, 71)


def test_tonic_triad_out_of_range() -> None:
    with pytest.raises(TheoryError) as info:
        tonic_triad(parse_key("G major"), 9)
    expected = "tonic triad of G major at octave 9 is outside the MIDI range 0..127"
    assert info.value.message == expected


ALL_MODES = (
    "major, minor, dorian, phrygian, lydian, mixolydian, aeolian, locrian, "
    "harmonic minor, melodic minor"
)
KEY_ERRORS = [
    ("A dorain", "unknown mode 'dorain' (did you mean 'dorian'?)", 2),
    ("E mixolidian", "unknown mode 'mixolidian' (did you mean 'mixolydian'?)", 2),
    ("E harmonic minr", "unknown mode 'harmonic minr' (did you mean 'harmonic minor'?)", 2),
    ("Emnor", "unknown mode 'mnor' (did you mean 'minor'?)", 1),
    ("F# majr", "unknown mode 'majr' (did you mean 'major'?)", 3),
    ("C blues", f"unknown mode 'blues' (known: {ALL_MODES})", 2),
    ("E  blues", f"unknown mode 'blues' (known: {ALL_MODES})", 3),
    ("H minor", "unknown key 'H minor' (did you mean 'B minor'?)", 0),
    ("X minor", "unknown key 'X minor' (a key starts with its tonic, A to G, e.g. 'E minor')", 0),
    ("", "empty key (write e.g. 'E minor')", 0),
    ("  H minor", "unknown key 'H minor' (did you mean 'B minor'?)", 2),
]


@pytest.mark.parametrize(("text", "message", "offset"), KEY_ERRORS)
def test_key_errors(text: str, message: str, offset: int) -> None:
    with pytest.raises(TheoryError) as info:
        parse_key(text)
    assert (info.value.message, info.value.offset) == (message, offset)


@pytest.mark.parametrize("fields", [(12, "major"), (-1, "minor"), (0, "blues"), (0, "ionian")])
def test_key_rejects_bad_fields(fields: tuple[int, str]) -> None:
    with pytest.raises(ValueError):
        Key(*fields)

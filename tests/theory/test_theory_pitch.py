"""Note names <-> MIDI numbers: known values, round trips, exact error messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rig.theory import TheoryError, note_name, parse_note, parse_pitch_class

KNOWN_NOTES = {
    "C4": 60,
    "A4": 69,
    "C#4": 61,
    "Db4": 61,
    "C♯4": 61,
    "D♭4": 61,
    "B#3": 60,
    "Cb4": 59,
    "E1": 28,
    "C-1": 0,
    "C#-1": 1,
    "G9": 127,
    "Gb9": 126,
    "A0": 21,
    "C8": 108,
    "B2": 47,
    "Bb2": 46,
    "F#3": 54,
    "E#4": 65,
    "Fb4": 64,
    "C##4": 62,
    "Ebb4": 62,
    "B##3": 61,
    "Cbb4": 58,
    "e1": 28,
    "bb3": 58,
    "g9": 127,
    " C4 ": 60,
}


@pytest.mark.parametrize(("text", "number"), KNOWN_NOTES.items())
def test_parse_note_known_values(text: str, number: int) -> None:
    assert parse_note(text) == number


NAMES_SHARP = {0: "C-1", 1: "C#-1", 21: "A0", 60: "C4", 61: "C#4", 70: "A#4", 127: "G9"}
NAMES_FLAT = {0: "C-1", 1: "Db-1", 21: "A0", 60: "C4", 61: "Db4", 70: "Bb4", 126: "Gb9"}


@pytest.mark.parametrize(("number", "name"), NAMES_SHARP.items())
def test_note_name_sharps(number: int, name: str) -> None:
    assert note_name(number) == name


@pytest.mark.parametrize(("number", "name"), NAMES_FLAT.items())
def test_note_name_flats(number: int, name: str) -> None:
    assert note_name(number, flats=True) == name


@given(st.integers(0, 127), st.booleans())
def test_round_trip(number: int, flats: bool) -> None:
    assert parse_note(note_name(number, flats)) == number


def test_every_number_has_a_distinct_name() -> None:
    assert len({note_name(n) for n in range(128)}) == 128
    assert len({note_name(n, flats=True) for n in range(128)}) == 128


_LETTER = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@given(
    st.sampled_from(sorted(_LETTER)),
    st.sampled_from(["", "#", "##", "b", "bb", "♯", "♭"]),
    st.integers(-1, 9),
)
def test_spelled_notes_follow_the_letter_octave(letter: str, acc: str, octave: int) -> None:
    # The octave number belongs to the letter: B#3 = C4, Cb4 = B3.
    alter = acc.count("#") + acc.count("♯") - acc.count("b") - acc.count("♭")
    expected = (octave + 1) * 12 + _LETTER[letter] + alter
    text = f"{letter}{acc}{octave}"
    if 0 <= expected <= 127:
        assert parse_note(text) == expected
    else:
        with pytest.raises(TheoryError):
            parse_note(text)


NOTE_ERRORS = [
    ("H2", "unknown note 'H2' (did you mean 'B2'?)", 0),
    ("h2", "unknown note 'h2' (did you mean 'B2'?)", 0),
    ("Hb2", "unknown note 'Hb2' (did you mean 'Bb2'?)", 0),
    ("X4", "unknown note 'X4' (notes are A to G, e.g. 'C4')", 0),
    ("4C", "unknown note '4C' (notes are A to G, e.g. 'C4')", 0),
    ("E", "note 'E' needs an octave, e.g. 'E3'", 0),
    ("Eb", "note 'Eb' needs an octave, e.g. 'Eb3'", 0),
    ("C-", "note 'C-' needs an octave number after '-', e.g. 'C-1'", 1),
    ("C4x", "unexpected 'x' in note 'C4x'", 2),
    ("Cx4", "unexpected 'x' in note 'Cx4'", 1),
    ("C#b4", "unexpected 'b' in note 'C#b4'", 2),
    ("C###4", "unexpected '#' in note 'C###4'", 3),
    ("C4.5", "unexpected '.' in note 'C4.5'", 2),
    ("C４", "unexpected '４' in note 'C４'", 1),
    ("G#9", "note 'G#9' is above the MIDI range (highest is G9)", 0),
    ("C10", "note 'C10' is above the MIDI range (highest is G9)", 0),
    ("Cb-1", "note 'Cb-1' is below the MIDI range (lowest is C-1)", 0),
    ("C-2", "note 'C-2' is below the MIDI range (lowest is C-1)", 0),
    ("", "empty note (write e.g. 'C4')", 0),
    ("   ", "empty note (write e.g. 'C4')", 0),
    ("  H2", "unknown note 'H2' (did you mean 'B2'?)", 2),
    (" C4x", "unexpected 'x' in note 'C4x'", 3),
]


@pytest.mark.parametrize(("text", "message", "offset"), NOTE_ERRORS)
def test_parse_note_errors(text: str, message: str, offset: int) -> None:
    with pytest.raises(TheoryError) as info:
        parse_note(text)
    assert info.value.message == message
    assert str(info.value) == message
    assert info.value.offset == offset


def test_theory_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_note("H2")


@pytest.mark.parametrize("number", [-1, 128, 1000])
def test_note_name_out_of_range(number: int) -> None:
    with pytest.raises(TheoryError) as info:
        note_name(number)
    assert info.value.message == f"note number {number} is outside the MIDI range 0..127"


PITCH_CLASSES = {
    "C": 0,
    "C#": 1,
    "Db": 1,
    "D": 2,
    "Ebb": 2,  # E double flat = D
    "F#": 6,
    "Gb": 6,
    "Bb": 10,
    "B♭": 10,
    "F♯": 6,
    "Cb": 11,
    "B#": 0,
    "E#": 5,
    "Fb": 4,
    "B": 11,
    "c": 0,
    "bb": 10,
    " A ": 9,
}


@pytest.mark.parametrize(("text", "pc"), PITCH_CLASSES.items())
def test_parse_pitch_class(text: str, pc: int) -> None:
    assert parse_pitch_class(text) == pc


PITCH_CLASS_ERRORS = [
    ("C4", "note 'C4' takes no octave here (write 'C')", 1),
    ("F#-1", "note 'F#-1' takes no octave here (write 'F#')", 2),
    ("Cx", "unexpected 'x' in note 'Cx'", 1),
    ("C-", "unexpected '-' in note 'C-'", 1),
    ("H", "unknown note 'H' (did you mean 'B'?)", 0),
    ("Q", "unknown note 'Q' (notes are A to G, e.g. 'C')", 0),
    ("", "empty note (write e.g. 'C')", 0),
    (" Cx", "unexpected 'x' in note 'Cx'", 2),
]


@pytest.mark.parametrize(("text", "message", "offset"), PITCH_CLASS_ERRORS)
def test_parse_pitch_class_errors(text: str, message: str, offset: int) -> None:
    with pytest.raises(TheoryError) as info:
        parse_pitch_class(text)
    assert (info.value.message, info.value.offset) == (message, offset)

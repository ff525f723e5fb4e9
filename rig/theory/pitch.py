"""Note names <-> MIDI note numbers, in scientific pitch notation (C4 = 60, A4 = 69).

Musicians type ``E1``, ``C#4``, ``Db4``, ``B♭2``; the sequencer needs numbers.
Accidentals are ``#``/``♯`` and ``b``/``♭``, at most two of one kind (double
sharp/flat). Letters may be lower case in notes (``e1``): there is no ambiguity,
a ``b`` after the letter is always a flat.

The scanning helpers here are shared with `chords` and `scales`, which have
their own wording for errors but read a root or tonic the same way.
"""

from __future__ import annotations

from rig.theory.errors import TheoryError

__all__ = [
    "parse_note",
    "note_name",
    "parse_pitch_class",
    "pitch_class_name",
    "scan_pitch_class",
    "letter_hint",
    "LOWEST",
    "HIGHEST",
]

LOWEST = 0  # C-1
HIGHEST = 127  # G9

_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHARPS = "#♯"
_FLATS = "b♭"
_MAX_ACCIDENTALS = 2  # double sharp / double flat; more is surely a typo
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
# German and Scandinavian notation write B natural as H; players trained there
# type it out of habit.
_FOREIGN_LETTERS = {"H": "B"}


def scan_pitch_class(text: str, start: int = 0, lower_ok: bool = True) -> tuple[int | None, int]:
    """Read a letter and its accidentals at `start`.

    Returns (pitch class 0..11, index after the accidentals), or (None, start)
    when there is no note letter there.
    """
    if start >= len(text):
        return None, start
    letter = text[start]
    if not lower_ok and not letter.isupper():
        return None, start
    base = _LETTERS.get(letter.upper())
    if base is None:
        return None, start
    i = start + 1
    alter = 0
    if i < len(text) and text[i] in _SHARPS + _FLATS:
        kind = _SHARPS if text[i] in _SHARPS else _FLATS
        while i < len(text) and text[i] in kind and abs(alter) < _MAX_ACCIDENTALS:
            alter += 1 if kind is _SHARPS else -1
            i += 1
    return (base + alter) % 12, i


def letter_hint(text: str, at: int, example: str) -> str:
    """The '(did you mean ...?)' tail for text whose letter at `at` is not A-G."""
    letter = text[at] if at < len(text) else ""
    fixed = _FOREIGN_LETTERS.get(letter.upper())
    if fixed is not None:
        return f" (did you mean '{text[:at]}{fixed}{text[at + 1 :]}'?)"
    if letter.upper() in _LETTERS:  # a lower-case letter where a capital is needed
        return f" (did you mean '{text[:at]}{letter.upper()}{text[at + 1 :]}'?)"
    return f" (notes are A to G, e.g. '{example}')"


def _strip(text: str) -> tuple[str, int]:
    """Text without surrounding blanks, and how many characters were cut in front."""
    stripped = text.strip()
    return stripped, (len(text) - len(text.lstrip())) if stripped else 0


def parse_note(text: str) -> int:
    """MIDI note number of a note name with octave: ``"C4"`` -> 60, ``"C-1"`` -> 0."""
    s, lead = _strip(text)
    if not s:
        raise TheoryError("empty note (write e.g. 'C4')", 0)
    pc, i = scan_pitch_class(s)
    if pc is None:
        raise TheoryError(f"unknown note '{s}'{letter_hint(s, 0, 'C4')}", lead)
    name = s[:i]
    rest = s[i:]
    if not rest:
        raise TheoryError(f"note '{s}' needs an octave, e.g. '{name}3'", lead)
    j = i + 1 if rest[0] == "-" else i
    if j == len(s):
        raise TheoryError(f"note '{s}' needs an octave number after '-', e.g. '{name}-1'", lead + i)
    for k in range(j, len(s)):
        if not s[k].isascii() or not s[k].isdigit():
            raise TheoryError(f"unexpected '{s[k]}' in note '{s}'", lead + k)
    # The letter's own octave: B#3 is C4 and Cb4 is B3, so add the alteration to
    # the letter's number rather than wrapping the pitch class.
    letter_number = (int(s[i:]) + 1) * 12 + _LETTERS[s[0].upper()]
    number = letter_number + _alteration(s, 1, i)
    if number < LOWEST:
        raise TheoryError(f"note '{s}' is below the MIDI range (lowest is C-1)", lead)
    if number > HIGHEST:
        raise TheoryError(f"note '{s}' is above the MIDI range (highest is G9)", lead)
    return number


def _alteration(s: str, start: int, end: int) -> int:
    return sum(1 if ch in _SHARPS else -1 for ch in s[start:end])


def pitch_class_name(pc: int, flats: bool = False) -> str:
    """``1`` -> ``"C#"`` (or ``"Db"``)."""
    return (_FLAT_NAMES if flats else _SHARP_NAMES)[pc % 12]


def note_name(number: int, flats: bool = False) -> str:
    """Inverse of `parse_note`: ``61`` -> ``"C#4"`` (``"Db4"`` with flats)."""
    if not LOWEST <= number <= HIGHEST:
        raise TheoryError(f"note number {number} is outside the MIDI range 0..127")
    return f"{pitch_class_name(number % 12, flats)}{number // 12 - 1}"


def parse_pitch_class(text: str) -> int:
    """Pitch class of a note name without octave: ``"C"`` -> 0, ``"F#"`` -> 6, ``"Bb"`` -> 10."""
    s, lead = _strip(text)
    if not s:
        raise TheoryError("empty note (write e.g. 'C')", 0)
    pc, i = scan_pitch_class(s)
    if pc is None:
        raise TheoryError(f"unknown note '{s}'{letter_hint(s, 0, 'C')}", lead)
    if i < len(s):
        if s[i].isdigit() or (s[i] == "-" and s[i + 1 : i + 2].isdigit()):
            raise TheoryError(f"note '{s}' takes no octave here (write '{s[:i]}')", lead + i)
        raise TheoryError(f"unexpected '{s[i]}' in note '{s}'", lead + i)
    return pc

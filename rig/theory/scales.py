"""Keys and modes: ``E minor``, ``Em``, ``F# major``, ``A dorian``, ``D harmonic minor``.

A `Key` is a tonic pitch class and a mode name; `pitch_classes()` lists the
scale from the tonic upward. The tonic keeps the spelling it was written with
(``Gb major`` stays ``Gb``), so messages and displays echo the musician.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rig.theory.errors import TheoryError, closest
from rig.theory.pitch import HIGHEST, LOWEST, letter_hint, pitch_class_name, scan_pitch_class

__all__ = ["Key", "parse_key", "tonic_triad", "MODES"]

# Semitones above the tonic, one octave of the scale.
_STEPS: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "aeolian": (0, 2, 3, 5, 7, 8, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
    "melodic minor": (0, 2, 3, 5, 7, 9, 11),
}
MODES: tuple[str, ...] = tuple(_STEPS)

# How far the mode's tonic sits above its relative major: decides whether the
# key signature, and so the tonic's default spelling, uses flats.
_FROM_RELATIVE_MAJOR = {
    "major": 0,
    "dorian": 2,
    "phrygian": 4,
    "lydian": 5,
    "mixolydian": 7,
    "minor": 9,
    "aeolian": 9,
    "harmonic minor": 9,
    "melodic minor": 9,
    "locrian": 11,
}
_FLAT_MAJORS = frozenset({5, 10, 3, 8, 1})  # F Bb Eb Ab Db (F#, not Gb, for six accidentals)

# Mode spellings accepted after a space (compared in lower case).
_MODE_WORDS = {m: m for m in MODES} | {
    "ionian": "major",
    "maj": "major",
    "min": "minor",
    "m": "minor",
}
# Short forms written straight after the tonic ("Em", "Ebmaj"); case matters for m/M.
_SHORT = {"": "major", "M": "major", "maj": "major", "m": "minor", "min": "minor", "-": "minor"}


@dataclass(frozen=True)
class Key:
    """A tonic (pitch class 0..11) and a mode from `MODES`."""

    tonic: int
    mode: str = "major"
    # The tonic as written ("Gb"); "" means spell by key signature. Not part of equality.
    spelling: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.tonic <= 11:
            raise ValueError(f"key tonic must be a pitch class 0..11, got {self.tonic}")
        if self.mode not in _STEPS:
            raise ValueError(f"unknown mode {self.mode!r}; known: {', '.join(MODES)}")

    def pitch_classes(self) -> tuple[int, ...]:
        """The scale's pitch classes from the tonic upward: E minor -> (4, 6, 7, 9, 11, 0, 2)."""
        return tuple((self.tonic + s) % 12 for s in _STEPS[self.mode])

    @property
    def tonic_name(self) -> str:
        if self.spelling:
            return self.spelling
        relative_major = (self.tonic - _FROM_RELATIVE_MAJOR[self.mode]) % 12
        return pitch_class_name(self.tonic, flats=relative_major in _FLAT_MAJORS)

    def __str__(self) -> str:
        return f"{self.tonic_name} {self.mode}"


def _spelling(written: str) -> str:
    return written[0].upper() + written[1:].replace("♯", "#").replace("♭", "b")


def parse_key(text: str) -> Key:
    """Parse ``"E minor"``, ``"Em"``, ``"F# major"``, ``"C"``, ``"Bb mixolydian"``."""
    s = text.strip()
    lead = len(text) - len(text.lstrip()) if s else 0
    if not s:
        raise TheoryError("empty key (write e.g. 'E minor')", 0)
    tonic, i = scan_pitch_class(s)
    if tonic is None:
        hint = letter_hint(s, 0, "")
        if hint.startswith(" (notes"):
            hint = " (a key starts with its tonic, A to G, e.g. 'E minor')"
        raise TheoryError(f"unknown key '{s}'{hint}", lead)
    spelling = _spelling(s[:i])
    rest = s[i:]
    if rest in _SHORT:
        return Key(tonic, _SHORT[rest], spelling)
    start = i + (len(rest) - len(rest.lstrip()))
    # "harmonic-minor", "Harmonic  Minor": one spelling for the lookup.
    word = re.sub(r"[\s_-]+", " ", rest.strip()).lower()
    mode = _MODE_WORDS.get(word)
    if mode is None:
        written = s[start:]
        guess = closest(word, _MODE_WORDS)
        tail = f" (did you mean '{guess}'?)" if guess else f" (known: {', '.join(MODES)})"
        raise TheoryError(f"unknown mode '{written}'{tail}", lead + start)
    return Key(tonic, mode, spelling)


def tonic_triad(key: Key, octave: int = 4) -> tuple[int, ...]:
    """The triad on the key's tonic from its own scale (1-3-5), tonic in `octave`."""
    steps = _STEPS[key.mode]
    root = (octave + 1) * 12 + key.tonic
    notes = (root, root + steps[2], root + steps[4])
    if notes[0] < LOWEST or notes[-1] > HIGHEST:
        raise TheoryError(
            f"tonic triad of {key} at octave {octave} is outside the MIDI range 0..127"
        )
    return notes

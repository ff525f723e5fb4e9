"""Chord symbols as musicians write them, and their voicing as MIDI notes.

``Fm9``, ``Ebmaj7``, ``CΔ7``, ``Bbsus2``, ``Eb/G`` (slash bass), ``Am7^1``
(first inversion). A symbol is a capital root letter with accidentals, a quality,
optionally ``/bass`` and optionally ``^k`` at the very end. Parentheses around
alterations are accepted (``C7(b9)``, ``Cm(maj7)``) and ``♯``/``♭`` read as ``#``/``b``.

Roots must be capitals: in some traditions a lower-case letter means minor, so
``am`` is refused with a suggestion rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.theory.errors import TheoryError, closest
from rig.theory.pitch import HIGHEST, LOWEST, letter_hint, note_name, scan_pitch_class

__all__ = ["Chord", "parse_chord", "voice_chord", "VOICINGS", "QUALITIES", "ALIASES"]

VOICINGS: tuple[str, ...] = ("close", "open", "spread")

# Canonical quality -> semitones above the root. Extensions sit above the octave
# as their names say (9 = 14, 11 = 17, 13 = 21).
QUALITIES: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "5": (0, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "add2": (0, 2, 4, 7),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14),
    "add11": (0, 4, 7, 17),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "69": (0, 4, 7, 9, 14),
    "m69": (0, 3, 7, 9, 14),
    "maj7": (0, 4, 7, 11),
    "7": (0, 4, 7, 10),
    "m7": (0, 3, 7, 10),
    "mmaj7": (0, 3, 7, 11),
    "dim7": (0, 3, 6, 9),
    "m7b5": (0, 3, 6, 10),
    "aug7": (0, 4, 8, 10),
    "maj7#5": (0, 4, 8, 11),
    "7sus2": (0, 2, 7, 10),
    "7sus4": (0, 5, 7, 10),
    "7b5": (0, 4, 6, 10),
    "7b9": (0, 4, 7, 10, 13),
    "7#9": (0, 4, 7, 10, 15),
    "7#11": (0, 4, 7, 10, 18),
    "maj7#11": (0, 4, 7, 11, 18),
    "9": (0, 4, 7, 10, 14),
    "maj9": (0, 4, 7, 11, 14),
    "m9": (0, 3, 7, 10, 14),
    "9sus4": (0, 5, 7, 10, 14),
    # The dominant 11 leaves out the 3rd: it would sit a minor 9th under the 11th,
    # and players voice C11 as Bb/C anyway. Minor 11 keeps its b3 (no clash).
    "11": (0, 7, 10, 14, 17),
    "m11": (0, 3, 7, 10, 14, 17),
    # Likewise 13 and maj13 leave out the 11th (the avoid note over a major 3rd);
    # m13 keeps it.
    "13": (0, 4, 7, 10, 14, 21),
    "maj13": (0, 4, 7, 11, 14, 21),
    "m13": (0, 3, 7, 10, 14, 17, 21),
}

# Every accepted spelling -> canonical quality. Case matters: M7 is major, m7 minor.
ALIASES: dict[str, str] = {q: q for q in QUALITIES}
ALIASES.update(
    {
        "M": "", "maj": "", "Maj": "",
        "min": "m", "mi": "m", "-": "m",
        "°": "dim", "o": "dim",
        "+": "aug",
        "sus": "sus4",
        "6/9": "69", "6add9": "69",
        "m6/9": "m69", "min69": "m69", "-69": "m69",
        "min6": "m6", "-6": "m6",
        "minadd9": "madd9", "-add9": "madd9",
        "M7": "maj7", "Maj7": "maj7", "ma7": "maj7", "Δ": "maj7", "Δ7": "maj7",
        "dom7": "7",
        "min7": "m7", "mi7": "m7", "-7": "m7",
        "mMaj7": "mmaj7", "mM7": "mmaj7", "minmaj7": "mmaj7", "minMaj7": "mmaj7",
        "-maj7": "mmaj7", "mΔ7": "mmaj7", "-Δ7": "mmaj7",
        "°7": "dim7", "o7": "dim7",
        "ø": "m7b5", "ø7": "m7b5", "Ø": "m7b5", "Ø7": "m7b5",
        "min7b5": "m7b5", "mi7b5": "m7b5", "-7b5": "m7b5",
        "+7": "aug7", "7#5": "aug7", "7+": "aug7",
        "augmaj7": "maj7#5", "+maj7": "maj7#5", "Δ7#5": "maj7#5", "M7#5": "maj7#5",
        "7sus": "7sus4",
        "9sus": "9sus4",
        "Δ7#11": "maj7#11", "M7#11": "maj7#11", "Maj7#11": "maj7#11",
        "M9": "maj9", "Maj9": "maj9", "Δ9": "maj9",
        "min9": "m9", "mi9": "m9", "-9": "m9",
        "min11": "m11", "-11": "m11",
        "M13": "maj13", "Maj13": "maj13", "Δ13": "maj13",
        "min13": "m13", "-13": "m13",
    }
)  # fmt: skip

# Spellings proposed in "did you mean": plain ASCII, the way most charts write them.
_SUGGESTABLE = tuple(a for a in ALIASES if a and a.isascii())
_EXAMPLES = "e.g. 'C', 'Cm', 'C7', 'Cmaj7', 'Cm7', 'Csus4'"


def _normalize_quality(q: str) -> str:
    # U+2206 (increment) looks exactly like the Greek capital delta on most keyboards.
    return q.replace("∆", "Δ").replace("♯", "#").replace("♭", "b")


@dataclass(frozen=True)
class Chord:
    """A parsed chord symbol.

    `root` and `bass` are pitch classes (0..11); `intervals` are semitones above
    the root, ascending from 0; `inversion` counts how many of the lowest tones
    go up an octave; `symbol` is the text as written.
    """

    root: int
    intervals: tuple[int, ...]
    bass: int | None = None
    inversion: int = 0
    symbol: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.root <= 11:
            raise ValueError(f"chord root must be a pitch class 0..11, got {self.root}")
        if self.bass is not None and not 0 <= self.bass <= 11:
            raise ValueError(f"chord bass must be a pitch class 0..11, got {self.bass}")
        iv = self.intervals
        if not iv or iv[0] != 0 or any(b <= a for a, b in zip(iv, iv[1:], strict=False)):
            raise ValueError(f"chord intervals must ascend from 0, got {iv}")
        if not 0 <= self.inversion < len(iv):
            raise ValueError(f"inversion {self.inversion} out of range for {len(iv)} notes")

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """Chord tones as pitch classes, root first (the slash bass not included)."""
        return tuple((self.root + i) % 12 for i in self.intervals)

    def __str__(self) -> str:
        return self.symbol


def _inversion_range(n: int) -> str:
    if n == 2:
        return "use ^1"
    if n == 3:
        return "use ^1 or ^2"
    return f"use ^1 to ^{n - 1}"


def _find_slash(s: str, start: int) -> int:
    """Index of the slash-bass '/', or -1. A '/' before a digit belongs to the quality (6/9)."""
    i = s.find("/", start)
    while i != -1:
        if not s[i + 1 : i + 2].isdigit():
            return i
        i = s.find("/", i + 1)
    return -1


def parse_chord(text: str) -> Chord:
    """Parse a chord symbol: ``"Fm9"``, ``"Eb/G"``, ``"Am7^1"``."""
    s = text.strip()
    lead = len(text) - len(text.lstrip()) if s else 0
    if not s:
        raise TheoryError(f"empty chord (write {_EXAMPLES})", 0)

    def fail(message: str, at: int) -> TheoryError:
        return TheoryError(message, lead + at)

    root, q_start = scan_pitch_class(s, 0, lower_ok=False)
    if root is None:
        hint = letter_hint(s, 0, "Cm7")
        if hint.startswith(" (notes"):
            hint = " (a chord starts with its root, A to G, e.g. 'Cm7')"
        raise fail(f"unknown chord '{s}'{hint}", 0)

    # Inversion: '^k' at the very end.
    end = len(s)
    inversion = 0
    caret = s.find("^")
    if caret != -1:
        digits = s[caret + 1 :]
        if not digits or not (digits.isascii() and digits.isdigit()):
            # "Am7^1/G": the number is there but the bass follows; show it moved.
            lead_digits = len(digits) - len(digits.lstrip("0123456789"))
            moved = digits[lead_digits:] + "^" + (digits[:lead_digits] or "1")
            example = s[:caret] + moved if lead_digits else f"{s[:caret]}^1"
            raise fail(
                f"chord '{s}': write the inversion as '^' and a number at the end, "
                f"e.g. '{example}'",
                caret + 1,
            )
        inversion = int(digits)
        end = caret

    # Slash bass.
    bass: int | None = None
    slash = _find_slash(s[:end], q_start)
    q_end = end
    if slash != -1:
        q_end = slash
        b_start = slash + 1
        if b_start == end:
            raise fail(f"chord '{s}' needs a bass note after '/', e.g. '{s[:slash]}/E'", slash)
        bass, b_end = scan_pitch_class(s[:end], b_start)
        if bass is None:
            hint = letter_hint(s, b_start, "")
            if hint.startswith(" (notes"):
                hint = f" (the bass after '/' is a note A to G, e.g. '{s[:slash]}/E')"
            raise fail(f"unknown chord '{s}'{hint}", b_start)
        if b_end < end:
            if s[b_end].isdigit():
                fixed = s[:b_end] + s[end:]
                raise fail(f"unknown chord '{s}' (the bass takes no octave: '{fixed}')", b_end)
            raise fail(f"unexpected '{s[b_end]}' in chord '{s}'", b_end)

    written = s[q_start:q_end]
    quality = _normalize_quality(written)
    canonical = ALIASES.get(quality)
    if canonical is None:
        # Parentheses only group alterations: C7(b9) = C7b9, Cm(maj7) = Cmmaj7.
        canonical = ALIASES.get(quality.replace("(", "").replace(")", ""))
    if canonical is None:
        guess = closest(quality, _SUGGESTABLE)
        if guess is not None:
            tail = f" (did you mean '{s[:q_start]}{guess}{s[q_end:]}'?)"
        else:
            tail = f" (write {_EXAMPLES})"
        raise fail(f"unknown chord '{s}'{tail}", q_start)

    intervals = QUALITIES[canonical]
    if inversion >= len(intervals):
        raise fail(
            f"inversion ^{inversion} is too high for '{s[:end]}' "
            f"({len(intervals)} notes: {_inversion_range(len(intervals))})",
            caret + 1,
        )
    return Chord(root, intervals, bass, inversion, s)


def voice_chord(chord: Chord, octave: int = 4, voicing: str = "close") -> tuple[int, ...]:
    """MIDI notes of `chord`, ascending, with the root in `octave` (C4 = 60).

    - close: tones stacked upward from the root; inversion k moves the k lowest
      tones up an octave.
    - open: drop-2, the second-highest tone of the close voicing an octave down.
    - spread: the lowest tone of the close voicing (the root, unless inverted)
      an octave down, the rest close. Dropping the lowest rather than literally
      the root keeps an inverted chord's chosen bass at the bottom.
    - slash bass: placed at the nearest note below the lowest tone of the close
      voicing; if it is also a chord tone it leaves the upper voicing, but only in
      chords of four or more tones (a triad keeps all three, so Eb/G still sounds
      full). Open and spread never push it lower: spread drops nothing (the slash
      bass is the low voice), and a tone that open's drop-2 lands on the bass's own
      key is that bass (Eb/G open at octave 3 is G2 Eb3 Bb3, not G1 under G2 —
      a pad an octave under the written bass's register, in unison with a bass line).
      Only an upper tone dropped below it moves the bass down (to the nearest below).
    """
    if voicing not in VOICINGS:
        guess = closest(voicing, VOICINGS)
        tail = f" (did you mean '{guess}'?)" if guess else f" (known: {', '.join(VOICINGS)})"
        raise TheoryError(f"unknown voicing '{voicing}'{tail}")
    root = (octave + 1) * 12 + chord.root
    notes = [root + i for i in chord.intervals]
    for k in range(chord.inversion):
        notes[k] += 12
    notes.sort()

    bass = None
    if chord.bass is not None:
        upper = [n for n in notes if n % 12 != chord.bass] if len(notes) >= 4 else notes
        bass = _below(upper[0], chord.bass)

    if voicing == "open" and len(notes) >= 2:
        notes[-2] -= 12
        notes.sort()
    elif voicing == "spread" and bass is None:
        notes[0] -= 12

    if chord.bass is not None and bass is not None:
        if len(notes) >= 4:
            notes = [n for n in notes if n % 12 != chord.bass]
        if notes[0] < bass:
            bass = _below(notes[0], chord.bass)
        notes = [bass, *(n for n in notes if n != bass)]

    if notes[0] < LOWEST or notes[-1] > HIGHEST:
        where = "below C-1 (0)" if notes[0] < LOWEST else "above G9 (127)"
        raise TheoryError(
            f"chord '{chord.symbol or _describe(chord)}' at octave {octave} "
            f"({voicing}) reaches {where}; choose another octave"
        )
    return tuple(notes)


def _below(note: int, pitch_class: int) -> int:
    """The nearest key of `pitch_class` strictly below `note`."""
    return note - ((note - pitch_class) % 12 or 12)


def _describe(chord: Chord) -> str:
    return note_name(60 + chord.root)[:-1]

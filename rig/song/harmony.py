"""Notes relative to the harmony: steps as degrees of the sounding chord.

In a pattern with `harmony:` (a chord progression, or the name of a `chords` theme),
a step may be written as a degree instead of a note:

- ``r`` or ``1`` the chord's root, ``3``, ``5``, ``7`` its third, fifth and seventh as the
  chord has them (minor or major third, flat or natural seventh …), ``2 4 6 9 11 13`` and
  any degree the chord lacks from the major scale above the root, ``8`` the octave;
- ``b7``, ``#4``, ``b3`` an explicit flat or sharp degree (major scale ∓ 1, not the chord's);
- ``^`` / ``v`` after it: an octave up / down (``5^``, ``rvv``); ``r+5`` stacks.

The root sits in the pattern's `octave` (default 4, C4 = 60), so a bass says `octave: 1`.
Written once, a bass line or riff follows every chord change of the progression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rig.theory.chords import Chord

__all__ = ["Degree", "DEGREE", "parse_degree", "degree_note"]

DEGREE = re.compile(r"(r|[b#]?\d{1,2})([\^v]*)")
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
# Which chord tones answer for a plain degree: third, fifth, seventh and the tensions.
_CHORD_TONES = {3: (3, 4), 5: (7, 6, 8), 7: (10, 11, 9), 2: (2, 1, 3), 4: (5, 6), 6: (9, 8)}


@dataclass(frozen=True, slots=True)
class Degree:
    degree: int  # 1.. (1 = root, 8 = octave)
    accidental: int  # -1 flat, 0 as the chord has it, +1 sharp
    octave: int  # octave marks: +1 per ^, -1 per v


def parse_degree(text: str) -> Degree | None:
    """`r`, `5`, `b7`, `3^`, `1vv` → a Degree; None when `text` is not one (or degree 0)."""
    m = DEGREE.fullmatch(text)
    if not m:
        return None
    body, marks = m.group(1), m.group(2)
    octave = marks.count("^") - marks.count("v")
    if body == "r":
        return Degree(1, 0, octave)
    accidental = {"b": -1, "#": 1}.get(body[0], 0)
    number = int(body[1:] if accidental else body)
    if not 1 <= number <= 15:
        return None
    return Degree(number, accidental, octave)


def degree_note(degree: Degree, chord: Chord, octave: int) -> int:
    """The MIDI note of `degree` over `chord`, the root in `octave` (C4 = 60)."""
    span, step = divmod(degree.degree - 1, 7)
    interval = _MAJOR[step] + degree.accidental
    if degree.accidental == 0:
        # 3, 5, 7 from the chord's own tones; 2 (9), 4 (11), 6 (13) from its tensions only
        low = step + 1 in (3, 5, 7)
        have = {i % 12 for i in chord.intervals if (i < 12) == low}
        for candidate in _CHORD_TONES.get(step + 1, ()):
            if candidate in have:
                interval = candidate
                break
    return 12 * (octave + 1) + chord.root + interval + 12 * (span + degree.octave)

"""The one error the theory layer raises, and the "did you mean" helper it uses.

`TheoryError` knows nothing about files: it carries a musician-readable message
and the index of the offending character within the text it was given. The song
loader adds that offset to the token's column to report ``file:line:col``.

`closest()` lives here rather than reusing ``rig.source.suggest`` because
importing ``rig.source`` pulls in yaml, and this package must stay pure. It is
also tuned for short symbols: difflib alone proposes ``maj`` for ``maj8``
(a prefix scores higher than a one-character slip), which is not what a player
who typed a number meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["TheoryError", "closest"]


class TheoryError(ValueError):
    """A bad pitch, chord, key or voicing.

    `message` reads well on its own (``unknown note 'H2' (did you mean 'B2'?)``);
    `offset` is the index of the offending character in the text given.
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __repr__(self) -> str:
        return f"TheoryError({self.message!r}, offset={self.offset})"


def _cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if a.lower() == b.lower():
        return 0.5  # a slip of the shift key
    if a.isdigit() != b.isdigit():
        return 1.5  # a number for a letter changes the chord's family (m8 -> mi)
    return 1.0


def _indel(ch: str) -> float:
    # Dropping or adding a digit changes which chord is meant (maj9 -> maj),
    # so it costs more than swapping one digit for a neighbour (maj8 -> maj9).
    return 1.5 if ch.isdigit() else 1.0


def _distance(a: str, b: str) -> float:
    """Weighted Damerau-Levenshtein distance (optimal string alignment)."""
    rows = len(a) + 1
    cols = len(b) + 1
    d = [[0.0] * cols for _ in range(rows)]
    for i in range(1, rows):
        d[i][0] = d[i - 1][0] + _indel(a[i - 1])
    for j in range(1, cols):
        d[0][j] = d[0][j - 1] + _indel(b[j - 1])
    for i in range(1, rows):
        for j in range(1, cols):
            best = min(
                d[i - 1][j] + _indel(a[i - 1]),
                d[i][j - 1] + _indel(b[j - 1]),
                d[i - 1][j - 1] + _cost(a[i - 1], b[j - 1]),
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, d[i - 2][j - 2] + 1.0)
            d[i][j] = best
    return d[-1][-1]


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known spelling a typo most likely meant, or None if nothing is close.

    Ranked by weighted edit distance, then by difflib similarity; remaining ties go
    to the alphabetically last candidate, as difflib does, so results are stable.
    """
    best: tuple[float, float] | None = None
    choice: str | None = None
    for cand in sorted(set(known), reverse=True):
        dist = _distance(word, cand)
        ratio = difflib.SequenceMatcher(None, word.lower(), cand.lower()).ratio()
        if dist > 2.0 or ratio < 0.5:
            continue
        key = (dist, -ratio)
        if best is None or key < best:
            best, choice = key, cand
    return choice

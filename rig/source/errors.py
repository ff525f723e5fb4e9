"""Errors that point at a place in a file a musician wrote.

Every user-facing problem with songs, sets, devices, voices and the config is a
`SourceError` carrying file, line and column (1-based), so it prints as
``songs/inferno.yaml:12:18: unknown note 'H2' (did you mean 'B2'?)``.
Loaders collect all problems in a `Problems` list and raise them together.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rig.source.text import printable

__all__ = ["Pos", "SourceError", "Problems", "InputError", "suggest", "MAX_PROBLEMS"]


@dataclass(frozen=True, slots=True)
class Pos:
    """A place in a source file; line and col are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class SourceError:
    """One problem at one place."""

    pos: Pos
    message: str

    def __str__(self) -> str:
        # Escaped: a message quotes names from the file, which may hold escape sequences.
        return printable(f"{self.pos}: {self.message}")


class InputError(Exception):
    """Raised by loaders with every problem found in one pass."""

    def __init__(self, errors: Iterable[SourceError]):
        self.errors: list[SourceError] = sorted(
            set(errors), key=lambda e: (e.pos.file, e.pos.line, e.pos.col, e.message)
        )
        super().__init__("\n".join(str(e) for e in self.errors))


MAX_PROBLEMS = 200  # per file; a broken or hostile file could otherwise print millions


class Problems:
    """Collects problems while validating, so one run reports all of them.

    At most `MAX_PROBLEMS`: past that, problems are counted, not kept, and one last
    error says how many more there were (work and output stay bounded).
    """

    def __init__(self) -> None:
        self._errors: list[SourceError] = []
        self.dropped = 0

    @property
    def full(self) -> bool:
        return len(self._errors) >= MAX_PROBLEMS

    def add(self, pos: Pos, message: str) -> None:
        if self.full:
            self.dropped += 1
            return
        self._errors.append(SourceError(pos, message))

    def extend(self, errors: Iterable[SourceError]) -> None:
        for error in errors:
            self.add(error.pos, error.message)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __len__(self) -> int:
        return len(self._errors)

    def __iter__(self) -> Iterator[SourceError]:
        return iter(self._errors)

    def raise_if_any(self) -> None:
        if self._errors:
            errors = list(self._errors)
            if self.dropped:
                last = max(errors, key=lambda e: (e.pos.file, e.pos.line, e.pos.col)).pos
                more = f"... and {self.dropped} more problems (the first {MAX_PROBLEMS} shown)"
                errors.append(SourceError(last, more))
            raise InputError(errors)


def suggest(word: str, known: Iterable[str], what: str = "") -> str:
    """A '(did you mean ...?)' or '(known: ...)' tail for an unknown name."""
    options = sorted(set(known))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        lowered = {o.lower(): o for o in options}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    if close:
        return f" (did you mean '{close[0]}'?)"
    if not options:
        return f" (no {what} defined)" if what else ""
    shown = ", ".join(options[:8]) + (", …" if len(options) > 8 else "")
    return f" (known: {shown})"

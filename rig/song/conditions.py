"""Trig conditions (the Elektron kind): when a step, a lane or a whole pattern plays.

Written in braces after a step (`x{1:4}`, `E2{!fill}`, `C4{first}`), as a lane's or a
pattern's `if:`, or as a pattern's `every:`/`on:` bar filter:

- ``A:B``   plays on the A-th of every B loops of the pattern in its section (`1:4`, `4:4`);
- ``fill``  plays while fill is on (a section's `fill:` bars, or the live fill control);
- ``first`` the first loop of the section; ``last`` the loop that reaches the section's end;
- ``pre``   the outcome of the most recent condition or chance before it on the same line;
- ``!`` before any of them negates it (`!fill`, `!first`, `!pre`, `!1:2`).

A condition is pure data; `Situation` carries what it is tested against, so the compiler
can evaluate it for both fill states and the arrangement query can pick one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rig.source.errors import Pos, Problems, suggest

__all__ = ["Condition", "Situation", "parse_condition", "CONDITION_NAMES", "MAX_LOOPS"]

CONDITION_NAMES = ("fill", "first", "last", "pre")
MAX_LOOPS = 64  # the B of A:B
_RATIO = re.compile(r"(\d+):(\d+)")


@dataclass(frozen=True, slots=True)
class Condition:
    kind: str  # "ratio" | "fill" | "first" | "last" | "pre"
    negate: bool = False
    a: int = 0  # ratio: play on the a-th (1-based) ...
    b: int = 0  # ... of every b loops

    def __str__(self) -> str:
        body = f"{self.a}:{self.b}" if self.kind == "ratio" else self.kind
        return ("!" if self.negate else "") + body


@dataclass(frozen=True, slots=True)
class Situation:
    """What a condition is tested against at one step: loop number, last loop, fill, pre."""

    loop: int  # 0-based loop of the pattern within its section
    last: bool
    fill: bool
    pre: bool = False

    def test(self, cond: Condition | None) -> bool:
        if cond is None:
            return True
        if cond.kind == "ratio":
            hit = self.loop % cond.b == cond.a - 1
        elif cond.kind == "fill":
            hit = self.fill
        elif cond.kind == "first":
            hit = self.loop == 0
        elif cond.kind == "last":
            hit = self.last
        else:
            hit = self.pre
        return hit != cond.negate


def parse_condition(text: str, pos: Pos, problems: Problems, what: str) -> Condition | None:
    """`1:4`, `fill`, `!first` … → a Condition; a problem at `pos` (the text's start) if not."""
    body = text.strip()
    negate = body.startswith("!")
    if negate:
        body = body[1:].strip()
    if m := _RATIO.fullmatch(body):
        a, b = int(m.group(1)), int(m.group(2))
        if not 1 <= b <= MAX_LOOPS:
            problems.add(pos, f"{what}: condition {text}: B must be 1..{MAX_LOOPS}")
            return None
        if not 1 <= a <= b:
            problems.add(pos, f"{what}: condition {text}: A must be 1..{b} (A-th of every {b})")
            return None
        return Condition("ratio", negate, a, b)
    if body in CONDITION_NAMES:
        return Condition(body, negate)
    problems.add(
        pos,
        f"{what}: unknown condition '{text}'{suggest(body, CONDITION_NAMES)} "
        "(use A:B, fill, first, last or pre, with ! to negate)",
    )
    return None

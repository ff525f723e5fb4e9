"""Small validators that turn `Node`s into typed values or report a problem.

Each helper returns the value, or None after adding a `SourceError` to the
`Problems` list, so validation continues and every mistake is reported in one
run. Messages follow one style: ``<what>: <problem>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fractions import Fraction

from rig.source.errors import Pos, Problems, suggest
from rig.source.yamltree import Node

__all__ = [
    "as_bars",
    "MapReader",
    "as_map",
    "as_list",
    "as_str",
    "as_int",
    "as_number",
    "as_bool",
    "as_fraction",
    "as_percent",
    "as_str_list",
]


def _kind(node: Node) -> str:
    if node.is_map:
        return "a mapping"
    if node.is_list:
        return "a list"
    if node.value is None:
        return "empty"
    if isinstance(node.value, bool):
        return "true/false"
    if isinstance(node.value, int | float):
        return f"the number {node.value}"
    text = str(node.value)
    # Quoted back in an error, so kept short: a wrong file (or a hostile one) is not
    # echoed onto the terminal.
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def as_map(node: Node, problems: Problems, what: str) -> dict[str, Node] | None:
    if node.is_map:
        return node.value
    problems.add(node.pos, f"{what}: expected a mapping (key: value), got {_kind(node)}")
    return None


def as_list(node: Node, problems: Problems, what: str) -> list[Node] | None:
    if node.is_list:
        return node.value
    problems.add(node.pos, f"{what}: expected a list, got {_kind(node)}")
    return None


def as_str(node: Node, problems: Problems, what: str) -> str | None:
    if isinstance(node.value, str) and node.value.strip():
        return node.value
    if isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return str(node.value)
    problems.add(node.pos, f"{what}: expected text, got {_kind(node)}")
    return None


def as_str_list(node: Node, problems: Problems, what: str) -> list[tuple[str, Node]] | None:
    """A list of names; a single name is accepted as a list of one."""
    items = node.value if node.is_list else [node]
    out: list[tuple[str, Node]] = []
    for item in items:
        text = as_str(item, problems, what)
        if text is not None:
            out.append((text, item))
    return out


def as_bool(node: Node, problems: Problems, what: str) -> bool | None:
    if isinstance(node.value, bool):
        return node.value
    problems.add(node.pos, f"{what}: expected true or false, got {_kind(node)}")
    return None


def as_int(
    node: Node, problems: Problems, what: str, lo: int | None = None, hi: int | None = None
) -> int | None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(node.pos, f"{what}: expected a whole number, got {_kind(node)}")
        return None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        problems.add(node.pos, f"{what}: {value} is out of range {_range(lo, hi)}")
        return None
    return value


_BARS = re.compile(r"\s*(\d+)\s*(bars?)?\s*")


def as_bars(
    node: Node, problems: Problems, what: str, most: int, example: int, noun: str = "whole bars"
) -> int | None:
    """A count of whole bars 1..`most`: `4`, `4 bars`, `1 bar`. The error names the
    range with `noun` and shows `example` both ways (`like 8 or '8 bars'`)."""
    value = node.value
    if isinstance(value, str):
        m = _BARS.fullmatch(value)
        value = int(m.group(1)) if m else value
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= most:
        return value
    problems.add(node.pos, f"{what}: expected {noun} 1..{most} like {example} or '{example} bars'")
    return None


def as_number(
    node: Node, problems: Problems, what: str, lo: float | None = None, hi: float | None = None
) -> float | None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(node.pos, f"{what}: expected a number, got {_kind(node)}")
        return None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        problems.add(node.pos, f"{what}: {value} is out of range {_range(lo, hi)}")
        return None
    return float(value)


_FRACTION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def as_fraction(node: Node, problems: Problems, what: str) -> Fraction | None:
    """A note value such as ``1/16`` (of a whole note), ``1/8t`` is not accepted; use 1/12."""
    value = node.value
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return Fraction(value)
    if isinstance(value, str):
        m = _FRACTION.match(value)
        if m and int(m.group(2)) > 0 and int(m.group(1)) > 0:
            return Fraction(int(m.group(1)), int(m.group(2)))
    problems.add(node.pos, f"{what}: expected a note value like 1/16, got {_kind(node)}")
    return None


def as_percent(node: Node, problems: Problems, what: str, hi: int = 100) -> Fraction | None:
    """``60%`` or a number 0..`hi` → a Fraction 0..hi/100."""
    value = node.value
    number: Fraction | None = None
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = Fraction(value.strip()[:-1].strip())
        except ValueError:
            number = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = Fraction(value).limit_denominator(1000)
    if number is None:
        problems.add(node.pos, f"{what}: expected a percentage like 60%, got {_kind(node)}")
        return None
    if not 0 <= number <= hi:
        problems.add(node.pos, f"{what}: {value} is out of range 0%..{hi}%")
        return None
    return number / 100


def _range(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo}..{hi}"
    if lo is not None:
        return f">= {lo}"
    return f"<= {hi}"


class MapReader:
    """Reads known keys of a mapping and reports the rest as unknown.

    >>> r = MapReader(node, problems, "track 'bass'", known=["device", "voice"])
    >>> device = r.get("device")
    >>> r.finish()   # reports 'devcie' as unknown (did you mean 'device'?)
    """

    def __init__(self, node: Node, problems: Problems, what: str, known: Iterable[str]):
        self.node = node
        self.problems = problems
        self.what = what
        self.known = list(known)
        self.ok = node.is_map
        self.items: dict[str, Node] = node.value if node.is_map else {}
        if not node.is_map:
            problems.add(node.pos, f"{what}: expected a mapping (key: value), got {_kind(node)}")

    def get(self, key: str, required: bool = False) -> Node | None:
        node = self.items.get(key)
        if node is None and required and self.ok:
            self.problems.add(self.node.pos, f"{self.what}: missing '{key}'")
        return node

    def has(self, key: str) -> bool:
        return key in self.items

    def key_pos(self, key: str) -> Pos:
        return self.node.key_pos.get(key, self.node.pos)

    def finish(self) -> None:
        for key in self.items:
            if key in self.known:
                continue
            if self.problems.full:  # counted, without the cost of a suggestion
                self.problems.dropped += 1
                continue
            self.problems.add(
                self.node.key_pos[key],
                f"{self.what}: unknown key '{key}'{suggest(key, self.known)}",
            )

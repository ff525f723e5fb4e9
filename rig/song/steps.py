"""Step strings: the rhythm-and-pitch shorthand musicians type into patterns.

One whitespace-separated token per step (``|`` bar lines are only for the eye):

    E1 . . E1 ~ . G1!  C4+E4+G4:90  D2?  D2@60%  E2>6

- body: a note (``E1``, ``C#4``), notes stacked with ``+``, ``x``/``X`` (a hit;
  ``X`` accented) in drum lanes and rhythms, ``.`` rest, ``~`` tie (holds the
  previous step's note one step longer).
- suffixes, in any order: ``!`` accent, ``:90`` velocity, ``?`` 50 % chance,
  ``@60%`` chance, ``>6`` / ``<6`` nudge later/earlier by 6/24 of a step (the
  Elektron micro-timing grid; decimals such as ``>0.35`` reach any tick, which
  `rig import` needs to keep a played part's timing exactly), ``=75%`` this
  note's gate (its length as a share of its last step, like the pattern's
  ``gate``), ``{1:4}`` / ``{fill}`` / ``{!first}`` a trig condition
  (`rig.song.conditions`).

Chord strings (progressions) have bars separated by ``|``; a bar holds one or
more chord symbols sharing it equally, ``~`` holds the previous chord, ``.`` is
silence: ``Fm9 | Dbmaj7 | Ab Eb/G | ~``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from rig.song.conditions import Condition, parse_condition
from rig.song.harmony import Degree, parse_degree
from rig.source.errors import Pos, Problems
from rig.source.yamltree import Node
from rig.theory.chords import Chord, parse_chord
from rig.theory.errors import TheoryError
from rig.theory.pitch import parse_note

__all__ = [
    "Step",
    "ChordSlot",
    "parse_steps",
    "parse_progression",
    "check_bar_lines",
    "NUDGE_DIVISIONS",
    "MAX_DECIMALS",
    "MAX_STEP_GATE",
    "nudge_ticks",
    "held_ticks",
]

NUDGE_DIVISIONS = 24  # a nudge is counted in 1/24 of a step, like Elektron micro-timing
# Decimals in a nudge (`>0.35`) or a step gate (`=97.92%`): four reach every tick of
# every step rate on rig's 1920-per-beat grid (a tick of a 1/1 step is 0.003 24ths).
MAX_DECIMALS = 4
MAX_STEP_GATE = Fraction(8)  # 800 %, as the pattern's `gate`

_TOKEN = re.compile(r"\S+")
_SUFFIX = re.compile(
    r"(!)|:(\d+)|(\?)|@(\d+(?:\.\d+)?)%|([<>])(\d+(?:\.\d+)?)|\{([^{}]*)\}|=(\d+(?:\.\d+)?)%"
)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a pattern. `notes` is empty for a rest or a tie."""

    kind: str  # "hit" | "rest" | "tie"
    notes: tuple[int, ...] = ()
    velocity: int | None = None
    accent: bool = False
    chance: Fraction = Fraction(1)
    nudge: Fraction | int = 0  # in 1/24 of a step, more than -24 and less than 24
    pos: Pos | None = None
    bar: int = 0  # which `|`-separated group of the string the step is in
    cond: Condition | None = None  # a trig condition: `x{1:4}`, `E2{!fill}`
    degrees: tuple[Degree, ...] = ()  # degrees of the sounding chord (`harmony:` patterns)
    gate: Fraction | None = None  # `=75%`: this note's gate, instead of the pattern's


@dataclass(frozen=True, slots=True)
class ChordSlot:
    """One slot of a bar in a progression: a chord, a hold (`~`) or silence (`.`)."""

    chord: Chord | None
    hold: bool
    bar: int  # 0-based bar within the progression
    index: int  # slot within the bar
    slots_in_bar: int
    pos: Pos | None = None


def nudge_ticks(nudge: Fraction | int, step_ticks: int) -> int:
    """Ticks a `>N`/`<N` nudge (24ths of a step, maybe with decimals) moves a step:
    rounded down, so whole 24ths keep their old value; `rig import` inverts this."""
    return math.floor(Fraction(nudge) * step_ticks / NUDGE_DIVISIONS)


def held_ticks(held: int, step_gate: Fraction | None, gate: Fraction, step_ticks: int) -> int:
    """How long a note struck on a step and tied over `held` steps in all sounds.

    A step's own gate (`=75%`) is exact: (held - 1 + gate) steps, to the nearest tick.
    The pattern's gate works the same, except that a tied note at 100 % or more ends
    on its last step's end (legato ties). `rig import` inverts this.
    """
    if step_gate is not None:
        return max(1, round((held - 1 + step_gate) * step_ticks))
    if held > 1 and gate >= 1:
        return held * step_ticks
    return max(1, round((held - 1 + gate) * step_ticks))


def _suffixes(
    text: str, start: int, node: Node, problems: Problems, what: str, base: int = 0
) -> dict | None:
    """Read suffixes of `text` from `start`; `base` is the text's offset in the node's string."""
    out: dict = {}
    i = start
    while i < len(text):
        m = _SUFFIX.match(text, i)
        if not m:
            problems.add(node.at(base + i), f"{what}: cannot read '{text[i:]}' after '{text[:i]}'")
            return None
        accent, vel, maybe, pct, sign, nudge, cond, gate = m.groups()
        if gate is not None:
            value = _decimal(gate, node.at(base + i), problems, what, "gate")
            if value is None:
                return None
            if not 0 < value <= MAX_STEP_GATE * 100:
                problems.add(
                    node.at(base + i),
                    f"{what}: gate ={gate}% is out of range (more than 0%, up to "
                    f"{MAX_STEP_GATE * 100}%)",
                )
                return None
            out["gate"] = value / 100
        elif cond is not None:
            parsed = parse_condition(cond, node.at(base + i + 1), problems, what)
            if parsed is None:
                return None
            out["cond"] = parsed
        elif accent:
            out["accent"] = True
        elif vel is not None:
            v = int(vel)
            if not 1 <= v <= 127:
                problems.add(node.at(base + i), f"{what}: velocity {v} is out of range 1..127")
                return None
            out["velocity"] = v
        elif maybe:
            out["chance"] = Fraction(1, 2)
        elif pct is not None:
            p = Fraction(pct)
            if not 0 <= p <= 100:
                problems.add(node.at(base + i), f"{what}: chance {pct}% is out of range 0%..100%")
                return None
            out["chance"] = p / 100
        else:
            n = _decimal(nudge, node.at(base + i), problems, what, "nudge")
            if n is None:
                return None
            if not 0 < n < NUDGE_DIVISIONS:
                problems.add(
                    node.at(base + i),
                    f"{what}: nudge {sign}{nudge} is out of range (more than 0, less than "
                    f"{NUDGE_DIVISIONS}: 24ths of a step)",
                )
                return None
            out["nudge"] = n if sign == ">" else -n
        i = m.end()
    return out


def _decimal(text: str, pos: Pos, problems: Problems, what: str, name: str) -> Fraction | None:
    """`text` (digits, maybe a point and decimals) as an exact Fraction; None after an error."""
    _, _, decimals = text.partition(".")
    if len(decimals) > MAX_DECIMALS:
        problems.add(pos, f"{what}: {name} {text} has more than {MAX_DECIMALS} decimals")
        return None
    if len(text) > 12:
        problems.add(pos, f"{what}: {name} {text} is too long")
        return None
    return Fraction(text)


def _split_body(token: str) -> int:
    """Length of the token's body (before the first suffix character)."""
    for i, ch in enumerate(token):
        if ch in "!:?@<>{=" and i > 0:
            return i
    return len(token)


def parse_steps(
    node: Node, problems: Problems, what: str, hits_only: bool = False, degrees: bool = False
) -> list[Step]:
    """Parse a step string. `hits_only`: drum lanes and rhythms (one character a step);
    `degrees`: steps may be degrees of the sounding chord (`r 3 5 b7 8^`)."""
    steps: list[Step] = []
    if not isinstance(node.value, str):
        node = Node(str(node.value), node.pos)
    before = len(problems)
    if hits_only:
        _scan_hits(node, problems, what, steps)
    else:
        _scan_tokens(node, problems, what, steps, degrees)
    if not steps and len(problems) == before:
        problems.add(node.pos, f"{what}: no steps (use '.' for a silent step)")
    return steps


def _rest_or_tie(
    ch: str, pos: Pos, bar: int, steps: list[Step], problems: Problems, what: str
) -> None:
    if ch == ".":
        steps.append(Step("rest", pos=pos, bar=bar))
        return
    if not steps or steps[-1].kind == "rest":
        problems.add(pos, f"{what}: tie '~' has no note before it to hold")
    steps.append(Step("tie", pos=pos, bar=bar))


def _scan_hits(node: Node, problems: Problems, what: str, steps: list[Step]) -> None:
    """``x... X.x? x@60%. x>6`` — every x, X, . or ~ is one step; spaces and | are for the eye."""
    text = node.value
    i = bar = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace() or ch == "|":
            bar += ch == "|"
            i += 1
            continue
        pos = node.at(i)
        if ch in ".~":
            _rest_or_tie(ch, pos, bar, steps, problems, what)
            i += 1
            continue
        if ch not in "xX":
            token = text[i:].split()[0]
            problems.add(pos, f"{what}: expected x, X, . or ~, got '{token}'")
            return
        j = i + 1
        while j < len(text) and (m := _SUFFIX.match(text, j)):
            j = m.end()
        mods = _suffixes(text[:j], i + 1, node, problems, what) if j > i + 1 else {}
        if mods is None:
            return
        if ch == "X":
            mods["accent"] = True
        steps.append(Step("hit", (), pos=pos, bar=bar, **mods))
        i = j


def _scan_tokens(
    node: Node, problems: Problems, what: str, steps: list[Step], degrees: bool = False
) -> None:
    """``E1 . . E1~ C4+E4:90`` — whitespace-separated notes; runs of . and ~ are steps each."""
    text = node.value
    bar = 0
    for m in _TOKEN.finditer(text):
        token, off = m.group(), m.start()
        if token == "|":
            bar += 1
            continue
        if set(token) <= {".", "~"}:
            for k, ch in enumerate(token):
                _rest_or_tie(ch, node.at(off + k), bar, steps, problems, what)
            continue
        pos = node.at(off)
        cut = _split_body(token)
        body = token[:cut]
        mods = _suffixes(token, cut, node, problems, what, off) if cut < len(token) else {}
        if mods is None:
            continue
        if body in ("x", "X"):
            problems.add(pos, f"{what}: 'x' is a drum hit; give a note like 'E2'")
            continue
        if degrees:
            parts = [parse_degree(part) for part in body.split("+")]
            if all(d is not None for d in parts):
                found = tuple(d for d in parts if d is not None)
                steps.append(Step("hit", (), pos=pos, bar=bar, degrees=found, **mods))
                continue
        notes = _parse_notes(body, node, off, problems, what)
        if notes is not None:
            steps.append(Step("hit", notes, pos=pos, bar=bar, **mods))


def _parse_notes(body: str, node: Node, off: int, problems: Problems, what: str):  # noqa: ANN202
    notes: list[int] = []
    part_off = off
    for part in body.split("+"):
        if part in ("x", "X"):
            problems.add(node.at(part_off), f"{what}: 'x' is a drum hit; give a note like 'E2'")
            return None
        try:
            notes.append(parse_note(part))
        except TheoryError as exc:
            problems.add(node.at(part_off + exc.offset), f"{what}: {exc.message}")
            return None
        part_off += len(part) + 1
    return tuple(notes)


def parse_progression(node: Node, problems: Problems, what: str) -> list[ChordSlot]:
    """Parse ``Fm9 | Dbmaj7 | Ab Eb/G`` into slots; one bar per ``|``-separated group."""
    if not isinstance(node.value, str):
        node = Node(str(node.value), node.pos)
    text = node.value
    slots: list[ChordSlot] = []
    bars: list[list[tuple[str, int]]] = [[]]
    for m in re.finditer(r"\||[^\s|]+", text):
        if m.group() == "|":
            bars.append([])
        else:
            bars[-1].append((m.group(), m.start()))
    if bars and not bars[-1] and len(bars) > 1:
        bars.pop()  # a trailing bar line
    for bar_index, bar in enumerate(bars):
        if not bar:
            problems.add(node.pos, f"{what}: bar {bar_index + 1} is empty (use '.' for silence)")
            continue
        for i, (token, off) in enumerate(bar):
            if token == ".":
                slots.append(ChordSlot(None, False, bar_index, i, len(bar), node.at(off)))
            elif token == "~":
                if not slots:
                    problems.add(node.at(off), f"{what}: '~' has no chord before it to hold")
                slots.append(ChordSlot(None, True, bar_index, i, len(bar), node.at(off)))
            else:
                try:
                    chord = parse_chord(token)
                except TheoryError as exc:
                    problems.add(node.at(off + exc.offset), f"{what}: {exc.message}")
                    continue
                slots.append(ChordSlot(chord, False, bar_index, i, len(bar), node.at(off)))
    return slots


def check_bar_lines(
    steps: list[Step] | tuple[Step, ...],
    rate: Fraction,
    meter: tuple[int, int],
    problems: Problems,
    what: str,
) -> None:
    """Where a step string has `|` bar lines, every bar must hold exactly one bar of steps.

    A bar line is a promise: a 4-step bar of 1/8 notes in 4/4 would otherwise play
    silently at half speed against the chords.
    """
    if not steps or steps[-1].bar == 0:
        return
    per_bar = Fraction(meter[0], meter[1]) / rate
    if per_bar.denominator != 1:
        return  # a bar is not a whole number of these steps: bar lines can't be checked
    counts: dict[int, list[Step]] = {}
    for step in steps:
        counts.setdefault(step.bar, []).append(step)
    for bar, members in sorted(counts.items()):
        if len(members) != per_bar:
            problems.add(
                members[0].pos or Pos("?", 1, 1),
                f"{what}: bar {bar + 1} has {len(members)} steps; a {meter[0]}/{meter[1]} bar "
                f"holds {per_bar} steps of {rate}",
            )

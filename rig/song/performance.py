"""How a pattern is played, read from its entry: conditions (`if`, `every`, `on`), dynamics
(`velocity` ramps, `accent`, `humanize`) and per-step CC lanes (`cc:`).

Each reader reports misuse at the offending character and returns a safe default, so
reading goes on and one `rig check` shows every problem.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from rig.song.conditions import parse_condition
from rig.song.events import PPQ
from rig.song.model import ALWAYS, CCLane, Dynamics, Echo, PlayWhen
from rig.source.errors import Problems, suggest
from rig.source.fields import MapReader, as_bars, as_fraction, as_int, as_percent, as_str
from rig.source.yamltree import Node

__all__ = [
    "read_echo",
    "read_when",
    "read_velocity",
    "read_dynamics",
    "read_cc",
    "WHEN_KEYS",
    "MAX_EVERY",
]

WHEN_KEYS = ("if", "every", "on")
MAX_EVERY = 256
HUMANIZE_KEYS = ("velocity", "time")
_MS = re.compile(r"\s*(\d+(?:\.\d+)?)\s*ms\s*")


def read_when(r: MapReader, problems: Problems, what: str) -> PlayWhen:
    """`if: 1:4`, `every: 8` (bars), `on: [1, 5]` (bars) from a pattern's or lane's map."""
    cond = every = None
    on: list[int] = []
    if (n := r.get("if")) is not None and (text := as_str(n, problems, f"{what}: if")):
        cond = parse_condition(text, n.at(0), problems, f"{what}: if")
    if (n := r.get("every")) is not None:
        every = as_bars(n, problems, f"{what}: every", MAX_EVERY, 8, "a number of bars")
    if (n := r.get("on")) is not None:
        items = n.value if n.is_list else [n]
        hi = every if every is not None else 9999
        for item in items:
            bar = as_int(item, problems, f"{what}: on", 1, hi)
            if bar is not None:
                if bar in on:
                    problems.add(item.pos, f"{what}: on: bar {bar} is listed twice")
                on.append(bar)
    if cond is None and every is None and not on:
        return ALWAYS
    return PlayWhen(cond, every, tuple(sorted(set(on))))


def read_velocity(node: Node, problems: Problems, what: str) -> tuple[int, Dynamics | None]:
    """`velocity: 90` or a ramp `velocity: {from: 60, to: 110, over: section}`."""
    if not node.is_map:
        return as_int(node, problems, f"{what}: velocity", 1, 127) or 100, None
    r = MapReader(node, problems, f"{what}: velocity", ("from", "to", "over"))
    fnode, tnode = r.get("from", required=True), r.get("to", required=True)
    start = as_int(fnode, problems, f"{what}: velocity from", 1, 127) if fnode else None
    end = as_int(tnode, problems, f"{what}: velocity to", 1, 127) if tnode else None
    over = "pattern"
    if (n := r.get("over")) is not None:
        if n.value in ("pattern", "section"):
            over = n.value
        else:
            problems.add(n.pos, f"{what}: velocity over: expected 'pattern' or 'section'")
    r.finish()
    if start is None or end is None:
        return 100, None
    return start, Dynamics(ramp=(start, end), ramp_over=over)


def read_dynamics(r: MapReader, base: Dynamics | None, problems: Problems, what: str) -> Dynamics:
    """`accent: "X.x."` and `humanize: {velocity: 8, time: 3ms}` on top of a velocity ramp."""
    accent: tuple[str, ...] = ()
    if (n := r.get("accent")) is not None and (text := as_str(n, problems, f"{what}: accent")):
        chars: list[str] = []
        for i, ch in enumerate(text):
            if ch.isspace() or ch == "|":
                continue
            if ch not in "Xx.":
                problems.add(n.at(i), f"{what}: accent: expected X (accent), x or . (soft)")
                chars = []
                break
            chars.append(ch)
        accent = tuple(chars)
    hv, hms = 0, 0.0
    if (n := r.get("humanize")) is not None:
        h = MapReader(n, problems, f"{what}: humanize", HUMANIZE_KEYS)
        if (v := h.get("velocity")) is not None:
            hv = as_int(v, problems, f"{what}: humanize velocity", 0, 64) or 0
        if (t := h.get("time")) is not None:
            hms = _milliseconds(t, problems, f"{what}: humanize time")
        h.finish()
    out = base or Dynamics()
    return Dynamics(out.ramp, out.ramp_over, accent, hv, hms)


def _milliseconds(node: Node, problems: Problems, what: str) -> float:
    value: Any = node.value
    if isinstance(value, str) and (m := _MS.fullmatch(value)):
        value = float(m.group(1))
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 50:
        return float(value)
    problems.add(node.pos, f"{what}: expected milliseconds 0..50 like 3ms")
    return 0.0


def read_cc(node: Node, device: Any, problems: Problems, what: str) -> tuple[CCLane, ...]:
    """`cc: {sustain: "x~~~ ~~~.", cutoff: "40 . 60 ."}` by the device's CC names.

    Per step: a number sends that value, `x` the CC's maximum (pedal down), `~` holds,
    `.` right after `x`/`~` sends the minimum (pedal up), any other `.` sends nothing.
    """
    if not node.is_map:
        problems.add(node.pos, f'{what}: cc: expected CC names like sustain: "x~~~ ~~~."')
        return ()
    if device is None:
        problems.add(node.pos, f"{what}: cc: the track has no CC names")
        return ()
    lanes: list[CCLane] = []
    for name, vnode in node.value.items():
        kpos = node.key_pos[name]
        if name not in device.ccs:
            problems.add(
                kpos, f"{what}: unknown CC '{name}' for device {device.name}"
                f"{suggest(name, device.ccs)}",
            )  # fmt: skip
            continue
        cc = device.ccs[name]
        label = f"{what}: cc {name}"
        if (text := as_str(vnode, problems, label)) is None:
            continue
        if not isinstance(vnode.value, str):
            vnode = Node(text, vnode.pos)
        values = _cc_steps(vnode, cc.min, cc.max, problems, label)
        if values is not None:
            pedal = any(ch in "xX" for ch in text)
            lanes.append(CCLane(name, cc.number, values, cc.min if pedal else None))
    return tuple(lanes)


def _cc_steps(
    node: Node, lo: int, hi: int, problems: Problems, what: str
) -> tuple[int | None, ...] | None:
    values: list[int | None] = []
    held = False
    for m in re.finditer(r"[^\s|]+", node.value):
        token = m.group()
        if token.isdigit():
            value = int(token)
            if not lo <= value <= hi:
                problems.add(node.at(m.start()), f"{what}: {value} is out of range {lo}..{hi}")
                return None
            values.append(value)
            held = False
            continue
        for k, ch in enumerate(token):
            if ch in "xX":
                values.append(hi)
                held = True
            elif ch == "~":
                if not values:
                    problems.add(node.at(m.start() + k), f"{what}: '~' has nothing before it")
                    return None
                values.append(None)
            elif ch == ".":
                values.append(lo if held else None)
                held = False
            else:
                problems.add(
                    node.at(m.start() + k),
                    f"{what}: expected a value {lo}..{hi}, x (max), ~ (hold) or . (up/nothing)",
                )
                return None
    if not values:
        problems.add(node.pos, f"{what}: no steps")
        return None
    return tuple(values)


def read_echo(node: Node, problems: Problems, what: str) -> Echo | None:
    """`echo: {repeats: 3, every: 3/16, decay: 70%}`: every note repeats, softer each time."""
    label = f"{what}: echo"
    r = MapReader(node, problems, label, ("repeats", "every", "decay"))
    if not r.ok:
        return None
    repeats, every, decay = 1, None, Fraction(7, 10)
    if (n := r.get("repeats")) is not None:
        repeats = as_int(n, problems, f"{label} repeats", 1, 16) or 1
    if (n := r.get("every", required=True)) is not None:
        every = as_fraction(n, problems, f"{label} every")
        if every is not None and (every * 4 * PPQ).denominator != 1:
            problems.add(n.pos, f"{label} every: {n.value} does not fit the tick grid")
            every = None
    if (n := r.get("decay")) is not None:
        value = as_percent(n, problems, f"{label} decay")
        decay = value if value is not None else decay
    r.finish()
    return Echo(repeats, every, decay) if every is not None else None

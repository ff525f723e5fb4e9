"""Notes on a grid as step tokens: the exact inverse of the compiler's step timing.

`rig.song.steps.nudge_ticks` and `held_ticks` turn a step's `>N` and `=G%` into
ticks with a floor and a round; here each residue and length gets the shortest
decimal (up to `MAX_DECIMALS` digits) that those functions turn back into the
same tick, so an imported part compiles to exactly the notes it came from.
Notes that cannot share one step string go to further layers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from rig.midi.smfread import SmfNote
from rig.song.events import PPQ
from rig.song.steps import MAX_DECIMALS, MAX_STEP_GATE, NUDGE_DIVISIONS, held_ticks, nudge_ticks
from rig.theory.pitch import note_name

__all__ = [
    "DEFAULT_GATE",
    "Hit",
    "bars_text",
    "decimal_text",
    "grid_ticks",
    "layers",
    "pattern_gate",
    "period",
    "shortest_decimal",
    "token",
]

_ACCENT = 127  # `!` / `X` (rig.song.dynamics.ACCENT_VELOCITY)
DEFAULT_GATE = Fraction(9, 10)  # a steps pattern's gate when it says none


def grid_ticks(grid: Fraction) -> int:
    """Ticks of one step of `grid`; raises ValueError when it is not a whole number."""
    ticks = grid * 4 * PPQ
    if ticks.denominator != 1 or not 1 <= ticks <= 4 * PPQ:
        raise ValueError(f"grid {grid} is not a whole number of ticks up to 1/1")
    return int(ticks)


def shortest_decimal(lo: Fraction, hi: Fraction, open_lo: bool) -> Fraction | None:
    """The decimal with the fewest digits (up to MAX_DECIMALS) in [lo, hi) — or (lo, hi)."""
    for digits in range(MAX_DECIMALS + 1):
        unit = 10**digits
        scaled = lo * unit
        first = (scaled.__floor__() + 1) if open_lo else -((-scaled).__floor__())
        candidate = Fraction(first, unit)
        if candidate < hi and (candidate > lo or not open_lo):
            return candidate
    return None


def decimal_text(value: Fraction) -> str:
    for digits in range(MAX_DECIMALS + 1):
        scaled = value * 10**digits
        if scaled.denominator == 1:
            whole, frac = divmod(int(scaled), 10**digits)
            return f"{whole}.{frac:0{digits}d}" if digits else str(whole)
    raise ValueError(f"{value} has more than {MAX_DECIMALS} decimals")


def _nudge_text(residue: int, step: int) -> str:
    """`>N`/`<N` whose `nudge_ticks` is `residue`; '' for none."""
    if residue == 0:
        return ""
    scale = Fraction(NUDGE_DIVISIONS, step)
    value = shortest_decimal(residue * scale, (residue + 1) * scale, open_lo=False)
    assert value is not None and value != 0 and nudge_ticks(value, step) == residue
    return (">" if value > 0 else "<") + decimal_text(abs(value))


def _gate_for(length: int, held: int, step: int) -> Fraction | None:
    """The shortest step gate with `held_ticks(held, gate) == length`, or None."""
    lo = Fraction(2 * length - 1, 2 * step) - (held - 1)
    hi = Fraction(2 * length + 1, 2 * step) - (held - 1)
    percent = shortest_decimal(lo * 100, hi * 100, open_lo=True)
    if percent is None or not 0 < percent <= MAX_STEP_GATE * 100:
        return None
    gate = percent / 100
    return gate if held_ticks(held, gate, Fraction(1), step) == length else None


@dataclass
class Hit:
    index: int  # step
    residue: int  # ticks after the step
    length: int
    velocity: int
    pitches: list[int]
    held: int = 1
    gate: Fraction = Fraction(1)


def layers(notes: list[SmfNote], start: int, steps: int, step: int) -> list[list[Hit | None]]:
    """Notes (on in the section) as step layers: hits, ties as the hit repeated, None free."""
    groups: dict[tuple[int, int, int, int], Hit] = {}
    for note in notes:
        rel = note.on - start
        index = min(steps - 1, (2 * rel + step) // (2 * step))
        residue = rel - index * step
        length = note.off - note.on
        key = (index, residue, length, note.velocity)
        if key in groups:
            groups[key].pitches.append(note.pitch)
        else:
            groups[key] = Hit(index, residue, length, note.velocity, [note.pitch])
    layers: list[list[Hit | None]] = []
    for hit in sorted(groups.values(), key=lambda h: (h.index, -h.length, h.residue)):
        want = max(1, min(steps - hit.index, round(Fraction(hit.length, step))))
        placed = False
        for layer in [*layers, None]:
            if layer is None:
                layer = [None] * steps
                layers.append(layer)
            for held in range(want, 0, -1):
                if any(layer[hit.index + k] is not None for k in range(held)):
                    continue
                gate = _gate_for(hit.length, held, step)
                if gate is None:
                    continue
                hit.held, hit.gate = held, gate
                for k in range(held):
                    layer[hit.index + k] = hit
                placed = True
                break
            if placed:
                break
    return layers


def token(
    hit: Hit | None, at: int, velocity: int, gate: Fraction, step: int, hit_only: bool = False
) -> str:
    """Step `at` of a layer: `.`, `~`, or the hit (`C4+E4:90>0.35=95%`; `x`/`X` in a lane)."""
    if hit is None:
        return "."
    if hit.index != at:
        return "~"
    text = "x" if hit_only else "+".join(note_name(p) for p in sorted(hit.pitches))
    if hit.velocity != velocity and hit_only and hit.velocity == _ACCENT:
        text = "X"
    elif hit.velocity != velocity:
        text += "!" if hit.velocity == _ACCENT else f":{hit.velocity}"
    text += _nudge_text(hit.residue, step)
    if held_ticks(hit.held, None, gate, step) != hit.length:
        text += f"={decimal_text(hit.gate * 100)}%"
    return text


def pattern_gate(hits: list[Hit], step: int) -> Fraction:
    """The gate most notes share (fewest `=G%` suffixes); 90 % (the default) on a tie."""
    votes: Counter[Fraction] = Counter()
    for hit in hits:
        votes[hit.gate if hit.held == 1 else DEFAULT_GATE] += 1
    candidates = [DEFAULT_GATE, *(g for g, _ in votes.most_common(3))]

    def suffixes(gate: Fraction) -> int:
        return sum(held_ticks(h.held, None, gate, step) != h.length for h in hits)

    return min(candidates, key=lambda g: (suffixes(g), g != DEFAULT_GATE))


def bars_text(tokens: list[str], per_bar: int) -> list[str]:
    return [" ".join(tokens[i : i + per_bar]) for i in range(0, len(tokens), per_bar)]


def period(bars: list[str]) -> int:
    """The fewest bars whose loop gives all `bars` (a tie never crosses the loop)."""
    for period in range(1, len(bars) + 1):
        if len(bars) % period or bars[0].startswith("~"):
            continue
        if all(bars[i] == bars[i % period] for i in range(len(bars))):
            return period
    return len(bars)

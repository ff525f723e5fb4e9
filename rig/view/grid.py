"""The arrangement cut into columns of time, and what each track does in each.

A column is a tick range: a slice of a bar when the cue is short (so an 8-bar
cue still fills a line), one bar, or several bars when the cue is long. Each
(track, column) cell records note onsets, whether a note is held through it,
and whether only controls (CC, program change) happen there — the picture
turns those into glyphs.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from rig.song.arrangement import Arrangement
from rig.song.events import PPQ, ControlChange, NoteOff, NoteOn, ProgramChange

__all__ = ["MAX_CHARS_PER_BAR", "Cell", "Grid", "bar_count", "make_grid"]

# More than 4 characters per bar stops helping the eye and pushes a short cue's
# picture wider than the sections' names need.
MAX_CHARS_PER_BAR = 4


@dataclass(slots=True)
class Cell:
    onsets: int = 0
    held: bool = False  # a note sounds through (part of) the column without starting there
    controls: int = 0  # CC / program changes


@dataclass(slots=True)
class Grid:
    starts: list[int]  # tick where each column starts
    ends: list[int]
    bar_ticks: list[int]  # tick where bar b (1-based) starts, index b-1; one extra: the end
    chars_per_bar: int  # > 1: a bar is split into this many columns
    bars_per_column: int  # > 1: one column holds this many bars
    cells: dict[str, list[Cell]] = field(default_factory=dict)

    def column_of(self, tick: int) -> int:
        """Index of the column containing `tick` (clamped to the picture)."""
        return min(len(self.starts) - 1, max(0, bisect.bisect_right(self.starts, tick) - 1))

    def density(self, track: str, column: int) -> float:
        """Note onsets per beat in this cell (columns may differ in length)."""
        span = self.ends[column] - self.starts[column]
        return self.cells[track][column].onsets * PPQ / span if span else 0.0


def bar_count(arrangement: Arrangement) -> int:
    """Bars in the cue: the sections' bars, or the length in 4/4 bars without sections."""
    if arrangement.sections:
        return arrangement.length_bars
    return math.ceil(arrangement.length_ticks / (4 * PPQ))


def _columns(bar_ticks: list[int], chars: int, group: int) -> tuple[list[int], list[int]]:
    starts, ends = [], []
    bars = len(bar_ticks) - 1
    if group > 1:
        for first in range(0, bars, group):
            starts.append(bar_ticks[first])
            ends.append(bar_ticks[min(bars, first + group)])
        return starts, ends
    for b in range(bars):
        lo, hi = bar_ticks[b], bar_ticks[b + 1]
        for i in range(chars):
            starts.append(lo + (hi - lo) * i // chars)
            ends.append(lo + (hi - lo) * (i + 1) // chars)
    return starts, ends


def make_grid(arrangement: Arrangement, track_names: list[str], available: int | None) -> Grid:
    """Columns fitting `available` characters (None: one per bar) and each track's cells."""
    bars = bar_count(arrangement)
    bar_ticks = [arrangement.bar_tick(b) for b in range(1, bars + 2)]
    chars, group = 1, 1
    if available is not None and bars:
        if bars <= available:
            # Split bars only along beats of every meter (4/4: 4 or 2, 6/8: 3 or 2, 7/8: not
            # at all): a 1/3 slice of a 4/4 bar would alias a steady groove into a pattern.
            beats = math.gcd(*(s.numerator for s in arrangement.sections)) or 4
            most = min(MAX_CHARS_PER_BAR, available // bars)
            chars = max(d for d in range(1, most + 1) if beats % d == 0)
        else:
            group = math.ceil(bars / available)
    starts, ends = _columns(bar_ticks, chars, group)
    grid = Grid(starts, ends, bar_ticks, chars, group)
    grid.cells = {name: [Cell() for _ in starts] for name in track_names}
    if not starts:
        return grid
    end = ends[-1]
    held: dict[tuple[str, int, int], list[int]] = {}
    for event in arrangement.events:
        track = getattr(event, "track", None)
        if track not in grid.cells:
            continue
        if isinstance(event, NoteOn):
            held.setdefault((track, event.channel, event.note), []).append(event.tick)
            if event.tick < end:
                grid.cells[track][grid.column_of(event.tick)].onsets += 1
        elif isinstance(event, NoteOff):
            ons = held.get((track, event.channel, event.note))
            if not ons:
                continue
            on = ons.pop(0)
            # The columns after the onset's own one, up to the last the note sounds in.
            first = grid.column_of(on) + 1
            last = grid.column_of(min(event.tick, end) - 1) if event.tick > on else first - 1
            for column in range(first, last + 1):
                grid.cells[track][column].held = True
        elif isinstance(event, ControlChange | ProgramChange) and event.tick < end:
            grid.cells[track][grid.column_of(event.tick)].controls += 1
    return grid

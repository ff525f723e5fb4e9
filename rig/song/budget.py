"""How many events a checked song would make, counted before any is made.

Every value in a song can be inside its own documented range while the whole
is not: steps at ``rate: 1/7680`` (one tick) over 9 999 bars are 77 million
notes. `check_budget` bounds each pattern's slots in each section (an upper bound
of the notes it can start: every step a hit, every chord at its widest) and
refuses a song over `MAX_EVENTS` at the pattern that costs most, before the
compiler spends minutes and gigabytes on it.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from rig.song.automation import AUTOMATION_GRID
from rig.song.events import PPQ
from rig.song.model import PatternDef, Song
from rig.source.errors import InputError, Pos, SourceError
from rig.source.limits import MAX_EVENTS

__all__ = ["check_budget", "estimate_events", "NoteRange"]

_CHORD_NOTES = 8  # the widest voicing of a chord symbol (a 13th with a doubled root)


def _pattern_events(p: PatternDef, ticks: int, bar_ticks: int) -> int:
    """An upper bound of the events `p` makes in `ticks` (note-on + note-off per note)."""
    if p.kind == "arp" and p.arp is not None:
        step = max(1, int(p.arp.rate * 4 * PPQ))
        return 2 * -(-ticks // step)
    if p.kind == "chords" and p.rhythm is None:
        loop = max(1, p.progression_bars) * bar_ticks
        return 2 * _CHORD_NOTES * len(p.progression) * -(-ticks // loop)
    step = max(1, int(p.rate * 4 * PPQ))
    slots = -(-ticks // step)
    if p.kind == "lanes":
        return 2 * slots * max(1, len(p.lanes))
    width = _CHORD_NOTES if p.kind == "chords" else max((len(s.notes) for s in p.steps), default=1)
    return 2 * slots * max(1, width)


def estimate_events(song: Song) -> tuple[int, dict[str, int]]:
    """An upper bound of the song's events, and each pattern's share of it."""
    per_pattern: dict[str, int] = defaultdict(int)
    total = 0
    meter = song.meter
    for section in song.sections:
        meter = section.meter or meter
        bar_ticks = PPQ * 4 * meter[0] // meter[1]
        ticks = section.bars * bar_ticks
        for name in section.play:
            pattern = song.patterns.get(name)
            if pattern is None or pattern.track in section.mute:
                continue
            count = _pattern_events(pattern, ticks, bar_ticks)
            per_pattern[name] += count
            total += count
        for auto in section.automate:
            over = auto.over_bars if auto.over_bars is not None else Fraction(section.bars)
            total += 2 + int(min(Fraction(ticks), over * bar_ticks)) // AUTOMATION_GRID
    return total, dict(per_pattern)


def check_budget(song: Song) -> None:
    """Raise InputError at the costliest pattern when the song would pass `MAX_EVENTS`."""
    total, per_pattern = estimate_events(song)
    if total <= MAX_EVENTS:
        return
    name = max(per_pattern, key=per_pattern.__getitem__) if per_pattern else None
    pattern = song.patterns.get(name) if name is not None else None
    pos = pattern.pos if pattern is not None and pattern.pos is not None else None
    where = pos or (song.sections[0].pos if song.sections else Pos(str(song.path), 1, 1))
    share = f"pattern '{name}' alone could make {per_pattern[name]:,}; " if name else ""
    message = (
        f"the song could make {total:,} events, more than {MAX_EVENTS:,} (the limit): "
        f"{share}use a slower rate or fewer bars"
    )
    raise InputError([SourceError(where, message)])


class NoteRange:
    """Notes a pattern's transpose, octave or arp pushed outside MIDI's 0..127.

    Dropping them silently can leave a whole track mute; the compiler collects the
    lowest and highest per pattern and raises them as positioned errors.
    """

    def __init__(self) -> None:
        self.found: dict[str, tuple[PatternDef, str, int, int]] = {}

    def add(self, playing: tuple[PatternDef, str] | None, note: int) -> None:
        if playing is None:
            return
        pattern, section = playing
        _, first, low, high = self.found.get(pattern.name, (pattern, section, note, note))
        self.found[pattern.name] = (pattern, first, min(low, note), max(high, note))

    def raise_if_any(self) -> None:
        errors = []
        for name, (pattern, section, low, high) in self.found.items():
            notes = f"{low}" if low == high else f"{low}..{high}"
            errors.append(
                SourceError(
                    pattern.pos or Pos("?", 1, 1),
                    f"pattern '{name}': transpose/octave/arp push notes to {notes} in section "
                    f"'{section}', outside MIDI's 0..127 (they would not sound); "
                    "lower the transpose, octave or arp octaves",
                )
            )
        if errors:
            raise InputError(errors)

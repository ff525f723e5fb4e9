"""A section's `automate:` as control changes, and its scope: what a section automated
returns to its earlier value (or the device's default) when the section ends, unless it
said `hold: true`; with nothing to return to the value carries over, with a warning.

Ramps are sampled every `AUTOMATION_GRID` ticks and a CC is sent only when its value
changes. The samples are exact rationals rounded half to even (as `round(Fraction)`), in
plain integers: a Fraction per sample cost a fifth of the largest cue's compile time.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from rig.song.events import PPQ, ControlChange
from rig.song.model import Automation, SectionDef, TrackDef
from rig.source.errors import Pos, SourceError

__all__ = ["AUTOMATION_GRID", "AutomationScope", "round_div"]

AUTOMATION_GRID = PPQ // 8  # CC ramps are sampled every 1/32 note, sent only when the value changes


def round_div(num: int, den: int) -> int:
    """`round(Fraction(num, den))` (half to even) for `den` > 0, without the Fraction."""
    result, rest = divmod(num, den)
    if 2 * rest > den or (2 * rest == den and result % 2):
        result += 1
    return result


class AutomationScope:
    """The automated CCs of one compile, section after section (state: each CC's last value
    and what the previous section must give back). `warnings` receives the carry-overs."""

    def __init__(self, tracks: Mapping[str, TrackDef], song_path: str, warnings: list):
        self.tracks = tracks
        self.song_path = song_path
        self.warnings: list[SourceError] = warnings
        self.cc_state: dict[tuple[str, int], int] = {}  # the last automated value of each CC
        self.pending: dict[tuple[str, int], tuple[int | None, Automation, str]] = {}

    def section(
        self, section: SectionDef, start: int, end: int, bar_ticks: int
    ) -> list[ControlChange]:
        """The CCs at the start of `section` (the previous one's given back) and its own."""
        out = self._scope(section, start)
        for auto in section.automate:
            self._automate(auto, section, start, end, bar_ticks, out)
        return out

    def _scope(self, section: SectionDef, start: int) -> list[ControlChange]:
        """Automation of the previous section ends with it (unless `hold: true`): its CCs
        return to their earlier value, or the device's default; with neither, the value
        carries over and a warning says where."""
        out: list[ControlChange] = []
        automated = {(a.track, a.number) for a in section.automate}
        for key, (restore, auto, name) in sorted(self.pending.items()):
            if key in automated:
                continue
            if restore is None:
                self.warnings.append(
                    SourceError(
                        auto.pos or Pos(self.song_path, 1, 1),
                        f"warning: {auto.track}.{auto.control} carries over from section "
                        f"'{name}' into '{section.name}' (no earlier value or device default "
                        "to return to): set it there, or say hold: true",
                    )
                )
                continue
            track = self.tracks[auto.track]
            out.append(
                ControlChange(start, track.name, track.channel, auto.number, restore, auto.control)
            )
            self.cc_state[key] = restore
        self.pending = {}
        for auto in section.automate:
            key = (auto.track, auto.number)
            before = self.cc_state.get(key, auto.default)
            self.cc_state[key] = auto.start if auto.end is None else auto.end
            if not auto.hold and before != self.cc_state[key]:
                self.pending[key] = (before, auto, section.name)
        return out

    def _automate(
        self,
        auto: Automation,
        section: SectionDef,
        start: int,
        end: int,
        bar_ticks: int,
        out: list[ControlChange],
    ) -> None:
        track = self.tracks[auto.track]
        name, channel, number, control = track.name, track.channel, auto.number, auto.control
        if auto.end is None or auto.end == auto.start:
            value = auto.start if auto.end is None else auto.end
            out.append(ControlChange(start, name, channel, number, value, control))
            return
        over = auto.over_bars if auto.over_bars is not None else Fraction(section.bars)
        length = max(1, round(over * bar_ticks))
        last = None
        denominator = length
        if start + length == end:  # no room for a final event: the last sample lands on `to`
            denominator = max(1, (length - 1) // AUTOMATION_GRID * AUTOMATION_GRID)
        rise = auto.end - auto.start
        for t in range(start, min(start + length, end), AUTOMATION_GRID):
            value = auto.start + round_div(rise * (t - start), denominator)
            if value != last:
                out.append(ControlChange(t, name, channel, number, value, control))
                last = value
        final = start + length
        if final < end and last != auto.end:
            out.append(ControlChange(final, name, channel, number, auto.end, control))

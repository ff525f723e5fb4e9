"""The `patterns:` and `sections:` of a song: each section's bars, the patterns it
plays and mutes, its tempo and meter changes, and (through `SectionOptions`) its options.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from rig.song.context import MAX_BPM, MIN_BPM, parse_meter
from rig.song.model import FillSpec, PatternDef, PlayEntry, SectionDef, TempoSpec
from rig.song.options import SectionOptions
from rig.song.patterns import PatternReader
from rig.source.errors import suggest
from rig.source.fields import (
    MapReader,
    as_int,
    as_list,
    as_number,
    as_percent,
    as_str,
    as_str_list,
)
from rig.source.yamltree import Node
from rig.theory.errors import TheoryError
from rig.theory.scales import Key, parse_key

__all__ = ["SectionReader", "SECTION_KEYS"]

SECTION_KEYS = (
    "name", "bars", "play", "mute", "tempo", "meter", "automate", "program", "about", "fill",
    "velocity", "transpose", "key",
)  # fmt: skip
PLAY_KEYS = ("pattern", "velocity", "transpose", "octave")
MAX_SCALE = 400  # % a section or play entry may scale velocities by


class SectionReader(SectionOptions):
    """Reads `patterns:` and `sections:`."""

    song_key: Key | None = None  # the song's `key:`, which a section's `key:` moves from

    def _patterns(self, node: Node) -> dict[str, PatternDef]:
        out: dict[str, PatternDef] = {}
        if not node.is_map:
            self.problems.add(node.pos, "patterns: expected a mapping of pattern names")
            return out
        for name, pnode in node.value.items():
            pattern = PatternReader(self, name, pnode, node.key_pos[name]).read()
            if pattern is not None:
                out[name] = pattern
        return out

    # -- sections ------------------------------------------------------------------
    def _sections(
        self, node: Node, patterns: dict[str, PatternDef], meter: tuple[int, int]
    ) -> list[SectionDef]:
        items = as_list(node, self.problems, "sections")
        out: list[SectionDef] = []
        if items is not None and not items:
            self.problems.add(node.pos, "sections: a song needs at least one section")
        for index, snode in enumerate(items or [], start=1):
            section = self._section(index, snode, patterns)
            if section is not None:
                out.append(section)
        return out

    def _section(
        self, index: int, node: Node, patterns: dict[str, PatternDef]
    ) -> SectionDef | None:
        what = f"section {index}"
        if node.is_map and (nn := node.value.get("name")) is not None and isinstance(nn.value, str):
            what = f"section '{nn.value}'"
        r = MapReader(node, self.problems, what, SECTION_KEYS)
        if not r.ok:
            return None
        name = f"section {index}"
        if (n := r.get("name")) is not None and (text := as_str(n, self.problems, f"{what}: name")):
            name = text
            what = f"section '{name}'"
        bars_node = r.get("bars", required=True)
        bars = as_int(bars_node, self.problems, f"{what}: bars", 1, 9999) if bars_node else None
        entries: list[PlayEntry] = []
        if (n := r.get("play")) is not None:
            entries = self._play_list(n, patterns, what, "play")
        play = [e.pattern for e in entries]
        fill = None
        if (n := r.get("fill")) is not None:
            fill = self._fill(n, patterns, what, bars)
        scale = Fraction(1)
        if (n := r.get("velocity")) is not None:
            scale = as_percent(n, self.problems, f"{what}: velocity", MAX_SCALE) or scale
        mute: set[str] = set()
        if (n := r.get("mute")) is not None:
            for tname, item in as_str_list(n, self.problems, f"{what}: mute") or []:
                if tname not in self.tracks:
                    self.problems.add(
                        item.pos, f"{what}: unknown track '{tname}'{suggest(tname, self.tracks)}"
                    )
                mute.add(tname)
        shift, key = self._key_change(r.get("transpose"), r.get("key"), what)
        tempo = self._tempo(r.get("tempo"), what)
        meter = parse_meter(n, self.problems, f"{what}: meter") if (n := r.get("meter")) else None
        automate = self._automate(r.get("automate"), what)
        programs = self._programs(r.get("program"), what)
        r.finish()
        if bars is None:
            return None
        return SectionDef(
            name=name,
            bars=bars,
            play=tuple(play),
            mute=frozenset(mute),
            tempo=tempo,
            meter=meter,
            automate=tuple(automate),
            programs=tuple(programs),
            pos=node.pos,
            fill=fill,
            entries=tuple(entries),
            velocity=scale,
            transpose=shift,
            key=key,
        )

    def _play_list(
        self, node: Node, patterns: dict[str, PatternDef], section: str, field: str
    ) -> list[PlayEntry]:
        """`[a, b]` or `[{pattern: a, velocity: 80%, transpose: 2, octave: +1}, b]`."""
        out: list[PlayEntry] = []
        what = f"{section}: {field}"
        for item in node.value if node.is_list else [node]:
            entry = PlayEntry("")
            pnode = item
            if item.is_map:
                r = MapReader(item, self.problems, what, PLAY_KEYS)
                pnode = r.get("pattern", required=True)
                if (n := r.get("velocity")) is not None:
                    scale = as_percent(n, self.problems, f"{what}: velocity", MAX_SCALE)
                    entry = replace(entry, velocity=scale if scale is not None else Fraction(1))
                if (n := r.get("transpose")) is not None:
                    shift = as_int(n, self.problems, f"{what}: transpose", -48, 48)
                    entry = replace(entry, transpose=shift or 0)
                if (n := r.get("octave")) is not None:
                    octs = as_int(n, self.problems, f"{what}: octave", -4, 4)
                    entry = replace(entry, octave=octs or 0)
                r.finish()
                if pnode is None:
                    continue
            pname = as_str(pnode, self.problems, what)
            if pname is None:
                continue
            if pname not in patterns:
                if pname not in self._pattern_names:
                    self.problems.add(
                        pnode.pos,
                        f"{section}: unknown pattern '{pname}'"
                        f"{suggest(pname, self._pattern_names, 'patterns')}",
                    )
                continue
            if any(e.pattern == pname for e in out):
                self.problems.add(pnode.pos, f"{section}: pattern '{pname}' is listed twice")
                continue
            out.append(replace(entry, pattern=pname))
        return out

    def _fill(
        self, node: Node, patterns: dict[str, PatternDef], what: str, bars: int | None
    ) -> FillSpec | None:
        """`fill: drumfill`, `fill: [a, b]` or `fill: {play: [a], bars: 2}` (default 1 bar)."""
        count = 1
        play_node: Node | None = node
        if node.is_map:
            r = MapReader(node, self.problems, f"{what}: fill", ("play", "bars"))
            if (n := r.get("bars")) is not None:
                count = as_int(n, self.problems, f"{what}: fill bars", 1, bars or 9999) or 1
            play_node = r.get("play")  # no play: only the fill conditions switch on
            r.finish()
        entries = self._play_list(play_node, patterns, what, "fill") if play_node else []
        if bars is not None and count > bars:
            return None
        return FillSpec(count, tuple(e.pattern for e in entries))

    def _key_change(
        self, transpose: Node | None, key: Node | None, what: str
    ) -> tuple[int, str | None]:
        """`transpose: -2` (semitones) or `key: G minor` (the nearest move of the song's
        tonic to this one, -5..+6; same mode): the shift for the section's pitched parts."""
        if transpose is not None and key is not None:
            self.problems.add(
                key.pos, f"{what}: give key: or transpose:, not both (key: sets the transpose)"
            )
            return 0, None
        if transpose is not None:
            return as_int(transpose, self.problems, f"{what}: transpose", -48, 48) or 0, None
        if key is None or (text := as_str(key, self.problems, f"{what}: key")) is None:
            return 0, None
        try:
            new = parse_key(text)
        except TheoryError as exc:
            self.problems.add(key.at(exc.offset), f"{what}: key: {exc.message}")
            return 0, None
        if self.song_key is None:
            self.problems.add(
                key.pos, f"{what}: key: the song has no key: to move from (add one at the top)"
            )
            return 0, None
        if new.mode != self.song_key.mode:
            self.problems.add(
                key.pos,
                f"{what}: key: {new} changes the mode of the song's {self.song_key}; a section "
                f"key moves the tonic only (say {new.tonic_name} {self.song_key.mode})",
            )
            return 0, None
        shift = (new.tonic - self.song_key.tonic) % 12
        return (shift - 12 if shift > 6 else shift), str(new)

    def _tempo(self, node: Node | None, what: str) -> TempoSpec | None:
        if node is None:
            return None
        if not node.is_map:
            bpm = as_number(node, self.problems, f"{what}: tempo", MIN_BPM, MAX_BPM)
            return TempoSpec(bpm) if bpm is not None else None
        r = MapReader(node, self.problems, f"{what}: tempo", ("from", "to", "over"))
        start = to = over = None
        if (n := r.get("from")) is not None:
            start = as_number(n, self.problems, f"{what}: tempo from", MIN_BPM, MAX_BPM)
        if (n := r.get("to", required=True)) is not None:
            to = as_number(n, self.problems, f"{what}: tempo to", MIN_BPM, MAX_BPM)
        if (n := r.get("over")) is not None:
            over = self._bars(n, f"{what}: tempo over")
        r.finish()
        if to is None:
            return None
        return TempoSpec(start, to, over)

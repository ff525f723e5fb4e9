"""The `patterns:` and `sections:` of a song: each section's bars, the patterns it
plays and mutes, its tempo and meter changes, and (through `SectionOptions`) its options.
"""

from __future__ import annotations

from rig.song.context import MAX_BPM, MIN_BPM, parse_meter
from rig.song.model import PatternDef, SectionDef, TempoSpec
from rig.song.options import SectionOptions
from rig.song.patterns import PatternReader
from rig.source.errors import suggest
from rig.source.fields import MapReader, as_int, as_list, as_number, as_str, as_str_list
from rig.source.yamltree import Node

__all__ = ["SectionReader", "SECTION_KEYS"]

SECTION_KEYS = ("name", "bars", "play", "mute", "tempo", "meter", "automate", "program", "about")


class SectionReader(SectionOptions):
    """Reads `patterns:` and `sections:`."""

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
        play: list[str] = []
        if (n := r.get("play")) is not None:
            for pname, item in as_str_list(n, self.problems, f"{what}: play") or []:
                if pname not in patterns:
                    if pname not in self._pattern_names:
                        self.problems.add(
                            item.pos,
                            f"{what}: unknown pattern '{pname}'"
                            f"{suggest(pname, self._pattern_names, 'patterns')}",
                        )
                    continue
                if pname in play:
                    self.problems.add(item.pos, f"{what}: pattern '{pname}' is listed twice")
                    continue
                play.append(pname)
        mute: set[str] = set()
        if (n := r.get("mute")) is not None:
            for tname, item in as_str_list(n, self.problems, f"{what}: mute") or []:
                if tname not in self.tracks:
                    self.problems.add(
                        item.pos, f"{what}: unknown track '{tname}'{suggest(tname, self.tracks)}"
                    )
                mute.add(tname)
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
        )

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

"""Song files (YAML) → checked `Song` models, with every problem at file:line:col.

The loader never stops at the first mistake: it keeps validating and raises one
`InputError` with everything it found, so a musician fixes a file in one go.
Device facts (CC names, drum lanes, channels) come in through a `Context`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from rig.song.includes import include_roots, resolve_include
from rig.song.model import (
    Automation,
    PatternDef,
    ProgramSpec,
    SectionDef,
    Song,
    TempoSpec,
    TrackDef,
)
from rig.song.patterns import PatternReader
from rig.song.steps import ChordSlot, Step, parse_progression, parse_steps
from rig.source.errors import InputError, Pos, Problems, suggest
from rig.source.fields import (
    MapReader,
    as_fraction,
    as_int,
    as_list,
    as_number,
    as_str,
    as_str_list,
)
from rig.source.files import display_path, resolve
from rig.source.yamltree import Node, load_yaml_file
from rig.theory.errors import TheoryError
from rig.theory.scales import parse_key

__all__ = ["Context", "load_song", "load_themes", "display_path", "parse_meter"]

SONG_KEYS = (
    "cue", "about", "tempo", "meter", "key", "seed", "include", "themes", "tracks", "patterns",
    "sections",
)  # fmt: skip
TRACK_KEYS = ("device", "voice", "channel", "part", "transpose", "about")
SECTION_KEYS = ("name", "bars", "play", "mute", "tempo", "meter", "automate", "program", "about")
THEME_KEYS = ("chords", "steps", "rate", "about")
INCLUDE_KEYS = ("themes", "about")
MIN_BPM, MAX_BPM = 20, 400


@dataclass(frozen=True)
class Context:
    """What a song may refer to: devices (by id), config channel/latency overrides, voices."""

    devices: Mapping[str, Any]  # id → rig.devices.Device
    channels: Mapping[str, int] = field(default_factory=dict)  # device id → 0-based channel
    latency_ms: Mapping[str, float] = field(default_factory=dict)
    voices: frozenset[str] | None = None  # known software voice names, None: don't check
    include_roots: tuple[Path, ...] = ()  # folders beyond songs/ that include: may read


@dataclass
class _Theme:
    name: str
    kind: str  # "chords" | "steps"
    slots: list[ChordSlot]
    bars: int
    steps: list[Step]
    rate: Fraction | None
    pos: Pos


def parse_meter(node: Node, problems: Problems, what: str) -> tuple[int, int] | None:
    text = node.value if isinstance(node.value, str) else None
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not m:
        problems.add(node.pos, f"{what}: expected a meter like 4/4 or 7/8, got {node.value!r}")
        return None
    num, den = int(m.group(1)), int(m.group(2))
    if den not in (1, 2, 4, 8, 16, 32):
        problems.add(
            node.pos, f"{what}: the lower number of {num}/{den} must be 1, 2, 4, 8, 16 or 32"
        )
        return None
    if not 1 <= num <= 32:
        problems.add(node.pos, f"{what}: the upper number of {num}/{den} must be 1..32")
        return None
    return num, den


def load_song(path: Path, ctx: Context, tree: Node | None = None) -> Song:
    """Load and check one song file; raises InputError listing every problem.

    `tree`: the file already parsed (by a caller that looked inside), so it is parsed once.
    """
    return _SongLoader(path, ctx).load(tree)


class _SongLoader:
    def __init__(self, path: Path, ctx: Context):
        self.path = path
        self.ctx = ctx
        self.problems = Problems()
        self.themes: dict[str, _Theme] = {}
        self.tracks: dict[str, TrackDef] = {}
        self.meter: tuple[int, int] = (4, 4)
        self._auto_channel: list[str] = []  # voice tracks without a channel of their own
        self._roots = include_roots(path, ctx.include_roots)
        self._included: set[Path] = set()  # a file included twice (a diamond) is read once

    # -- top level -------------------------------------------------------
    def load(self, tree: Node | None = None) -> Song:
        root = tree if tree is not None else load_yaml_file(self.path, display_path(self.path))
        r = MapReader(root, self.problems, "song", SONG_KEYS)
        if not r.ok:
            self.problems.raise_if_any()
        cue_node = r.get("cue", required=True)
        cue = as_str(cue_node, self.problems, "cue") if cue_node else None
        tempo_node = r.get("tempo", required=True)
        tempo = (
            as_number(tempo_node, self.problems, "tempo", MIN_BPM, MAX_BPM) if tempo_node else None
        )
        meter = (4, 4)
        if (node := r.get("meter")) is not None:
            meter = parse_meter(node, self.problems, "meter") or meter
        self.meter = meter
        key = None
        if (node := r.get("key")) is not None and (text := as_str(node, self.problems, "key")):
            try:
                key = str(parse_key(text))
            except TheoryError as exc:
                self.problems.add(node.at(exc.offset), f"key: {exc.message}")
        seed = 0
        if (node := r.get("seed")) is not None:
            seed = as_int(node, self.problems, "seed", 0) or 0
        if (node := r.get("include")) is not None:
            self._includes(node, [resolve(self.path)])
        if (node := r.get("themes")) is not None:
            self._themes(node)
        if (node := r.get("tracks", required=True)) is not None:
            self._tracks(node)
        patterns: dict[str, PatternDef] = {}
        if (node := r.get("patterns")) is not None:
            patterns = self._patterns(node)
        sections: list[SectionDef] = []
        if (node := r.get("sections", required=True)) is not None:
            sections = self._sections(node, patterns, meter)
        r.finish()
        self.problems.raise_if_any()
        assert cue is not None and tempo is not None
        return Song(
            cue=cue,
            path=self.path,
            tempo=tempo,
            meter=meter,
            key=key,
            seed=seed,
            tracks=tuple(self.tracks.values()),
            patterns=patterns,
            sections=tuple(sections),
        )

    # -- includes and themes -------------------------------------------------
    def _includes(self, node: Node, chain: list[Path]) -> None:
        names = as_str_list(node, self.problems, "include")
        for name, item in names or []:
            target = resolve_include(name, item.pos, chain, self._roots, self.problems)
            if target is None or target in self._included:
                continue
            self._included.add(target)
            try:
                tree = load_yaml_file(target, display_path(target))
            except InputError as exc:
                self.problems.extend(exc.errors)
                continue
            r = MapReader(tree, self.problems, "included file", (*INCLUDE_KEYS, "include"))
            if (sub := r.get("include")) is not None:
                self._includes(sub, [*chain, target])
            if (themes := r.get("themes")) is not None:
                self._themes(themes)
            r.finish()

    def _themes(self, node: Node) -> None:
        items = node.value if node.is_map else None
        if items is None:
            self.problems.add(node.pos, "themes: expected a mapping of theme names")
            return
        for name, tnode in items.items():
            kpos = node.key_pos[name]
            if name in self.themes:
                first = self.themes[name].pos
                self.problems.add(
                    kpos, f"theme '{name}' is defined twice (first at {first.file}:{first.line})"
                )
                continue
            what = f"theme '{name}'"
            r = MapReader(tnode, self.problems, what, THEME_KEYS)
            if not r.ok:
                continue
            chords, steps = r.get("chords"), r.get("steps")
            rate = as_fraction(n, self.problems, f"{what}: rate") if (n := r.get("rate")) else None
            r.finish()
            if (chords is None) == (steps is None):
                self.problems.add(tnode.pos, f"{what}: give either 'chords' or 'steps'")
                continue
            if chords is not None and (text := as_str(chords, self.problems, f"{what}: chords")):
                slots = parse_progression(chords, self.problems, f"{what}: chords")
                bars = text.count("|") + 1 - (1 if text.rstrip().endswith("|") else 0)
                self.themes[name] = _Theme(name, "chords", slots, bars, [], None, kpos)
            elif steps is not None and as_str(steps, self.problems, f"{what}: steps"):
                parsed = parse_steps(steps, self.problems, f"{what}: steps")
                self.themes[name] = _Theme(name, "steps", [], 0, parsed, rate, kpos)

    # -- tracks ------------------------------------------------------------------
    def _tracks(self, node: Node) -> None:
        if not node.is_map:
            self.problems.add(node.pos, "tracks: expected a mapping of track names")
            return
        if not node.value:
            self.problems.add(node.pos, "tracks: a song needs at least one track")
        for name, tnode in node.value.items():
            what = f"track '{name}'"
            r = MapReader(tnode, self.problems, what, TRACK_KEYS)
            if not r.ok:
                continue
            device = voice = None
            dev = None
            if (n := r.get("device")) is not None and (device := as_str(n, self.problems, what)):
                dev = self.ctx.devices.get(device)
                if dev is None:
                    self.problems.add(
                        n.pos,
                        f"{what}: unknown device '{device}'"
                        + suggest(device, self.ctx.devices, "devices"),
                    )
                    device = None
            if (n := r.get("voice")) is not None and (voice := as_str(n, self.problems, what)):
                known = self.ctx.voices
                if known is not None and voice not in known:
                    self.problems.add(
                        n.pos, f"{what}: unknown voice '{voice}'{suggest(voice, known, 'voices')}"
                    )
            if not r.has("device") and not r.has("voice"):
                self.problems.add(tnode.pos, f"{what}: needs a 'device' or a 'voice'")
            channel = 0
            if dev is None:
                self._auto_channel.append(name)
            else:
                channel = self.ctx.channels.get(dev.name, dev.channel)
            if (n := r.get("part")) is not None:
                hi = dev.parts if dev is not None else 16
                part = as_int(n, self.problems, f"{what}: part", 1, hi)
                if dev is not None and part is not None:
                    if channel + part - 1 > 15:
                        self.problems.add(
                            n.pos, f"{what}: part {part} on channel {channel + 1} passes channel 16"
                        )
                    else:
                        channel += part - 1
            if (n := r.get("channel")) is not None:
                explicit = as_int(n, self.problems, f"{what}: channel", 1, 16)
                if explicit is not None:
                    channel = explicit - 1
                if name in self._auto_channel:
                    self._auto_channel.remove(name)
            transpose = 0
            if (n := r.get("transpose")) is not None:
                transpose = as_int(n, self.problems, f"{what}: transpose", -48, 48) or 0
            r.finish()
            latency = 0.0
            if dev is not None:
                latency = self.ctx.latency_ms.get(dev.name, dev.latency_ms)
                voice = voice or dev.stand_in
            self.tracks[name] = TrackDef(
                name=name,
                device=device,
                voice=voice,
                channel=channel,
                drums=bool(dev is not None and dev.lanes),
                latency_ms=latency,
                transpose=transpose,
                pos=node.key_pos[name],
            )
        self._assign_voice_channels()

    def _assign_voice_channels(self) -> None:
        """Give each software-voice track without a `channel` a channel no other track uses.

        Exported MIDI files and GM synths then keep the voice apart from the hardware parts.
        """
        used = {t.channel for n, t in self.tracks.items() if n not in self._auto_channel}
        for track in self.tracks.values():
            dev = self.ctx.devices.get(track.device) if track.device else None
            if dev is not None:
                used.update(lane.channel for lane in dev.lanes.values() if lane.channel is not None)
        free = [c for c in range(16) if c not in used]
        for name in self._auto_channel:
            if name in self.tracks and free:
                self.tracks[name] = replace(self.tracks[name], channel=free.pop(0))

    # -- patterns ------------------------------------------------------------------
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

    @property
    def _pattern_names(self) -> list[str]:
        return self.__dict__.setdefault("_all_pattern_names", [])

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

    def _bars(self, node: Node, what: str) -> Fraction | None:
        """A length in bars: `8`, `8 bars`, `1/2`."""
        value = node.value
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+(?:/\d+)?)\s*(bars?)?\s*", value)
            if m:
                frac = Fraction(m.group(1))
                if frac > 0:
                    return frac
        elif isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return Fraction(value)
        self.problems.add(node.pos, f"{what}: expected a number of bars like 8 or '8 bars'")
        return None

    def _automate(self, node: Node | None, what: str) -> list[Automation]:
        out: list[Automation] = []
        if node is None:
            return out
        if not node.is_map:
            self.problems.add(node.pos, f"{what}: automate: expected track.control: value")
            return out
        for target, vnode in node.value.items():
            kpos = node.key_pos[target]
            track_name, dot, control = target.partition(".")
            if not dot or not control:
                self.problems.add(kpos, f"{what}: automate: '{target}' should be track.control")
                continue
            track = self.tracks.get(track_name)
            if track is None:
                self.problems.add(
                    kpos,
                    f"{what}: automate: unknown track '{track_name}'"
                    + suggest(track_name, self.tracks),
                )
                continue
            dev = self._control_device(track)
            if dev is None:
                self.problems.add(kpos, f"{what}: automate: track '{track_name}' has no CC names")
                continue
            if control not in dev.ccs:
                col = Pos(kpos.file, kpos.line, kpos.col + len(track_name) + 1)
                self.problems.add(
                    col,
                    f"unknown CC '{control}' for device {dev.name}{suggest(control, dev.ccs)}",
                )
                continue
            cc = dev.ccs[control]
            label = f"{what}: {target}"
            if vnode.is_map:
                r = MapReader(vnode, self.problems, label, ("from", "to", "over"))
                fnode, tnode = r.get("from", required=True), r.get("to", required=True)
                start = (
                    as_int(fnode, self.problems, f"{label} from", cc.min, cc.max) if fnode else None
                )
                end = as_int(tnode, self.problems, f"{label} to", cc.min, cc.max) if tnode else None
                over = self._bars(n, f"{label} over") if (n := r.get("over")) else None
                r.finish()
                if start is not None and end is not None:
                    out.append(Automation(track_name, control, cc.number, start, end, over))
            else:
                value = as_int(vnode, self.problems, label, cc.min, cc.max)
                if value is not None:
                    out.append(Automation(track_name, control, cc.number, value, None, None))
        return out

    def _control_device(self, track: TrackDef):  # noqa: ANN202 - a Device or None
        if track.device is not None:
            return self.ctx.devices.get(track.device)
        # Software voices follow General MIDI CC numbers, so they borrow the GM CC names.
        return self.ctx.devices.get("gm")

    def _programs(self, node: Node | None, what: str) -> list[ProgramSpec]:
        out: list[ProgramSpec] = []
        if node is None:
            return out
        if not node.is_map:
            self.problems.add(node.pos, f"{what}: program: expected track: number")
            return out
        for track_name, vnode in node.value.items():
            kpos = node.key_pos[track_name]
            label = f"{what}: program for '{track_name}'"
            track = self.tracks.get(track_name)
            if track is None:
                self.problems.add(
                    kpos,
                    f"{what}: program: unknown track '{track_name}'"
                    + suggest(track_name, self.tracks),
                )
                continue
            dev = self.ctx.devices.get(track.device) if track.device else None
            count = dev.programs.count if dev is not None else 128
            if dev is not None and count == 0:
                self.problems.add(vnode.pos, f"{label}: device {dev.name} has no programs")
                continue
            msb = lsb = None
            if vnode.is_map:
                r = MapReader(vnode, self.problems, label, ("program", "bank", "bank_lsb"))
                pnode = r.get("program", required=True)
                program = as_int(pnode, self.problems, label, 0, count - 1) if pnode else None
                if (n := r.get("bank")) is not None:
                    msb = as_int(n, self.problems, f"{label}: bank", 0, 127)
                if (n := r.get("bank_lsb")) is not None:
                    lsb = as_int(n, self.problems, f"{label}: bank_lsb", 0, 127)
                r.finish()
            else:
                program = as_int(vnode, self.problems, label, 0, count - 1)
            if program is not None:
                out.append(ProgramSpec(track_name, program, msb, lsb))
        return out


def load_themes(path: Path, ctx: Context) -> list[str]:
    """Check a theme library (a file of `themes:` used through `include:`); its theme names."""
    loader = _SongLoader(path, ctx)
    tree = load_yaml_file(path, display_path(path))
    r = MapReader(tree, loader.problems, "theme file", (*INCLUDE_KEYS, "include"))
    if (sub := r.get("include")) is not None:
        loader._includes(sub, [resolve(path)])
    if (themes := r.get("themes", required=True)) is not None:
        loader._themes(themes)
    r.finish()
    loader.problems.raise_if_any()
    return sorted(loader.themes)

"""What every part of the song loader shares: the device `Context`, the loader's state
(problems, tracks, themes, meter) and the small readers of paths, meters and bar lengths.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from rig.song.includes import include_roots
from rig.song.model import TrackDef
from rig.song.steps import ChordSlot, Step
from rig.source.errors import Pos, Problems
from rig.source.files import display_path
from rig.source.yamltree import Node

__all__ = ["Context", "Theme", "LoaderBase", "display_path", "parse_meter", "MIN_BPM", "MAX_BPM"]

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
class Theme:
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


class LoaderBase:
    """The state one song's loading shares between its readers (themes, tracks, sections)."""

    def __init__(self, path: Path, ctx: Context):
        self.path = path
        self.ctx = ctx
        self.problems = Problems()
        self.themes: dict[str, Theme] = {}
        self.tracks: dict[str, TrackDef] = {}
        self.meter: tuple[int, int] = (4, 4)
        self._auto_channel: list[str] = []  # voice tracks without a channel of their own
        self._roots = include_roots(path, ctx.include_roots)
        self._included: set[Path] = set()  # a file included twice (a diamond) is read once

    @property
    def _pattern_names(self) -> list[str]:
        return self.__dict__.setdefault("_all_pattern_names", [])

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

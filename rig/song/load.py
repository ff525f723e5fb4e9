"""Song files (YAML) → checked `Song` models, with every problem at file:line:col.

The loader never stops at the first mistake: it keeps validating and raises one
`InputError` with everything it found, so a musician fixes a file in one go.
Device facts (CC names, drum lanes, channels) come in through a `Context`. The
parts are read by their own modules: themes, tracks, sections and section options.
"""

from __future__ import annotations

import re
from pathlib import Path

from rig.song.context import MAX_BPM, MIN_BPM, Context, parse_meter
from rig.song.model import PatternDef, SectionDef, Song, Spot
from rig.song.sections import SectionReader
from rig.song.themes import ThemeReader, load_themes
from rig.song.tracks import TrackReader
from rig.source import Problems
from rig.source.fields import MapReader, as_int, as_number, as_str
from rig.source.files import display_path, resolve
from rig.source.yamltree import Node, load_yaml_file
from rig.theory.errors import TheoryError
from rig.theory.scales import parse_key

__all__ = ["Context", "load_song", "load_themes", "display_path", "parse_meter"]

SONG_KEYS = (
    "cue", "about", "tempo", "meter", "key", "seed", "include", "themes", "tracks", "patterns",
    "sections", "timecode",
)  # fmt: skip
_SPOT = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([:;.])(\d{2})$")


def load_song(path: Path, ctx: Context, tree: Node | None = None) -> Song:
    """Load and check one song file; raises InputError listing every problem.

    `tree`: the file already parsed (by a caller that looked inside), so it is parsed once.
    """
    return _SongLoader(path, ctx).load(tree)


class _SongLoader(ThemeReader, TrackReader, SectionReader):
    """One song file's loading: the top level here, the parts in their readers."""

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
                self.song_key = parse_key(text)
                key = str(self.song_key)
            except TheoryError as exc:
                self.problems.add(node.at(exc.offset), f"key: {exc.message}")
        spot = None
        if (node := r.get("timecode")) is not None:
            spot = _spot(node, self.problems)
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
            timecode=spot,
        )


def _spot(node: Node, problems: Problems) -> Spot | None:
    """`timecode: 01:00:12:05` (`;05`: drop-frame): where the cue was spotted to picture."""
    text = str(node.value).strip()
    m = _SPOT.match(text)
    if not m:
        problems.add(node.pos, f"timecode: '{text}' is not HH:MM:SS:FF (e.g. 01:00:12:05)")
        return None
    h, mi, s, sep, f = m.groups()
    spot = Spot(int(h), int(mi), int(s), int(f), sep == ";")
    if spot.hours > 23 or spot.minutes > 59 or spot.seconds > 59 or spot.frames > 29:
        problems.add(node.pos, f"timecode: '{text}' is out of range (23:59:59:29 at most)")
        return None
    if spot.drop and spot.frames < 2 and spot.seconds == 0 and spot.minutes % 10:
        problems.add(node.pos, f"timecode: '{text}' does not exist in drop-frame (frames 0, 1 "
                     "are skipped at each minute but every tenth)")  # fmt: skip
        return None
    return spot

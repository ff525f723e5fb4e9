"""Helpers shared by the song tests: repository paths, writing songs, reading events back.

Paths are resolved from this file, not the working folder, so the tests pass from any cwd.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from rig.project import Project
from rig.song.arrangement import Arrangement
from rig.song.events import NoteOff, NoteOn
from rig.song.load import display_path
from rig.source import InputError

__all__ = [
    "REPO",
    "SONGS",
    "CONFIG",
    "HEAD",
    "song",
    "write",
    "errors_of",
    "expected",
    "notes",
]

REPO = Path(__file__).resolve().parents[2]
SONGS = REPO / "songs"
CONFIG = REPO / "config.yaml"

# Seven lines, so in `song(...)` the first pattern is on line 9 and the first section on 11.
# Channels (config.yaml, 0-based): virus 0 (part 2 → 1), juno60 1, monopoly 2, rytm 13.
HEAD = """\
cue: Test
tempo: 120
tracks:
  bass: {device: monopoly}
  drums: {device: rytm}
  keys: {device: juno60}
  pad: {device: virus, part: 2}
"""


def song(patterns: str, sections: str = "  - {bars: 1, play: [p]}\n", head: str = HEAD) -> str:
    """A song text: HEAD, then `patterns:` (line 8) and `sections:` (after the patterns)."""
    return head + "patterns:\n" + patterns + "sections:\n" + sections


def write(directory: Path, text: str | bytes, name: str = "song.yaml") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def errors_of(project: Project, path: Path) -> list[str]:
    """Every error loading + compiling `path` gives, as printed (file:line:col: message)."""
    with pytest.raises(InputError) as info:
        project.arrangement(path)
    return [str(e) for e in info.value.errors]


def expected(path: Path, *items: tuple[int, int, str]) -> list[str]:
    """`(line, col, message)` items as the loader prints them for `path`."""
    name = display_path(path)
    return [f"{name}:{line}:{col}: {message}" for line, col, message in items]


def notes(
    arrangement: Arrangement, track: str | None = None
) -> list[tuple[int, int, int, int, int]]:
    """Sounding notes as (on, off, channel, note, velocity), ordered by (on, note)."""
    open_: dict[tuple[str, int, int], list[NoteOn]] = defaultdict(list)
    out: list[tuple[int, int, int, int, int]] = []
    for event in arrangement.events:
        if track is not None and getattr(event, "track", None) != track:
            continue
        if isinstance(event, NoteOn):
            open_[(event.track, event.channel, event.note)].append(event)
        elif isinstance(event, NoteOff):
            on = open_[(event.track, event.channel, event.note)].pop(0)
            out.append((on.tick, event.tick, on.channel, on.note, on.velocity))
    return sorted(out, key=lambda n: (n[0], n[3], n[1]))

"""Helpers for the score tests: where the cues live, and reading sounding notes back.

Paths are resolved from this file, not the working folder, so the tests pass from any cwd.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from rig.song.arrangement import Arrangement
from rig.song.events import NoteOff, NoteOn
from rig.theory.chords import Chord, parse_chord, voice_chord

__all__ = [
    "REPO",
    "CONFIG",
    "SONGS",
    "SETLIST",
    "CUES",
    "Note",
    "notes",
    "raw",
    "progression",
    "pitch_classes",
    "sounding_tracks",
]

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config.yaml"
SONGS = REPO / "songs"
SETLIST = SONGS / "sets" / "heated-rivalry-night.yaml"

# Every cue of the score: file stem → the cue's real title.
CUES = {
    "rivalry": "Rivalry",
    "heartbeat-1": "Heartbeat I",
    "heartbeat-2": "Heartbeat II",
    "heartbeat-3": "Heartbeat III",
    "heartbeat-4": "Heartbeat IV",
    "la-nuit-est-longue": "La Nuit Est Longue",
    "young-and-restless": "Young and Restless",
    "lets-make-a-deal": "Let's Make a Deal",
    "inferno": "Inferno",
    "its-you": "It's You",
    "two-souls": "Two Souls",
    "one-soul": "One Soul",
    "ciel": "Ciel",
    "utopie": "Utopie",
    "lisbonne": "Lisbonne",
}


@dataclass(frozen=True)
class Note:
    track: str
    note: int
    on: int  # tick
    off: int  # tick
    velocity: int


def notes(arr: Arrangement, track: str | None = None) -> list[Note]:
    """Every note as an (on, off) pair, in onset order; optionally of one track."""
    open_: dict[tuple[str, int, int], list] = defaultdict(list)
    out: list[Note] = []
    for e in arr.events:
        if isinstance(e, NoteOn):
            open_[(e.track, e.channel, e.note)].append(e)
        elif isinstance(e, NoteOff):
            on = open_[(e.track, e.channel, e.note)].pop(0)
            out.append(Note(e.track, e.note, on.tick, e.tick, on.velocity))
    assert not any(open_.values()), "a NoteOn without its NoteOff"
    out.sort(key=lambda n: (n.on, n.track, n.note))
    return [n for n in out if track is None or n.track == track]


def raw(path: Path) -> dict:
    """A YAML file as plain data (to read what a cue *says*, e.g. which theme it uses)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def progression(text: str) -> list[list[Chord]]:
    """`"Fm9 | Dbmaj7 | Esus4 E"` → chords per bar (no holds or rests in these themes)."""
    return [[parse_chord(tok) for tok in bar.split()] for bar in text.split("|") if bar.strip()]


def pitch_classes(chord: Chord) -> frozenset[int]:
    """The pitch classes the compiler sounds for a chord (voicing and octave aside)."""
    return frozenset(n % 12 for n in voice_chord(chord))


def sounding_tracks(arr: Arrangement, start: int, end: int) -> set[str]:
    """Tracks with at least one note starting in [start, end)."""
    return {e.track for e in arr.query_ticks(start, end) if isinstance(e, NoteOn)}

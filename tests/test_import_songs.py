"""Every cue in songs/: `rig export` → `rig import` → `rig export` gives the same notes
(pitch, start, length, velocity, channel, track) and the same meters and section starts."""

from __future__ import annotations

from pathlib import Path

import mido
import pretty_midi
import pytest

from rig.cli import main
from tests.support.smfnotes import track_notes

REPO = Path(__file__).resolve().parents[1]
CONFIG = ["--config", str(REPO / "config.yaml")]

SONGS = sorted((REPO / "songs").glob("*.yaml"))


def meters(path: Path) -> list[tuple[int, int, int]]:
    tick, out = 0, []
    for msg in mido.MidiFile(str(path)).tracks[0]:
        tick += msg.time
        if msg.type == "time_signature":
            out.append((tick, msg.numerator, msg.denominator))
    return out


def test_every_cue_is_here() -> None:
    assert len(SONGS) >= 15


@pytest.mark.parametrize("song", SONGS, ids=[p.stem for p in SONGS])
def test_export_import_export_is_the_identity(song: Path, tmp_path: Path) -> None:
    first, text, second = tmp_path / "a.mid", tmp_path / "a.yaml", tmp_path / "b.mid"
    assert main(["export", str(song), "-o", str(first), *CONFIG]) == 0
    assert main(["import", str(first), "-o", str(text), *CONFIG]) == 0
    assert main(["export", str(text), "-o", str(second), *CONFIG]) == 0
    want, got = track_notes(first), track_notes(second)
    assert sum(len(v) for v in want.values()) > 50
    assert got == want
    assert meters(second) == meters(first)
    # the tempo map too: every note sounds at the same second (ramps come back as ramps)
    onsets = [
        sorted(n.start for i in pretty_midi.PrettyMIDI(str(f)).instruments for n in i.notes)
        for f in (first, second)
    ]
    assert max(abs(a - b) for a, b in zip(*onsets, strict=True)) < 0.0005

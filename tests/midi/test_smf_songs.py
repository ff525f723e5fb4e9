"""Every real cue in songs/ exports, and pretty_midi reads back what the arrangement says."""

from __future__ import annotations

from pathlib import Path

import mido
import pretty_midi
import pytest

from rig.midi.smf import (
    DRIFT_LIMIT_US,
    RAMP_STEP_TICKS,
    arrangement_to_midifile,
    export_smf,
    smf_bytes,
)
from rig.project import Project
from rig.song.arrangement import Arrangement
from rig.song.events import PPQ, NoteOff, NoteOn, ProgramChange

REPO = Path(__file__).resolve().parents[2]
SONGS = sorted((REPO / "songs").glob("*.yaml"))


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load(REPO / "config.yaml")


def test_there_are_songs() -> None:
    assert len(SONGS) >= 4


def _notes(arrangement: Arrangement) -> list[tuple[str, int, int, int, int]]:
    """(track, pitch, velocity, on_tick, off_tick), paired per (track, channel, pitch) FIFO."""
    open_: dict[tuple[str, int, int], list[NoteOn]] = {}
    out = []
    for e in arrangement.events:
        if isinstance(e, NoteOn):
            open_.setdefault((e.track, e.channel, e.note), []).append(e)
        elif isinstance(e, NoteOff):
            on = open_[(e.track, e.channel, e.note)].pop(0)
            out.append((e.track, e.note, on.velocity, on.tick, e.tick))
    return out


@pytest.mark.parametrize("song", SONGS, ids=lambda p: p.stem)
def test_song_exports_and_reads_back(song: Path, project: Project, tmp_path: Path) -> None:
    arrangement = project.arrangement(song)
    path = tmp_path / f"{song.stem}.mid"
    export_smf(arrangement, path)
    pm = pretty_midi.PrettyMIDI(str(path))
    tempo = arrangement.tempo

    got = sorted(
        (inst.name, n.pitch, n.velocity, round(n.start, 4), n.start, n.end)
        for inst in pm.instruments
        for n in inst.notes
    )
    want = sorted(
        (t, p, v, round(tempo.seconds_at(on), 4), on, off)
        for t, p, v, on, off in _notes(arrangement)
    )
    assert len(got) == len(want) > 0
    for (gn, gp, gv, _, gs, ge), (wn, wp, wv, _, on, off) in zip(got, want, strict=True):
        assert (gn, gp, gv) == (wn, wp, wv)
        for seconds, tick in ((gs, on), (ge, off)):
            err = abs(seconds - tempo.seconds_at(tick))
            assert err <= 60.0 / (tempo.bpm_at(tick) * PPQ)  # ±1 tick
            assert err <= (DRIFT_LIMIT_US + 1) * 1e-6

    # Tempo changes where the song puts them.
    times, bpms = pm.get_tempo_changes()
    for seg in tempo.segments:
        if seg.start_tick >= arrangement.length_ticks and seg.start_tick:
            continue
        at = tempo.seconds_at(seg.start_tick)
        tolerance = (DRIFT_LIMIT_US + 1) * 1e-6
        near = [b for t, b in zip(times, bpms, strict=True) if abs(t - at) <= tolerance]
        assert near, f"no tempo change at tick {seg.start_tick}"
        # A ramp's first step is its mean over the first 1/32 note.
        step = 0.0
        if seg.end_tick is not None:
            step = abs(seg.end_bpm - seg.bpm) * RAMP_STEP_TICKS / (seg.end_tick - seg.start_tick)
        assert abs(near[-1] - seg.bpm) <= step + 1e-3

    # Programs and channels per track.
    midi = mido.MidiFile(str(path))
    by_name = {
        next(m.name for m in track if m.type == "track_name"): track for track in midi.tracks[1:]
    }
    assert set(by_name) == {t.name for t in arrangement.tracks}
    for info in arrangement.tracks:
        channels = {m.channel for m in by_name[info.name] if not m.is_meta}
        assert channels <= {info.channel}
        programs = [
            e.program
            for e in arrangement.events
            if isinstance(e, ProgramChange) and e.track == info.name
        ]
        written = [m.program for m in by_name[info.name] if m.type == "program_change"]
        assert written == programs


@pytest.mark.parametrize("song", SONGS, ids=lambda p: p.stem)
def test_direct_encoding_is_byte_identical_to_mido(song: Path, project: Project) -> None:
    """`smf_bytes` (the export's fast path) writes exactly what mido writes for the same
    file: running status, meta text in UTF-8, delta times, end of track."""
    import io

    arrangement = project.arrangement(song)
    buffer = io.BytesIO()
    arrangement_to_midifile(arrangement).save(file=buffer)
    data, tracks = smf_bytes(arrangement)
    assert data == buffer.getvalue()
    assert tracks == len(arrangement_to_midifile(arrangement).tracks)

"""Property: export → import → export is the identity on notes, for generated parts.

Arrangements of random sections (meters, tempi) and random notes at any tick (off any
grid, any length inside their section, any velocity, channel and chord), imported on a
random grid: the song `rig import` writes compiles to exactly the notes exported.
"""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rig.midi.smf import export_smf
from rig.midi.smfimport import ImportOptions, select_parts, song_yaml
from rig.midi.smfread import read_smf
from rig.project import Project
from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, NoteOff, NoteOn
from rig.song.tempomap import TempoMap, TempoSegment
from tests.support.smfnotes import track_notes

REPO = Path(__file__).resolve().parents[1]
DRUMS = [36, 38, 42, 46, 49]  # GM lanes BD SD CH OH CY: the drums part is written as lanes
METERS = [(4, 4), (3, 4), (7, 8), (5, 8), (2, 2), (6, 8)]


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load(REPO / "config.yaml")


@st.composite
def parts(draw: st.DrawFn) -> tuple[Arrangement, Fraction]:
    spans, tempo, tick, bar = [], [], 0, 1
    for n in range(draw(st.integers(1, 3))):
        num, den = draw(st.sampled_from(METERS))
        bars = draw(st.integers(1, 4))
        length = bars * PPQ * 4 * num // den
        spans.append(SectionSpan(f"s{n}", tick, tick + length, bar, bars, num, den))
        bpm = draw(st.sampled_from([96.0, 120.0, 133.5, 174.0]))
        tempo.append(TempoSegment(tick, bpm, bpm, None))
        tick, bar = tick + length, bar + bars
    names = ["keys", "bass", "drums"][: draw(st.integers(1, 3))]
    tracks = [
        TrackInfo(n, "gm", None, 9 if n == "drums" else draw(st.integers(0, 8))) for n in names
    ]
    events: list = []
    for info in tracks:
        busy: dict[int, int] = {}  # pitch → end of its last note: no overlap on one key
        for span in spans:
            strikes = draw(
                st.lists(
                    st.tuples(
                        st.integers(span.start_tick, span.end_tick - 1),
                        st.integers(1, 3 * PPQ),
                        st.lists(
                            st.sampled_from(DRUMS)
                            if info.name == "drums"
                            else st.integers(24, 100),
                            min_size=1,
                            max_size=3,
                            unique=True,
                        ),
                        st.integers(1, 127),
                    ),
                    max_size=12,
                )
            )
            for on, length, pitches, velocity in sorted(strikes):
                off = min(span.end_tick, on + length)
                for pitch in pitches:
                    if on < busy.get(pitch, 0):
                        continue
                    busy[pitch] = off
                    events.append(NoteOn(on, info.name, info.channel, pitch, velocity))
                    events.append(NoteOff(off, info.name, info.channel, pitch))
    grids = [Fraction(1, 8), Fraction(1, 16), Fraction(1, 32)]
    if all(s.denominator <= 4 for s in spans):
        grids.append(Fraction(1, 12))
    arrangement = Arrangement("Generated", events, TempoMap(tempo), spans, tracks, tick)
    return arrangement, draw(st.sampled_from(grids))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts())
def test_export_import_export_is_the_identity(
    project: Project, generated: tuple[Arrangement, Fraction]
) -> None:
    arrangement, grid = generated
    with tempfile.TemporaryDirectory() as folder:
        first, text, second = (Path(folder) / name for name in ("a.mid", "a.yaml", "b.mid"))
        export_smf(arrangement, first)
        song = read_smf(first)
        chosen = select_parts(song, None)
        tracks = {p.name: f"device: gm, channel: {p.channel + 1}" for p in chosen}
        if not chosen:
            return  # nothing to import (the command says so, exit 1: tests/test_import.py)
        gm = project.devices["gm"]
        lanes = {"drums": {lane.note: name for name, lane in gm.lanes.items()}}
        yaml, remarks = song_yaml(song, chosen, ImportOptions(grid, None, "a.mid"), tracks, lanes)
        assert remarks == []
        # the drums part is lanes, or steps where one lane would need two layers (a flam)
        event("drums as lanes" if "\n    lanes:\n" in yaml else "no lanes")
        text.write_text(yaml, encoding="utf-8")
        export_smf(project.arrangement(text), second)
        assert track_notes(second) == track_notes(first)

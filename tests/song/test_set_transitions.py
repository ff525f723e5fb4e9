"""Set transitions: a setlist entry's `tempo: {to, over}` lead into the next cue and its
`count_in:` (silent, or a click on a drum lane or a note). Exact ticks and tempo maps,
positioned misuse, the tempo-step warning, and hypothesis properties (the ramp is
continuous and ends on `to`; a count-in shifts the cue by whole bars and nothing else)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig.project import Project
from rig.song.events import PPQ, NoteOn, ProgramChange, SectionStart, TempoChange
from rig.song.quantize import bar_beat
from rig.song.transitions import CLICK_VELOCITY, COUNT_IN, count_in, lead_into
from rig.source import InputError
from rig.source.errors import Pos

from .util import HEAD, expected, song, write

BAR = 4 * PPQ
HERE = Pos("set.yaml", 1, 1)


def two_cues(tmp_path: Path, first_tempo: str = "", extra: str = "") -> tuple[Path, Path]:
    a = song(
        '  p: {track: bass, steps: "E1 . . .", rate: 1/4}\n'
        '  d: {track: drums, lanes: {BD: "x..."}, rate: 1/4}\n',
        "  - {bars: 2, play: [p]}\n  - {bars: 2, play: [p, d]" + first_tempo + "}\n",
    )
    b = song(
        '  p: {track: bass, steps: "G1 . . .", rate: 1/4}\n',
        "  - {bars: 2, play: [p]}\n",
        HEAD.replace("tempo: 120", "tempo: 90").replace("cue: Test", "cue: B") + extra,
    )
    return write(tmp_path, a, "a.yaml"), write(tmp_path, b, "b.yaml")


def write_set(tmp_path: Path, first: str, second: str = "b.yaml") -> Path:
    return write(
        tmp_path, f"set: S\ncues:\n  - {{song: a.yaml, {first}}}\n  - {second}\n", "s.yaml"
    )


def test_a_lead_ramps_the_last_bars_to_the_next_tempo(project: Project, tmp_path: Path) -> None:
    two_cues(tmp_path)
    path = write_set(tmp_path, "next: bar, tempo: {to: 90, over: 2 bars}")
    a, b = project.arrangements(path)
    start, end = 2 * BAR, 4 * BAR
    assert [(s.start_tick, s.bpm, s.end_bpm, s.end_tick) for s in a.tempo.segments] == [
        (0, 120, 120, None),
        (start, 120, 90, end),
    ]
    assert a.tempo.bpm_at(end) == 90 and a.tempo.bpm_at(start + BAR) == 105
    # the closed form of a linear ramp per beat: 60/slope · ln(to/from)
    slope = (90 - 120) / 8
    assert math.isclose(a.tempo.seconds_at(end) - 4, 60 / slope * math.log(90 / 120))
    changes = [e for e in a.events if isinstance(e, TempoChange)]
    assert changes[-1] == TempoChange(start, 120, 90, end)
    assert a.warnings == () or all("ramps to" not in w.message for w in a.warnings)
    assert b.tempo.bpm_at(0) == 90 and len(b.tempo.segments) == 1


def test_a_lead_cuts_a_section_ramp_where_it_begins(project: Project, tmp_path: Path) -> None:
    two_cues(tmp_path, ", tempo: {to: 100}")  # the second section ramps 120 → 100 over 2 bars
    path = write_set(tmp_path, "next: bar, tempo: {to: 90, over: 1 bar}")
    a, _ = project.arrangements(path)
    mid = 3 * BAR
    segs = [(s.start_tick, s.bpm, s.end_bpm, s.end_tick) for s in a.tempo.segments]
    assert segs[1] == (2 * BAR, 120, 110, mid) and segs[2] == (mid, 110, 90, 4 * BAR)
    changes = [e for e in a.events if isinstance(e, TempoChange)]
    assert changes[-2:] == [TempoChange(2 * BAR, 120, 110, mid), TempoChange(mid, 110, 90, 4 * BAR)]


def test_a_lead_to_another_tempo_warns_of_the_step(project: Project, tmp_path: Path) -> None:
    two_cues(tmp_path)
    path = write_set(tmp_path, "next: bar, tempo: {to: 100, over: 2 bars}")
    a, _ = project.arrangements(path)
    assert [str(w) for w in a.warnings] == expected(
        path, (3, 38, "warning: 'Test' ramps to 100 BPM but 'B' opens at 90: the tempo steps there")
    )


def test_a_count_in_clicks_a_lane_and_shifts_the_cue(project: Project, tmp_path: Path) -> None:
    two_cues(tmp_path, extra="")
    path = write_set(tmp_path, "next: bar", "{song: b.yaml, count_in: {bars: 1, click: drums.RS}}")
    plain = project.arrangement(tmp_path / "b.yaml")
    _, b = project.arrangements(path)
    assert b.length_ticks == plain.length_ticks + BAR
    clicks = [(e.tick, e.note, e.velocity) for e in b.events if isinstance(e, NoteOn) and
              e.track == "drums"]  # fmt: skip
    rim = project.devices["rytm"].lanes["RS"].note
    assert clicks == [(i * PPQ, rim, CLICK_VELOCITY[i > 0]) for i in range(4)]
    moved = [(e.tick - BAR, e.note) for e in b.events if isinstance(e, NoteOn) and e.tick >= BAR]
    assert moved == [(e.tick, e.note) for e in plain.events if isinstance(e, NoteOn)]
    assert b.sections[0].name == COUNT_IN and b.sections[1].start_tick == BAR
    assert bar_beat(b, 0) == (0, 1) and bar_beat(b, BAR) == (1, 1) and b.bar_tick(1) == BAR
    assert b.tempo.bpm_at(0) == 90 and TempoChange(0, 90) in b.query_ticks(0, 1)
    assert any(isinstance(e, SectionStart) and e.name == COUNT_IN for e in b.events)


def test_a_silent_count_in_and_a_program_on_its_first_tick(
    project: Project, tmp_path: Path
) -> None:
    two_cues(tmp_path)
    path = write_set(tmp_path, "next: bar", "{song: b.yaml, count_in: 2 bars}")
    _, b = project.arrangements(path)
    assert not [e for e in b.events if isinstance(e, NoteOn) and e.tick < 2 * BAR]
    arr = project.arrangement(tmp_path / "b.yaml")
    pc = ProgramChange(0, "bass", 2, 5)
    arr = type(arr)(arr.name, (*arr.events, pc), arr.tempo, arr.sections, arr.tracks,
                    arr.length_ticks)  # fmt: skip
    counted = count_in(arr, 1)
    assert pc in counted.events  # the patch changes while counting in, not on the one


def test_set_transition_misuse_is_positioned(project: Project, tmp_path: Path) -> None:
    two_cues(tmp_path)
    path = write(
        tmp_path,
        "set: S\ncues:\n"
        "  - {song: a.yaml, tempo: {to: 900, over: 2 bars}}\n"
        "  - {song: a.yaml, tempo: {to: 90, over: half}, count_in: 0}\n"
        "  - {song: b.yaml, count_in: {bars: 1, click: drums}, tempo: 90}\n",
        "s.yaml",
    )
    with pytest.raises(InputError) as info:
        project.arrangements(path)
    assert [str(e) for e in info.value.errors] == expected(
        path,
        (3, 32, "cue 1: tempo to: 900 is out of range 20..400"),
        (4, 42, "cue 2: tempo over: expected whole bars 1..64 like 4 or '4 bars'"),
        (4, 59, "cue 2: count_in: expected whole bars 1..64 like 4 or '4 bars'"),
        (5, 47, "cue 3: count_in click: expected TRACK.LANE or TRACK.NOTE like drums.RS"),
        (5, 62, "cue 3: tempo: expected a mapping (key: value), got the number 90"),
    )


def test_transition_misfits_with_the_cue_are_positioned(project: Project, tmp_path: Path) -> None:
    two_cues(tmp_path)
    path = write(
        tmp_path,
        "set: S\ncues:\n"
        "  - {song: a.yaml, tempo: {to: 90, over: 5 bars}}\n"
        "  - {song: b.yaml, count_in: {click: drum.RS}}\n"
        "  - {song: b.yaml, count_in: {click: drums.RZ}}\n"
        "  - {song: b.yaml, count_in: {click: bass.H2}}\n",
        "s.yaml",
    )
    with pytest.raises(InputError) as info:
        project.arrangements(path)
    assert [str(e) for e in info.value.errors] == expected(
        path,
        (3, 27, "cue 1: tempo: over 5 bars, but 'Test' has only 4 bars"),
        (4, 38, "cue 2: count_in click: 'B' has no track 'drum' (did you mean 'drums'?)"),
        (5, 38, "cue 3: count_in click: 'RZ' is not a drum lane of its device or a note like "
                "C6 (known: BD, BT, CB, CH, CP, CY, HT, LT, …)"),
        (6, 38, "cue 4: count_in click: 'H2' is not a note like C6"),
    )  # fmt: skip


# -- properties ------------------------------------------------------------------------------
PROPS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPS
@given(to=st.integers(20, 400), over=st.integers(1, 4), cut=st.integers(1, 7))
def test_a_lead_is_continuous_and_ends_on_its_tempo(
    project: Project, tmp_path: Path, to: int, over: int, cut: int
) -> None:
    a, _ = two_cues(tmp_path, ", tempo: {to: 150}")
    arr = project.arrangement(a)
    led = lead_into(arr, to, over, HERE)
    start = arr.length_ticks - over * BAR
    assert led.tempo.bpm_at(arr.length_ticks) == pytest.approx(to)
    assert led.tempo.bpm_at(start) == pytest.approx(arr.tempo.bpm_at(start))
    for tick in range(0, start + 1, PPQ):  # before the lead nothing changes
        assert led.tempo.seconds_at(tick) == pytest.approx(arr.tempo.seconds_at(tick))
    ticks = [s.start_tick for s in led.tempo.segments] + [
        s.end_tick for s in led.tempo.segments if s.end_tick is not None
    ]
    assert all(isinstance(t, int) for t in ticks)
    times = [led.tempo.seconds_at(t) for t in range(0, arr.length_ticks + 1, BAR // cut)]
    assert times == sorted(times)  # time only goes forward, through every ramp
    split = arr.length_ticks * cut // 8
    assert led.query_ticks(0, split) + led.query_ticks(split, led.length_ticks) == list(led.events)


@PROPS
@given(bars=st.integers(1, 4), split=st.integers(0, 6 * BAR))
def test_a_count_in_shifts_by_whole_bars(
    project: Project, tmp_path: Path, bars: int, split: int
) -> None:
    _, b = two_cues(tmp_path)
    arr = project.arrangement(b)
    counted = count_in(arr, bars, ("bass", 2, 84))
    shift = bars * BAR
    notes = [(e.tick - shift, e.note) for e in counted.events if isinstance(e, NoteOn)
             and e.tick >= shift]  # fmt: skip
    assert notes == [(e.tick, e.note) for e in arr.events if isinstance(e, NoteOn)]
    assert len([e for e in counted.events if isinstance(e, NoteOn) and e.tick < shift]) == 4 * bars
    assert counted.tempo.seconds_at(shift + 5) - counted.tempo.seconds_at(shift) == pytest.approx(
        arr.tempo.seconds_at(5)
    )
    assert counted.query_ticks(0, split) + counted.query_ticks(split, counted.length_ticks) == list(
        counted.events
    )

"""Songs' `timecode:` (where a cue was spotted to picture): parsed onto the Arrangement,
bad ones reported at file:line:col; chasing MTC uses it (tests/live/test_mtc_chase.py)."""

from __future__ import annotations

from pathlib import Path

from rig.project import Project
from rig.song.model import Spot

from .util import HEAD, errors_of, expected, song, write

PATTERN = '  p: {track: bass, steps: "C2 . . ."}\n'


def test_a_spotted_cue_carries_its_timecode(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song(PATTERN, head=HEAD + "timecode: 01:00:12:05\n"))
    arr = project.arrangement(path)
    assert arr.timecode == Spot(1, 0, 12, 5)
    drop = write(tmp_path, song(PATTERN, head=HEAD + 'timecode: "00:10:00;00"\n'), "d.yaml")
    assert project.arrangement(drop).timecode == Spot(0, 10, 0, 0, drop=True)
    plain = write(tmp_path, song(PATTERN), "p.yaml")
    assert project.arrangement(plain).timecode is None


def test_bad_timecodes_are_reported_where_they_are(project: Project, tmp_path: Path) -> None:
    for line, message in (
        ("timecode: 1:00:12", "timecode: '1:00:12' is not HH:MM:SS:FF (e.g. 01:00:12:05)"),
        ("timecode: 01:61:00:00", "timecode: '01:61:00:00' is out of range (23:59:59:29 at most)"),
        (
            "timecode: 01:01:00;01",
            "timecode: '01:01:00;01' does not exist in drop-frame (frames 0, 1 are skipped "
            "at each minute but every tenth)",
        ),
    ):
        path = write(tmp_path, song(PATTERN, head=HEAD + line + "\n"))
        assert errors_of(project, path) == expected(path, (8, 11, message))


def test_a_set_count_in_or_tempo_lead_keeps_the_spot_on_bar_1(
    project: Project, tmp_path: Path
) -> None:
    """The set's count-in and tempo lead rebuild the cue: its `timecode:` stays, and the
    chase puts bar 1 (not the count-in's first bar) on that timecode."""
    from types import SimpleNamespace

    from rig.engine.sync import spotted
    from rig.song.transitions import count_in, lead_into
    from rig.source.errors import Pos

    path = write(tmp_path, song(PATTERN, head=HEAD + "timecode: 01:00:10:00\n"))
    arr = project.arrangement(path)
    led = lead_into(arr, arr.tempo.bpm_at(0) + 4, 1, Pos(str(path), 1, 1))
    assert led.timecode == arr.timecode
    counted = count_in(arr, 2)
    assert counted.timecode == arr.timecode
    two_bars = counted.tempo.seconds_at(counted.sections[1].start_tick)
    assert two_bars > 0
    engine = SimpleNamespace(cues=[counted], view=SimpleNamespace(index=0))
    placed = spotted(engine, 3610.0, 25)  # type: ignore[arg-type]
    assert placed is not None and placed[0] == 0
    assert abs(placed[1] - (3610.0 - two_bars)) < 1e-9  # the count-in starts before 01:00:10
    assert spotted(engine, 3610.0 - two_bars - 0.01, 25) is None  # type: ignore[arg-type]

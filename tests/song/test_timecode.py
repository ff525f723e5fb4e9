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

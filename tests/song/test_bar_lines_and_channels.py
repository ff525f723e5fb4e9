"""Bar lines are checked, voice tracks get channels of their own, gates may ring past a step."""

from __future__ import annotations

from pathlib import Path

from rig.project import Project
from tests.song.util import errors_of, expected, notes, song, write


def test_a_bar_with_too_few_steps_is_an_error(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song('  p: {track: keys, steps: "C4 D4 E4 F4 | G4 A4 B4 C5 D5 E5 F5 G5", rate: 1/8}\n'),
    )
    assert errors_of(project, path) == expected(
        path, (9, 28, "pattern 'p': steps: bar 1 has 4 steps; a 4/4 bar holds 8 steps of 1/8")
    )


def test_bar_lines_in_a_lane_follow_the_meter(project: Project, tmp_path: Path) -> None:
    text = song('  p: {track: drums, lanes: {BD: "x.. x.. x.. x.. | x.. x.. x.."}}\n')
    path = write(tmp_path, text.replace("tempo: 120\n", "tempo: 120\nmeter: 3/4\n"))
    assert errors_of(project, path) == expected(
        path, (10, 52, "pattern 'p': lane BD: bar 2 has 9 steps; a 3/4 bar holds 12 steps of 1/16")
    )


def test_correct_bar_lines_pass(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            '  p: {track: keys, steps: "C4 . . . | D4 ~ ~ ~ | E4 . F4 .", rate: 1/4}\n',
            "  - {bars: 3, play: [p]}\n",
        ),
    )
    arrangement = project.arrangement(path)
    assert [n[3] for n in notes(arrangement)] == [60, 62, 64, 65]


def test_voice_tracks_get_a_channel_no_device_uses(project: Project, tmp_path: Path) -> None:
    head = (
        "cue: Test\ntempo: 120\ntracks:\n"
        "  pad: {device: virus, part: 1}\n"
        "  keys: {device: juno60}\n"
        "  piano: {voice: piano}\n"
        "  guitar: {voice: guitar}\n"
        "  horns: {voice: horns, channel: 16}\n"
    )
    path = write(tmp_path, song('  p: {track: piano, steps: "C4"}\n', head=head))
    tracks = {t.name: t.channel for t in project.arrangement(path).tracks}
    device_channels = {tracks["pad"], tracks["keys"]}
    assert tracks["horns"] == 15
    assert tracks["piano"] not in device_channels | {15}
    assert tracks["guitar"] not in device_channels | {15, tracks["piano"]}


def test_a_gate_over_100_percent_rings_into_the_next_steps(
    project: Project, tmp_path: Path
) -> None:
    path = write(
        tmp_path, song('  p: {track: keys, steps: "C4 E4 G4 .", gate: 300%, length: 16}\n')
    )
    on_off = [(n[0], n[1], n[3]) for n in notes(project.arrangement(path))]
    assert on_off == [(0, 1440, 60), (480, 1920, 64), (960, 2400, 67)]


def test_an_unknown_theme_is_the_only_error(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song('  p: {track: keys, use: heartbeet, rhythm: "x..."}\n'))
    assert errors_of(project, path) == expected(
        path, (9, 25, "pattern 'p': unknown theme 'heartbeet' (no themes defined)")
    )

"""Warnings for what a software voice cannot play: a CC the device's stand-in ignores (in
automation or a cc lane) and a drum lane the stand-in's kit has no sound for. Printed by
`rig check` with exit code 0, errors with --strict, positioned at the place that uses them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig.cli import main
from rig.commands.check import cue_warnings
from rig.project import Project
from rig.song.load import display_path

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / "config.yaml")

SONG = """\
cue: Standins
tempo: 120
tracks:
  pad: {device: virus}
  gm: {device: gm, channel: 10}
  kit: {device: rytm}
patterns:
  p: {track: pad, steps: "C4 . . .", cc: {glide: "10 . 20 ."}}
  d: {track: gm, lanes: {BD: "x...", SD: "..x."}}
  k: {track: kit, lanes: {BD: "x..."}}
  unused: {track: pad, steps: "C4", cc: {pan: "1"}}
sections:
  - {bars: 1, play: [p, d, k], automate: {pad.mod_wheel: 90, pad.cutoff: 40}}
  - {bars: 1, play: [p], automate: {pad.mod_wheel: {value: 20, hold: true}}}
"""


def test_ignored_ccs_and_lanes_are_positioned_warnings(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SONG, encoding="utf-8")
    project = Project.load(Path(CONFIG))
    got = [str(w) for w in cue_warnings(project, path) if "stand-in" in w.message]
    name = display_path(path)
    virus = "virus's stand-in voice 'virus-pad'"
    gm = "gm's stand-in voice 'gm-piano'"
    assert got == [
        f"{name}:8:3: warning: pad.glide (CC 5): {virus} ignores it; "
        "it acts only when the device itself plays",
        f"{name}:9:3: warning: pattern 'd': lane BD (note 36): {gm} is not a drum kit; "
        "it sounds only when the device itself plays",
        f"{name}:9:3: warning: pattern 'd': lane SD (note 38): {gm} is not a drum kit; "
        "it sounds only when the device itself plays",
        f"{name}:13:43: warning: pad.mod_wheel (CC 1): {virus} ignores it; "
        "it acts only when the device itself plays",
    ]  # not the rytm kit's BD, not cutoff (the pad answers both), not the unused pattern


def test_rig_check_prints_them_exit_0_and_strict_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SONG, encoding="utf-8")
    assert main(["check", "--config", CONFIG, str(path)]) == 0
    out, err = capsys.readouterr()
    assert "ok  song" in out and err.count("ignores it") == 2 and err.count("lane ") == 2
    assert main(["check", "--strict", "--config", CONFIG, str(path)]) == 1
    out, err = capsys.readouterr()
    assert "ok  song" not in out and "1 of 1 files have errors" in err


def test_rig_live_shows_the_warnings_on_reload_and_in_its_message_line(tmp_path: Path) -> None:
    from rig.commands.live import warning_line
    from rig.stage.watch import Reloader

    songs = tmp_path / "songs"
    songs.mkdir()
    plain = SONG.split("patterns:")[0] + (
        'patterns:\n  p: {track: pad, steps: "C4 . . ."}\nsections:\n  - {bars: 1, play: [p]}\n'
    )
    (songs / "a.yaml").write_text(plain, encoding="utf-8")
    set_path = songs / "night.yaml"
    set_path.write_text("set: Night\ncues:\n  - a.yaml\n", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"patches: {REPO / 'patches'}\n", encoding="utf-8")
    reloader = Reloader(lambda: Project.load(config), set_path, lambda *m: None, tmp_path / "b")
    assert reloader.warnings == []
    (songs / "a.yaml").write_text(SONG, encoding="utf-8")
    message, error = reloader.check({songs / "a.yaml"})
    assert not error and message.endswith("; 5 warnings (rig check lists them)")
    line = warning_line(reloader.warnings, set_path)
    assert line.startswith("5 warnings: ") and "a.yaml:" in line
    assert line.endswith(f"(+4 more: rig check {set_path})")


# -- property --------------------------------------------------------------------------------
PROJECT = Project.load(Path(CONFIG))
VIRUS_CCS = sorted(PROJECT.devices["virus"].ccs)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(names=st.lists(st.sampled_from(VIRUS_CCS), min_size=1, max_size=6, unique=True))
def test_a_warning_for_exactly_the_ccs_the_stand_in_ignores(tmp_path: Path, names) -> None:
    from rig.dsp.instrument import answers_cc
    from rig.dsp.loader import load_voice

    automate = ", ".join(f"pad.{n}: 64" for n in names)
    text = SONG.split("patterns:")[0] + (
        'patterns:\n  p: {track: pad, steps: "C4"}\nsections:\n'
        f"  - {{bars: 1, play: [p], automate: {{{automate}}}}}\n"
        f"  - {{bars: 1, play: [p], automate: {{{automate}}}}}\n"  # used twice, warned once
    )
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load_voice(PROJECT.config.voices_dir / "virus-pad.yaml")
    ccs = PROJECT.devices["virus"].ccs
    ignored = [n for n in names if not answers_cc(spec, n, ccs[n].number)]
    got = [w.message for w in cue_warnings(PROJECT, path) if "stand-in" in w.message]
    assert [m.split(" ")[1] for m in got] == [f"pad.{n}" for n in ignored]

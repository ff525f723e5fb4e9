"""`rig bench compile`: figures per cue and for `rig check`, against a commit's code in the
same run. The figures themselves are not asserted (a benchmark measures, never judges)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rig.cli import main

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / "config.yaml")
CUE = """\
cue: Small
tempo: 120
tracks:
  bass: {device: monopoly}
patterns:
  p: {track: bass, steps: "C2 . E2 .", humanize: {velocity: 4}}
sections:
  - {bars: 2, play: [p]}
"""


def _cue(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(CUE, encoding="utf-8")
    return path


def test_figures_per_cue_and_for_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cue = _cue(tmp_path)
    argv = ["bench", "compile", str(cue), "--repeat", "2", "--rounds", "1", "--config", CONFIG]
    assert main([*argv, "--check", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "this"
    row = next(line for line in lines if line.startswith(str(cue)))
    assert float(row.split()[-1]) > 0  # milliseconds
    check = next(line for line in lines if line.startswith("rig check "))
    assert float(check.split()[-1]) > 0  # seconds of CPU


def test_against_a_commit_in_the_same_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout: no commit to compare with")
    cue = _cue(tmp_path)
    argv = ["bench", "compile", str(cue), "--repeat", "1", "--rounds", "2", "--config", CONFIG]
    assert main([*argv, "--baseline", "HEAD", "--check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-2:] == ["HEAD", "ratio"]
    this, base, ratio = (float(x) for x in lines[1].split()[-3:])
    assert this > 0 and base > 0 and ratio > 0
    assert not any(line.startswith("rig check") for line in lines)  # --check with no paths


def test_bad_baseline_and_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cue = str(_cue(tmp_path))
    assert main(["bench", "compile", cue, "--baseline", "no-such-ref", "--config", CONFIG]) == 1
    assert "rig bench compile: baseline:" in capsys.readouterr().err
    assert main(["bench", "compile", cue, "--repeat", "0"]) == 2
    assert main(["bench", "compile", "--help"]) == 0
    assert "--baseline main~5" in capsys.readouterr().out

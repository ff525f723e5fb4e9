"""`rig bench render` renders for real and meters each render as before and as now."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rig.commands.bench.render import main

ROOT = Path(__file__).resolve().parents[2]
CUE = """\
cue: Meter
tempo: 120
tracks:
  keys: {voice: piano, channel: 5}
patterns:
  k: {track: keys, steps: "C4+E4+G4 . . . E4 . . .", velocity: 90}
sections:
  - {name: one, bars: 2, play: [k]}
  - {name: two, bars: 2, play: [k], velocity: 60%}
"""


@pytest.mark.audio
def test_bench_render_meters_each_render_both_ways(tmp_path: Path, capsys) -> None:
    song = tmp_path / "meter.yaml"
    song.write_text(CUE)
    assert main([str(song), "--config", str(ROOT / "config.yaml")]) == 0
    out = capsys.readouterr().out
    audio = re.search(r"^Meter +([\d.]+) +[\d.]+ +[\d.]+x", out, re.M)
    assert audio and float(audio.group(1)) >= 8.0, out  # 4 bars at 120 BPM and the tail
    row = re.search(
        r"Meter +([\d.]+) -> +([\d.]+) +([\d.]+)x faster +\(figures within ([\d.]+) LU\)", out
    )
    assert row, out
    assert float(row.group(4)) < 0.01  # the two meters agree
    assert re.search(r"import, once per rig render: pyloudnorm [\d.]+ s -> rig", out), out

    assert main([str(song), "--no-meter", "--config", str(ROOT / "config.yaml")]) == 0
    assert "loudness meter" not in capsys.readouterr().out


@pytest.mark.audio
def test_bench_render_of_a_set_is_one_row_of_the_whole_render(tmp_path: Path, capsys) -> None:
    (tmp_path / "meter.yaml").write_text(CUE)
    night = tmp_path / "sets" / "night.yaml"
    night.parent.mkdir()
    night.write_text(
        "set: Night\ncues:\n  - {song: ../meter.yaml, next: wait}\n  - {song: ../meter.yaml}\n"
    )
    assert main([str(night), "--no-meter", "--config", str(ROOT / "config.yaml")]) == 0
    out = capsys.readouterr().out
    row = re.search(r"^set: night +([\d.]+) +([\d.]+) +([\d.]+)x +([\d.]+)", out, re.M)
    assert row, out
    audio, wall, factor, cpu = map(float, row.groups())
    assert audio >= 2 * 8.0 + 2.0  # two cues of 4 bars at 120 BPM, their tails, the gap
    assert abs(factor - audio / wall) < 0.1 and cpu > 0

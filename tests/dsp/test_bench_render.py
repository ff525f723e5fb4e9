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
    # The row prints audio to 0.1 s, wall to 0.01 s and the factor to 0.1: the factor must lie
    # within what the rounded audio and wall allow (a 0.87 s wall may be 0.865 or 0.875).
    low = (audio - 0.05) / (wall + 0.005) - 0.05
    high = (audio + 0.05) / (wall - 0.005) + 0.05
    assert low <= factor <= high and cpu > 0, out


@pytest.mark.audio
def test_bench_render_of_a_set_against_a_baseline_checkout_gives_ratios(
    tmp_path: Path, capsys
) -> None:
    (tmp_path / "meter.yaml").write_text(CUE)
    night = tmp_path / "sets" / "night.yaml"
    night.parent.mkdir()
    night.write_text("set: Night\ncues:\n  - {song: ../meter.yaml}\n  - {song: ../meter.yaml}\n")
    config = str(ROOT / "config.yaml")
    # This checkout as its own baseline: both rows render the same set.
    args = [str(night), "--no-meter", "--config", config, "--baseline", str(ROOT)]
    assert main(args) == 0
    out = capsys.readouterr().out
    rows = {
        label: float(audio)
        for label, audio in re.findall(r"^set: night \((\w+)\) +([\d.]+) ", out, re.M)
    }
    assert set(rows) == {"baseline", "this"} and rows["baseline"] == rows["this"], out
    ratio = re.search(r"CPU ([\d.]+) -> ([\d.]+) s \(([\d.]+)x less\), wall", out)
    assert ratio, out
    base, this, factor = map(float, ratio.groups())
    assert abs(factor - base / this) < 0.02 * factor  # of figures printed to 0.01 s

    assert main([str(night), "--baseline", str(tmp_path), "--config", config]) == 2
    assert "no rig checkout" in capsys.readouterr().err

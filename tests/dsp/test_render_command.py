"""`rig render`: a cue to WAV (and stems) through the real project loader and pyo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rig.commands.render import main
from rig.dsp.wavfile import read_wav
from tests.support.audio import SR

ROOT = Path(__file__).resolve().parents[2]
TINY = """\
cue: Tiny
tempo: 120
tracks:
  bass: {device: monopoly}
  drums: {device: rytm}
patterns:
  p: {track: bass, steps: "E2 . G2 ."}
  d: {track: drums, lanes: {BD: "x.x.", CH: ".x.x"}}
sections:
  - {name: a, bars: 1, play: [p, d]}
"""


@pytest.mark.audio
def test_render_writes_the_file_stems_and_reports_level_and_factor(tmp_path, capsys):
    song = tmp_path / "tiny.yaml"
    song.write_text(TINY)
    out = tmp_path / "tiny.wav"
    config = str(ROOT / "config.yaml")
    code = main([str(song), "-o", str(out), "--stems", str(tmp_path / "stems"), "--config", config])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"wrote {out}" in printed
    assert "peak -1.0 dBFS" in printed and "x real time" in printed
    audio, rate = read_wav(out)
    assert rate == SR and len(audio) >= 2 * SR  # one 4/4 bar at 120 BPM, plus the tail
    assert np.abs(audio).max() <= 10 ** (-1 / 20) + 1e-6
    assert sorted(p.name for p in (tmp_path / "stems").iterdir()) == ["bass.wav", "drums.wav"]


@pytest.mark.audio
def test_render_uses_the_configs_sample_rate(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"audio: {{sample_rate: 44100}}\npatches: {ROOT / 'patches'}\n")
    song = tmp_path / "tiny.yaml"
    song.write_text(TINY)
    out = tmp_path / "tiny.wav"
    assert main([str(song), "-o", str(out), "--config", str(config)]) == 0
    audio, rate = read_wav(out)
    assert rate == 44100 and len(audio) >= 2 * 44100
    # A set: its cues joined into one file at the same rate.
    (tmp_path / "night.yaml").write_text(
        "set: Night\ncues:\n  - {song: tiny.yaml, next: wait}\n  - {song: tiny.yaml}\n"
    )
    joined = tmp_path / "night.wav"
    assert main([str(tmp_path / "night.yaml"), "-o", str(joined), "--config", str(config)]) == 0
    both, rate = read_wav(joined)
    assert rate == 44100 and len(both) >= 2 * len(audio)


def test_a_missing_song_is_bad_input_without_a_traceback(tmp_path, capsys):
    code = main([str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "x.wav")])
    assert code == 1
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'nope.yaml'}:1:1: file not found"


def test_help_shows_an_example(capsys):
    assert main(["--help"]) == 0
    assert "rig render songs/inferno.yaml -o inferno.wav" in capsys.readouterr().out


def test_usage_error_without_output(capsys):
    assert main(["songs/inferno.yaml"]) == 2

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


LOUD = """\
cue: Loud
tempo: 120
tracks:
  keys: {voice: piano, channel: 5}
  drums: {device: rytm}
patterns:
  k: {track: keys, steps: "C4+E4+G4 . C4+E4+G4 .", velocity: 127}
  d: {track: drums, lanes: {BD: "x.x.", SD: ".x.x"}, velocity: 127}
sections:
  - {name: hit, bars: 2, play: [k, d]}
"""
QUIET = """\
cue: Quiet
tempo: 120
tracks:
  keys: {voice: piano, channel: 5}
patterns:
  k: {track: keys, steps: "C4 . . .", velocity: 16}
sections:
  - {name: soft, bars: 2, play: [k]}
"""


def _render_set(tmp_path: Path, normalize: str, capsys) -> tuple[list[np.ndarray], str]:
    (tmp_path / "loud.yaml").write_text(LOUD)
    (tmp_path / "quiet.yaml").write_text(QUIET)
    night = tmp_path / "sets" / "night.yaml"
    night.parent.mkdir(exist_ok=True)
    night.write_text(
        "set: Night\ncues:\n  - {song: ../loud.yaml, next: wait}\n  - {song: ../quiet.yaml}\n"
    )
    out = tmp_path / f"night-{normalize}.wav"
    config = str(ROOT / "config.yaml")
    code = main([str(night), "-o", str(out), "--normalize", normalize, "--config", config])
    printed = capsys.readouterr().out
    assert code == 0, printed
    audio, _ = read_wav(out)
    # the cues are separated by two seconds of digital silence
    zero = np.concatenate([[0], np.cumsum(np.abs(audio).max(axis=1) == 0)])
    silent = zero[SR:] - zero[:-SR] == SR  # a whole second of zeros from here
    assert silent.any()
    gap = int(np.argmax(silent))
    rest = audio[gap:]
    return [audio[:gap], rest[np.argmax(np.abs(rest).max(axis=1) > 0) :]], printed


def _peak_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.abs(x).max()))


@pytest.mark.audio
def test_a_set_render_keeps_quiet_cues_quiet_with_one_gain(tmp_path, capsys):
    import pyloudnorm

    (loud, quiet), printed = _render_set(tmp_path, "set", capsys)
    assert abs(_peak_db(loud) - -1.0) < 0.05  # the night's loudest peak at -1 dBFS
    meter = pyloudnorm.Meter(SR)
    gap = meter.integrated_loudness(loud) - meter.integrated_loudness(quiet)
    assert gap >= 10.0, gap  # as written: a soft single note under a full-velocity chord
    assert "set: one gain for every cue" in printed
    # each cue's printed loudness is the loudness of its part of the file
    for name, part in (("Loud", loud), ("Quiet", quiet)):
        line = next(ln for ln in printed.splitlines() if ln.startswith(f"{name}:"))
        shown = float(line.split(" LUFS")[0].rsplit(" ", 1)[1])
        assert abs(shown - meter.integrated_loudness(part)) < 0.2, (line, shown)
    assert "  sections: hit " in printed and "  sections: soft " in printed

    (loud_c, quiet_c), printed = _render_set(tmp_path, "cue", capsys)
    # per cue: both at -1 dBFS, the quiet one brought far up
    assert abs(_peak_db(loud_c) - -1.0) < 0.05 and abs(_peak_db(quiet_c) - -1.0) < 0.05
    assert _peak_db(quiet) < -10.0

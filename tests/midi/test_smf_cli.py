"""`rig export`: a real song to a file pretty_midi can read; errors and usage as exit codes."""

from __future__ import annotations

from pathlib import Path

import mido
import pretty_midi
import pytest

from rig import cli
from rig.commands import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE, EXIT_WRITE_FAILED
from rig.commands import export as export_command

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "config.yaml")
SONG = str(REPO / "songs" / "inferno.yaml")

BAD_SONG = """cue: Bad
tempo: 96
meter: 4/4
tracks:
  bass: {device: monopoly}
patterns:
  p: {track: bass, steps: "H2 . . ."}
sections:
  - {name: a, bars: 1, play: [p]}
"""


def test_export_writes_a_type1_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "inferno.mid"
    assert cli.main(["export", SONG, "-o", str(out), "--config", CONFIG]) == EXIT_OK
    assert capsys.readouterr().out.startswith(f"wrote {out}: 5 tracks, 96 bars, ")
    midi = mido.MidiFile(str(out))
    assert midi.type == 1 and midi.ticks_per_beat == 1920
    assert [m.key for m in midi.tracks[0] if m.type == "key_signature"] == ["Em"]  # E minor
    assert sum(len(i.notes) for i in pretty_midi.PrettyMIDI(str(out)).instruments) > 100


def test_same_seed_same_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mid", tmp_path / "b.mid"
    for path in (a, b):
        assert export_command.main([SONG, "-o", str(path), "--config", CONFIG, "--seed", "7"]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_bad_song_prints_located_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    song = tmp_path / "bad.yaml"
    song.write_text(BAD_SONG)
    out = tmp_path / "bad.mid"
    assert export_command.main([str(song), "-o", str(out), "--config", CONFIG]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{song}:7:28: " in err and "unknown note 'H2'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_song_and_unwritable_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.yaml")
    assert export_command.main([missing, "-o", str(tmp_path / "x.mid")]) == EXIT_BAD_INPUT
    assert "nope.yaml" in capsys.readouterr().err
    unwritable = str(tmp_path / "no-such-dir" / "x.mid")
    assert export_command.main([SONG, "-o", unwritable, "--config", CONFIG]) == EXIT_WRITE_FAILED
    err = capsys.readouterr().err
    assert err.startswith("rig export: cannot write ") and "Traceback" not in err


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert export_command.main([SONG]) == EXIT_USAGE  # no -o
    assert export_command.main([SONG, "-o", "x.mid", "--seed", "many"]) == EXIT_USAGE
    capsys.readouterr()
    assert export_command.main(["--help"]) == EXIT_OK
    help_text = capsys.readouterr().out
    assert "example:" in help_text and "rig export songs/inferno.yaml -o inferno.mid" in help_text
    assert export_command.SUMMARY

"""`rig show`: a real song drawn to stdout; errors and usage as exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig import cli
from rig.commands import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE
from rig.commands import show as show_command

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "config.yaml")
SONG = str(REPO / "songs" / "inferno.yaml")


def test_show_draws_the_song(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["show", SONG, "--width", "100", "--no-color", "--config", CONFIG]) == EXIT_OK
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Inferno"
    assert max(len(line) for line in lines) <= 100
    assert "\x1b[" not in out
    assert any(line.startswith("tempo") and "96↗100" in line for line in lines)
    rows = [line.split("│")[0].split()[0] for line in lines if "│" in line]
    assert rows == ["bass", "drums", "hacker", "pad", "lead"]
    assert "96 bars" in out and "key E minor" in out


def test_color_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert show_command.main([SONG, "--width", "80", "--color", "--config", CONFIG]) == EXIT_OK
    assert "\x1b[" in capsys.readouterr().out


def test_bad_song(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    song = tmp_path / "bad.yaml"
    song.write_text("cue: Bad\ntempo: fast\n")
    assert show_command.main([str(song), "--config", CONFIG]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert f"{song}:" in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert show_command.main([]) == EXIT_USAGE
    assert show_command.main([SONG, "--width", "wide"]) == EXIT_USAGE
    assert show_command.main([SONG, "--width", "5"]) == EXIT_USAGE
    capsys.readouterr()
    assert show_command.main(["--help"]) == EXIT_OK
    help_text = capsys.readouterr().out
    assert "example:" in help_text and "rig show songs/inferno.yaml" in help_text
    assert show_command.SUMMARY

"""The two steps every `rig <verb>` shares: `parse_args` and `load_or_report` (rig.commands)."""

from __future__ import annotations

import argparse
import errno
from pathlib import Path
from typing import NoReturn

import pytest

from rig.cli import main as cli_main
from rig.commands import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_USAGE,
    load_cue,
    load_or_report,
    parse_args,
    print_input_error,
)
from rig.source.errors import InputError, Pos, SourceError

REPO = Path(__file__).resolve().parents[1]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rig demo", epilog="example:\n  rig demo song.yaml")
    parser.add_argument("song", type=Path)
    parser.add_argument("--seed", type=int, default=None)
    return parser


def test_parse_args_gives_the_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args(_parser(), ["a.yaml", "--seed", "7"])
    assert isinstance(args, argparse.Namespace)
    assert (args.song, args.seed) == (Path("a.yaml"), 7)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    "argv",
    [[], ["a.yaml", "--seed", "x"], ["a.yaml", "--nope"], ["a.yaml", "b.yaml"]],
)
def test_parse_args_bad_argv_returns_2_with_usage_and_no_traceback(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert parse_args(_parser(), argv) == EXIT_USAGE  # returned: no SystemExit escapes
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: rig demo")
    assert "rig demo: error:" in err
    assert "Traceback" not in err


def test_parse_args_help_returns_0_after_printing_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(_parser(), ["--help"]) == EXIT_OK
    out, err = capsys.readouterr()
    assert out.startswith("usage: rig demo")
    assert "rig demo song.yaml" in out  # the epilog's example
    assert err == ""


ERRORS = [
    SourceError(Pos("songs/b.yaml", 3, 5), "tempo: must be a number"),
    SourceError(Pos("songs/a.yaml", 12, 7), "pattern 'p': unknown note 'H2' (did you mean 'B2'?)"),
]


def _raise(exc: BaseException) -> NoReturn:
    raise exc


def test_load_or_report_passes_the_result_through(capsys: pytest.CaptureFixture[str]) -> None:
    assert load_or_report("demo", lambda: ("project", [1, 2])) == ("project", [1, 2])
    assert capsys.readouterr() == ("", "")


def test_load_or_report_input_error_prints_every_line_and_returns_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = load_or_report("demo", lambda: _raise(InputError(ERRORS)), path=Path("x.yaml"))
    assert code == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [  # sorted by file, line, col: InputError's own order
        "songs/a.yaml:12:7: pattern 'p': unknown note 'H2' (did you mean 'B2'?)",
        "songs/b.yaml:3:5: tempo: must be a number",
    ]


def test_load_or_report_os_error_names_the_file_and_returns_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def load() -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "patches/devices/virus.yaml")

    assert load_or_report("play", load, path=Path("songs/x.yaml")) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert (out, err) == ("", "rig play: patches/devices/virus.yaml: Permission denied\n")


def test_load_or_report_os_error_without_a_file_names_the_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def load() -> None:
        raise OSError(errno.EMFILE, "Too many open files")

    assert load_or_report("live", load, path=Path("songs/sets/night.yaml")) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == "rig live: songs/sets/night.yaml: Too many open files\n"


def test_load_or_report_real_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.yaml"
    assert load_or_report("ports", missing.read_text) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == f"rig ports: {missing}: No such file or directory\n"


def test_load_or_report_passes_arguments_on() -> None:
    assert load_or_report("demo", divmod, 17, 5) == (3, 2)


def test_load_cue_through_load_or_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = REPO / "config.yaml"
    loaded = load_or_report("show", load_cue, config, REPO / "songs" / "inferno.yaml")
    assert not isinstance(loaded, int)
    arrangement, key = loaded
    assert arrangement.length_bars > 0
    assert key is None or isinstance(key, str)
    bad = tmp_path / "bad.yaml"
    bad.write_text("cue: Bad\ntempo: fast\n", encoding="utf-8")
    assert load_or_report("show", load_cue, config, bad, path=bad) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == "" and err and "Traceback" not in err
    assert all(":" in line for line in err.splitlines())  # file:line:col: message lines


def test_load_or_report_lets_other_exceptions_through() -> None:
    with pytest.raises(ValueError):
        load_or_report("demo", lambda: _raise(ValueError("a bug, not a user error")))


def test_print_input_error_prints_nothing_for_no_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_input_error(InputError([]))
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    "verb", ["check", "show", "export", "render", "play", "live", "ports", "panic"]
)
def test_every_verb_returns_2_for_a_bad_option_and_0_for_help(
    verb: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main([verb, "--no-such-option"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"rig {verb}: error:" in err and "Traceback" not in err
    assert cli_main([verb, "--help"]) == EXIT_OK
    assert capsys.readouterr().out.startswith(f"usage: rig {verb}")


def test_command_parser_gives_every_verb_the_same_config_option():
    from rig.commands import CONFIG_HELP, command_parser

    parser = command_parser("rig demo", "A demo.", "examples:\n  rig demo   # as written")
    assert parser.parse_args([]).config == Path("config.yaml")
    assert parser.parse_args(["--config", "x.yaml"]).config == Path("x.yaml")
    text = parser.format_help()
    assert CONFIG_HELP in " ".join(text.split())  # argparse wraps the help line
    assert "  rig demo   # as written" in text  # examples printed as written
    bare = command_parser("rig bare", "No rig.", "", config=False)
    assert not hasattr(bare.parse_args([]), "config")

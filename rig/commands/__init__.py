"""One module per `rig <verb>`; each exposes `SUMMARY` and `main(argv) -> int`.

Exit codes everywhere: 0 ok, 1 bad input (songs, config, devices), 2 usage,
3 a needed runtime (JACK server, MIDI port, audio) is not available, 4 an output
file could not be written (disk full, no permission; the last good file is kept).

Also the steps every verb starts with, shared so that all verbs look and answer
alike: `command_parser` (the same layout and `--config`), `parse_args` (a bad
command line) and `load_or_report` (a broken file).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rig.config import DEFAULT_CONFIG
from rig.source.errors import InputError
from rig.source.text import printable

if TYPE_CHECKING:
    from rig.song.arrangement import Arrangement

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_WRITE_FAILED = 4

__all__ = [
    "EXIT_OK",
    "EXIT_BAD_INPUT",
    "EXIT_USAGE",
    "EXIT_UNAVAILABLE",
    "EXIT_WRITE_FAILED",
    "write_error",
    "CONFIG_HELP",
    "command_parser",
    "parse_args",
    "print_input_error",
    "load_or_report",
    "load_cue",
]

T = TypeVar("T")

CONFIG_HELP = "config file (default: ./config.yaml, or the built-in default)"


def write_error(verb: str, fallback: Path, exc: OSError) -> int:
    """Say in one line that an output file could not be written; EXIT_WRITE_FAILED.

    Names the file the system named (a stem, a temporary file's target) or `fallback`,
    and the reason (`No space left on device`), never a traceback. The writers are
    atomic (rig.source.files.atomic_write), so the last good file is still in place.
    """
    name = exc.filename if isinstance(exc.filename, str) else str(fallback)
    if Path(name).name.startswith(".") and name.endswith(".part"):
        name = str(fallback)  # a temporary file of atomic_write: name what it stood for
    reason = exc.strerror or str(exc)
    print(
        f"rig {verb}: cannot write {printable(name)}: {reason} (any previous file there is kept)",
        file=sys.stderr,
    )
    return EXIT_WRITE_FAILED


def command_parser(
    prog: str, description: str, epilog: str, *, config: bool = True
) -> argparse.ArgumentParser:
    """The parser of one verb: its examples (`epilog`) printed as written, and the
    `--config PATH` option every verb that reads the rig takes."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if config:
        parser.add_argument(
            "--config", type=Path, default=DEFAULT_CONFIG, metavar="PATH", help=CONFIG_HELP
        )
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code when argparse wants to end the program.

    argparse ends the process itself (SystemExit) after printing `--help` or a
    usage error. A verb's `main` returns its exit code instead, so that `rig.cli`
    and tests calling `main` see 0 (help) or EXIT_USAGE (bad arguments) as a
    return value, never an exception. argparse has already printed what it had
    to say. Use: `args = parse_args(parser, argv)`, then
    `if isinstance(args, int): return args`.
    """
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code in (0, None) else EXIT_USAGE


def print_input_error(exc: InputError) -> None:
    """Every problem of `exc` on stderr, one `file:line:col: message` a line.

    All of them, not just the first: one run should show the whole list to fix.
    """
    for error in exc.errors:
        print(error, file=sys.stderr)


def load_or_report(verb: str, load: Callable[..., T], *args: Any, path: object = None) -> T | int:
    """`load(*args)`'s result, or EXIT_BAD_INPUT after telling the user why it failed.

    Loading the config, project, songs or sets is where user files break; the
    verbs report that the same way, without a traceback: an InputError as its
    `file:line:col: message` lines, an OSError as `rig VERB: FILE: reason`, where
    FILE is the file the OS named, else `path` (the file the verb was opening).
    When several steps belong together, pass a local function that does them all.
    Use: `config = load_or_report("ports", config_or_default, args.config)`, then
    `if isinstance(config, int): return config`.
    """
    try:
        return load(*args)
    except InputError as exc:
        print_input_error(exc)
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = printable(str(exc.filename or path))
        print(f"rig {verb}: {where}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT


def load_cue(config: Path, song: Path, seed: int | None = None) -> tuple[Arrangement, str | None]:
    """One cue's Arrangement and its key, for the verbs that take exactly one cue.

    The key travels beside the Arrangement (an Arrangement may not carry one):
    from the Arrangement when it has it, else from the song file. Raises what
    the loaders raise; wrap it in `load_or_report`.
    """
    from rig.project import Project  # on demand: `rig --help` need not load the song code

    project = Project.load(config)
    arrangement = project.arrangement(song, seed)
    # The Arrangement carries the song's key: no second parse of the file for it.
    return arrangement, arrangement.key

"""`rig show SONG`: the cue as a picture in the terminal (tracks × bars, sections, tempo).

The composition root for the picture: loads the project, builds the cue's
Arrangement, and prints `rig.view.render_picture` sized to the terminal.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from rig.commands import EXIT_OK, EXIT_USAGE, command_parser, load_cue, load_or_report, parse_args

__all__ = ["main", "SUMMARY"]

SUMMARY = "draw a cue in the terminal: tracks over bars, sections, tempo, note density"

EPILOG = """example:
  rig show songs/inferno.yaml
  rig show songs/inferno.yaml --width 80 --no-color | less

Rows are tracks, columns are bars (several per column when the cue is long).
▁▂▃▄▅▆▇█ notes started (relative to the track's busiest bar), ░▒▓ drum hits,
╌ a note held over, · only CC/program changes, blank: silent or muted.

exit codes: 0 ok, 1 errors in the song/config (printed as file:line:col: message), 2 usage
"""


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "rig show",
        "Draw a cue in the terminal: sections and tempo over bars, one row per track.",
        EPILOG,
    )
    parser.add_argument("song", type=Path, help="the cue (songs/NAME.yaml)")
    parser.add_argument(
        "--width", type=int, default=None, help="characters per line (default: the terminal's)"
    )
    parser.add_argument(
        "--color",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="colour the rows (default: when printing to a terminal and NO_COLOR is unset)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed for probability steps")
    return parser


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    if args.width is not None and args.width < 20:
        print("rig show: --width must be at least 20", file=sys.stderr)
        return EXIT_USAGE

    from rig.view import render_picture

    loaded = load_or_report("show", load_cue, args.config, args.song, args.seed, path=args.song)
    if isinstance(loaded, int):
        return loaded
    arrangement, key = loaded
    width = args.width or shutil.get_terminal_size(fallback=(100, 24)).columns
    color = args.color
    if color is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    sys.stdout.write(render_picture(arrangement, width=width, color=color, key=key))
    return EXIT_OK

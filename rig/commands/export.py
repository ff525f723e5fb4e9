"""`rig export SONG -o FILE.mid`: a cue as a type-1 Standard MIDI File.

The composition root for exporting: loads the project (config, devices), builds
the cue's Arrangement and hands it to `rig.midi.smf`. Nothing is played.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rig.commands import (
    EXIT_OK,
    command_parser,
    load_cue,
    load_or_report,
    parse_args,
    write_error,
)

__all__ = ["main", "SUMMARY"]

SUMMARY = "write a cue as a type-1 MIDI file (conductor track with meter and tempo map)"

EPILOG = """example:
  rig export songs/inferno.yaml -o inferno.mid
  rig export songs/rivalry.yaml -o rivalry.mid --seed 7   # another roll of the '?' steps

The file has 1920 ticks per beat (rig's own grid, so every event keeps its exact
position), a conductor track with the cue name, meters, section markers and the
tempo map (ramps as fine tempo steps that keep the exact timing), then one named
track per song track on its channel.

exit codes: 0 written, 1 errors in the song/config (printed as file:line:col: message),
2 usage, 4 the file could not be written (disk full, no permission: one line says so,
and a previous file at that path is left as it was)
"""


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("rig export", "Write a cue as a type-1 Standard MIDI File.", EPILOG)
    parser.add_argument("song", type=Path, help="the cue (songs/NAME.yaml)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .mid file to write")
    parser.add_argument("--seed", type=int, default=None, help="seed for probability steps")
    return parser


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args

    from rig.midi.smf import export_smf

    loaded = load_or_report("export", load_cue, args.config, args.song, args.seed, path=args.song)
    if isinstance(loaded, int):
        return loaded
    arrangement, key = loaded
    try:
        tracks = export_smf(arrangement, args.output, key=key)
    except OSError as exc:
        return write_error("export", args.output, exc)
    seconds = round(arrangement.duration_seconds)
    print(
        f"wrote {args.output}: {tracks - 1} tracks, {arrangement.length_bars} bars, "
        f"{seconds // 60}:{seconds % 60:02d}"
    )
    return EXIT_OK

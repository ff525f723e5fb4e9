"""`rig import FILE.mid -o OUT.yaml`: a played part (a Standard MIDI File) as a song.

The composition root for importing: reads the file (`rig.midi.smfread`), writes
the song text (`rig.midi.smfimport`) and saves it atomically. The module is
`import_` because `import` is a Python keyword; the verb is `rig import`.
"""

from __future__ import annotations

import argparse
import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from rig.commands import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    command_parser,
    load_or_report,
    parse_args,
    write_error,
)
from rig.source.text import printable

__all__ = ["main", "SUMMARY"]

SUMMARY = "write a MIDI file's parts as a song (steps on a grid, micro-timing kept)"

EPILOG = """example:
  rig import take.mid -o songs/take.yaml
  rig import take.mid --track bass --bars 9-16 --grid 1/8 -o songs/bass.yaml
  rig import take.mid --track 2 -o -          # print the song instead of writing it

Each note lands on the nearest step of --grid (default 1/16); what it was off the
grid stays as micro-timing (`E2>0.35`, 24ths of a step, down to the tick), its
length as ties and, where the pattern's gate does not give it, the step's own
gate (`E2=97.92%`); velocities as `:V`; notes struck together as chords
(`C4+E4+G4`). --bars counts the file's own bars (its time signatures). Sections
follow the file's markers and meter changes, with its tempi. `rig export` of the
song gives back the same notes (pitch, start, length, velocity, channel).
CCs, program changes and pitch bend are not imported.

--track N is the N-th track that has notes, as a DAW lists them (a rig export's
conductor track has none); --track NAME picks a track by name.
An existing OUT.yaml is kept unless --force: an import never overwrites a song.

exit codes: 0 written, 1 the MIDI file is missing, damaged or not a MIDI file, or
the output exists (without --force), 2 usage, 4 the output could not be written
"""

_GRID = re.compile(r"1/(\d{1,4})")
_BARS = re.compile(r"(\d{1,6})(?:-(\d{1,6}))?")


def _grid(text: str) -> Fraction:
    from rig.midi.smfimport import grid_ticks

    m = _GRID.fullmatch(text.strip())
    if not m or int(m.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"expected a note value like 1/16, got '{text}'")
    grid = Fraction(1, int(m.group(1)))
    try:
        grid_ticks(grid)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"grid {text} does not fall on rig's 1920-per-beat grid (try 1/16, 1/12, 1/32)"
        ) from None
    return grid


def _bars(text: str) -> tuple[int, int]:
    m = _BARS.fullmatch(text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"expected bars like 9-16 or 5, got '{text}'")
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if not 1 <= first <= last:
        raise argparse.ArgumentTypeError(f"bars {text}: expected 1 <= first <= last")
    return first, last


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "rig import", "Write the parts of a Standard MIDI File as a rig song.", EPILOG
    )
    parser.add_argument("midi", type=Path, help="the .mid file (type 0 or 1)")
    parser.add_argument("-o", "--output", required=True, help="the song to write (- for stdout)")
    parser.add_argument("--track", default=None, help="one track: its number or name")
    parser.add_argument("--bars", type=_bars, default=None, help="the file's bars A-B")
    parser.add_argument("--grid", type=_grid, default=Fraction(1, 16), help="step (1/16)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing OUT.yaml")
    return parser


def _track_lines(parts: list, devices: set[str], voices: frozenset[str] | None) -> dict[str, str]:
    """Each part's track: the device its instrument names, or `voice X`, on its channel."""
    out = {}
    for part in parts:
        instrument = part.instrument
        if instrument in devices:
            what = f"device: {instrument}"
        elif (
            instrument.startswith("voice ")
            and (voices is None or instrument[6:] in voices)
            and re.fullmatch(r"[\w\-]+", instrument[6:])
        ):
            what = f"voice: {instrument[6:]}"
        else:
            what = "device: gm" if "gm" in devices else f"device: {sorted(devices)[0]}"
        out[part.name] = f"{what}, channel: {part.channel + 1}"
    return out


def _lanes(parts: list, tracks: dict[str, str], project: Any) -> dict[str, dict[int, str]]:
    """Each drum part's lanes (note → name) on its channel, from its track's device."""
    out = {}
    for part in parts:
        device = project.devices.get(tracks[part.name].split(",")[0].removeprefix("device: "))
        if device is not None and device.lanes:
            out[part.name] = {
                lane.note: name
                for name, lane in device.lanes.items()
                if lane.channel in (None, part.channel)
            }
    return out


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args

    from rig.midi.smfimport import ImportOptions, select_parts, song_yaml
    from rig.midi.smfread import SmfError, read_smf
    from rig.project import Project
    from rig.source.files import atomic_write

    output = None if args.output == "-" else Path(args.output)
    if output is not None and output.exists() and not args.force:
        print(
            f"rig import: {printable(str(output))} exists (use --force to replace it)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    project = load_or_report("import", Project.load, args.config, path=args.config)
    if isinstance(project, int):
        return project
    try:
        song = read_smf(args.midi)
        parts = select_parts(song, args.track)
        options = ImportOptions(args.grid, args.bars, printable(str(args.midi)))
        tracks = _track_lines(parts, set(project.devices), project.voices)
        text, remarks = song_yaml(song, parts, options, tracks, _lanes(parts, tracks, project))
    except SmfError as exc:
        print(f"rig import: {printable(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if song.rescaled:
        remarks.append(
            f"the file's resolution does not divide rig's {1920} ticks per beat: rounded"
        )
    for remark in remarks:
        print(f"rig import: note: {remark}", file=sys.stderr)
    if output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        with atomic_write(output) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        return write_error("import", output, exc)
    count = sum(len(p.notes) for p in parts)
    print(f"wrote {printable(str(output))}: {len(parts)} tracks, {count} notes")
    return EXIT_OK

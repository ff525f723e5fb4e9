"""`rig check PATH...`: check songs, sets, theme files, devices, voices and the config."""

from __future__ import annotations

import sys
from pathlib import Path

from rig.commands import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    command_parser,
    load_or_report,
    parse_args,
    print_input_error,
)
from rig.config import CONFIG_KEYS
from rig.source.errors import InputError, Pos, SourceError
from rig.source.files import walk_yaml
from rig.source.text import printable
from rig.source.yamltree import Node

__all__ = ["main", "SUMMARY"]

SUMMARY = "check songs, sets, devices and config; print every error"

EPILOG = """examples:
  rig check songs/                 # every cue, set and theme file below songs/
  rig check songs/inferno.yaml config.yaml patches/devices/virus.yaml
  rig check --strict songs/        # warnings (e.g. automation carried over) fail too

warnings (file:line:col: warning: ...) are printed but keep exit code 0 unless --strict.
exit codes: 0 all good, 1 errors found (each printed as file:line:col: message), 2 usage
"""


def _kind(path: Path) -> tuple[str, Node]:
    """What the file is, and its parsed tree (handed on, so each file is parsed once)."""
    from rig.source.files import display_path
    from rig.source.yamltree import load_yaml_file

    tree = load_yaml_file(path, display_path(path))
    keys = set(tree.value) if tree.is_map else set()
    return _kind_of(path, tree, keys), tree


def _kind_of(path: Path, tree: Node, keys: set[str]) -> str:
    if path.parent.name == "voices" or {"oscillators", "params"} <= keys:
        return "voice"
    if "cue" in keys:
        return "song"
    if "set" in keys:
        return "set"
    if "device" in keys:
        return "device"
    if "themes" in keys:
        return "themes"
    if keys & set(CONFIG_KEYS):
        return "config"
    raise InputError(
        [
            SourceError(
                Pos(str(path), 1, 1),
                "not a song, set, theme file, device, voice or config "
                "(no 'cue:', 'set:', 'themes:' or 'device:' key, and not in a voices/ folder)",
            )
        ]
    )


def _expand(paths: list[Path]) -> list[Path]:
    """The files to check: each file named, and the YAML files below each folder.

    A FIFO, socket or device named ``*.yaml`` is left out with a line on stderr (reading
    one would block or never end); symlinked folders are not followed (no loops).
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            files, skipped = walk_yaml(path)
            out.extend(files)
            for special, why in skipped:
                print(f"skip {printable(str(special))}: {why}", file=sys.stderr)
        else:
            out.append(path)
    return out


def cue_warnings(
    project, path: Path, voices: dict | None = None, tree: Node | None = None, cues=None
) -> list[SourceError]:
    """The warnings of a cue or a set (raises InputError for its errors): what its
    arrangements found (automation carried over, a tempo step after a set's lead) and
    what the software voices cannot play (`rig.dsp.standins`). `project`: a Project;
    `voices`: the voices read so far (a cache shared by the files of one check); `tree`:
    the file already parsed; `cues`: a `rig.project.CueCache` of the cues compiled so far
    in this check (a cue checked alone and in a set is compiled once)."""
    from rig.dsp.standins import warnings_of

    songs: list = []
    arrangements = project.arrangements(path, songs=songs, tree=tree, cache=cues)
    return warnings_of(project.config.voices_dir, arrangements, songs, voices)


def check_file(
    project,
    path: Path,
    warnings: list[SourceError] | None = None,
    voices: dict | None = None,
    cues=None,
) -> str:  # project: Project
    """Check one file; returns what it was; raises InputError. A song's or set's warnings
    (things that sound but may not be meant) are added to `warnings`; `voices`: a cache of
    the software voices read, `cues`: a `rig.project.CueCache` (both shared by the files
    of one run)."""
    from rig.config import load_config
    from rig.devices import load_device
    from rig.song.load import load_themes

    kind, tree = _kind(path)
    if kind in ("song", "set"):
        found = cue_warnings(project, path, voices, tree, cues)
        if warnings is not None:
            warnings.extend(w for w in found if w not in warnings)
    elif kind == "themes":
        load_themes(path, project.context())
    elif kind == "device":
        load_device(path)
    elif kind == "config":
        from rig.config import check_bindings

        config = load_config(path, known_devices=project.devices)
        # What rig play / rig live also refuse (overlapping channel ranges on one port).
        if problems := check_bindings(config, project.devices):
            raise InputError(problems)
    elif kind == "voice":
        from rig.dsp.loader import load_voice

        load_voice(path)
    return kind


def main(argv: list[str]) -> int:
    parser = command_parser(
        "rig check",
        "Check songs, sets, theme files, device definitions, voices and the config. "
        "Every problem is printed, not just the first.",
        EPILOG,
    )
    parser.add_argument("paths", nargs="+", type=Path, help="files or folders to check")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument(
        "--strict", action="store_true", help="warnings count as errors (exit code 1)"
    )
    args = parse_args(parser, argv)
    if isinstance(args, int):
        return args

    from rig.project import CueCache, Project

    project = load_or_report("check", Project.load, args.config, path=args.config)
    if isinstance(project, int):
        return project
    failed = 0
    files = _expand(args.paths)
    if not files:
        print("rig check: no YAML files found", file=sys.stderr)
        return EXIT_BAD_INPUT
    voices: dict = {}  # each software voice read once for the whole run
    cues = CueCache()  # each cue compiled once, though met alone and in a set
    for path in files:
        warnings: list[SourceError] = []
        try:
            kind = check_file(project, path, warnings, voices, cues)
        except InputError as exc:
            failed += 1
            print_input_error(exc)
            continue
        for warning in sorted(warnings, key=lambda w: (w.pos.line, w.pos.col)):
            print(warning, file=sys.stderr)
        if warnings and args.strict:
            failed += 1
            continue
        if not args.quiet:
            print(f"ok  {kind:<7} {printable(str(path))}")
    if failed:
        print(f"{failed} of {len(files)} files have errors", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK

"""Where a song's `include:` may reach, and which file an include names.

A song file may come from anyone, so `include:` is confined to the project: the
songs root (the nearest folder called ``songs`` above the song, else the folder
holding its ``sets`` folder when it lies in one, else its own folder), the patches
folder, and the folders the config widens it to
(`includes:` in config.yaml). A path outside them is refused at the `include:`
line *before* the file is opened, so an error can never quote a foreign file
(the system password file, a ``.env`` with a token). Symlinks are resolved first:
a link inside songs/ pointing outside is outside. A symlink loop is an error at
the include line, never a RuntimeError.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rig.source.errors import Pos, Problems
from rig.source.files import display_path, is_within, resolve

__all__ = ["include_roots", "outside_message", "resolve_include", "SONGS_FOLDER"]

SONGS_FOLDER = "songs"
SETS_FOLDER = "sets"


def include_roots(song: Path, extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """The folders `song`'s includes may read from (resolved): its songs root and `extra`."""
    here = resolve(song).parent
    root = next((p for p in (here, *here.parents) if p.name == SONGS_FOLDER), None)
    if root is None:
        # A set kept in a `sets/` folder beside its cues (songs/sets/ in this
        # repository, a folder of any name elsewhere) reads the cues one level up.
        root = here.parent if here.name == SETS_FOLDER else here
    return (root, *(resolve(p) for p in extra))


def outside_message(what: str, name: str, roots: tuple[Path, ...]) -> str:
    """The error for a path outside `roots`: names the path as written, never its content."""
    shown = ", ".join(display_path(r) + "/" for r in roots)
    return (
        f"{what}: '{name}' is outside the project (may read {shown}; "
        "add a folder to 'includes:' in config.yaml to allow more)"
    )


def resolve_include(
    name: str,
    pos: Pos,
    chain: list[Path],
    roots: tuple[Path, ...],
    problems: Problems,
    what: str = "include",
) -> Path | None:
    """The file `name` (relative to the including file, the last of `chain`) names, or None.

    None after adding a problem at `pos` when the file is outside `roots`, missing,
    not a regular file, a symlink loop, or already on the include `chain` (a cycle).
    """
    raw = chain[-1].parent / name
    target = resolve(raw)
    if not is_within(target, roots):
        problems.add(pos, outside_message(what, name, roots))
        return None
    if target in chain:
        loop = " → ".join(display_path(p) for p in [*chain[chain.index(target) :], target])
        problems.add(pos, f"{what}: cycle {loop}")
        return None
    if not target.is_file():
        why = "not found"
        if target.exists():
            why = "is not a regular file"
        elif raw.is_symlink():
            why = "is a broken link or a symlink loop"
        problems.add(pos, f"{what}: file '{name}' {why}")
        return None
    return target

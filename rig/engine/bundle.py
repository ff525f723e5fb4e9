"""Hot reload's hand-over: compiled cues in a file the engine reads a little at a time.

Compiling a cue takes 6-45 ms of pure Python here (the songs of this repository),
unpickling one in one go 2-20 ms: either would hold the engine process's GIL
longer than the scheduler's 15 ms lookahead and the JACK callback's 1.3 ms
period. So the *controller* (the live UI process, which watches the files)
loads, checks and compiles; a valid result is written as a **bundle** — a stream
of small pickles: a header, then per cue its metadata and its events in chunks
of `CHUNK` — and only the bundle's path crosses OSC (`/rig/reload path`). The
engine loop reads it with `load_steps`, a generator that does one small step
(one chunk, ≲0.3 ms) per `next()`, between pumps, and ends with a `Bundle` of
ready `Arrangement`s (with their fill variants, for the live fill control) and their
note pairs. No big data crosses the socket, no
thread competes with the clock for the GIL.

The bundle file is the engine's once read: `load_steps` deletes it.

Only the controller's own files are read, both rules here: `session_file` (a
path inside the live session's folder, which `rig live` makes with `mkdtemp`) and
`check_handover` (a name rig gives them, `bundle-*.pickle` or `voice-*.pickle`, a
regular file owned by the engine's user in a folder of that user that nobody else
may write to). The path arrives over OSC, which has no authentication: before this,
one `/rig/reload /any/file` packet made the engine unpickle that file (running
whatever code a pickle holds) and delete it — from the network with `osc.open`.

A software voice edited during the show travels the same way, smaller: the
controller checks the voice file and writes its `VoiceSpec` with `write_voice`
(one pickle, well under a millisecond to read); `/rig/voice name path` hands the
path over and the engine reads it with `read_voice`, which deletes it too.
"""

from __future__ import annotations

import os
import pickle
import stat
import tempfile
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rig.dsp.spec import VoiceSpec
from rig.engine.cueview import NotePairs
from rig.song.arrangement import Arrangement

__all__ = [
    "CHUNK",
    "Bundle",
    "write_bundle",
    "load_steps",
    "check_handover",
    "session_file",
    "load_bundle",
    "write_voice",
    "read_voice",
]

CHUNK = 256  # events per pickle: ~0.1-0.3 ms to unpickle here
_VERSION = 2  # 2: a cue's fill variant follows its events


@dataclass(frozen=True)
class Bundle:
    """What a reload brings: `cues` as (index in the set, arrangement, note pairs).

    `full_set`: the set itself changed — `cues` is the whole new list, in order,
    with its `transitions`.
    """

    cues: tuple[tuple[int, Arrangement, NotePairs], ...]
    full_set: bool = False
    transitions: tuple[str, ...] = ()


def write_bundle(
    directory: Path,
    cues: Sequence[tuple[int, Arrangement]],
    *,
    full_set: bool = False,
    transitions: Sequence[str] = (),
) -> Path:
    """Write a bundle into `directory` (atomically: the engine never sees half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".bundle-", suffix=".tmp", dir=directory)
    with os.fdopen(fd, "wb") as out:
        head = {
            "version": _VERSION,
            "count": len(cues),
            "full_set": full_set,
            "transitions": tuple(transitions),
        }
        pickle.dump(head, out, protocol=pickle.HIGHEST_PROTOCOL)
        for index, arr in cues:
            fill = arr.fill_variant
            meta = {
                "index": index,
                "name": arr.name,
                "tempo": arr.tempo,
                "sections": arr.sections,
                "tracks": arr.tracks,
                "length_ticks": arr.length_ticks,
                "source": arr.source,
                "key": arr.key,
                "timecode": arr.timecode,
                "chunks": -(-len(arr.events) // CHUNK),
                # the rendering with the live fill control held (its tempo, sections and
                # tracks are the cue's): its events follow the cue's
                "fill_chunks": -(-len(fill.events) // CHUNK) if fill is not None else -1,
            }
            pickle.dump(meta, out, protocol=pickle.HIGHEST_PROTOCOL)
            for events in (arr.events, fill.events if fill is not None else ()):
                for start in range(0, len(events), CHUNK):
                    pickle.dump(events[start : start + CHUNK], out, pickle.HIGHEST_PROTOCOL)
    final = Path(tmp).with_name(Path(tmp).name.replace(".bundle-", "bundle-")[:-4] + ".pickle")
    os.replace(tmp, final)
    return final


def _assemble(meta: dict, events: list, ticks: list[int]) -> Arrangement:
    """An Arrangement from events already in order (the controller's Arrangement sorted
    them): built empty, then given its events, so nothing is sorted again here."""
    arr = Arrangement(
        meta["name"], (), meta["tempo"], meta["sections"], meta["tracks"], meta["length_ticks"],
        meta["source"], meta["key"], timecode=meta.get("timecode"),
    )  # fmt: skip
    arr.events = tuple(events)
    arr._ticks = ticks  # noqa: SLF001 - the index Arrangement keeps for query_ticks
    return arr


def _events(src: BinaryIO, chunks: int) -> Generator[None, None, tuple[list, list[int]]]:
    """`chunks` pickled chunks of events, one per step: (events, their ticks)."""
    events: list = []
    ticks: list[int] = []
    for _chunk in range(chunks):
        yield
        chunk = pickle.load(src)
        events.extend(chunk)
        ticks.extend(e.tick for e in chunk)
    return events, ticks


def session_file(folder: Path | None, what: str, name: str) -> Path:
    """`name` resolved, if it is a regular file of this user inside `folder` (the live
    session's bundle folder). A bundle is unpickled and a voice file removed after
    reading: a remote (OSC may be open to the network) must not name any other file.
    The readers then apply `check_handover` (name, owner, folder rights) as well."""
    if folder is None:
        raise ValueError(f"{what}: this engine takes no files (not a live session)")
    path = Path(name)
    try:
        real, home = path.resolve(strict=True), folder.resolve(strict=True)
        info = real.stat()
    except OSError:
        raise ValueError(f"{what}: no such file {path}") from None
    if not real.is_relative_to(home) or path.is_symlink():
        raise ValueError(f"{what}: {path} is not in the session folder {home}")
    if not real.is_file() or info.st_uid != os.getuid():
        raise ValueError(f"{what}: {path} is not a file of this user")
    return real


def check_handover(path: Path, prefix: str) -> None:
    """ValueError unless `path` is a hand-over file the controller wrote (see module
    doc): named `<prefix>*.pickle`, a regular file (not a link) of our user, in a
    folder of our user that group and others cannot write to."""
    path = Path(path)
    why = ""
    if not (path.name.startswith(prefix) and path.suffix == ".pickle"):
        why = f"not named {prefix}*.pickle"
    else:
        try:
            own = os.lstat(path)
            folder = os.stat(path.parent)
        except OSError:
            return  # missing: the reader's own open() says so, and nothing is deleted
        uid = os.getuid()
        if not stat.S_ISREG(own.st_mode) or own.st_uid != uid:
            why = "not a plain file of this user"
        elif folder.st_uid != uid or folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            why = "in a folder others can write to"
    if why:
        raise ValueError(f"refusing {path}: {why} (only rig's own hand-over files are read)")


def load_steps(path: Path) -> Generator[None, None, Bundle]:
    """Read a bundle one small step per `next()`; the generator's return value is the
    Bundle (StopIteration.value). Raises ValueError for a file that is not one (and
    for any file `check_handover` refuses, which is then left alone)."""
    check_handover(path, "bundle-")
    try:
        with open(path, "rb") as src:
            head = pickle.load(src)
            if not isinstance(head, dict) or head.get("version") != _VERSION:
                raise ValueError(f"{path}: not a rig reload bundle")
            cues = []
            for _ in range(head["count"]):
                meta = pickle.load(src)
                events, ticks = yield from _events(src, meta["chunks"])
                arr = _assemble(meta, events, ticks)
                if meta["fill_chunks"] >= 0:
                    events, ticks = yield from _events(src, meta["fill_chunks"])
                    arr.fill_variant = _assemble(meta, events, ticks)
                pairs = yield from NotePairs.build_steps(arr, CHUNK * 4)
                cues.append((meta["index"], arr, pairs))
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError) as exc:
        raise ValueError(f"cannot read reload bundle {path}: {exc}") from exc
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    return Bundle(tuple(cues), bool(head["full_set"]), tuple(head["transitions"]))


def load_bundle(path: Path) -> Bundle:
    """All steps at once (tests, tools)."""
    steps = load_steps(path)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def write_voice(directory: Path, name: str, spec: VoiceSpec) -> Path:
    """Write voice `name`'s spec for the engine (atomically, as `write_bundle`)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".voice-", suffix=".tmp", dir=directory)
    with os.fdopen(fd, "wb") as out:
        head = {"version": _VERSION, "kind": "voice", "name": name}
        pickle.dump(head, out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(spec, out, protocol=pickle.HIGHEST_PROTOCOL)
    final = Path(tmp).with_name(Path(tmp).name.replace(".voice-", "voice-")[:-4] + ".pickle")
    os.replace(tmp, final)
    return final


def read_voice(path: Path) -> tuple[str, VoiceSpec]:
    """(name, spec) from a `write_voice` file, which is then deleted. ValueError for a
    file that is missing or not one (a file `check_handover` refuses is left alone)."""
    check_handover(path, "voice-")
    try:
        with open(path, "rb") as src:
            head = pickle.load(src)
            if not isinstance(head, dict) or head.get("kind") != "voice":
                raise ValueError(f"{path}: not a rig voice file")
            if head.get("version") != _VERSION:
                raise ValueError(f"{path}: a voice file of another rig version")
            spec = pickle.load(src)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ValueError(f"cannot read voice file {path}: {detail}") from exc
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    if not isinstance(spec, VoiceSpec):
        raise ValueError(f"{path}: not a rig voice file")
    return str(head["name"]), spec

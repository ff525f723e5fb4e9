"""The software voices the engine plays, kept beside the session for the next UI.

A UI that attaches to a running show (`rig live --attach`, or one taking over the
watch) sends the set as its files are now, and the engine keeps only the cues whose
music differs (`rig.stage.watch.Reloader.catch_up`). For the voices
(`patches/voices/*.yaml`) it could not: it did not know which versions the engine
had, took the files as they are now for them, and so never sent a voice edited while
no UI watched — the old sound played on until the next edit or a restart.

So the versions the engine plays are kept in a file of the session folder,
`voices-<host pid>.pickle`: the live host writes it when it starts an engine (and
after a restart: the set's voices as their files were then), the watching UI each
time it sends a voice. An attached UI reads it and sends each voice whose file now
sounds different. The file is read only as rig's own hand-over files are
(`rig.engine.bundle.check_handover`: a plain file of this user in a folder nobody
else may write to), and removed with the session.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Mapping
from pathlib import Path

from rig.dsp.spec import VoiceSpec
from rig.engine.bundle import check_handover

__all__ = ["record_path", "write_record", "read_record", "remove_record"]

_PREFIX = "voices-"
_KIND = "rig voices played"


def record_path(folder: Path, host_pid: int) -> Path:
    return folder / f"{_PREFIX}{host_pid}.pickle"


def write_record(path: Path, voices: Mapping[str, VoiceSpec]) -> None:
    """Keep `voices` (name -> the version the engine plays) at `path`, atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{_PREFIX}", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "wb") as out:
        pickle.dump((_KIND, dict(voices)), out, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def read_record(path: Path) -> dict[str, VoiceSpec] | None:
    """The voices kept at `path`; None when there is no such file or it is not one
    (a show started by an older rig: the caller goes by the files)."""
    try:
        check_handover(path, _PREFIX)
        with open(path, "rb") as src:
            kind, voices = pickle.load(src)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
        return None
    if kind != _KIND or not isinstance(voices, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, VoiceSpec) for k, v in voices.items()):
        return None
    return voices


def remove_record(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()

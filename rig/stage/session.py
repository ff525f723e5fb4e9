"""The live session file: how `rig live --attach` finds a running engine.

One small JSON file per session in the session folder (`$RIG_LIVE_DIR`, else
`$XDG_RUNTIME_DIR/rig`, else `<tmp>/rig-<uid>`), named by the OSC port. The host
writes it when the engine runs (and again after a restart) and removes it when
the session ends; a file whose host process is gone is stale and ignored.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rig.control.link import pid_alive

__all__ = [
    "Session",
    "session_dir",
    "session_path",
    "write_session",
    "read_session",
    "remove_session",
    "find_sessions",
]


@dataclass(frozen=True)
class Session:
    port: int  # the engine's OSC port
    engine_pid: int
    host_pid: int
    set_path: str
    warnings: tuple[str, ...] = ()
    restarts: int = 0
    error: str = ""  # the engine could not start (the host then ends)
    started: float = field(default=0.0)
    # What the host last did to the engine, for the UI: "" (running), "restarting"
    # (it died; notes released, a new one is starting), "restarted", "gone" (it died
    # and is not restarted). `note` says it in one line.
    engine_state: str = ""
    note: str = ""

    def alive(self) -> bool:
        return pid_alive(self.host_pid)


def session_dir() -> Path:
    base = os.environ.get("RIG_LIVE_DIR")
    if base:
        return Path(base)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "rig"
    return Path(tempfile.gettempdir()) / f"rig-{os.getuid()}"


def session_path(port: int, directory: Path | None = None) -> Path:
    return (directory or session_dir()) / f"live-{port}.json"


def write_session(path: Path, session: Session) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    data = asdict(session)
    data["started"] = data["started"] or __import__("time").time()
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)  # a reader never sees half a file


def read_session(path: Path) -> Session | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    data["warnings"] = tuple(data.get("warnings", ()))
    try:
        return Session(**data)
    except TypeError:
        return None


def remove_session(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def find_sessions(directory: Path | None = None) -> list[tuple[Path, Session]]:
    """Running sessions (stale files are skipped)."""
    folder = directory or session_dir()
    out = []
    for path in sorted(folder.glob("live-*.json")):
        session = read_session(path)
        if session is not None and session.alive() and not session.error:
            out.append((path, session))
    return out

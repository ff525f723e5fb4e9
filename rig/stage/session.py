"""The live session file: how `rig live --attach` finds a running engine.

One small JSON file per session in the session folder (`$RIG_LIVE_DIR`, else
`$XDG_RUNTIME_DIR/rig`, else `<tmp>/rig-<uid>`), named by the OSC port. The host
writes it when the engine runs (and again after a restart) and removes it when
the session ends. A host that is SIGKILLed (or crashes, or the machine restarts)
cannot: its file stays. Such a file is stale — its host process is gone, or its pid
now belongs to another program — and is ignored (`find_sessions`); `rig live` and
`--attach` on its port remove it and say so (`clear_stale`). Without that, a new
show on the same port took the dead show's file for its own and its UI followed a
host that no longer existed; a start that failed once kept failing with the old error.
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
    "clear_stale",
    "host_running",
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
        return host_running(self.host_pid)


def host_running(pid: int) -> bool:
    """True while `pid` is a live host (`python -m rig.stage.host`): a pid the system
    gave to another program since (after a reboot) is not one."""
    if not pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # no /proc (macOS): the pid is all there is to go by
        return True
    # Empty in the instant a process execs (and for kernel threads): cannot tell.
    return not cmdline or b"rig.stage.host" in cmdline


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


def clear_stale(path: Path) -> str | None:
    """Remove the session file at `path` (and the note map beside it) when its host is
    gone; returns one line saying what was removed, None when there is no file or its
    show runs."""
    if not path.exists():
        return None
    session = read_session(path)
    if session is not None and session.alive():
        return None
    left = [path, path.with_suffix(".notes"), path.with_suffix(".tmp")]
    if session is not None:  # the voices its engine played (rig.stage.voicerecord)
        left.append(path.parent / f"voices-{session.host_pid}.pickle")
    for file in left:
        remove_session(file)
    if session is None:
        return f"removed an unreadable session file ({path})"
    return (
        f"removed the session file of a show that ended without cleaning up "
        f"({Path(session.set_path).name} on OSC port {session.port}: its host, "
        f"pid {session.host_pid}, is gone)"
    )

"""One watcher per show: the live UI that holds the show's watch lock hot-reloads.

Two UIs on one show (`rig live --attach` beside the one that started it) both
watched the files and both sent every reload (issue 12). The rule now: the UI that
holds an exclusive `flock` on `watch-<port>.lock` in the session folder watches and
sends; any other waits and tries again each second. The kernel lets go of the lock
when its holder ends, even by SIGKILL, so a UI left alone takes over within a second.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["WatchLock", "watch_lock_path"]


def watch_lock_path(folder: Path, port: int) -> Path:
    return folder / f"watch-{port}.lock"


class WatchLock:
    """The show's watch lock at `path`; `take()` never blocks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def take(self) -> bool:
        """True if this process holds the lock now (took it, or had it)."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file lets go of the lock
            self._fd = None

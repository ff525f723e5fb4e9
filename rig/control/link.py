"""The live UI's end of the OSC control protocol: never blocks, knows when the engine
is gone.

`ControlClient.status()` waits for its reply, which is right for `rig play` but
wrong in a UI event loop. `EngineLink` sends, and reads whatever replies have
arrived when asked (`poll()`), so the UI ticks at its own pace and a busy or dead
engine never freezes the screen. Liveness is the age of the last reply, plus —
when the engine's pid is known — whether that process still exists.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from rig.control.protocol import HOST, SetInfo, Status, decode, encode

__all__ = ["EngineLink", "pid_alive"]


class EngineLink:
    """Non-blocking OSC link to the engine at 127.0.0.1:`port`."""

    def __init__(
        self,
        port: int,
        *,
        engine_pid: int | None = None,
        now: Callable[[], float] = time.monotonic,
        stale_after: float = 1.5,
    ):
        self.address = (HOST, port)
        self.engine_pid = engine_pid
        self.stale_after = stale_after
        self._now = now
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((HOST, 0))
        self._sock.setblocking(False)
        self.status: Status | None = None
        self.setlist: SetInfo | None = None
        self.errors: list[str] = []  # /rig/error replies, oldest first
        self.last_reply = 0.0
        self.started = now()

    def send(self, address: str, *args: object) -> None:
        try:
            self._sock.sendto(encode(address, *args), self.address)
        except OSError as exc:  # the engine's port is gone: the status will say so
            self.errors.append(f"cannot reach the engine: {exc.strerror}")

    def follow(self, port: int, engine_pid: int) -> None:
        """The live host restarted the engine: talk to the new one from now on."""
        self.address = (HOST, port)
        self.engine_pid = engine_pid

    def request(self) -> None:
        """Ask for a status (the reply is read by a later `poll()`)."""
        self.send("/rig/status")

    def poll(self) -> bool:
        """Read every reply that has arrived; True if a status came."""
        got = False
        while True:
            try:
                data = self._sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return got
            except OSError:  # ICMP port unreachable from an earlier send: engine gone
                continue
            try:
                address, args = decode(data)
            except ValueError:
                continue
            self.last_reply = self._now()
            if address == "/rig/status":
                self.status = Status.from_args(args)
                if self.status.pid:  # a restarted engine has a new pid
                    self.engine_pid = self.status.pid
                got = True
            elif address == "/rig/setlist":
                self.setlist = SetInfo.from_args(args)
            elif address == "/rig/error" and args:
                self.errors.append(str(args[0]))

    @property
    def connected(self) -> bool:
        return self.last_reply > 0 and self._now() - self.last_reply < self.stale_after

    def engine_dead(self) -> bool:
        """True when the engine process is known to be gone."""
        return self.engine_pid is not None and not pid_alive(self.engine_pid)

    def close(self) -> None:
        self._sock.close()


def pid_alive(pid: int) -> bool:
    """True while process `pid` runs. A zombie counts as dead (in a container no init
    may reap it); without /proc (macOS) the kernel is asked with signal 0."""
    if pid <= 0:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state not in ("Z", "X")

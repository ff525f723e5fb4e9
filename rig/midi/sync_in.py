"""The sync input: the MIDI port a clock or timecode master sends on, stamped on arrival.

python-rtmidi calls our callback on its own input thread (the library's, not one of
ours) as each message arrives; the callback only stamps it with `now()` and puts
`(ns, bytes)` on a queue, which the engine loop drains into its `SyncDriver` — so
no sync state is shared between threads. Clock (F8), transport, SPP, MTC quarter
frames and full-frame SysEx are let through (rtmidi filters timing and SysEx by
default).

The port is found by name pattern, like device ports (`rig.config.match_port`).

Stamps: the callback runs when the message reaches Python, which can be several ms
after it arrived (the callback needs the GIL, which the engine loop holds while it
pumps) — measured here as bursts of late stamps that fooled the tempo fit. So the
stamp is rtmidi's own timing (the delta time it measured between messages, from its
backend's clock: JACK's time at the period, ALSA's queue time), summed, placed on
`now()` by the smallest arrival delay seen so far: a late callback no longer moves
the stamp. (On the frame timeline a JACK MIDI input stamped with its frame is the
better clock still; see README, "Playing with the booth".)
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from rig.config import match_port

__all__ = ["SyncInput", "SyncInputError"]


class SyncInputError(RuntimeError):
    """The sync input port cannot be opened (one line for the user)."""


class SyncInput:
    """An rtmidi input port opened by name pattern; `drain()` returns stamped bytes."""

    def __init__(
        self,
        pattern: str,
        *,
        api: int = 0,
        client_name: str = "rig-sync",
        now: Callable[[], int] = time.monotonic_ns,
    ):
        self.pattern = pattern
        self.api = api
        self.client_name = client_name
        self._now = now
        self._queue: queue.SimpleQueue[tuple[int, bytes]] = queue.SimpleQueue()
        self._port = None
        self.name = ""
        self._sum_ns = 0  # rtmidi's deltas, summed since the first message
        self._offset: int | None = None  # now() - _sum_ns for the least-delayed message

    def open(self) -> SyncInput:
        import rtmidi

        try:
            port = rtmidi.MidiIn(self.api, name=self.client_name)
        except rtmidi.SystemError as exc:
            raise SyncInputError(f"sync input: rtmidi cannot start: {exc}") from None
        names = port.get_ports()
        name = match_port(self.pattern, names)
        if name is None:
            port.delete()
            seen = ", ".join(names) or "none"
            raise SyncInputError(f"sync: no MIDI input matches '{self.pattern}' (inputs: {seen})")
        port.ignore_types(sysex=False, timing=False, active_sense=True)
        port.set_callback(self._on_message)
        port.open_port(names.index(name), "sync in")
        self._port = port
        self.name = name
        return self

    def _on_message(self, event: tuple[list[int], float], data: object = None) -> None:
        arrival = self._now()
        message, delta = event
        self._sum_ns += round(delta * 1e9)
        late_by = arrival - self._sum_ns
        if self._offset is None or late_by < self._offset:
            self._offset = late_by
        self._queue.put((self._sum_ns + self._offset, bytes(message)))

    def reset(self) -> None:
        """Forget what arrived and the stamp offset (the engine's time base changed)."""
        self.drain()
        self._offset = None

    def drain(self) -> list[tuple[int, bytes]]:
        """Every (ns, bytes) that arrived since the last call, oldest first."""
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        if self._port is not None:
            self._port.cancel_callback()
            self._port.close_port()
            self._port.delete()
            self._port = None

    def __enter__(self) -> SyncInput:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

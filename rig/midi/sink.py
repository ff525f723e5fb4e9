"""The one interface every MIDI output implements, and a recording fake for unit tests.

A sink is one destination port (one device). The scheduler hands it complete
MIDI messages with **absolute deadlines** on `time.monotonic_ns()`; the sink
delivers each as precisely as its transport allows (JACK: the exact frame;
rtmidi: a sender thread that sleeps, then spins to the deadline). `send()` is
thread-safe and never blocks the caller: timing is the sink's job, not the
scheduler's.

Backends: `rig.midi.jack_sink.JackSink`, `rig.midi.rtmidi_sink.RtMidiSink`, and
`RecordingSink` here. All of them put every outgoing message through a
`NoteTracker`, so `panic()` and `close()` end every sounding note with explicit
note-offs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from rig.midi.notes import NoteTracker

__all__ = ["Sink", "RecordingSink", "check_message"]


@runtime_checkable
class Sink(Protocol):
    """One MIDI destination with deadline-stamped delivery."""

    name: str
    late: int  # messages delivered after their deadline (beyond the transport's granularity)
    connected: bool

    def open(self) -> None: ...

    def close(self) -> None:
        """End every sounding note (explicit note-offs), then close. Idempotent."""
        ...

    def send(self, when_ns: int, data: bytes) -> None:
        """Deliver `data` at monotonic `when_ns`. Thread-safe; never blocks."""
        ...

    def panic(self) -> None:
        """Drop what is queued and send explicit note-offs for every sounding note, now."""
        ...


def check_message(data: bytes | bytearray | memoryview) -> bytes:
    """`data` as bytes if it is one complete MIDI message; ValueError otherwise.

    Running status is not allowed (JACK MIDI refuses it, and a sink interleaves
    its own note-offs): every message starts with its status byte.
    """
    msg = bytes(data)
    if not msg or msg[0] < 0x80:
        raise ValueError(f"not a MIDI message (no status byte): {msg.hex(' ')}")
    if any(b >= 0x80 for b in msg[1:]) and msg[0] != 0xF0:
        raise ValueError(f"not one MIDI message: {msg.hex(' ')}")
    return msg


class RecordingSink:
    """A sink that records `(when_ns, bytes)` instead of sending: for unit tests.

    Each message is "delivered" as it is sent (the deadline is only recorded),
    through the same note bookkeeping as the real sinks, so re-trigger note-offs
    and panic/close note-offs appear in `messages` (the latter stamped `now()`).
    """

    def __init__(self, name: str = "recording", *, now: Callable[[], int] = time.monotonic_ns):
        self.name = name
        self.late = 0
        self.connected = False
        self.closed = False
        self._now = now
        self._lock = threading.Lock()
        self._messages: list[tuple[int, bytes]] = []
        self._tracker = NoteTracker()

    def open(self) -> None:
        self.connected = True
        self.closed = False

    def send(self, when_ns: int, data: bytes) -> None:
        msg = check_message(data)
        with self._lock:
            self._messages.extend((int(when_ns), out) for out in self._tracker.deliver(msg))

    @property
    def messages(self) -> list[tuple[int, bytes]]:
        """Everything delivered so far, in delivery order."""
        with self._lock:
            return list(self._messages)

    def sounding(self) -> list[tuple[int, int]]:
        with self._lock:
            return self._tracker.sounding()

    def panic(self) -> None:
        with self._lock:
            now = self._now()
            self._messages.extend((now, off) for off in self._tracker.release())

    def close(self) -> None:
        if self.closed:
            return
        self.panic()
        self.closed = True
        self.connected = False

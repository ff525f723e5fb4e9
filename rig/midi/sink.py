"""The one interface every MIDI output implements, and a recording fake for unit tests.

A sink is one destination port (one device). The scheduler hands it complete
MIDI messages with **absolute deadlines** on `time.monotonic_ns()`; the sink
delivers each as precisely as its transport allows (JACK: the exact frame;
rtmidi: a sender thread that sleeps, then spins to the deadline). `send()` is
thread-safe and never blocks the caller: timing is the sink's job, not the
scheduler's.

Messages are typed (`rig.midi.wire.Message`) until the sink writes them: a sink
encodes each as it goes on the wire. Raw bytes are accepted too, for callers that
hold wire bytes already (`rig panic`, MTC, tests): `as_message` reads them once, here.

The device's latency offset is applied once, by the scheduler (`rig.timing.scheduler`):
the deadline a sink gets is when the message must leave.

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
from rig.midi.wire import Message, decode, encode

__all__ = ["Sink", "RecordingSink", "check_message", "as_message", "entry", "wire_of"]


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

    def send(self, when_ns: int, data: Message | bytes) -> None:
        """Deliver `data` at `when_ns` (the engine's timeline). Thread-safe; never blocks."""
        ...

    def panic(self, wait: bool = True) -> None:
        """Drop what is queued and send explicit note-offs for every sounding note, now;
        `wait`: until they are on the wire (False: the engine's loop, which JACK's
        process callback waits for while it holds the loop's lock)."""
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


def as_message(data: Message | bytes | bytearray | memoryview) -> Message:
    """A typed message as is; wire bytes checked (`check_message`) and read once."""
    if isinstance(data, bytes | bytearray | memoryview):
        return decode(check_message(data))
    return data


def entry(data: Message | bytes) -> tuple[Message, list[bytes]]:
    """What a sink queues for `data`: the typed message (for its note tracker) and its
    wire bytes — encoded here, in the sender's thread, or raw bytes as they came (a
    note-off with velocity 0 stays one)."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = check_message(data)
        return decode(raw), [raw]
    return data, encode(data)


def wire_of(typed: Message, message: Message, wire: list[bytes]) -> list[bytes]:
    """The bytes of one message the tracker gave back for the queued `message`."""
    return wire if typed is message else encode(typed)


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

    def send(self, when_ns: int, data: Message | bytes) -> None:
        msg, wire = entry(data)
        with self._lock:
            self._messages.extend(
                (int(when_ns), b) for out in self._tracker.deliver(msg)
                for b in wire_of(out, msg, wire)
            )  # fmt: skip

    @property
    def messages(self) -> list[tuple[int, bytes]]:
        """Everything delivered so far, in delivery order."""
        with self._lock:
            return list(self._messages)

    def sounding(self) -> list[tuple[int, int]]:
        with self._lock:
            return self._tracker.sounding()

    def panic(self, wait: bool = True) -> None:
        with self._lock:
            now = self._now()
            self._messages.extend(
                (now, wire) for off in self._tracker.release() for wire in encode(off)
            )

    def close(self) -> None:
        if self.closed:
            return
        self.panic()
        self.closed = True
        self.connected = False

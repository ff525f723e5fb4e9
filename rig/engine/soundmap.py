"""The engine's sounding notes where the live host can read them without the engine.

Why: when the engine process dies (a crash, a SIGKILL) its note tracking dies with
it, and a held chord rings on until someone sends its note-offs. Before this map
the host guessed — every note of the channels the cues' tracks name — and missed
the channels a config binding moved (issue 12, item 3: a pad chord on channel 1
hung 2.8 s). Now every note-on and note-off the engine hands a hardware sink is
also written into a small shared-memory file (an `mmap` the host created), per
(output, channel, note): whether it sounds, and the deadline of the last
note-off. The host (`rig.stage.rescue`) keeps the file mapped and, the moment the
engine is gone, releases exactly those notes.

A note-off is written when the scheduler hands it to the sink, up to the lookahead
before it goes out: an engine that dies in between never sent it. So the host also
releases every note whose last note-off deadline is not yet `grace_ns` old.

Layout (little-endian): magic, output count; per output: its device name (64 bytes,
NUL-padded), 16 × 128 sounding flags (uint8), 16 × 128 last note-off deadlines
(int64 ns on the engine's clock).

The engine's clock is not the host's: on JACK it is the frame timeline
(`rig.timing.timeline`, frames since the engine started as ns), with rtmidi
`time.monotonic_ns`. So with every message the engine also stamps the header with
a pair (engine ns, monotonic ns) read together; the host turns its own monotonic
"now" into the engine's clock through the last pair (`engine_now`) before it asks
which note-offs are recent. Without the pair the grace compared frame-timeline
deadlines with the host's monotonic clock and never released a note-off handed
over in the last lookahead before a death.
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rig.midi.sink import as_message
from rig.midi.wire import Message
from rig.song.events import NoteOff, NoteOn

__all__ = ["SoundMap", "MappedSink", "map_sinks"]

_MAGIC = b"RIGSNDv2"
_HEAD = struct.Struct("<8sI")
_STAMP = struct.Struct("<qq")  # (engine ns, monotonic ns), right after the head
_TOP = _HEAD.size + _STAMP.size
_NAME = 64
_NOTES = 16 * 128
_PORT = _NAME + _NOTES + 8 * _NOTES


class SoundMap:
    """One mapped file of sounding notes; `create` (the host), `attach` (the engine)."""

    def __init__(self, path: Path, buffer: mmap.mmap, devices: tuple[str, ...]):
        self.path = path
        self.devices = devices
        self._mm = buffer
        view = memoryview(buffer)
        self._counts = []
        self._raw_offs = []
        self._offs = []
        for i in range(len(devices)):
            base = _TOP + i * _PORT + _NAME
            self._counts.append(view[base : base + _NOTES])
            self._raw_offs.append(view[base + _NOTES : base + _NOTES + 8 * _NOTES])
            self._offs.append(self._raw_offs[-1].cast("q"))

    @classmethod
    def create(cls, path: Path, devices: Sequence[str]) -> SoundMap:
        """A fresh, silent map for `devices` (the engine spec's outputs, in order)."""
        size = _TOP + len(devices) * _PORT
        data = bytearray(size)
        _HEAD.pack_into(data, 0, _MAGIC, len(devices))
        for i, device in enumerate(devices):
            name = device.encode()[:_NAME]
            start = _TOP + i * _PORT
            data[start : start + len(name)] = name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # the engine never maps a half-written file
        return cls.attach(path)

    @classmethod
    def attach(cls, path: Path) -> SoundMap:
        with open(path, "r+b") as f:
            buffer = mmap.mmap(f.fileno(), 0)
        magic, count = _HEAD.unpack_from(buffer, 0)
        if magic != _MAGIC or len(buffer) != _TOP + count * _PORT:
            buffer.close()
            raise ValueError(f"{path}: not a sounding-note map")
        devices = []
        for i in range(count):
            start = _TOP + i * _PORT
            devices.append(bytes(buffer[start : start + _NAME]).rstrip(b"\0").decode())
        return cls(path, buffer, tuple(devices))

    def index(self, device: str) -> int | None:
        return self.devices.index(device) if device in self.devices else None

    def note(self, port: int, data: Message | bytes, when_ns: int) -> bool:
        """Track one message handed to output `port`; False: not a note (ignored)."""
        msg = as_message(data)
        if not isinstance(msg, NoteOn | NoteOff):
            return False
        slot = msg.channel * 128 + (msg.note & 0x7F)
        counts = self._counts[port]
        if isinstance(msg, NoteOn):
            # As the sinks put it on the wire (`rig.midi.notes.NoteTracker`): a note-on
            # for a sounding note is sent after that note's note-off, so one note-off
            # ends it. (Counting re-triggers left a note 'sounding' here that the wire
            # had ended, and the rescue released it instead of nothing.)
            counts[slot] = 1
        else:
            counts[slot] = 0
            self._offs[port][slot] = when_ns
        return True

    def stamp(self, engine_ns: int, monotonic_ns: int) -> None:
        """The engine's clock read together with the monotonic one (engine side)."""
        _STAMP.pack_into(self._mm, _HEAD.size, engine_ns, monotonic_ns)

    def engine_now(self, monotonic_ns: int) -> int:
        """`monotonic_ns` (the host's clock) on the engine's clock, through the last
        stamp; unstamped (no message yet): the same number."""
        engine_ns, at_ns = _STAMP.unpack_from(self._mm, _HEAD.size)
        return monotonic_ns if at_ns == 0 else engine_ns + (monotonic_ns - at_ns)

    def to_release(self, now_ns: int, grace_ns: int) -> dict[str, list[tuple[int, int]]]:
        """device → (channel, note) still sounding, or whose last note-off deadline
        is less than `grace_ns` before `now_ns` (maybe never sent): `now_ns` on the
        engine's clock (`engine_now`)."""
        out: dict[str, list[tuple[int, int]]] = {}
        for port, device in enumerate(self.devices):
            counts, offs = self._counts[port], self._offs[port]
            notes = [
                divmod(slot, 128)
                for slot in range(_NOTES)
                if counts[slot] or (offs[slot] and offs[slot] > now_ns - grace_ns)
            ]
            if notes:
                out[device] = notes
        return out

    def clear(self) -> None:
        """Silence: after the rescue, before a new engine writes again."""
        for port in range(len(self.devices)):
            self._counts[port][:] = bytes(_NOTES)
            self._raw_offs[port][:] = bytes(8 * _NOTES)
        _STAMP.pack_into(self._mm, _HEAD.size, 0, 0)

    def close(self) -> None:
        for view in (*self._counts, *self._offs, *self._raw_offs):
            view.release()
        self._counts, self._offs, self._raw_offs = [], [], []
        self._mm.close()


class MappedSink:
    """A sink that also writes each note it is handed into the map, and stamps the
    map with `now()` (the engine's clock) beside the monotonic clock; everything else
    (open, close, host, connected...) is the sink's own."""

    def __init__(self, sink: Any, soundmap: SoundMap, port: int,
                 now: Callable[[], int] = time.monotonic_ns):  # fmt: skip
        self._sink = sink
        self._map = soundmap
        self._port = port
        self._now = now

    def send(self, when_ns: int, data: Message | bytes) -> None:
        if self._map.note(self._port, data, when_ns):
            self._map.stamp(self._now(), time.monotonic_ns())
        self._sink.send(when_ns, data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sink, name)

    def __setattr__(self, name: str, value: Any) -> None:
        # Settings made on the wrapper (e.g. the frame loop's drop_late_ns) are the sink's.
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._sink, name, value)


def map_sinks(
    sinks: Mapping[str, Any], soundmap: SoundMap, now: Callable[[], int] = time.monotonic_ns
) -> dict[str, Any]:
    """`sinks` with each one the map knows wrapped in a `MappedSink`; `now`: the
    engine's clock (the one its deadlines are on)."""
    out: dict[str, Any] = {}
    for device, sink in sinks.items():
        port = soundmap.index(device)
        out[device] = sink if port is None else MappedSink(sink, soundmap, port, now)
    return out

"""The engine's control protocol: OSC over UDP on 127.0.0.1 (the field's convention).

Address space (arguments in brackets are optional; bars are 1-based):

| address         | arguments   | effect                                                  |
|-----------------|-------------|---------------------------------------------------------|
| `/rig/play`     | `[bar:int]` | play from bar 1 (Start) or from `bar` (SPP + Continue)  |
| `/rig/stop`     |             | explicit note-offs for sounding notes, then Stop (FC)   |
| `/rig/continue` |             | resume where stopped (SPP + Continue)                   |
| `/rig/locate`   | `bar:int`   | go to `bar`; playing: note-offs, Stop, SPP, Continue    |
| `/rig/tempo`    | `bpm:float` | tempo override from the next unscheduled tick           |
| `/rig/cue`      | `index:int` | cue `index` (0-based) of the set; at the next bar line  |
|                 |             | while playing, at once while stopped                    |
| `/rig/mute`     | `track:str` | mute a track now (its sounding notes get note-offs)     |
| `/rig/unmute`   | `track:str` | unmute a track                                          |
| `/rig/panic`    |             | every sink drops its queue, note-offs for all that sounds |
| `/rig/quit`     |             | stop cleanly and end the engine process                 |
| `/rig/status`   |             | reply `/rig/status` to the sender (below)               |

The `/rig/status` reply carries, in order: state (`"playing"`, `"stopped"`,
`"waiting"` — a set's "wait" transition: the next cue waits for `/rig/play` —,
`"ended"`), bar (int), beat (int, 1-based), bpm (float), late (int: events and
clock ticks handed over after their deadline), cue (int index), cue name (str),
missed clock ticks (int), dropped late notes (int), sounding notes (int), engine
CPU seconds (float, user+system of the engine process), muted tracks (str,
comma-separated).

The engine reads its socket without ever blocking and replies with a single
non-blocking `sendto`: a slow, busy or dead controller cannot hold it up. An
unknown address or bad argument is answered with `/rig/error message`.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

__all__ = [
    "HOST",
    "ADDRESSES",
    "Status",
    "encode",
    "decode",
    "ControlClient",
]

HOST = "127.0.0.1"

# address → argument types (a trailing "?" marks an optional argument)
ADDRESSES: dict[str, tuple[str, ...]] = {
    "/rig/play": ("int?",),
    "/rig/stop": (),
    "/rig/continue": (),
    "/rig/locate": ("int",),
    "/rig/tempo": ("float",),
    "/rig/cue": ("int",),
    "/rig/mute": ("str",),
    "/rig/unmute": ("str",),
    "/rig/panic": (),
    "/rig/quit": (),
    "/rig/status": (),
}


@dataclass(frozen=True, slots=True)
class Status:
    state: str
    bar: int
    beat: int
    bpm: float
    late: int
    cue: int
    cue_name: str = ""
    missed_clocks: int = 0
    dropped_notes: int = 0
    sounding: int = 0
    cpu_seconds: float = 0.0
    muted: str = ""

    def args(self) -> list:
        return [
            self.state, self.bar, self.beat, float(self.bpm), self.late, self.cue,
            self.cue_name, self.missed_clocks, self.dropped_notes, self.sounding,
            float(self.cpu_seconds), self.muted,
        ]  # fmt: skip

    @classmethod
    def from_args(cls, args: list) -> Status:
        return cls(*args[: len(cls.__slots__)])

    def line(self) -> str:
        """One line for the terminal."""
        text = f"{self.state:<8} {self.cue_name or '-'} bar {self.bar} beat {self.beat} "
        text += f"{self.bpm:6.2f} BPM  late {self.late}"
        if self.missed_clocks:
            text += f"  missed clocks {self.missed_clocks}"
        if self.muted:
            text += f"  muted {self.muted}"
        return text


def encode(address: str, *args: object) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def decode(datagram: bytes) -> tuple[str, list]:
    """(address, arguments) of one OSC message; ValueError if it is not one."""
    try:
        message = OscMessage(datagram)
    except Exception as exc:  # python-osc raises its own ParseError family
        raise ValueError(f"not an OSC message: {exc}") from exc
    return message.address, list(message.params)


class ControlClient:
    """The controller's end: sends commands, asks for status (never needed by the engine)."""

    def __init__(self, port: int, now: Callable[[], float] = time.monotonic):
        self.address = (HOST, port)
        self._now = now
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((HOST, 0))

    def send(self, address: str, *args: object) -> None:
        self._sock.sendto(encode(address, *args), self.address)

    def status(self, timeout: float = 1.0) -> Status | None:
        """Ask for and wait for a status reply; None if the engine does not answer."""
        self.send("/rig/status")
        deadline = self._now() + timeout
        while (left := deadline - self._now()) > 0:
            self._sock.settimeout(left)
            try:
                data = self._sock.recv(65536)
            except (TimeoutError, OSError):
                return None
            address, args = decode(data)
            if address == "/rig/status":
                return Status.from_args(args)
        return None

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

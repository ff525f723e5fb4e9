"""The engine's control protocol: OSC over UDP (the field's convention).

The engine binds 127.0.0.1 unless config.yaml says `osc: {open: true}` (then it
binds `osc.host`, e.g. 0.0.0.0, so a phone running TouchOSC on the same network
reaches it). Arguments in brackets are optional; bars are 1-based, cue and
section indexes 0-based. `quantize` is one of `now`, `beat`, `bar`, `section`,
`cue` (cue end): the action lands exactly on the first such boundary the engine
has not scheduled yet (`now` = within the lookahead, ~15 ms). While stopped,
every action applies at once.

    /rig/play     [bar:int]            play the current cue from bar 1 (Start) or from
                                       `bar` (SPP + Continue)
    /rig/resume   index:int bar:int    play cue `index` from `bar` (SPP + Continue) with no
                                       count-in: how the live host resumes a show whose
                                       engine it restarted (the show was already playing)
    /rig/stop                          note-offs for what sounds, then Stop (FC)
    /rig/continue                      resume where stopped (SPP + Continue)
    /rig/locate   bar:int              go to `bar`; playing: note-offs, Stop, SPP, Continue
    /rig/launch   index:int [quantize] launch cue `index` of the set (default: bar);
                                       stopped: play it now
    /rig/next     [quantize]           launch the next cue of the set (default: bar)
    /rig/cue      index:int            stopped: select cue `index`; playing: launch at the
                                       next bar
    /rig/cancel                        cancel the queued launch, section jump or reload
    /rig/section  name|index [quantize] jump to a section of the current cue (default: bar)
    /rig/mute     track:str [quantize] mute a track (default: now); what it sounds gets
                                       note-offs on the boundary
    /rig/unmute   track:str [quantize] unmute (the track comes in with its next note)
    /rig/solo     track:str [quantize] solo a track (several may be soloed)
    /rig/unsolo   track:str [quantize] take a track out of the solo
    /rig/tempo    bpm:float            tempo from the next unscheduled tick (until the
                                       next cue)
    /rig/nudge    delta:float          tempo up or down by `delta` BPM
    /rig/tap                           tap tempo: two taps set it; a 2 s pause starts over
    /rig/reload   bundle:str [quantize] swap in cues the controller compiled (a bundle
                                       file, `rig.engine.bundle`) at the boundary (default:
                                       bar), at the same bar of the new version; only
                                       a regular file of this user inside the live
                                       session's folder (EngineSpec.bundle_dir) is read
    /rig/voice    name:str file:str [quantize] swap in a new version of software voice
                                       `name` (a file the controller wrote,
                                       `rig.engine.bundle.write_voice`) at the boundary
                                       (default: bar); notes it holds then are released
    /rig/panic                         every sink drops its queue; note-offs for all
    /rig/quit                          stop cleanly and end the engine process
    /rig/status                        reply `/rig/status` (below) to the sender
    /rig/setlist                       reply `/rig/setlist`: set name, cue count, then per
                                       cue: name, transition, sections (comma-separated)
    /rig/fill     [bars|on|off] [quantize] the live fill control: `{fill}` conditions on
                                       from the boundary (default: bar) for `bars` bars,
                                       or held (`on`, no argument) until `off` (or 0) —
                                       a remote's button: 1 on press = one bar
    /rig/sync     source:str           while stopped: follow `internal`, `midi` (MIDI clock
                                       in), `link` (Ableton Link) or `mtc`; following MIDI,
                                       play/continue/locate come from the master

A remote that sends a button's value with an address that takes no argument
(TouchOSC sends 1.0 on press and 0.0 on release) triggers on the press only;
integer arguments may come as floats (`/rig/launch 3.0`).

The `/rig/status` reply carries, in order (see `Status`): state (`"playing"`,
`"stopped"`, `"waiting"` — a set's "wait" transition: the next cue waits for
`/rig/play` —, `"ended"`), bar, beat, bpm, late (events and clock ticks handed
over after their deadline), cue index, cue name, missed clock ticks, dropped late
notes, sounding notes, engine CPU seconds, muted tracks (comma-separated), soloed
tracks, section name, queued cue index (-1: nothing queued), queued kind
(`cue`, `section`, `reload`), the bar where it lands, what it is (cue or section
name), pending mutes (`op track@bar;...`), tracks (`name=device:status,...` with
status `hw` — its MIDI port is connected —, `stand-in` — the device's port is
missing and its software stand-in plays it —, `voice` — a software-voice track —,
or `none`: not heard), the last error, the number of cues, JACK xruns, reloads swapped
in, the engine's pid; then sync (`rig.timing.source.SyncStatus`): source, the
source's bpm, input jitter (ms RMS), phase error to the master (ms), master lost
(1 = flywheel), Link peers, sync error, Link bar phase (beats into the quantum);
then the JACK process cycles of the engine's MIDI client(s), the time spent in their
callbacks (µs, total) and the worst callback (µs; `rig bench clock` reads these);
then the performer's clock (cue and set elapsed/remaining, what comes next), the hand
tempo, where hot reloads stand (`reload_wait`, `reload_done`: by the file the
controller sent) and the fill control (`fill`, `fill_bar`).

The engine reads its socket without ever blocking and replies with a single
non-blocking `sendto`: a slow, busy or dead controller cannot hold it up. An
unknown address or bad argument is answered with `/rig/error message` (and kept
as the status's last error).
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as field_list

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from rig.timing.source import SyncStatus

__all__ = [
    "HOST",
    "ADDRESSES",
    "Status",
    "SetInfo",
    "encode",
    "decode",
    "ControlClient",
]

HOST = "127.0.0.1"

# address → argument types (a trailing "?" marks an optional argument; "any": str or int)
ADDRESSES: dict[str, tuple[str, ...]] = {
    "/rig/play": ("int?",),
    "/rig/resume": ("int", "int"),
    "/rig/stop": (),
    "/rig/continue": (),
    "/rig/locate": ("int",),
    "/rig/launch": ("int", "str?"),
    "/rig/next": ("str?",),
    "/rig/cue": ("int",),
    "/rig/cancel": (),
    "/rig/section": ("any", "str?"),
    "/rig/mute": ("str", "str?"),
    "/rig/unmute": ("str", "str?"),
    "/rig/solo": ("str", "str?"),
    "/rig/unsolo": ("str", "str?"),
    "/rig/tempo": ("float",),
    "/rig/nudge": ("float",),
    "/rig/tap": (),
    "/rig/reload": ("str", "str?"),
    "/rig/voice": ("str", "str", "str?"),
    "/rig/panic": (),
    "/rig/quit": (),
    "/rig/status": (),
    "/rig/setlist": (),
    "/rig/sync": ("str",),
    "/rig/fill": ("any?", "str?"),
}


_FLOATS = (
    "bpm",
    "cpu_seconds",
    "sync_bpm",
    "sync_jitter_ms",
    "sync_phase_ms",
    "sync_bar_phase",
    "callback_us",
    "callback_max_us",
    "cue_elapsed_s",
    "cue_remaining_s",
    "set_elapsed_s",
    "set_remaining_s",
    "bpm_set",
)


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
    soloed: str = ""
    section: str = ""
    queued_cue: int = -1
    queued_kind: str = ""
    queued_bar: int = 0
    queued_name: str = ""
    pending: str = ""
    tracks: str = ""
    last_error: str = ""
    cues: int = 1
    xruns: int = 0
    reloads: int = 0
    pid: int = 0
    sync_source: str = "internal"
    sync_bpm: float = 0.0
    sync_jitter_ms: float = 0.0
    sync_phase_ms: float = 0.0
    sync_lost: int = 0
    sync_peers: int = 0
    sync_error: str = ""
    sync_bar_phase: float = 0.0
    cycles: int = 0
    callback_us: float = 0.0
    callback_max_us: float = 0.0
    # The performer's clock (rig.engine.dispatch.timing): where the cue and the set are,
    # in seconds at the tempo that plays, and what comes next, in how many bars.
    cue_elapsed_s: float = 0.0
    cue_remaining_s: float = 0.0
    set_elapsed_s: float = 0.0
    set_remaining_s: float = 0.0
    next_name: str = ""  # the cue (or section) that comes next; "" at the set's end
    next_bars: int = -1  # bars until it starts; -1: not by itself (a "wait", the end)
    next_how: str = ""  # "cue", "section", "reload", or the set's transition ("bar", "wait")
    bpm_set: float = 0.0  # the tempo set by hand for this cue (tap, nudge); 0: as written
    # Hot reload, by the file a controller sent (rig.engine.landing): the oldest still
    # waiting (being read, or for its boundary) and the bar where it lands (0: not known
    # yet); the newest in effect, the bar of the playing cue where it took effect (0: at
    # once — stopped, or a cue not playing, which plays it from its next start; -1: it
    # failed, see last_error) and what it changed ("": nothing, the engine had it).
    reload_wait: str = ""
    reload_wait_bar: int = 0
    reload_done: str = ""
    reload_done_bar: int = 0
    reload_done_what: str = ""
    # The live fill control: "on" (fill_bar: the bar it ends at, 0: held), "queued"
    # (fill_bar: the bar it starts at) or "".
    fill: str = ""
    fill_bar: int = 0

    def args(self) -> list:
        return [
            float(v) if isinstance(v, float) else v
            for v in (getattr(self, name) for name in self.__slots__)
        ]

    @staticmethod
    def args_of(values: dict) -> list:
        """`Status(**values).args()` without building the status: the engine answers
        10 a second, and 60 frozen fields cost more to set than to list (~13 -> 4 µs)."""
        get = values.get
        return [
            float(v) if isinstance(v, float) else v
            for v in (get(name, default) for name, default in _STATUS_DEFAULTS)
        ]

    @classmethod
    def from_args(cls, args: list) -> Status:
        fields = list(args[: len(cls.__slots__)])
        for i, name in enumerate(cls.__slots__[: len(fields)]):
            if name in _FLOATS:
                fields[i] = float(fields[i])
        return cls(*fields)

    def track_list(self) -> list[tuple[str, str, str]]:
        """(track, device, status) from `tracks`."""
        out = []
        for item in filter(None, self.tracks.split(",")):
            name, _, rest = item.partition("=")
            device, _, state = rest.rpartition(":")
            out.append((name, device, state))
        return out

    def pending_list(self) -> list[tuple[str, str, int]]:
        """(op, track, bar) from `pending`."""
        out = []
        for item in filter(None, self.pending.split(";")):
            op, _, rest = item.partition(" ")
            track, _, bar = rest.rpartition("@")
            out.append((op, track, int(bar or 0)))
        return out

    def line(self) -> str:
        """One line for the terminal."""
        text = f"{self.state:<8} {self.cue_name or '-'} bar {self.bar} beat {self.beat} "
        text += f"{self.bpm:6.2f} BPM  late {self.late}"
        if self.missed_clocks:
            text += f"  missed clocks {self.missed_clocks}"
        if self.muted:
            text += f"  muted {self.muted}"
        if self.sync_source != "internal":
            text += "  " + self.sync().line()
        return text

    def sync(self) -> SyncStatus:
        """The sync fields as the UI shows them (`rig.timing.source.SyncStatus`)."""
        return SyncStatus(
            self.sync_source,
            self.sync_bpm,
            self.sync_jitter_ms,
            self.sync_phase_ms,
            bool(self.sync_lost),
            self.sync_peers,
            self.sync_error,
            self.sync_bar_phase,
        )


# (field, default) of every status field in order; the first six have none (`status`
# always gives them).
_STATUS_DEFAULTS = tuple((f.name, f.default) for f in field_list(Status))


@dataclass(frozen=True, slots=True)
class SetInfo:
    """The `/rig/setlist` reply: the set's cues, how each leads on, their sections,
    and the set's tracks — every track name of every cue, first appearance in set
    order: a track's slot there is its number on every surface, in every cue (the
    same key mutes the same instrument all night; issue 12, item 9)."""

    name: str
    cues: tuple[str, ...]
    transitions: tuple[str, ...]
    sections: tuple[tuple[str, ...], ...]
    tracks: tuple[str, ...] = ()

    def args(self) -> list:
        out: list = [self.name, len(self.cues)]
        for cue, how, sections in zip(self.cues, self.transitions, self.sections, strict=True):
            out += [cue, how, ",".join(sections)]
        return [*out, ",".join(self.tracks)]

    def slot(self, track: str) -> int | None:
        """The track's set-wide slot (0-based), None for a name the set does not have."""
        return self.tracks.index(track) if track in self.tracks else None

    @classmethod
    def from_args(cls, args: list) -> SetInfo:
        name, count, rest = str(args[0]), int(args[1]), args[2:]
        cues, hows, sections = [], [], []
        for i in range(count):
            cue, how, secs = rest[3 * i : 3 * i + 3]
            cues.append(str(cue))
            hows.append(str(how))
            sections.append(tuple(filter(None, str(secs).split(","))))
        extra = rest[3 * count :]
        tracks = tuple(filter(None, str(extra[0]).split(","))) if extra else ()
        return cls(name, tuple(cues), tuple(hows), tuple(sections), tracks)


_INT32 = struct.Struct(">i")
_FLOAT32 = struct.Struct(">f")


def _osc_string(text: str) -> bytes:
    data = text.encode()
    return data + b"\0" * (4 - len(data) % 4)


def encode(address: str, *args: object) -> bytes:
    """One OSC message, byte for byte as python-osc builds it (its type guesses).

    Strings, ints, floats, bools and None are packed here: python-osc's builder
    parses every message it builds again, which made a status reply cost ~0.5 ms of
    the engine's CPU (10 a second from `rig play` and the UI); anything else goes
    through python-osc."""
    if not address:
        raise ValueError("OSC addresses cannot be empty")
    tags, data = [","], []
    for arg in args:
        if isinstance(arg, str):
            tags.append("s")
            data.append(_osc_string(arg))
        elif arg is True or arg is False or arg is None:
            tags.append("T" if arg is True else "F" if arg is False else "N")
        elif isinstance(arg, int) and arg.bit_length() <= 31:
            tags.append("i")
            data.append(_INT32.pack(arg))
        elif isinstance(arg, float):
            tags.append("f")
            data.append(_FLOAT32.pack(arg))
        else:
            builder = OscMessageBuilder(address)
            for each in args:
                builder.add_arg(each)  # type: ignore[arg-type]
            return builder.build().dgram
    return _osc_string(address) + _osc_string("".join(tags)) + b"".join(data)


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
        self.errors: list[str] = []

    def send(self, address: str, *args: object) -> None:
        self._sock.sendto(encode(address, *args), self.address)

    def status(self, timeout: float = 1.0) -> Status | None:
        """Ask for and wait for a status reply; None if the engine does not answer."""
        reply = self.ask("/rig/status", timeout=timeout)
        return None if reply is None else Status.from_args(reply)

    def ask(self, address: str, *args: object, timeout: float = 1.0) -> list | None:
        """Send `address` and wait for the reply of the same address (its arguments).

        `/rig/error` replies that arrive meanwhile are kept in `errors`."""
        self.send(address, *args)
        deadline = self._now() + timeout
        while (left := deadline - self._now()) > 0:
            self._sock.settimeout(left)
            try:
                data = self._sock.recv(65536)
            except (TimeoutError, OSError):
                return None
            try:
                got, reply = decode(data)
            except ValueError:
                continue
            if got == address:
                return reply
            if got == "/rig/error" and reply:
                self.errors.append(str(reply[0]))
        return None

    def setlist(self, timeout: float = 1.0) -> SetInfo | None:
        reply = self.ask("/rig/setlist", timeout=timeout)
        return None if reply is None else SetInfo.from_args(reply)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

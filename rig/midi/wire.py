"""MIDI 1.0 wire facts in one table: status bytes, controller numbers, and events → bytes.

Every module that writes or reads MIDI bytes takes its numbers from here.

Channel messages are built from the event's own fields (channel 0..15). A
program change with a bank goes out as CC 0 (bank MSB), CC 32 (bank LSB), then
the program change, the order the MIDI spec and every synth here expect
(`reference/hardware.md`). Real-time transport: F8 clock at 24 PPQN, FA start,
FB continue, FC stop, F2 song position pointer counted in 16ths (6 clocks).

Typed until the wire: the engine hands its outputs `Message`s — the song's own
channel events (`NoteOn`, `NoteOff`, `ControlChange`, `ProgramChange`) and `System`
for clock, transport, song position and timecode — and only a MIDI sink turns them
into bytes (`encode`), as it writes them. Voices, the note tracker and the stand-in
fallback read the typed fields; nothing decodes bytes back into meaning, except
`decode` where raw bytes enter from outside (a test, `rig panic`, a recorder's wire).
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.song.events import PPQ, ControlChange, Event, NoteOff, NoteOn, ProgramChange

__all__ = [
    "CLOCK",
    "START",
    "CONTINUE",
    "STOP",
    "CLOCKS_PER_BEAT",
    "MTC_QUARTER_FRAME",
    "MTC_FULL_FRAME",
    "MTC_RATES",
    "SYSEX_END",
    "TICKS_PER_CLOCK",
    "TICKS_PER_SIXTEENTH",
    "NOTE_OFF",
    "NOTE_ON",
    "CONTROL",
    "PROGRAM",
    "STATUS_MASK",
    "CHANNEL_MASK",
    "SYSTEM",
    "BANK_SELECT",
    "CC_SUSTAIN",
    "CC_ALL_SOUND_OFF",
    "CC_ALL_NOTES_OFF",
    "RELEASE_VELOCITY",
    "event_bytes",
    "System",
    "Message",
    "CLOCK_MSG",
    "START_MSG",
    "CONTINUE_MSG",
    "STOP_MSG",
    "encode",
    "decode",
    "off_message",
    "all_notes_off_message",
    "note_off",
    "all_notes_off",
    "is_note_on",
    "is_note_off",
    "song_position",
    "spp_for_tick",
]

CLOCK = b"\xf8"
START = b"\xfa"
CONTINUE = b"\xfb"
STOP = b"\xfc"
SONG_POSITION = 0xF2
# MIDI timecode (rig.timing.mtc): quarter frame F1 0nnndddd; full frame SysEx
# F0 7F <device 7F = all> 01 01 hh mm ss ff F7; rate code in hh bits 5-6 / piece 7.
MTC_QUARTER_FRAME = 0xF1
MTC_FULL_FRAME = (0xF0, 0x7F, 0x7F, 0x01, 0x01)
MTC_RATES = {24: 0, 25: 1, 2997: 2, 30: 3}  # fps (2997 = 29.97 drop-frame) -> code
SYSEX_END = 0xF7

CLOCKS_PER_BEAT = 24
TICKS_PER_CLOCK = PPQ // CLOCKS_PER_BEAT  # 80
TICKS_PER_SIXTEENTH = PPQ // 4  # 480: one SPP unit ("MIDI beat") = 6 clocks

# Channel voice messages: status = kind | channel (0..15).
NOTE_OFF = 0x80
NOTE_ON = 0x90
CONTROL = 0xB0
PROGRAM = 0xC0
STATUS_MASK = 0xF0
CHANNEL_MASK = 0x0F
SYSTEM = 0xF0  # at or above: system common / real-time, no channel
# Controller numbers.
_BANK_MSB = 0
_BANK_LSB = 32
BANK_SELECT = (_BANK_MSB, _BANK_LSB)
CC_SUSTAIN = 64
CC_ALL_SOUND_OFF = 120
CC_ALL_NOTES_OFF = 123
# Release velocity for the note-offs rig makes up itself: 64 is the MIDI 1.0
# default for "no release velocity sensing".
RELEASE_VELOCITY = 64
_NOTE_OFF, _NOTE_ON, _CONTROL, _PROGRAM = NOTE_OFF, NOTE_ON, CONTROL, PROGRAM


def note_off(channel: int, note: int) -> bytes:
    """An explicit Note Off (8n, release velocity 64): many synths ignore All Notes Off."""
    return bytes((NOTE_OFF | (channel & CHANNEL_MASK), note & 0x7F, RELEASE_VELOCITY))


def all_notes_off(channel: int, *, sound_off: bool = False) -> bytes:
    """CC 123 All Notes Off (or CC 120 All Sound Off) on `channel`."""
    number = CC_ALL_SOUND_OFF if sound_off else CC_ALL_NOTES_OFF
    return bytes((CONTROL | (channel & CHANNEL_MASK), number, 0))


def is_note_on(data: bytes) -> bool:
    """True for a Note On with velocity > 0."""
    return len(data) >= 3 and data[0] & STATUS_MASK == NOTE_ON and data[2] > 0


def is_note_off(data: bytes) -> bool:
    """True for a Note Off, or a Note On with velocity 0."""
    if len(data) < 3:
        return False
    kind = data[0] & STATUS_MASK
    return kind == NOTE_OFF or (kind == NOTE_ON and data[2] == 0)


def event_bytes(event: Event) -> list[bytes]:
    """The MIDI messages of one event, in send order; [] for non-MIDI events."""
    if isinstance(event, NoteOn):
        return [bytes((_NOTE_ON | event.channel, event.note, event.velocity))]
    if isinstance(event, NoteOff):
        return [note_off(event.channel, event.note)]
    if isinstance(event, ControlChange):
        return [bytes((_CONTROL | event.channel, event.control, event.value))]
    if isinstance(event, ProgramChange):
        out = []
        if event.bank_msb is not None:
            out.append(bytes((_CONTROL | event.channel, _BANK_MSB, event.bank_msb)))
        if event.bank_lsb is not None:
            out.append(bytes((_CONTROL | event.channel, _BANK_LSB, event.bank_lsb)))
        out.append(bytes((_PROGRAM | event.channel, event.program)))
        return out
    return []  # tempo, meter, section markers drive the engine, not the wire


def spp_for_tick(tick: int) -> int:
    """The Song Position Pointer value (16ths from the song start) at or after `tick`.

    SPP resolves only to 16ths; a position between 16ths is rounded up so the
    receiver never starts before the requested point.
    """
    return -(-tick // TICKS_PER_SIXTEENTH)


def song_position(sixteenths: int) -> bytes:
    """F2 lsb msb: a 14-bit count of 16th notes (0..16383, about 1024 bars of 4/4)."""
    if not 0 <= sixteenths <= 0x3FFF:
        raise ValueError(f"song position {sixteenths} is outside 0..16383 sixteenths")
    return bytes((SONG_POSITION, sixteenths & 0x7F, sixteenths >> 7))


@dataclass(frozen=True, slots=True)
class System:
    """A system message (clock, transport, song position, timecode, SysEx): for the
    wire and the receivers that follow it; no voice or note tracker reads it."""

    data: bytes


Message = NoteOn | NoteOff | ControlChange | ProgramChange | System

CLOCK_MSG = System(CLOCK)
START_MSG = System(START)
CONTINUE_MSG = System(CONTINUE)
STOP_MSG = System(STOP)


def off_message(channel: int, note: int, track: str = "", tick: int = 0) -> NoteOff:
    """The explicit note-off for (channel, note) as a typed message."""
    return NoteOff(tick, track, channel, note)


def all_notes_off_message(channel: int) -> ControlChange:
    """CC 123 All Notes Off on `channel` as a typed message."""
    return ControlChange(0, "", channel, CC_ALL_NOTES_OFF, 0)


def encode(msg: Message) -> list[bytes]:
    """The wire bytes of `msg`: one message, or bank select + program change."""
    if isinstance(msg, System):
        return [msg.data]
    return event_bytes(msg)


def decode(data: bytes) -> Message:
    """One complete MIDI message from outside as a typed message (the wire's far side,
    or raw bytes handed to a sink). A Note On with velocity 0 is a Note Off."""
    status = data[0]
    kind, channel = status & STATUS_MASK, status & CHANNEL_MASK
    if status < SYSTEM and len(data) >= 3:
        if kind == NOTE_ON and data[2] > 0:
            return NoteOn(0, "", channel, data[1], data[2])
        if kind in (NOTE_ON, NOTE_OFF):
            return NoteOff(0, "", channel, data[1])
        if kind == CONTROL:
            return ControlChange(0, "", channel, data[1], data[2])
    if kind == PROGRAM and status < SYSTEM and len(data) >= 2:
        return ProgramChange(0, "", channel, data[1])
    return System(bytes(data))

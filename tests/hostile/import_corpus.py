"""A hostile corpus for `rig import`: MIDI files a stranger, a broken disk or a careless
export could hand it (empty, truncated, not MIDI at all, absurd headers and meters,
special files, names that are escape sequences or YAML words).

Written from the outside, like corpus.py: each case is a folder of files, the file to
import, the exit code it must give and a phrase its answer must contain. What every
case must satisfy (bounded time, no traceback, one line naming the file on failure,
no raw control character, no half-written output) is checked by test_import_files.py.
"""

from __future__ import annotations

import io
import struct

import mido

from .corpus import FIFO, SOCKET, Case, Link

__all__ = ["import_cases"]


def smf(
    tracks: list[list[mido.Message | mido.MetaMessage]], kind: int = 1, ppq: int = 480
) -> bytes:
    midi = mido.MidiFile(type=kind, ticks_per_beat=ppq, charset="utf-8")
    for messages in tracks:
        midi.tracks.append(mido.MidiTrack(messages))
    buf = io.BytesIO()
    midi.save(file=buf)
    return buf.getvalue()


def notes(name: str = "keys", channel: int = 0) -> list:
    return [
        mido.MetaMessage("track_name", name=name),
        mido.Message("note_on", note=60, velocity=90, channel=channel, time=7),
        mido.Message("note_off", note=60, channel=channel, time=400),
        mido.Message("note_on", note=64, velocity=70, channel=channel, time=33),
        mido.Message("note_off", note=64, channel=channel, time=200),
    ]


GOOD = smf([[mido.MetaMessage("set_tempo", tempo=500000)], notes()])


def chunk(kind: bytes, body: bytes, length: int | None = None) -> bytes:
    return kind + struct.pack(">I", len(body) if length is None else length) + body


def header(kind: int = 1, tracks: int = 1, division: int = 480) -> bytes:
    return chunk(b"MThd", struct.pack(">HHH", kind, tracks, division))


def case(name: str, data: object, code: int, says: str, **more: object) -> Case:
    files = {"take.mid": data, **more}
    return Case(name, files, "take.mid", code, says)


def import_cases() -> list[Case]:
    cut = GOOD[: len(GOOD) - 9]
    return [
        case("empty file", b"", 1, "not a Standard MIDI File"),
        case("a song, not MIDI", "cue: Test\ntempo: 120\n", 1, "not a Standard MIDI File"),
        case("a WAV file", b"RIFF\x24\x00\x00\x00WAVEfmt ", 1, "not a Standard MIDI File"),
        case("header cut short", b"MThd\x00\x00\x00\x06\x00\x01", 1, "take.mid: "),
        case("good file cut mid-track", cut, 1, "truncated MIDI file"),
        case(
            "track length past the end",
            header() + chunk(b"MTrk", b"\x00\x90\x3c", 999),
            1,
            "take.mid: ",
        ),
        case("no tracks at all", header(tracks=0), 1, "no notes to import"),
        case(
            "SMPTE division",
            header(division=0xE728) + chunk(b"MTrk", b"\x00\xff\x2f\x00"),
            1,
            "SMPTE time division",
        ),
        case(
            "zero ticks per beat",
            header(division=0) + chunk(b"MTrk", b"\x00\xff\x2f\x00"),
            1,
            "0 ticks per beat",
        ),
        case("type 2", smf([notes(), notes()], kind=2), 1, "type 2"),
        case(
            "running status without a status",
            header() + chunk(b"MTrk", b"\x00\x3c\x40"),
            1,
            "take.mid: ",
        ),
        case(
            "delta times past 20 000 bars",
            header() + chunk(b"MTrk", b"\x8f\xff\xff\x7f\x90\x3c\x40" * 40 + b"\x00\xff\x2f\x00"),
            1,
            "runs past 20 000 bars",
        ),
        case(
            "meter 0/4",
            smf([[mido.MetaMessage("time_signature", numerator=0)], notes()]),
            1,
            "outside rig's meters",
        ),
        case(
            "meter over 2^200",
            header()
            + chunk(
                b"MTrk",
                b"\x00\xff\x58\x04\x04\xc8\x18\x08" + b"\x00\x90\x3c\x40\x10\x80\x3c\x00"
                b"\x00\xff\x2f\x00",
            ),
            1,
            "outside rig's meters",
        ),
        case(
            "only a tempo, no notes",
            smf([[mido.MetaMessage("set_tempo", tempo=400000)]]),
            1,
            "no notes to import",
        ),
        case(
            "tempo of 0 µs and a data byte over 127",
            header()
            + chunk(
                b"MTrk",
                b"\x00\xff\x51\x03\x00\x00\x00\x00\x90\x3c\xff\x60\x80\x3c\x00\x00\xff\x2f\x00",
            ),
            0,
            "wrote",
        ),
        case(
            "a note never let go",
            smf(
                [
                    [
                        mido.Message("note_on", note=40, velocity=64),
                        mido.MetaMessage("text", text="end", time=960),
                    ]
                ]
            ),
            0,
            "wrote",
        ),
        case(
            "names that are escape sequences and YAML words",
            smf(
                [
                    [mido.MetaMessage("track_name", name="\x1b[2J\x1b]0;pwned\x07")],
                    notes("yes"),
                    notes("- [x]: {a}", 1),
                    notes("\x1b[31mred", 2),
                    notes("null", 3),
                ]
            ),
            0,
            "wrote",
        ),
        case("a FIFO named take.mid", FIFO, 1, "is a FIFO"),
        case("a socket named take.mid", SOCKET, 1, "is a socket"),
        case("a folder named take.mid", None, 1, "take.mid: "),
        case("a dangling link", Link("nowhere.mid"), 1, "take.mid: No such file"),
        case("a link loop", Link("take.mid"), 1, "take.mid: "),
        case("over 16 MiB", b"MThd" + b"\x00" * (16 << 20), 1, "is larger than 16 MiB"),
    ]

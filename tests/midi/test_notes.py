"""Note bookkeeping: re-trigger, release, forget, velocity-0 offs; the recording sink."""

from __future__ import annotations

import pytest

from rig.midi.notes import NoteTracker, is_note_off, is_note_on, note_off, sounding_after
from rig.midi.sink import RecordingSink, Sink, check_message
from rig.midi.wire import decode, encode, off_message
from rig.song.events import NoteOn

ON = 0x90
OFF = 0x80


def on(note: int, ch: int = 0, vel: int = 100) -> bytes:
    return bytes((ON | ch, note, vel))


def off(note: int, ch: int = 0) -> bytes:
    return bytes((OFF | ch, note, 0))


def ton(note: int, ch: int = 0, vel: int = 100) -> NoteOn:
    """The typed note-on the tracker reads (the engine's messages are typed)."""
    return NoteOn(0, "", ch, note, vel)


def test_retrigger_sends_the_note_off_first() -> None:
    t = NoteTracker()
    assert t.deliver(ton(60)) == (ton(60),)
    assert t.deliver(ton(60, vel=90)) == (off_message(0, 60), ton(60, vel=90))
    assert t.sounding() == [(0, 60)]


def test_same_note_on_another_channel_is_another_note() -> None:
    t = NoteTracker()
    t.deliver(ton(60, ch=0))
    assert t.deliver(ton(60, ch=1)) == (ton(60, ch=1),)
    assert t.sounding() == [(0, 60), (1, 60)]


def test_velocity_zero_is_a_note_off() -> None:
    t = NoteTracker()
    t.deliver(ton(64, ch=3))
    t.deliver(decode(bytes((ON | 3, 64, 0))))  # a receiver's wire: velocity 0 is an off
    assert t.sounding() == []
    assert is_note_off(bytes((ON, 1, 0))) and not is_note_on(bytes((ON, 1, 0)))


def test_release_gives_explicit_offs_then_cc123_per_channel() -> None:
    t = NoteTracker()
    for msg in (ton(60), ton(64), ton(36, ch=9)):
        t.deliver(msg)
    out = [b for m in t.release() for b in encode(m)]
    assert out == [
        note_off(0, 60),
        note_off(0, 64),
        note_off(9, 36),
        b"\xb0\x7b\x00",
        b"\xb9\x7b\x00",
    ]
    assert t.sounding() == [] and t.release() == []


def test_forget_sends_nothing() -> None:
    t = NoteTracker()
    t.deliver(ton(60))
    t.forget()
    assert t.release() == []


def test_a_returning_receiver_gets_offs_for_what_it_held() -> None:
    t = NoteTracker()
    t.deliver(ton(60))
    t.deliver(ton(64))
    t.forget()  # the receiver vanished holding 60 and 64
    t.deliver(ton(67))  # sent while it was away
    assert t.reconnected() == [off_message(0, 60), off_message(0, 64), off_message(0, 67)]
    assert t.reconnected() == [] and t.sounding() == []


def test_other_messages_pass_untouched() -> None:
    t = NoteTracker()
    for data in (b"\xf8", b"\xfa", b"\xb0\x4a\x40", b"\xc0\x05", b"\xf2\x10\x00"):
        msg = decode(data)
        assert t.deliver(msg) == (msg,) and encode(msg) == [data]
    assert len(t) == 0


def test_sounding_after_counts_a_receivers_view() -> None:
    stream = [on(60), on(62), off(60), on(62), bytes((ON, 62, 0))]
    assert sounding_after(stream) == []
    assert sounding_after([on(60), on(61), off(61)]) == [(0, 60)]


def test_recording_sink_panic_and_close_leave_nothing_sounding() -> None:
    now = iter(range(1000, 2000)).__next__
    sink = RecordingSink("fake", now=now)
    assert isinstance(sink, Sink)
    sink.open()
    sink.send(10, on(60))
    sink.send(20, on(60))
    sink.send(30, on(67, ch=2))
    assert sink.messages[:3] == [(10, on(60)), (20, note_off(0, 60)), (20, on(60))]
    sink.panic()
    assert sounding_after(m for _, m in sink.messages) == []
    sink.send(40, on(48))
    sink.close()
    sink.close()  # idempotent
    msgs = sink.messages
    assert sounding_after(m for _, m in msgs) == []
    assert msgs[-2:] == [(1001, note_off(0, 48)), (1001, b"\xb0\x7b\x00")]


@pytest.mark.parametrize("bad", [b"", b"\x3c\x40", b"\x90\x90\x40"])
def test_check_message_refuses_running_status_and_garbage(bad: bytes) -> None:
    with pytest.raises(ValueError):
        check_message(bad)


def test_check_message_allows_sysex() -> None:
    assert check_message(bytearray(b"\xf0\x00\x20\x33\xf7")) == b"\xf0\x00\x20\x33\xf7"

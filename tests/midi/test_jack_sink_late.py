"""The JACK sink's lateness rule, offline (a fake port buffer, cycles on a frame
timeline): after an xrun skipped its frames, only note-ons (beyond `drop_late_ns`)
and stale clock ticks are dropped; transport messages — the SPP and Continue a
restarted engine resumes with, Start, Stop — and note-offs go out however late, at
the cycle's first frame, in order (a lost SPP or Continue leaves a follower stopped;
rig.midi.jack_sink)."""

from __future__ import annotations

from rig.midi.jack_sink import JackSink
from rig.midi.wire import CLOCK_MSG, CONTINUE_MSG, START_MSG, STOP_MSG, System, song_position
from rig.song.events import NoteOff, NoteOn
from rig.timing.timeline import FrameCycle, Timeline

RATE = 48_000
MS = 1_000_000


class _Host:
    """What a sink reads of its `JackHost` in a cycle."""

    def __init__(self) -> None:
        self.timeline = Timeline(RATE)
        self.queued = False


def _sink() -> tuple[JackSink, list[tuple[int, bytes]]]:
    written: list[tuple[int, bytes]] = []

    def write(buf: object, offset: int, data: bytes, size: int) -> int:
        written.append((offset, bytes(data[:size])))
        return 0

    sink = JackSink("late", "nobody:in", host=_Host())  # type: ignore[arg-type]
    sink._open = True  # not registered with JACK: the process callback alone
    sink._port = object()
    sink._direct = (lambda nframes: "buffer", lambda buf: None, write)
    return sink, written


def test_after_an_xrun_only_late_note_ons_and_stale_ticks_are_dropped():
    sink, written = _sink()
    timeline = sink.host.timeline
    at = timeline.ns_of(48_000)  # the messages' frame: 1 s on the timeline
    sent = [
        System(song_position(32)),
        CONTINUE_MSG,
        START_MSG,
        CLOCK_MSG,
        NoteOn(0, "bass", 0, 36, 100),
        NoteOff(0, "bass", 0, 24),
        STOP_MSG,
    ]
    for msg in sent:
        sink.send(at, msg)
    # The next cycle the sink runs starts 200 ms later (an xrun skipped the frames).
    late_frame = 48_000 + 200 * RATE // 1000
    sink._process(FrameCycle(late_frame, 64, timeline))
    assert written == [
        (0, bytes((0xF2, 32, 0))),
        (0, b"\xfb"),
        (0, b"\xfa"),
        (0, bytes((0x80, 24, 64))),
        (0, b"\xfc"),
    ]
    assert sink.dropped == 1 and sink.stale_clocks == 1 and sink.late == 5


def test_on_time_nothing_is_dropped():
    sink, written = _sink()
    timeline = sink.host.timeline
    at = timeline.ns_of(48_010)
    for msg in (System(song_position(32)), CONTINUE_MSG, CLOCK_MSG, NoteOn(0, "b", 0, 36, 100)):
        sink.send(at, msg)
    sink._process(FrameCycle(48_000, 64, timeline))
    assert [offset for offset, _ in written] == [10, 10, 10, 10]
    assert sink.dropped == 0 and sink.stale_clocks == 0 and sink.late == 0

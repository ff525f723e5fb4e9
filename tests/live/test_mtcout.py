"""MTC out in step with the engine (offline twin): every quarter frame of ten minutes is
decoded and lands where the engine's own clock says; locates send a full frame."""

from __future__ import annotations

import pytest

from rig.engine.mtcout import MtcSender
from rig.engine.sync import FollowClock
from rig.engine.transport import Engine
from rig.midi.sink import RecordingSink
from rig.song.arrangement import Arrangement, SectionSpan
from rig.song.events import PPQ
from rig.song.tempomap import TempoMap
from rig.timing.mtc import MtcReader, full_frame, parse_timecode

MS = 1_000_000


def long_cue(bars: int) -> Arrangement:
    sections = [SectionSpan("a", 0, bars * 4 * PPQ, 1, bars, 4, 4)]
    return Arrangement("long", [], TempoMap.constant(120.0), sections, [], bars * 4 * PPQ)


def make(bars: int, fps: int):
    now = [10**9]
    cue = long_cue(bars)
    engine = Engine([cue], {}, clock=FollowClock(cue.tempo))
    sink = RecordingSink("mtc", now=lambda: now[0])
    sink.open()
    return now, engine, sink, MtcSender(engine, sink, fps)


@pytest.mark.slow
@pytest.mark.parametrize("fps", [25, 2997])
def test_ten_minutes_of_quarter_frames_do_not_drift(fps):
    now, engine, sink, mtc = make(310, fps)
    engine.play(now[0])
    downbeat = engine.clock.ns_at(0)
    while now[0] < downbeat + 600 * 10**9:
        now[0] += 10 * MS
        engine.pump(now[0])
        mtc.pump(now[0])
    messages = sink.messages
    assert messages[0][1][:5] == bytes([0xF0, 0x7F, 0x7F, 0x01, 0x01])
    reader = MtcReader()
    worst = 0.0
    for when, data in messages:
        reader.feed(data, when)
        if reader.locked and data[0] == 0xF1:
            expected = 3600 + (when - downbeat) / 1e9
            worst = max(worst, abs(reader.seconds_at(when) - expected))
    quarters = [m for m in messages if m[1][0] == 0xF1]
    per_second = 100 if fps == 25 else 30000 / 1001 * 4
    assert abs(len(quarters) - 600 * per_second) <= 2
    assert reader.errors == 0
    assert worst < 1e-6  # not a quarter frame (10 ms) of drift: ns rounding only


def test_locate_while_playing_sends_a_full_frame():
    now, engine, sink, mtc = make(16, 25)
    engine.play(now[0])
    for _ in range(100):
        now[0] += MS
        engine.pump(now[0])
        mtc.pump(now[0])
    engine.locate(now[0], 5)  # bar 5 at 120 BPM = 8 s into the song
    for _ in range(100):
        now[0] += MS
        engine.pump(now[0])
        mtc.pump(now[0])
    fulls = [d for _, d in sink.messages if d[0] == 0xF0]
    assert fulls == [
        full_frame(parse_timecode("01:00:00:00")),
        full_frame(parse_timecode("01:00:08:00")),
    ]
    engine.stop(now[0])
    count = len(sink.messages)
    now[0] += 100 * MS
    engine.pump(now[0])
    mtc.pump(now[0])
    assert len(sink.messages) == count  # stopped: no more quarter frames

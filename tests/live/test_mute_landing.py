"""The JACK mute test's check (`check_mutes`) on the offline twin, where the mute's
arrival is chosen: early in a beat (the chord is cut on the next beat) or after the
bar's last beat was handed over — a command that reached the engine late, as a
contended core delivers one in freewheel. A beat mute then lands on the next bar
line, the first beat boundary the engine can still reach: the chord plays to its own
end (10 ticks before the line, not a clock frame) and the next one is never struck.

The check once took that own end for "one clock tick before the bar line" (true at
PPQ 240, not at 1920) and failed on it (results/jack-test-wall.md).
"""

from __future__ import annotations

import pytest

from rig.engine.transport import Engine
from rig.midi.sink import RecordingSink
from rig.song.events import PPQ
from tests.live.test_live_jack import BPM, check_mutes, song
from tests.support.clock import MS, FakeTime
from tests.support.live import DOWNBEAT, advance, timeline

RATE = 48_000
BEAT_NS = round(60e9 / BPM)
BAR_NS = 4 * BEAT_NS
HANDED_OVER_NS = 30 * MS  # past the scheduler's lookahead: that tick is handed over


def frame_events(sink: RecordingSink) -> list[tuple[int, bytes]]:
    """The sink's messages as (frame, bytes), as the JACK recorder gives them."""
    return [(round(ns * RATE / 1e9), bytes(d)) for ns, d in timeline(sink)]


@pytest.mark.parametrize(
    "into_bar_two_ns, cut_at",
    [
        (BEAT_NS + 100 * MS, "beat 3"),  # at (2, 2), as the JACK test sends it
        (3 * BEAT_NS + HANDED_OVER_NS, "bar line"),  # beat 4 already handed over
    ],
)
def test_a_beat_mute_lands_on_a_beat_even_when_it_arrives_late(into_bar_two_ns, cut_at):
    time = FakeTime()
    sink = RecordingSink("synth", now=time.now_ns)  # one device, with clock, as there
    sink.open()
    engine = Engine([song("one", 64, 36)], {"synth": sink}, clock_latency_ms={"synth": 0.0})
    engine.play(time.now)
    advance(engine, time, DOWNBEAT - time.now + BAR_NS + into_bar_two_ns, step=MS)
    engine.mute(time.now, "keys", "beat")
    tick, _op, _track = engine.view.pending(-1)[0]
    assert tick == (PPQ * 4 * 2 if cut_at == "bar line" else PPQ * 4 + 2 * PPQ)
    advance(engine, time, 3 * BAR_NS)
    engine.unmute(time.now, "keys", "bar")
    advance(engine, time, 2 * BAR_NS)
    engine.stop(time.now)
    advance(engine, time, 100 * MS)
    check_mutes(frame_events(sink))

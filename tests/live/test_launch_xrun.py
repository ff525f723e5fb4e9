"""A launch across a stall on the offline twin: the set never ends at a launch.

The tmux launch test once showed SET ENDED on cue 3/3 at `cue 0:00 −1:42` (914 xruns)
where it waited for the queued "launch Third Rail" (results/jack-test-wall.md). Here
the engine's side of that: a frame jump (an xrun, as `FrameLoop` handles one) right
over the launch boundary still plays the launched 64-bar cue from its top, and that
status — ended, the last cue, at 0:00 with its whole 1:42 left — is what the engine
shows only once the launched cue has played to its end (the test's 120 s wait is longer
than the cue: a loaded machine had polled or captured the screen only after the bar,
so the transient queued line was never seen; the test now takes either).
"""

from __future__ import annotations

import pytest

from rig.engine.dispatch import status
from tests.support.clock import MS, FakeTime
from tests.support.live import DOWNBEAT, advance, cue, make, ons

BPM = 150.0
BAR_NS = round(4 * 60e9 / BPM)
CUE_S = 64 * 4 * 60 / BPM  # 102.4 s: the "−1:42"


@pytest.mark.parametrize("stall_bars", [0, 1, 3])
def test_a_stall_over_the_launch_boundary_plays_the_launched_cue(stall_bars):
    time = FakeTime()
    cues = [cue(name, 64, base=b, bpm=BPM) for name, b in (("one", 36), ("two", 40), ("three", 43))]
    engine, sinks = make(cues, time, transitions=("wait", "wait"))
    engine.play(time.now)
    advance(engine, time, DOWNBEAT - time.now + BAR_NS // 2)  # bar 1, beat 3
    engine.launch(time.now, 2, "bar")
    assert engine.queued is not None and engine.queued_bar() == 2
    # The engine process stalls from here to past the boundary (bar 2's line).
    missed_from = time.now
    time.now = DOWNBEAT + BAR_NS + stall_bars * BAR_NS + 7 * MS
    engine.scheduler.after_xrun(time.now, missed_from)
    engine.pump(time.now)
    now = status(engine, time.now)
    assert (now.state, now.cue) == ("playing", 2)
    assert now.bar == 1 + stall_bars
    advance(engine, time, 4 * BAR_NS)
    now = status(engine, time.now)
    assert (now.state, now.cue, now.bar) == ("playing", 2, 5 + stall_bars)
    # Its bars from the one the stall ended in (the missed ones too late to play).
    heard = {n for _, n in ons(sinks["mono"], 0) if n >= 43}
    assert heard == {43 + b for b in range(stall_bars, 5 + stall_bars)}
    # Played to its end, the set ends there: the screen the tmux test saw.
    advance(engine, time, 64 * BAR_NS)
    now = status(engine, time.now)
    assert (now.state, now.cue, now.bar) == ("ended", 2, 1)
    assert now.cue_elapsed_s == 0 and abs(now.cue_remaining_s - CUE_S) < 1e-6

"""The frame loop skips pumps that would hand over nothing (`rig.engine.cycle.next_due`,
`CueView.next_due`): the same messages on the same frames as an engine pumped in every
cycle, far fewer pumps, and a command sees the transport as regular pumps would have
left it (`rig.engine.cycle.catch_up`). Offline, without JACK; the JACK freewheel tests run the
same loop on a server."""

from __future__ import annotations

import pytest

from rig.engine.cycle import FrameLoop
from rig.engine.transport import Engine
from rig.midi.sink import RecordingSink
from rig.midi.wire import CLOCK
from rig.timing.timeline import ORIGIN_NS, Timeline
from tests.support.live import cue

RATE, PERIOD, ORIGIN = 48000, 64, 5_000


class CycleTime:
    """The sinks' and the engine's `now`: the first frame of the next cycle."""

    def __init__(self, line: Timeline) -> None:
        self.line = line
        self.frame = 0

    def now_ns(self) -> int:
        return self.line.ns_of(self.frame) if self.frame else ORIGIN_NS


def engine(clocked: bool, time: CycleTime, bars: int = 4) -> tuple[Engine, dict]:
    sinks = {d: RecordingSink(d, now=time.now_ns) for d in ("virus", "mono")}
    for s in sinks.values():
        s.open()
    clock = {"mono": 0.0} if clocked else {}
    return Engine([cue("one", bars)], sinks, clock_latency_ms=clock, run_on=False), sinks


def play_both(clocked: bool, commands) -> tuple[dict, dict, FrameLoop, int]:
    """The same cue and commands (cycle index -> f(engine, now_ns)) twice: through a
    `FrameLoop` (pumps skipped) and pumped at the start of every cycle."""
    line = Timeline(RATE, ORIGIN)
    skip_time, every_time = CycleTime(line), CycleTime(line)
    skipping, skip_sinks = engine(clocked, skip_time)
    every, every_sinks = engine(clocked, every_time)
    loop = FrameLoop(skipping, line, first_frame=PERIOD)
    cycles = 5 * RATE // PERIOD  # 5 s: two bars at 120 BPM, the end, and after it
    for k in range(1, cycles):
        frame = k * PERIOD
        if k in commands:
            with loop.lock:
                commands[k](skipping, loop.now_ns())
            commands[k](every, line.ns_of(frame))
        skip_time.frame = every_time.frame = frame
        loop(line.cycle((ORIGIN + frame) % (1 << 32), PERIOD))
        skip_time.frame = frame + PERIOD
        every.pump(line.ns_of(frame), hooks=False)
        every_time.frame = frame + PERIOD
    return skip_sinks, every_sinks, loop, cycles


def play(engine: Engine, now_ns: int) -> None:
    engine.play(now_ns)


def mute_bass_at_the_bar(engine: Engine, now_ns: int) -> None:
    engine.mute(now_ns, "bass", quantize="bar")


@pytest.mark.parametrize("clocked", [True, False], ids=["clock", "no clock"])
def test_skipped_pumps_put_every_message_on_the_frame_a_pump_every_cycle_puts_it(clocked):
    skip_sinks, every_sinks, loop, cycles = play_both(
        clocked, {10: play, 1500: mute_bass_at_the_bar}
    )
    for device, sink in skip_sinks.items():
        assert sink.messages == every_sinks[device].messages, device
    sent = [d for s in skip_sinks.values() for _, d in s.messages]
    assert (CLOCK in sent) == clocked and len(sent) >= 50
    # A pump every lookahead (15 ms: ~10 cycles) before; now one where something is due:
    # at most one a clock tick (20.8 ms at 120 BPM) with clock, far fewer without.
    assert loop.pumps < cycles // (13 if clocked else 30)
    assert loop.errors == 0 and loop.jumps == 0


def test_a_command_after_skipped_pumps_sees_the_first_tick_not_handed_over_ahead_of_now():
    """Without clock the 16ths leave ~60 ms gaps; a tempo change starts at the first tick
    not handed over (`Scheduler.set_bpm`), which must not lie behind the transport."""
    line = Timeline(RATE, ORIGIN)
    time = CycleTime(line)
    eng, _ = engine(False, time)
    loop = FrameLoop(eng, line, first_frame=PERIOD)
    lags = 0
    for k in range(1, 3 * RATE // PERIOD):
        frame = k * PERIOD
        time.frame = frame
        if k == 10:
            with loop.lock:
                eng.play(loop.now_ns())
        elif k > 100 and k % 7 == 0:
            lags += loop._lagging
            with loop.lock:
                now = loop.now_ns()
                assert eng.scheduler.next_tick >= eng.clock.tick_at(now)
        loop(line.cycle((ORIGIN + frame) % (1 << 32), PERIOD))
    assert lags > 10  # the commands did come while pumps were being skipped


def test_a_status_asked_under_reading_makes_no_cycle_pump_and_a_command_does():
    """The status (10 a second from `rig play` and the UI) is a question: under the
    loop's `reading` lock it makes no pump, and a quiet cycle does not wait for it; a
    command under `lock` makes the next one pump, and a cycle meanwhile waits for it."""
    from rig.engine.dispatch import status

    line = Timeline(RATE, ORIGIN)
    time = CycleTime(line)
    eng, _ = engine(True, time)
    loop = FrameLoop(eng, line, first_frame=PERIOD)
    frame = PERIOD

    def cycles(count: int) -> None:
        nonlocal frame
        for _ in range(count):
            time.frame = frame
            loop(line.cycle((ORIGIN + frame) % (1 << 32), PERIOD))
            frame += PERIOD

    cycles(10)
    with loop.lock:
        eng.play(loop.now_ns())
    cycles(200)
    pumps = loop.pumps
    while loop.pumps == pumps:  # up to a pump: it covers the next ten cycles at least
        cycles(1)
    pumps = loop.pumps
    for i in range(6):
        with loop.reading:
            assert status(eng, loop.now_ns()).state == "playing"
            if i % 2:  # JACK's thread meanwhile: a quiet cycle runs on (no wait)
                assert loop.quiet(frame, PERIOD)
        if not i % 2:
            assert loop.quiet(frame, PERIOD)  # no pump due: the status changed nothing
        frame += PERIOD
    assert loop.pumps == pumps
    with loop.lock:
        assert not loop.quiet(frame, PERIOD)  # a command in progress: the loop's path
        eng.mute(loop.now_ns(), "bass", quantize="bar")
    assert not loop.quiet(frame, PERIOD)
    cycles(1)
    assert loop.pumps == pumps + 1

"""The engine on the frame timeline, without JACK: `FrameLoop` driven by made-up
process cycles (the offline twin of the JACK callback), and `Timeline`'s arithmetic."""

from __future__ import annotations

from rig.engine.cycle import FrameLoop
from rig.midi.notes import sounding_after
from rig.midi.wire import CLOCK
from rig.timing.timeline import ORIGIN_NS, Timeline
from tests.support.live import cue, make

RATE, PERIOD = 48000, 64


class FrameTime:
    """The RecordingSinks' `now`: the loop's next cycle (what the engine sees)."""

    def __init__(self) -> None:
        self.loop: FrameLoop | None = None

    def now_ns(self) -> int:
        return self.loop.now_ns() if self.loop is not None else ORIGIN_NS


def run_cycles(loop: FrameLoop, first: int, count: int) -> int:
    """`count` cycles from frame `first` (32-bit JACK frames); the next cycle's frame."""
    for k in range(count):
        loop(loop.timeline.cycle((first + k * PERIOD) % (1 << 32), PERIOD))
    return first + count * PERIOD


def engine_on_frames(origin: int = 5_000, bars: int = 8):
    time = FrameTime()
    engine, sinks = make([cue("one", bars)], time)
    loop = FrameLoop(engine, Timeline(RATE, origin))
    time.loop = loop
    return engine, sinks, loop


def test_frames_and_ns_are_exact_inverses_and_unwrap_across_the_32_bit_wrap():
    line = Timeline(RATE, origin_frame=(1 << 32) - 100)
    for frame in (0, 1, 63, 64, 47_999, 48_000, 10**9):
        assert line.frame_of(line.ns_of(frame)) == frame
    assert line.ns_of(RATE) - line.ns_of(0) == 1_000_000_000
    assert line.unwrap((1 << 32) - 100) == 0 and line.unwrap(28) == 128  # past the wrap
    cycle = line.cycle(28, PERIOD)
    assert (cycle.frames, cycle.end_ns - cycle.start_ns) == (128, line.ns_of(64) - ORIGIN_NS)


def test_a_timeline_made_mid_cycle_never_puts_the_next_cycles_before_its_origin():
    # JACK's frame_time is an estimate of "now" that runs ahead of the cycles
    # processed while a server xruns: made from it, the next cycle unwrapped to
    # ~2^32 frames (24.8 h) and the engine never reached bar 2. `behind` starts one
    # second before the cycle the server is in.
    last = (1 << 32) - 10 * PERIOD  # also across the wrap
    line = Timeline.behind(RATE, last)
    for frame32 in (last, (last + PERIOD) % (1 << 32), (last + 100 * PERIOD) % (1 << 32)):
        cycle = line.cycle(frame32, PERIOD)
        assert RATE <= cycle.frames < RATE + 101 * PERIOD, cycle.frames
    ahead = Timeline(RATE, last + 5 * PERIOD)  # the old origin: an estimate ahead
    assert ahead.cycle(last + PERIOD, PERIOD).frames > (1 << 31)  # the 24.8 h jump


def test_a_play_before_the_first_cycle_lands_on_the_coming_cycle_not_the_origin():
    # The origin lies a second before the server's cycle (Timeline.behind): a
    # /rig/play handled before the loop's first cycle once landed there, a second in
    # the past, and the cue's first second was dropped as late (seen in freewheel).
    time = FrameTime()
    engine, sinks = make([cue("one", 2)], time)
    line = Timeline.behind(RATE, 700_000)
    loop = FrameLoop(engine, line, first_frame=line.unwrap(700_000) + PERIOD)
    time.loop = loop
    with loop.lock:
        engine.play(loop.now_ns())
    run_cycles(loop, 700_000 + 3 * PERIOD, 48_000 // PERIOD)  # began 2 cycles later
    assert loop.jumps == 0  # the first cycle is not an xrun
    assert engine.scheduler.stats.dropped_notes == 0
    ons = sorted(t for t, d in sinks["mono"].messages if d[0] & 0xF0 == 0x90)
    assert ons and ons[0] >= line.ns_of(RATE)  # from the coming cycle on, none dropped


def test_clock_and_notes_land_on_the_tempo_maps_frames():
    engine, sinks, loop = engine_on_frames()
    frame = run_cycles(loop, 5_000, 10)
    with loop.lock:
        engine.play(loop.now_ns())
    run_cycles(loop, frame, 2 * 48_000 // PERIOD)  # two seconds: one bar at 120 BPM
    line = loop.timeline
    clocks = [line.frame_of(when) for when, data in sinks["mono"].messages if data == CLOCK]
    # 120 BPM: a tick every 1000 frames, exactly, from the downbeat on.
    gaps = {b - a for a, b in zip(clocks, clocks[1:], strict=False)}
    assert len(clocks) > 90 and gaps == {1000}
    ons = [line.frame_of(w) for w, d in sinks["mono"].messages if d[0] == 0x90 and d[2]]
    assert ons[:4] == [clocks[0], clocks[6], clocks[12], clocks[18]]  # 16ths on their ticks
    assert loop.jumps == 0 and loop.errors == 0


def test_missed_cycles_drop_late_note_ons_send_offs_again_and_leave_nothing_sounding():
    engine, sinks, loop = engine_on_frames()
    frame = run_cycles(loop, 5_000, 4)
    with loop.lock:
        engine.play(loop.now_ns())
    frame = run_cycles(loop, frame, 48_000 // PERIOD)
    frame += 200 * RATE // 1000  # an xrun: 200 ms of frames never processed
    frame = run_cycles(loop, frame, 48_000 // PERIOD)
    assert loop.jumps == 1 and loop.missed_frames == 9600
    stats = engine.scheduler.stats
    assert stats.dropped_notes > 0  # the missed window's note-ons, later than 30 ms
    assert stats.missed_clocks > 0  # ... and its clock ticks: no catch-up burst
    assert stats.resent_offs > 0  # the notes that ended just before: offs again
    with loop.lock:
        engine.stop(loop.now_ns())
    for sink in sinks.values():
        assert sounding_after([d for _, d in sorted(sink.messages, key=lambda m: m[0])]) == []


def test_a_timed_show_stops_on_the_frame_its_seconds_end_and_says_ended():
    """`rig play --for 3`: 3 s of timeline from the downbeat, then the stop on that very
    frame (note-offs and FC there), nothing after it; the state says "ended"."""
    time = FrameTime()
    engine, sinks = make([cue("one", 8)], time, play_for_ns=3_000_000_000)
    loop = FrameLoop(engine, Timeline(RATE, 5_000))
    time.loop = loop
    frame = run_cycles(loop, 5_000, 10)
    with loop.lock:
        engine.play(loop.now_ns())
    run_cycles(loop, frame, 5 * RATE // PERIOD)  # 5 s of cycles
    assert engine.state == "ended" and not engine.scheduler.playing
    line = loop.timeline
    sent = [(line.frame_of(w), d) for s in sinks.values() for w, d in s.messages]
    clocks = sorted(f for f, d in sent if d == CLOCK)
    downbeat = clocks[0]
    stop = downbeat + 3 * RATE
    assert max(f for f, _ in sent) == stop
    assert [d for f, d in sent if f == stop and d[0] & 0xF0 != 0x80] == [b"\xfc"]
    assert clocks[-1] == stop - 1000 and len(clocks) == 3 * 48  # 120 BPM: 1000 frames a tick
    for sink in sinks.values():
        assert sounding_after([d for _, d in sorted(sink.messages, key=lambda m: m[0])]) == []


def test_the_loop_pumps_in_batches_and_at_once_after_a_command():
    """The scheduler hands over `lookahead` (15 ms: 11 cycles) at a time, and the loop
    skips the pumps that would hand over nothing (tests/live/test_frame_skip.py): here
    one pump per clock tick (1000 frames, 15.6 cycles) at most, one per ten cycles at
    least; a command under `lock` makes the next cycle pump."""
    engine, sinks, loop = engine_on_frames()
    frame = run_cycles(loop, 5_000, 10)
    with loop.lock:
        engine.play(loop.now_ns())
    pumps = loop.pumps
    frame = run_cycles(loop, frame, 1)
    assert loop.pumps == pumps + 1  # the cycle after the command pumped
    frame = run_cycles(loop, frame, 1000)
    assert 1000 // 20 <= loop.pumps - pumps - 1 <= 1000 // 10
    # Everything handed over before its cycle: no message late, none dropped.
    assert engine.scheduler.stats.late == 0 and engine.scheduler.stats.dropped_notes == 0
    line = loop.timeline
    clocks = [line.frame_of(w) for w, d in sinks["mono"].messages if d == CLOCK]
    assert len(clocks) > 60 and {b - a for a, b in zip(clocks, clocks[1:], strict=False)} == {1000}


def test_a_stopped_engine_with_nothing_to_send_has_quiet_cycles_until_a_command():
    """Stopped, no clock while stopped, following no source (the engine process always
    has a SyncDriver, internal by default): after the first cycle no cycle pumps, and
    `quiet` counts each as run without a cycle object; a command makes the next cycle
    pump, and a cycle that does not start where the last ended (an xrun) is not quiet."""
    from rig.engine.sync import FollowClock, SyncDriver

    time = FrameTime()
    clock = FollowClock(cue("one", 8).tempo)
    engine, sinks = make([cue("one", 8)], time, clock=clock)
    engine.sync = SyncDriver(engine, clock)
    loop = FrameLoop(engine, Timeline(RATE, 5_000))
    time.loop = loop
    run_cycles(loop, 5_000, 1)  # the first cycle pumps (nothing covered yet)
    pumps, cycles = loop.pumps, loop.cycles
    frame = loop.now_frame()
    for _ in range(500):
        assert loop.quiet(frame, PERIOD)
        frame += PERIOD
    assert loop.pumps == pumps and loop.cycles == cycles + 500 and loop.now_frame() == frame
    assert not loop.quiet(frame + PERIOD, PERIOD)  # a jump: the loop must see it
    assert loop.now_frame() == frame  # ... and it counted nothing
    with loop.lock:
        engine.play(loop.now_ns())
    assert not loop.quiet(frame, PERIOD)
    loop(loop.timeline.cycle((5_000 + frame) % (1 << 32), PERIOD))
    assert loop.pumps == pumps + 1
    frame = run_cycles(loop, 5_000 + frame + PERIOD, 2000)
    assert sinks["mono"].messages and engine.scheduler.stats.late == 0

"""The offline twin: the real Scheduler and InternalClock driven by a clock that jumps.

Every assertion is exact (integer nanoseconds): deadlines are closed-form, so
the twin must reproduce `t0 + round(seconds_at(tick) * 1e9)` to the nanosecond.
"""

from __future__ import annotations

import math

import pytest

from rig.midi.wire import CLOCK, CONTINUE, START, STOP, Message, encode, spp_for_tick
from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, ControlChange, NoteOff, NoteOn, ProgramChange
from rig.song.tempomap import TempoMap, TempoSegment
from rig.timing import InternalClock, Scheduler, run
from rig.timing.scheduler import TRANSPORT_LEAD_NS
from tests.support.clock import MS, T0, FakeTime


class Collect:
    """A sink that only records (when_ns, bytes) — the Sink interface's send side: it
    gets typed messages and encodes them, as a sink does at the wire."""

    def __init__(self, name: str):
        self.name = name
        self.sent: list[tuple[int, bytes]] = []
        self.late = 0
        self.connected = True

    def send(self, when_ns: int, data: Message) -> None:
        self.sent.extend((when_ns, wire) for wire in encode(data))

    def clocks(self) -> list[int]:
        return [t for t, d in self.sent if d == CLOCK]

    def notes(self) -> list[tuple[int, bytes]]:
        return [(t, d) for t, d in self.sent if len(d) == 3 and d[0] & 0xE0 == 0x80]


def song(tempo: TempoMap, bars: int = 4, tracks=None, events=None) -> Arrangement:
    length = bars * 4 * PPQ
    tracks = tracks or [TrackInfo("bass", "mono", None, 0), TrackInfo("keys", "virus", None, 1)]
    if events is None:
        events = []
        for i in range(bars * 4 * 4):  # 16ths on the bass, quarter chords on the keys
            t = i * PPQ // 4
            events += [
                NoteOn(t, "bass", 0, 40 + i % 12, 100),
                NoteOff(t + PPQ // 8, "bass", 0, 40 + i % 12),
            ]
            if i % 4 == 0:
                for n in (60, 64, 67):
                    events += [NoteOn(t + 7, "keys", 1, n, 90), NoteOff(t + PPQ - 1, "keys", 1, n)]
    sections = [SectionSpan("a", 0, length, 1, bars, 4, 4)]
    return Arrangement("twin", events, tempo, sections, tracks, length)


def play_through(arr, outputs, clock_ms=None, from_tick=0, time=None, **kw):
    time = time or FakeTime(T0 - 100 * MS)
    clock = InternalClock(arr.tempo)
    sched = Scheduler(clock, outputs, clock_latency_ms=clock_ms or {}, **kw)
    sched.load(arr)
    sched.play(from_tick, T0, time.now)
    run(sched, time.now_ns, time.sleep_until, interval_ns=3 * MS, done=lambda: not sched.playing)
    return sched, clock


RAMP = TempoMap([TempoSegment(0, 90.0, 150.0, 8 * PPQ), TempoSegment(8 * PPQ, 150.0, 150.0, None)])


def test_every_note_at_t0_plus_seconds_at_tick():
    arr = song(RAMP)
    outs = {"mono": Collect("mono"), "virus": Collect("virus")}
    sched, _ = play_through(arr, outs)
    t0 = T0  # play(0, T0): tick 0 is at T0
    expected = {"mono": [], "virus": []}
    for e in arr.events:
        device = "mono" if e.track == "bass" else "virus"
        status = (0x90 if isinstance(e, NoteOn) else 0x80) | e.channel
        expected[device].append((t0 + round(arr.tempo.seconds_at(e.tick) * 1e9), status, e.note))
    for device, sink in outs.items():
        got = [(t, d[0], d[1]) for t, d in sink.notes()]
        assert got == expected[device]
    assert sched.stats.late == 0 and sched.stats.missed_clocks == 0
    assert sched.ended and sched.sounding == 0


def test_clock_is_24_per_beat_and_follows_a_ramp_in_closed_form():
    arr = song(RAMP)
    out = Collect("mono")
    play_through(arr, {"mono": out}, clock_ms={"mono": 0.0})
    clocks = out.clocks()
    assert len(clocks) == 16 * 24  # 4 bars of 4/4, the F8 at the end tick belongs to no song
    # The ramp 90 → 150 BPM over 8 beats, integrated by hand: 60/s · ln(1 + s·b/90).
    slope = (150 - 90) / 8

    def seconds(beat: float) -> float:
        if beat <= 8:
            return 60 / slope * math.log1p(slope * beat / 90)
        return 60 / slope * math.log1p(slope * 8 / 90) + 60 * (beat - 8) / 150

    for k, t in enumerate(clocks):
        assert abs(t - (T0 + seconds(k / 24) * 1e9)) <= 1  # float vs float: 1 ns
    gaps = [b - a for a, b in zip(clocks, clocks[1:], strict=False)]
    assert gaps[0] > gaps[100] > gaps[24 * 8 + 1]  # shrinking through the ramp
    assert max(gaps[24 * 8 :]) - min(gaps[24 * 8 :]) <= 1  # constant after it


def test_start_byte_one_ms_before_first_clock_on_the_downbeat_then_stop():
    out = Collect("mono")
    play_through(song(TempoMap.constant(120), bars=1), {"mono": out}, clock_ms={"mono": 0.0})
    assert out.sent[0] == (T0 - TRANSPORT_LEAD_NS, START)
    assert out.clocks()[0] == T0
    assert out.sent[-1][1] == STOP
    assert out.sent[-1][0] == T0 + 2 * 10**9  # one 4/4 bar at 120 BPM


def test_from_bar_5_sends_spp_64_then_continue_then_clocks():
    arr = song(TempoMap.constant(120), bars=8)
    assert arr.bar_tick(5) == 4 * 4 * PPQ and spp_for_tick(arr.bar_tick(5)) == 64
    out = Collect("mono")
    time = FakeTime(T0 - 100 * MS)
    play_through(arr, {"mono": out}, clock_ms={"mono": 0.0}, from_tick=arr.bar_tick(5), time=time)
    (t_spp, spp), (t_again, again), (t_cont, cont) = out.sent[:3]
    assert spp == bytes((0xF2, 64, 0)) and t_spp == T0 - 100 * MS  # at once, while stopped
    # Once more halfway to the Continue: an xrun may lose the first (see `play`).
    assert again == spp and t_again == (t_spp + t_cont) // 2
    assert cont == CONTINUE and t_cont == T0 - TRANSPORT_LEAD_NS
    assert out.clocks()[0] == T0 and len(out.clocks()) == 4 * 4 * 24
    first_note = out.notes()[0]
    assert first_note == (T0, bytes((0x90, 40 + 64 % 12, 100)))  # bar 5's first 16th


def test_a_stall_is_late_and_counted_never_a_burst():
    arr = song(TempoMap.constant(120), bars=2)
    out = Collect("mono")
    time = FakeTime(T0 - 100 * MS)
    time.stalls[T0 + 500 * MS] = 200 * MS  # the engine loses 200 ms after half a second
    sched, clock = play_through(arr, {"mono": out}, clock_ms={"mono": 0.0}, time=time)
    clocks = out.clocks()
    period = 500 * MS // 24
    grid = [clock.ns_at(k * 80) for k in range(8 * 24)]
    assert set(clocks) <= set(grid)  # every clock sent is on the grid
    missed = sched.stats.missed_clocks
    assert 200 * MS // period - 1 <= missed <= 200 * MS // period + 1
    assert len(clocks) + missed == len(grid)
    assert sched.stats.late > 0
    # No burst: clocks were handed out in order, none of them crowded together.
    gaps = [b - a for a, b in zip(clocks, clocks[1:], strict=False)]
    assert min(gaps) >= period - 1
    assert sched.sounding == 0


def test_latency_offset_moves_a_device_earlier_by_exactly_its_ms():
    tracks = [TrackInfo("a", "dev_a", None, 0), TrackInfo("b", "dev_b", None, 0, latency_ms=7.25)]
    events = []
    for i in range(16):
        for tr in ("a", "b"):
            events += [NoteOn(i * 480, tr, 0, 60, 100), NoteOff(i * 480 + 240, tr, 0, 60)]
    arr = song(RAMP, bars=1, tracks=tracks, events=events)
    outs = {"dev_a": Collect("dev_a"), "dev_b": Collect("dev_b")}
    play_through(arr, outs)
    a, b = outs["dev_a"].notes(), outs["dev_b"].notes()
    assert len(a) == len(b) == 32
    assert all(ta - tb == 7_250_000 and da == db for (ta, da), (tb, db) in zip(a, b, strict=True))


def test_tracks_without_a_sink_are_skipped_and_bank_select_precedes_program():
    tracks = [TrackInfo("a", "dev_a", None, 2), TrackInfo("ghost", "absent", None, 0)]
    events = [
        ProgramChange(0, "a", 2, 5, bank_msb=1, bank_lsb=3),
        ControlChange(0, "a", 2, 74, 100, "cutoff"),
        NoteOn(0, "ghost", 0, 60, 100),
        NoteOff(100, "ghost", 0, 60),
    ]
    out = Collect("dev_a")
    play_through(song(TempoMap.constant(120), bars=1, tracks=tracks, events=events), {"dev_a": out})
    assert [d for _, d in out.sent] == [
        b"\xb2\x00\x01",
        b"\xb2\x20\x03",
        b"\xc2\x05",
        b"\xb2\x4a\x64",
    ]


def test_stop_mute_and_cue_end_every_sounding_note_after_queued_events():
    arr = song(TempoMap.constant(120), bars=8)
    outs = {"mono": Collect("mono"), "virus": Collect("virus")}
    time = FakeTime(T0 - 50 * MS)
    clock = InternalClock(arr.tempo)
    sched = Scheduler(clock, outs, clock_latency_ms={"virus": 0.0})
    sched.load(arr)
    sched.play(0, T0, time.now)

    def until(ns: int) -> None:
        run(sched, time.now_ns, time.sleep_until, interval_ns=3 * MS, done=lambda: time.now >= ns)

    until(T0 + 510 * MS)  # keys chord sounding (beat 2 starts at 500 ms + 7 ticks)
    assert sched.sounding > 0
    sched.mute("keys", time.now)
    until(T0 + 1600 * MS)
    sched.unmute("keys")
    until(T0 + 2600 * MS)
    sched.stop(time.now)
    assert sched.sounding == 0
    for sink in outs.values():
        assert_no_note_left(sink.sent)
    assert outs["virus"].sent[-1][1] == STOP
    last_other = max(t for t, d in outs["virus"].sent[:-1])
    assert outs["virus"].sent[-1][0] >= last_other  # the Stop is not before a queued clock


def assert_no_note_left(sent: list[tuple[int, bytes]]) -> None:
    sounding: set[tuple[int, int]] = set()
    for _, d in sorted(sent, key=lambda x: x[0]):
        if len(d) == 3 and d[0] & 0xF0 == 0x90 and d[2]:
            sounding.add((d[0] & 15, d[1]))
        elif len(d) == 3 and d[0] & 0xF0 in (0x80, 0x90):
            sounding.discard((d[0] & 15, d[1]))
    assert not sounding


def test_a_set_runs_on_with_a_continuous_clock_and_no_second_start():
    first = song(TempoMap.constant(120), bars=1)
    second = song(TempoMap.constant(60), bars=1)
    queue = [second]
    out = Collect("mono")
    sched, _ = play_through(
        first,
        {"mono": out},
        clock_ms={"mono": 0.0},
        next_cue=lambda: queue.pop() if queue else None,
    )
    clocks = out.clocks()
    assert len(clocks) == 2 * 4 * 24
    assert clocks[96] == T0 + 2 * 10**9  # second cue's downbeat at the end of the first
    assert (
        abs(clocks[97] - clocks[96] - 10**9 / 24) <= 1
        and abs(clocks[1] - clocks[0] - 10**9 / 48) <= 1
    )
    assert [d for _, d in out.sent].count(START) == 1
    assert_no_note_left(out.sent)


def test_tempo_override_keeps_the_timeline_continuous():
    arr = song(TempoMap.constant(120), bars=4)
    out = Collect("mono")
    time = FakeTime(T0 - 50 * MS)
    clock = InternalClock(arr.tempo)
    sched = Scheduler(clock, {"mono": out}, clock_latency_ms={"mono": 0.0})
    sched.load(arr)
    sched.play(0, T0, time.now)
    run(
        sched,
        time.now_ns,
        time.sleep_until,
        interval_ns=3 * MS,
        done=lambda: time.now >= T0 + 10**9,
    )
    sched.set_bpm(60.0)
    run(sched, time.now_ns, time.sleep_until, interval_ns=3 * MS, done=lambda: not sched.playing)
    clocks = out.clocks()
    gaps = [b - a for a, b in zip(clocks, clocks[1:], strict=False)]
    fast = [g for g in gaps if abs(g - 10**9 / 48) <= 1]
    slow = [g for g in gaps if abs(g - 10**9 / 24) <= 1]
    assert len(fast) + len(slow) >= len(gaps) - 1  # one gap straddles the change
    assert gaps.index(slow[0]) >= len(fast)  # all fast gaps, then all slow ones
    assert len(clocks) == 16 * 24


def test_clock_while_stopped_runs_on_one_grid_through_start_and_stop():
    """Stopped: F8 on a free grid at the song's tempo; Start moves onto that grid (less
    than one period later), so one unbroken clock runs from before FA to after FC."""
    arr = song(TempoMap.constant(120), bars=1)
    idle, plain = Collect("mono"), Collect("virus")
    clock = InternalClock(arr.tempo)
    sched = Scheduler(clock, {"mono": idle, "virus": plain},
                      clock_latency_ms={"mono": 0.0, "virus": 0.0})  # fmt: skip
    sched.idle_clock(["mono", "nowhere"])  # only devices that have clock
    assert sched.idle_devices == ("mono",)
    sched.load(arr)
    time = FakeTime(T0)
    period = 60e9 / (120 * 24)
    run(sched, time.now_ns, time.sleep_until, interval_ns=3 * MS,
        done=lambda: time.now >= T0 + 300 * MS)  # fmt: skip
    assert plain.sent == [] and len(idle.clocks()) >= 12  # stopped: only "mono" gets clock
    sched.play(0, time.now + 50 * MS, time.now)  # lands on the grid, not at +50 ms
    run(sched, time.now_ns, time.sleep_until, interval_ns=3 * MS, done=lambda: not sched.playing)
    end = time.now
    run(sched, time.now_ns, time.sleep_until, interval_ns=3 * MS,
        done=lambda: time.now >= end + 200 * MS)  # fmt: skip
    data = [d for _, d in idle.sent]
    assert data.count(START) == 1 and data.count(STOP) == 1
    clocks = idle.clocks()
    first = clocks[0]
    for k, t in enumerate(clocks):  # one grid from the first stopped F8 to the last
        assert abs(t - (first + k * period)) <= 1, k
    at_start = next(t for t, d in idle.sent if d == START) + TRANSPORT_LEAD_NS
    assert at_start in clocks  # the downbeat is a grid point
    played = [t for t in clocks if at_start <= t < at_start + 2 * 10**9]
    assert len(played) == 4 * 24 and len(clocks) > 4 * 24 + 20
    # The other device: Start, 96 clocks, Stop — nothing while stopped.
    assert [d for _, d in plain.sent if d in (START, STOP)] == [START, STOP]
    assert len(plain.clocks()) == 4 * 24 and plain.clocks()[0] == at_start


def test_clock_while_stopped_survives_a_panic_without_a_gap():
    arr = song(TempoMap.constant(120), bars=1)
    out = Collect("mono")
    sched = Scheduler(InternalClock(arr.tempo), {"mono": out}, clock_latency_ms={"mono": 0.0})
    sched.idle_clock(["mono"])
    sched.load(arr)
    time = FakeTime(T0)
    run(sched, time.now_ns, time.sleep_until, interval_ns=5 * MS,
        done=lambda: time.now >= T0 + 200 * MS)  # fmt: skip
    # A panic drops what the sink had queued (deadlines after now): hand them over again.
    out.sent = [(t, d) for t, d in out.sent if t <= time.now]
    sched.forget(time.now)
    run(sched, time.now_ns, time.sleep_until, interval_ns=5 * MS,
        done=lambda: time.now >= T0 + 400 * MS)  # fmt: skip
    clocks = out.clocks()
    gaps = {b - a for a, b in zip(clocks, clocks[1:], strict=False)}
    assert gaps <= {20833333, 20833334}


@pytest.mark.parametrize("slack", [0, -9_000])  # the frame's ns on the tick's, 9 µs after
def test_a_panic_while_playing_hands_over_again_the_tick_due_on_its_own_time(slack):
    """On JACK's frames a command lands on the next cycle's first frame, which no sink
    has written yet: a tick due there (or within half a frame) was dropped by the panic
    and must come again, or the followers lose it (a 1600-frame gap at 150 BPM)."""
    arr = song(TempoMap.constant(120), bars=4)
    out = Collect("mono")
    sched = Scheduler(InternalClock(arr.tempo), {"mono": out}, clock_latency_ms={"mono": 0.0},
                      lookahead_ns=50 * MS)  # fmt: skip
    sched.load(arr)
    time = FakeTime(T0)
    sched.play(0, time.now, time.now)
    run(sched, time.now_ns, time.sleep_until, interval_ns=5 * MS,
        done=lambda: time.now >= T0 + 300 * MS)  # fmt: skip
    due = [t for t in out.clocks() if t > time.now][0]  # handed over, not yet due
    now = due - slack
    # A sink on 48 kHz frames dropped what maps to the frame of `now` or later.
    out.sent = [(t, d) for t, d in out.sent if t < now - 10_416]
    sched.forget(now)
    time.sleep_until(now)
    run(sched, time.now_ns, time.sleep_until, interval_ns=5 * MS,
        done=lambda: time.now >= T0 + 600 * MS)  # fmt: skip
    clocks = out.clocks()
    assert due in clocks
    gaps = {b - a for a, b in zip(clocks, clocks[1:], strict=False)}
    assert gaps <= {20833333, 20833334}


class Held(Collect):
    """A sink that holds what it is sent until the end, and can take it back from a
    time on (as the JACK sink does: `rig.midi.notes.take_back` on its queue)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.queue: list[tuple[int, int, Message]] = []

    def send(self, when_ns: int, data: Message) -> None:
        self.queue.append((when_ns, len(self.queue), data))

    def take_back(self, at_ns: int) -> bool:
        from rig.midi.notes import take_back

        self.queue = take_back(self.queue, at_ns)
        return True

    def wire(self) -> list[tuple[int, bytes]]:
        return [(t, w) for t, _, m in sorted(self.queue, key=lambda e: e[:2]) for w in encode(m)]


def test_a_masters_stop_takes_back_what_was_handed_over_from_its_time_on():
    """A followed master's Stop at `at`: no clock tick and no note-on from `at` on (the
    lookahead's share is taken back), the keys' sounding chord ends at `at`, FC at
    `at`, and no note-off for a note whose note-on was taken back."""
    arr = song(TempoMap.constant(120), bars=2)
    keys, mono = Held("virus"), Held("mono")
    clock = InternalClock(arr.tempo)
    sched = Scheduler(clock, {"mono": mono, "virus": keys}, clock_latency_ms={"mono": 0.0})
    sched.load(arr)
    sched.play(0, T0, T0 - 100 * MS)
    now = T0 + 1490 * MS  # beat 2.98: the chord of beat 2 sounds, beat 3's is in the lookahead
    for pump in range(T0 - 100 * MS, now + 1, 3 * MS):
        sched.pump(pump)
    at = now + 5 * MS
    assert any(t >= at and m == CLOCK for t, m in mono.wire())  # handed over, not yet out
    assert any(t >= at and m[0] == 0x91 for t, m in keys.wire())
    sched.stop(now, at_ns=at)
    for sink in (mono, keys):
        late = [(t, m) for t, m in sink.wire() if t >= at]
        assert all(m[0] & 0xF0 == 0x80 or m == STOP for _, m in late), late
        assert all(t == at for t, _ in late), late
    assert [m for t, m in mono.wire() if t >= at] == [STOP]
    offs = sorted(m[1] for t, m in keys.wire() if t >= at)
    assert offs == [60, 64, 67]  # beat 2's chord, once each; beat 3's never started
    from rig.midi.notes import sounding_after

    assert sounding_after([m for _, m in keys.wire()]) == []
    assert not sched.playing and sched.sounding == 0

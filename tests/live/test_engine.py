"""The engine's transport and its OSC dispatch, in-process, on a clock that jumps.

The real engine process on JACK is in test_engine_jack.py; here the same
`Engine` is driven by the offline twin (fake time) and rig.midi's RecordingSink.
"""

from __future__ import annotations

import socket
import threading

import pytest

from rig.control.protocol import ControlClient, Status, decode, encode
from rig.engine.process import handle, serve
from rig.engine.transport import START_DELAY_NS, Engine
from rig.midi.notes import sounding_after
from rig.midi.sink import RecordingSink
from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, NoteOff, NoteOn
from rig.song.quantize import bar_beat
from rig.song.tempomap import TempoMap
from rig.timing import run
from tests.support.clock import MS, FakeTime


def cue(name: str, bars: int = 4, bpm: float = 120.0) -> Arrangement:
    """Whole-bar chords on 'keys' (long notes: something always sounds) and a 16th bass."""
    events = []
    for bar in range(bars):
        t = bar * 4 * PPQ
        for n in (60, 64, 67):
            events += [NoteOn(t, "keys", 1, n, 90), NoteOff(t + 4 * PPQ - 10, "keys", 1, n)]
        for i in range(16):
            s = t + i * PPQ // 4
            events += [
                NoteOn(s, "bass", 0, 36 + i % 5, 100),
                NoteOff(s + 200, "bass", 0, 36 + i % 5),
            ]
    tracks = [TrackInfo("keys", "virus", None, 1), TrackInfo("bass", "mono", None, 0)]
    sections = [SectionSpan("a", 0, bars * 4 * PPQ, 1, bars, 4, 4)]
    return Arrangement(name, events, TempoMap.constant(bpm), sections, tracks, bars * 4 * PPQ)


def make(cues, time: FakeTime):
    sinks = {d: RecordingSink(d, now=time.now_ns) for d in ("virus", "mono")}
    for s in sinks.values():
        s.open()
    engine = Engine(cues, sinks, clock_latency_ms={"mono": 0.0})
    return engine, sinks


def advance(engine: Engine, time: FakeTime, ns: int) -> None:
    end = time.now + ns
    run(
        engine.scheduler,
        time.now_ns,
        time.sleep_until,
        interval_ns=4 * MS,
        done=lambda: time.now >= end,
    )


def wire(sink: RecordingSink) -> list[bytes]:
    return [d for _, d in sorted(sink.messages, key=lambda m: m[0])]


def test_stop_locate_continue_and_nothing_left_sounding():
    time = FakeTime()
    engine, sinks = make([cue("one")], time)
    engine.play(time.now)
    advance(engine, time, 1300 * MS)
    assert engine.state == "playing" and engine.scheduler.sounding > 0
    engine.stop(time.now)
    assert engine.position(time.now)[:2] == (1, 3)  # 1.25 s at 120 BPM: bar 1, beat 3
    for sink in sinks.values():
        assert sounding_after(wire(sink)) == []
    engine.locate(time.now, 3)
    engine.cont(time.now)
    advance(engine, time, 600 * MS)
    mono = wire(sinks["mono"])
    assert mono.count(b"\xfa") == 1 and b"\xfc" in mono
    assert bytes((0xF2, 32, 0)) in mono  # bar 3 = 32 sixteenths
    assert mono.index(bytes((0xF2, 32, 0))) < mono.index(b"\xfb")
    engine.stop(time.now)
    assert all(sounding_after(wire(s)) == [] for s in sinks.values())


def test_cue_change_waits_for_the_next_bar_line_and_ends_notes():
    time = FakeTime()
    engine, sinks = make([cue("one"), cue("two", bpm=90)], time)
    engine.play(time.now)
    advance(engine, time, 700 * MS)  # bar 1, beat 2
    engine.cue(time.now, 1)
    assert engine.arrangement.name == "one"
    advance(engine, time, 2000 * MS)
    assert engine.arrangement.name == "two" and engine.cue_index == 1
    t0 = START_DELAY_NS + 10**9
    virus = sorted(sinks["virus"].messages)
    ons = [t for t, d in virus if d[0] == 0x91]
    assert ons[:6] == [t0] * 3 + [t0 + 2 * 10**9] * 3  # cue two's first chord on bar 2's line
    assert sounding_after([d for _, d in virus if _ <= t0 + 2 * 10**9 - 1]) == []
    assert bar_beat(engine.arrangement, 0) == (1, 1)


def test_mute_unmute_panic_and_a_set_that_ends():
    time = FakeTime()
    engine, sinks = make([cue("one", bars=1), cue("two", bars=1)], time)
    engine.play(time.now)
    advance(engine, time, 300 * MS)
    engine.mute(time.now, "keys")  # lands on the first tick not yet handed over
    advance(engine, time, 20 * MS)
    assert sounding_after(wire(sinks["virus"])) == []
    advance(engine, time, 2000 * MS)
    assert not [d for t, d in sinks["virus"].messages if d[0] == 0x91 and t > time.now - 1500 * MS]
    engine.unmute(time.now, "keys")
    advance(engine, time, 200 * MS)
    engine.panic(time.now)
    assert all(s.sounding() == [] for s in sinks.values())
    advance(engine, time, 3000 * MS)
    assert engine.state == "ended"
    assert all(sounding_after(wire(s)) == [] for s in sinks.values())
    assert wire(sinks["mono"])[-1] == b"\xfc"


def test_osc_dispatch_and_status_reply():
    time = FakeTime()
    engine, _ = make([cue("one")], time)
    assert handle(engine, "/rig/play", [2], time.now) is None
    assert engine.state == "playing"
    address, args = handle(engine, "/rig/status", [], time.now)
    status = Status.from_args(args)
    assert address == "/rig/status" and status.state == "playing" and status.cue_name == "one"
    assert decode(encode("/rig/tempo", 100.0)) == ("/rig/tempo", [100.0])


def test_serve_answers_over_udp_and_quits():
    time = FakeTime()
    engine, _ = make([cue("one")], time)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    result = []
    thread = threading.Thread(target=lambda: result.append(serve(engine, sock, None)))
    thread.start()
    with ControlClient(sock.getsockname()[1]) as control:
        control.send("/rig/play")
        status = control.status(timeout=2)
        assert status is not None and status.state == "playing"
        control.send("/rig/nonsense")
        control.send("/rig/quit")
    thread.join(5)
    sock.close()
    assert result == ["quit"]


def test_a_wait_transition_stops_and_the_next_play_starts_the_next_cue():
    time = FakeTime()
    sinks = {d: RecordingSink(d, now=time.now_ns) for d in ("virus", "mono")}
    for s in sinks.values():
        s.open()
    cues = [cue("one", bars=1), cue("two", bars=1), cue("three", bars=1)]
    engine = Engine(cues, sinks, clock_latency_ms={"mono": 0.0}, transitions=["bar", "wait"])
    engine.play(time.now)
    for _ in range(1500):  # 6 s in 4 ms steps, through Engine.pump
        engine.pump(time.now)
        time.sleep_until(time.now + 4 * MS)
    assert engine.state == "waiting" and engine.arrangement.name == "three"
    mono = wire(sinks["mono"])
    assert mono.count(b"\xfa") == 1 and mono.count(b"\xfc") == 1  # one+two ran on, then stop
    engine.play(time.now)
    assert engine.state == "playing" and engine.arrangement.name == "three"


def two_sections(name: str, bpm: float = 120.0) -> Arrangement:
    arr = cue(name, bars=8, bpm=bpm)
    half = 4 * 4 * PPQ
    arr.sections = (
        SectionSpan("a", 0, half, 1, 4, 4, 4),
        SectionSpan("b", half, 2 * half, 5, 4, 4, 4),
    )
    return arr


def clock_gaps_ns(sink: RecordingSink, after_ns: int) -> set[int]:
    ticks = sorted(t for t, d in sink.messages if d == b"\xf8" and t >= after_ns)
    return {b - a for a, b in zip(ticks, ticks[1:], strict=False)}


def test_a_section_jump_keeps_a_tapped_or_nudged_tempo():
    """Issue 12, item 10: the performer set the tempo by hand (tap, nudge, /rig/tempo);
    a section jump of the same cue keeps it. Another cue starts at its written tempo."""
    time = FakeTime()
    engine, sinks = make([two_sections("one"), cue("two", bpm=90)], time)
    engine.play(time.now)
    advance(engine, time, 500 * MS)
    for _ in range(4):  # four taps 0.5 s apart... then a nudge: 121 BPM
        engine.tap(time.now)
        advance(engine, time, 500 * MS)
    engine.nudge(1.0)
    advance(engine, time, 100 * MS)
    assert engine.position(time.now)[2] == 121.0
    engine.section(time.now, "b", "bar")
    advance(engine, time, 2500 * MS)
    assert engine.section_name(time.now) == "b"
    assert engine.position(time.now)[2] == 121.0
    jumped = time.now
    advance(engine, time, 1000 * MS)
    # The clock on the wire too: one F8 every 60 / 121 / 24 s (±1 ns rounding).
    gaps = clock_gaps_ns(sinks["mono"], jumped)
    assert gaps and all(abs(g - 60e9 / 121 / 24) <= 1 for g in gaps), gaps
    engine.launch(time.now, 1, "bar")
    advance(engine, time, 2500 * MS)
    assert engine.arrangement.name == "two"
    assert engine.position(time.now)[2] == 90.0


def test_waiting_and_stopped_show_the_tempo_the_cue_will_start_at():
    """Issue 12, item 13: waiting after a cue, the status showed the old cue's tempo."""
    time = FakeTime()
    sinks = {d: RecordingSink(d, now=time.now_ns) for d in ("virus", "mono")}
    for s in sinks.values():
        s.open()
    cues = [cue("one", bars=1, bpm=120), cue("two", bars=1, bpm=90)]
    engine = Engine(cues, sinks, clock_latency_ms={"mono": 0.0}, transitions=["wait"])
    engine.play(time.now)
    for _ in range(1000):  # 4 s in 4 ms steps: cue one ends, "wait" holds cue two
        engine.pump(time.now)
        time.sleep_until(time.now + 4 * MS)
    assert engine.state == "waiting" and engine.arrangement.name == "two"
    assert engine.position(time.now)[2] == 90.0
    engine.cue(time.now, 0)  # stopped on cue one: its written tempo
    assert engine.position(time.now)[2] == 120.0


def test_a_tempo_set_while_stopped_is_the_tempo_play_starts_at():
    time = FakeTime()
    engine, sinks = make([cue("one", bpm=120)], time)
    engine.nudge(-2.0)
    assert engine.position(time.now)[2] == 118.0
    engine.play(time.now)
    advance(engine, time, 1000 * MS)
    assert engine.position(time.now)[2] == 118.0
    gaps = clock_gaps_ns(sinks["mono"], 0)
    assert gaps and all(abs(g - 60e9 / 118 / 24) <= 1 for g in gaps), gaps


def test_the_set_remaining_time_counts_what_a_queued_launch_or_jump_will_play():
    """Trial 24: with a launch or a section jump queued, the set's remaining time fell by
    minutes (the skipped cue counted, the rest of the jumped-in cue not) and came back
    when the switch landed. It now says what the set will play."""
    from rig.engine.dispatch import status

    time = FakeTime()
    from tests.support.live import cue as sectioned

    one = sectioned("one", bars=4, sections=(("a", 2), ("b", 2)))  # 120 BPM
    cues = [one, cue("two", bars=2, bpm=60), cue("three", bars=1)]
    sinks = {d: RecordingSink(d, now=time.now_ns) for d in ("virus", "mono")}
    for s in sinks.values():
        s.open()
    engine = Engine(cues, sinks, clock_latency_ms={"mono": 0.0})
    engine.play(time.now)
    advance(engine, time, START_DELAY_NS + 500 * MS)  # bar 1 of cue one (8 s); 18 s in all
    engine.launch(time.now, 2, "bar")  # three (2 s) from bar 2: two (8 s) is skipped
    s = status(engine, time.now)
    assert abs(s.cue_remaining_s - 1.5) < 0.01 and abs(s.set_remaining_s - 3.5) < 0.01, s
    engine.section(time.now, "a", "bar")  # back to bar 1 at bar 2: 8 s of one, then two, three
    s = status(engine, time.now)
    assert abs(s.cue_remaining_s - 1.5) < 0.01 and abs(s.set_remaining_s - 19.5) < 0.01, s
    advance(engine, time, 2000 * MS)  # the jump has landed: the figure goes on from there
    s = status(engine, time.now)
    assert s.queued_cue == -1 and abs(s.set_remaining_s - 17.5) < 0.01, s


def test_status_tells_the_performer_where_the_cue_and_the_set_are_and_what_comes_next():
    """Issue 12: elapsed and remaining time of the cue and of the set, and "next: X in
    N bars" — from the engine's own position and tempo."""
    from rig.engine.dispatch import status

    time = FakeTime()
    cues = [cue("one", bars=4, bpm=120), cue("two", bars=2, bpm=60), cue("three", bars=1)]
    sinks = {d: RecordingSink(d, now=time.now_ns) for d in ("virus", "mono")}
    for s in sinks.values():
        s.open()
    engine = Engine(cues, sinks, clock_latency_ms={"mono": 0.0}, transitions=["bar", "wait"])
    s = status(engine, time.now)
    # one: 4 bars at 120 = 8 s; two: 2 bars at 60 = 8 s; three: 1 bar at 120 = 2 s.
    assert (s.cue_elapsed_s, s.cue_remaining_s) == (0.0, 8.0)
    assert (s.set_elapsed_s, s.set_remaining_s) == (0.0, 18.0)
    assert (s.next_name, s.next_bars, s.next_how) == ("two", 4, "bar")
    engine.play(time.now)
    advance(engine, time, START_DELAY_NS + 2500 * MS)  # bar 2, beat 2 of cue one
    s = status(engine, time.now)
    assert s.bar == 2 and abs(s.cue_elapsed_s - 2.5) < 0.01 and abs(s.cue_remaining_s - 5.5) < 0.01
    assert abs(s.set_remaining_s - 15.5) < 0.01
    assert (s.next_name, s.next_bars) == ("two", 3)
    engine.launch(time.now, 2, "bar")
    s = status(engine, time.now)
    assert (s.next_name, s.next_bars, s.next_how) == ("three", 1, "cue")
    assert abs(s.cue_remaining_s - 1.5) < 0.01  # to the queued switch at bar 3
    engine.cancel(time.now)
    advance(engine, time, 6000 * MS)  # into cue two, whose transition waits
    s = status(engine, time.now)
    assert s.cue_name == "two" and (s.next_name, s.next_bars, s.next_how) == ("three", -1, "wait")
    assert abs(s.set_elapsed_s - 8.0 - s.cue_elapsed_s) < 0.01
    advance(engine, time, 9000 * MS)  # two ends: waiting for "three" to be launched
    s = status(engine, time.now)
    assert s.state == "waiting" and (s.next_name, s.next_how) == ("three", "wait")


def test_a_count_in_clicks_one_bar_then_the_cue_starts_on_the_downbeat():
    """Issue 12: `count_in: {bars: 1, click: virus, channel: 10, note: 37}` — four
    clicks a beat apart (the first accented) on the click device, then the cue's
    Start and first notes exactly one bar later; the status counts the beats."""
    from rig.config.countin import CountIn
    from rig.engine.dispatch import status

    time = FakeTime()
    engine, sinks = make([cue("one", bpm=120)], time)
    engine.count_in = CountIn(bars=1, click="virus", channel=9, note=37)
    t0 = time.now
    engine.play(time.now)
    advance(engine, time, START_DELAY_NS + 100 * MS)
    s = status(engine, time.now)
    assert (s.state, s.bar, s.beat) == ("count-in", 0, 1)
    advance(engine, time, 1000 * MS)
    assert (status(engine, time.now).state, status(engine, time.now).beat) == ("count-in", 3)
    advance(engine, time, 1500 * MS)
    assert status(engine, time.now).state == "playing"
    first = t0 + START_DELAY_NS
    clicks = [(t, d) for t, d in sorted(sinks["virus"].messages) if d[0] == 0x99]
    assert clicks == [(first + k * 500 * MS, bytes((0x99, 37, 127 if k == 0 else 90)))
                      for k in range(4)]  # fmt: skip
    downbeat = first + 2000 * MS
    mono = sorted(sinks["mono"].messages)
    from rig.timing.scheduler import TRANSPORT_LEAD_NS

    assert [t for t, d in mono if d == b"\xfa"] == [downbeat - TRANSPORT_LEAD_NS]
    assert min(t for t, d in mono if d[0] == 0x90) == downbeat
    assert min(t for t, d in sinks["virus"].messages if d[0] == 0x91) == downbeat


def test_a_cue_with_the_sets_own_count_in_is_not_counted_in_twice():
    """config.yaml's count_in and a set entry's `count_in:` meet on one start: the
    cue's own count-in section plays, the config's clicks do not."""
    from rig.config.countin import CountIn
    from rig.song.transitions import count_in

    time = FakeTime()
    engine, sinks = make([count_in(cue("one", bpm=120), 1)], time)
    engine.count_in = CountIn(bars=1, click="virus", channel=9, note=37)
    t0 = time.now
    engine.play(time.now)
    advance(engine, time, 3000 * MS)
    assert not [d for _, d in sinks["virus"].messages if d[0] == 0x99]  # no config clicks
    start = [t for t, d in sinks["mono"].messages if d == b"\xfa"]
    assert start and start[0] < t0 + START_DELAY_NS + 100 * MS  # no lead added: one count


def test_a_show_starts_with_what_the_last_one_kept():
    """A set file's live: block: the chosen cue, its mutes, the tempo set by hand."""
    from rig.engine.kept import apply_kept
    from rig.song.kept import Kept

    time = FakeTime()
    engine, sinks = make([cue("one"), cue("two", bpm=90)], time)
    kept = Kept(cue=1, quantize="beat", mute=("bass", "gone"), tempo={1: 100.0})
    warnings = apply_kept(engine, kept, time.now)
    assert warnings == ["live: mute: the set has no track 'gone' any more; ignored"]
    assert engine.cue_index == 1 and engine.position(time.now)[2] == 100.0
    engine.play(time.now)
    advance(engine, time, 1000 * MS)
    assert engine.mute_state(time.now).muted == {"bass"}
    assert not [d for _, d in sinks["mono"].messages if d[0] == 0x90]  # bass muted
    gaps = clock_gaps_ns(sinks["mono"], 0)
    assert gaps and all(abs(g - 60e9 / 100 / 24) <= 1 for g in gaps), gaps


def test_resume_plays_the_bar_with_no_count_in_and_the_hand_tempo():
    """`/rig/resume` (the live host, after it restarted a dead engine): the cue from
    the bar, with no second count-in — clicks and a counting header mid-show were
    what a restarted engine did with `count_in:` — and a tempo sent before it holds."""
    from rig.config.countin import CountIn
    from rig.engine.dispatch import handle, status

    time = FakeTime()
    engine, sinks = make([cue("one", 8), cue("two", 8, bpm=90.0)], time)
    engine.count_in = CountIn(bars=1, click="virus", channel=9, note=37)
    handle(engine, "/rig/cue", [1], time.now)
    handle(engine, "/rig/tempo", [132.5], time.now)
    handle(engine, "/rig/resume", [1, 3], time.now)
    states = []
    for _ in range(40):
        advance(engine, time, 100 * MS)
        states.append(status(engine, time.now).state)
    assert "count-in" not in states and states[-1] == "playing"
    s = status(engine, time.now)
    assert (s.cue, s.bpm_set, s.bpm) == (1, 132.5, 132.5) and s.bar >= 3
    assert not [d for _, d in sinks["virus"].messages if d[0] == 0x99]  # no click
    spp = [d for _, d in sinks["mono"].messages if d[0] == 0xF2]
    assert spp == [bytes((0xF2, 32, 0))] * 2  # bar 3: 32 sixteenths (and once more)
    with pytest.raises(ValueError, match="already plays"):
        handle(engine, "/rig/resume", [0, 1], time.now)

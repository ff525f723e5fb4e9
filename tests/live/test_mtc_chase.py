"""`sync: {source: mtc}`: an engine chasing another engine's MTC out (offline twin)."""

from __future__ import annotations

from rig.commands.bench.sync_sim import song
from rig.engine.mtcout import MtcSender
from rig.engine.sync import FollowClock, SyncDriver
from rig.engine.transport import Engine
from rig.midi.sink import RecordingSink

MS = 1_000_000


def rig(now, name):
    sink = RecordingSink(name, now=lambda: now[0])
    sink.open()
    cue = song(16)
    clock = FollowClock(cue.tempo)
    engine = Engine([cue], {"mono": sink}, clock=clock)
    return engine, sink, clock


def test_chasing_mtc_plays_in_step_locates_and_stops():
    now = [10**9]
    master, master_notes, _ = rig(now, "master")
    tc_sink = RecordingSink("mtc", now=lambda: now[0])
    tc_sink.open()
    mtc = MtcSender(master, tc_sink, 25)
    chaser, chaser_notes, clock = rig(now, "chaser")
    chaser.sync = SyncDriver(chaser, clock)
    chaser.sync.switch("mtc", now[0])
    fed = 0

    def run(ms):
        nonlocal fed
        for _ in range(ms):
            now[0] += MS
            master.pump(now[0])
            mtc.pump(now[0])
            messages = tc_sink.messages
            while fed < len(messages) and messages[fed][0] <= now[0]:
                chaser.sync.feed(messages[fed][1], messages[fed][0])  # arrives on time
                fed += 1
            chaser.sync.pump(now[0])
            chaser.pump(now[0])

    master.play(now[0])
    run(3000)
    assert chaser.state == "playing"
    m = {t for t, d in master_notes.messages if d[0] == 0x90 and d[2]}
    c = [t for t, d in chaser_notes.messages if d[0] == 0x90 and d[2]]
    assert len(c) > 16
    # every note the chaser played is one of the master's, to within 0.1 ms
    assert all(min(abs(t - x) for x in m) < 0.1 * MS for t in c)
    master.locate(now[0], 5)
    run(1500)
    assert chaser.state == "playing" and chaser.position(now[0])[0] == 5
    master.stop(now[0])
    run(200)
    assert chaser.state == "stopped"
    assert chaser_notes.sounding() == []


def test_chasing_mtc_locates_to_the_cue_spotted_at_that_timecode():
    """Songs' `timecode:`: a set of two cues spotted at 01:00:00:00 and 01:00:20:00;
    the master's timecode jumps into the second, back into the first, and before both."""
    from rig.song.model import Spot

    now = [10**9]
    master, _, _ = rig(now, "master")  # 16 bars at 120 BPM: 01:00:00:00 to 01:00:32:00
    tc_sink = RecordingSink("mtc", now=lambda: now[0])
    tc_sink.open()
    mtc = MtcSender(master, tc_sink, 25)
    sink = RecordingSink("chaser", now=lambda: now[0])
    sink.open()
    first, second = song(16), song(16)
    first.timecode = Spot(1, 0, 0, 0)
    second.timecode = Spot(1, 0, 20, 0)
    clock = FollowClock(first.tempo)
    chaser = Engine([first, second], {"mono": sink}, clock=clock)
    chaser.sync = SyncDriver(chaser, clock)
    chaser.sync.switch("mtc", now[0])
    fed = 0

    def run(ms):
        nonlocal fed
        for _ in range(ms):
            now[0] += MS
            master.pump(now[0])
            mtc.pump(now[0])
            messages = tc_sink.messages
            while fed < len(messages) and messages[fed][0] <= now[0]:
                chaser.sync.feed(messages[fed][1], messages[fed][0])
                fed += 1
            chaser.pump(now[0])

    master.locate(now[0], 13)  # bar 13 = 24 s = 01:00:24:00: 4 s (2 bars) into `second`
    master.cont(now[0])
    run(1500)
    assert chaser.state == "playing" and chaser.view.index == 1
    bar, _, _ = chaser.position(now[0])
    assert bar == 3  # 01:00:24 + 1.5 s = 5.5 s into the cue: bar 3 (4-6 s) of it
    master.locate(now[0], 3)  # 01:00:04:00: 4 s into `first`
    run(1500)
    assert chaser.state == "playing" and chaser.view.index == 0
    assert chaser.position(now[0])[0] == 3
    # Running on from `first` into `second` at 01:00:20:00: relocated into `second`.
    master.locate(now[0], 10)  # 01:00:18:00
    run(3500)
    assert chaser.state == "playing" and chaser.view.index == 1
    assert chaser.position(now[0])[0] == 1  # 01:00:21.5 = 1.5 s into `second`: bar 1
    master.stop(now[0])
    run(200)
    assert chaser.state == "stopped"
    assert sink.sounding() == []

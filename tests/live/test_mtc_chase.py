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

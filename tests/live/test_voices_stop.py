"""A followed master's Stop on the stand-in voices: nothing starts at or after it.

The real engine on the frame timeline (`FrameLoop`, made-up JACK cycles), following
a MIDI clock master through `SyncDriver` and `ClockFollower` (F8 at exact frames,
fed cycle by cycle as the JACK sync input does), plays a device whose MIDI port is
absent — its stand-in voice plays it (`FallbackOutput`) — and a voice-only track
(`VoiceOutput`). The master stops 6.25 ms before a 16th: the engine has already
handed that 16th's note-ons to the player's queue (its lookahead is 15 ms). A spy
around each instrument records the calls the player's per-block callback makes.
The same run with the take-back switched off is the control: there, the stand-ins
do play a note-on after the Stop.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rig.engine.cycle import FrameLoop
from rig.engine.sync import FollowClock, SyncDriver
from rig.engine.transport import Engine
from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, NoteOff, NoteOn
from rig.song.tempomap import TempoMap
from rig.timing.timeline import Timeline
from rig.voices.player import VoicePlayer
from rig.voices.settings import VoiceSettings
from tests.live.test_voices_apply import Silent, Spy

RATE, BLOCK = 48000, 64
BPM = 125.0  # one clock = 960 frames, a 16th = 5760 frames = 90 blocks
CLOCK_FRAMES = 960
SIXTEENTH = 6 * CLOCK_FRAMES


def song() -> Arrangement:
    """16ths on a stand-in device ("virus") and a voice-only track ("pad"), each note
    a 16th long (its note-off on the next note-on's tick)."""
    events: list = []
    for i in range(32):
        t = i * PPQ // 4
        for track, note in (("keys", 60 + i % 12), ("pad", 48 + i % 12)):
            events += [NoteOn(t, track, 0, note, 90), NoteOff(t + PPQ // 4, track, 0, note)]
    length = 8 * PPQ
    tracks = [TrackInfo("keys", "virus", "test-sine", 0), TrackInfo("pad", None, "test-sine", 0)]
    return Arrangement(
        "stop", events, TempoMap.constant(BPM), [SectionSpan("a", 0, length, 1, 2, 4, 4)],
        tracks, length,
    )  # fmt: skip


def run(stop_frame: int, take_back: bool, monkeypatch) -> tuple[dict[str, list[tuple]], int]:
    """Calls per output (song frames: 0 = the master's beat 0), and the frame the
    instruments' clock puts the Stop on."""
    calls: dict[str, list[tuple]] = {"virus": [], "voice:pad": []}
    settings = VoiceSettings({}, {}, connect=None, limit=False)
    player = VoicePlayer(settings, [song()])
    (routed,) = player.cues
    for info in routed.tracks:
        player._instruments[(info.device, 0, "test-sine")] = Spy(Silent(), calls[info.device])
    if not take_back:
        monkeypatch.setattr(VoicePlayer, "take_back", lambda self, output, sound_ns: False)
    outputs = player.outputs({})  # no MIDI sink for "virus": its stand-in plays it
    assert not outputs["virus"].on_hardware
    origin = 3 * BLOCK
    timeline = Timeline(RATE, origin)
    clock = FollowClock(routed.tempo)
    engine = Engine([routed], outputs, clock_latency_ms={}, clock=clock)
    engine.sync = SyncDriver(engine, clock)
    engine.sync.switch("midi", 0)
    loop = FrameLoop(engine, timeline)
    loop.notice_frames = player.notice_frames
    player.use_timeline(timeline)
    player.attach(engine.scheduler)
    client = SimpleNamespace(last_frame_time=origin)
    player._client = client
    beat0 = 100 * BLOCK  # frames since the origin where the master's clock 0 falls
    master = [(beat0 + k * CLOCK_FRAMES, b"\xf8") for k in range(-24, 200)]
    master.append((beat0 - CLOCK_FRAMES // 2, b"\xfa"))  # Start: the next F8 is beat 0
    master = [m for m in master if m[0] < stop_frame] + [(stop_frame, b"\xfc")]
    master.sort()
    i = 0
    for frame in range(0, stop_frame + 40 * SIXTEENTH // 10, BLOCK):
        while i < len(master) and master[i][0] < frame + BLOCK:  # this cycle's input
            at, data = master[i]
            engine.sync.feed(data, timeline.ns_of(at))  # frames since the origin
            i += 1
        client.last_frame_time = origin + frame
        loop(timeline.cycle(origin + frame, BLOCK))
        player._block()
    assert loop.errors == 0, loop.last_error
    # The player's clock counts from its first block (frame 0 of the loop here).
    return {out: [(*c[:-1], c[-1] - beat0) for c in got] for out, got in calls.items()}, (
        stop_frame - beat0
    )


@pytest.mark.parametrize("take_back", [True, False], ids=["taken-back", "control"])
def test_a_masters_stop_ends_the_stand_ins_on_its_frame(take_back, monkeypatch):
    beat0 = 100 * BLOCK
    stop_frame = beat0 + 8 * SIXTEENTH - 300  # 6.25 ms before the 9th 16th
    calls, stop = run(stop_frame, take_back, monkeypatch)
    for output, got in calls.items():
        ons = [c for c in got if c[0] == "note_on"]
        assert len(ons) >= 8, (output, got)  # the first 8 16ths played
        late = [c for c in ons if c[-1] >= stop]
        if not take_back:  # the control: the queue held the 9th 16th, and played it
            assert late, (output, ons[-3:])
            continue
        assert late == [], (output, late)
        assert len(ons) == 8, (output, ons)
        stop_block = stop - stop % BLOCK  # the block holding the Stop's frame
        sounding: dict[int, int] = {}
        for c in got:
            if c[0] == "note_on":
                sounding[c[1]] = c[-1]
            elif c[0] == "note_off":
                sounding.pop(c[1], None)
                assert c[-1] <= stop_block, (output, c, stop)
        assert sounding == {}, (output, sounding)  # nothing left sounding
        # the 8th 16th's note, still sounding at the Stop, ends on the Stop's block
        assert got[-1][0] == "note_off" and got[-1][-1] == stop_block, (output, got[-3:])

"""The live stand-in voices and the offline render apply one event list identically.

Both end in `rig.dsp.play.apply_event`; this checks the whole way there. Offline:
the real render worker (`rig.dsp.worker.render_track`, pyo's offline server) on the
track's events. Live: the engine on the frame timeline (`FrameLoop`, made-up JACK
cycles) → its typed events → the voice output → `VoicePlayer.play` → the player's
per-block callback. A spy around the instrument records every call; the two lists
must be equal, call for call — the same notes, velocities, CC names and values and
programs, on the same block (the song's 16ths fall on block starts at 125 BPM, so
"the block the frame falls in" and the render's "nearest block" are one block).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rig.dsp import worker
from rig.dsp.render import track_jobs
from rig.engine.cycle import FrameLoop
from rig.engine.transport import Engine
from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, ControlChange, NoteOff, NoteOn, ProgramChange
from rig.song.tempomap import TempoMap
from rig.timing.timeline import Timeline
from rig.voices.player import VoicePlayer
from rig.voices.settings import VoiceSettings
from tests.support.voices import sine_voice

RATE, BLOCK = 48000, 64
BPM = 125.0  # a 16th = 0.12 s = 5760 frames = 90 blocks: every event on a block start


class Spy:
    """Records the calls that make sound; everything else goes to `inner`."""

    def __init__(self, inner: Any, calls: list[tuple]) -> None:
        self._inner = inner
        self._calls = calls

    def note_on(self, note: int, velocity: int, at: float) -> None:
        self._calls.append(("note_on", note, velocity, round(at * RATE)))
        self._inner.note_on(note, velocity, at)

    def note_off(self, note: int, at: float) -> None:
        self._calls.append(("note_off", note, round(at * RATE)))
        self._inner.note_off(note, at)

    def control(self, name: str, number: int, value: int, at: float) -> bool:
        self._calls.append(("control", name, number, value, round(at * RATE)))
        return bool(self._inner.control(name, number, value, at))

    def program(self, program: int, at: float) -> None:
        self._calls.append(("program", program, round(at * RATE)))
        self._inner.program(program, at)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class Silent:
    """What the live spy wraps: no pyo here (the guard skips a faulted instrument)."""

    faulted = True
    resting = True
    unmatched: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return lambda *args: None


def song() -> Arrangement:
    sixteenth = PPQ // 4
    events: list = [ProgramChange(0, "lead", 0, 3)]
    for i in range(12):
        t = i * sixteenth
        if i % 4 == 0:
            events.append(ControlChange(t, "lead", 0, 74, 20 + 8 * i, "cutoff"))
        note = 60 + i
        events += [NoteOn(t, "lead", 0, note, 70 + i), NoteOff(t + 2 * sixteenth, "lead", 0, note)]
    length = 4 * PPQ
    return Arrangement(
        "apply", events, TempoMap.constant(BPM), [SectionSpan("a", 0, length, 1, 1, 4, 4)],
        [TrackInfo("lead", None, "test-sine", 0)], length,
    )  # fmt: skip


def offline_calls(arr: Arrangement, spec: Any, tmp_path: Path, monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    real = worker.build_instrument
    monkeypatch.setattr(
        worker, "build_instrument", lambda pyo, s, moving=None: Spy(real(pyo, s, moving), calls)
    )
    (job,) = track_jobs(arr, {"test-sine": spec}, tmp_path, RATE, BLOCK, max_tail=0.2)
    worker.render_track(job, lambda track, done: None)
    return calls


def live_calls(arr: Arrangement, spec: Any) -> list[tuple]:
    calls: list[tuple] = []
    settings = VoiceSettings({"test-sine": spec}, {}, connect=None, limit=False)
    player = VoicePlayer(settings, [arr])
    (routed,) = player.cues
    (track,) = routed.tracks
    player._instruments[(track.device, 0, "test-sine")] = Spy(Silent(), calls)
    outputs = player.outputs({})
    origin = 7 * BLOCK  # JACK's frame counter when the engine starts
    timeline = Timeline(RATE, origin)
    engine = Engine([routed], outputs)
    loop = FrameLoop(engine, timeline)
    player.use_timeline(timeline)
    player.attach(engine.scheduler)
    client = SimpleNamespace(last_frame_time=origin)
    player._client = client
    downbeat = 40 * BLOCK  # frames since the origin: on a block start
    frame = 0
    for k in range(3 * RATE // BLOCK):
        if k == 2:
            with loop.lock:
                engine.play(loop.now_ns(), at_ns=timeline.ns_of(downbeat))
        client.last_frame_time = origin + frame
        cycle = timeline.cycle(origin + frame, BLOCK)
        loop(cycle)  # the engine's share of the cycle: its events to the player
        player._block()  # pyo's callback for the same cycle
        frame += BLOCK
    assert player.late == 0 and loop.errors == 0
    # The player's clock counts from its first block (frame 0 here): song frames.
    return [(*c[:-1], c[-1] - downbeat) for c in calls]


@pytest.mark.audio
def test_the_render_and_the_live_voices_apply_the_same_calls_on_the_same_blocks(
    tmp_path, monkeypatch
):
    arr = song()
    spec = sine_voice(tmp_path)
    offline = offline_calls(arr, spec, tmp_path, monkeypatch)
    live = live_calls(arr, spec)
    notes = [c for c in offline if c[0] == "note_on"]
    assert len(notes) == 12 and offline[0][0] == "program"
    assert any(c[0] == "control" and c[1] == "cutoff" for c in offline)
    assert live == offline

"""The live stand-in voices under test: a sharp test sine, beat patterns, and the real
engine process playing them on a private JACK server with their audio captured."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from rig.control.protocol import ControlClient
from rig.dsp.loader import load_voice
from rig.engine.process import EngineProcess
from rig.engine.spec import EngineSpec
from rig.probe.capture import AudioCapture
from rig.song.arrangement import Arrangement, SectionSpan
from rig.song.events import PPQ, NoteOff, NoteOn
from rig.song.tempomap import TempoMap
from rig.voices.settings import VoiceSettings
from tests.support.live import wait_state

REPO = Path(__file__).resolve().parents[2]
VOICES = REPO / "patches" / "voices"
BLOCK = 64
# A sine with a 1 ms attack and 20 ms release, no effects: onsets and ends are sharp.
TEST_VOICE = """\
description: test sine
mode: poly
voices: 4
level: -6
velocity: 0
oscillators:
  - {wave: sine}
filter: {type: none}
amp: {attack: 0.001, decay: 0.01, sustain: 1, release: 0.02}
"""


def sine_voice(tmp_path: Path):
    path = tmp_path / "test-sine.yaml"
    path.write_text(TEST_VOICE)
    return load_voice(path)


def beats(track: str, count: int, pitch: int, channel: int = 0, downbeat: int | None = None):
    """A note on every beat, half a beat long; `downbeat` marks each bar's first note."""
    events = []
    for b in range(count):
        note = downbeat if downbeat is not None and b % 4 == 0 else pitch
        events += [
            NoteOn(b * PPQ, track, channel, note, 100),
            NoteOff(b * PPQ + PPQ // 2, track, channel, note),
        ]
    return events


def arrangement(events, tracks, bars: int, bpm: float = 120.0) -> Arrangement:
    length = bars * 4 * PPQ
    return Arrangement(
        "voices-live", events, TempoMap.constant(bpm),
        [SectionSpan("a", 0, length, 1, bars, 4, 4)], tracks, length,
    )  # fmt: skip


def settings(voices: dict, cc_names=None) -> VoiceSettings:
    # connect=None: the dummy server's playback ports would only add load.
    return VoiceSettings(voices=voices, cc_names=cc_names or {}, connect=None, required=True)


def start(
    arr: Arrangement, voice_settings: VoiceSettings, outputs=(), bundle_dir: str = ""
) -> EngineProcess:
    spec = EngineSpec((arr,), tuple(outputs), voices=voice_settings, bundle_dir=bundle_dir)
    return EngineProcess(spec).start()


def capture(jack_server) -> AudioCapture:
    return AudioCapture.spawn(["rig-voices:output_1", "rig-voices:output_2"], jack_server.env)


def play_through(
    jack_server, arr, voice_settings, outputs=(), tail: float = 0.3, freewheel=None
):
    """Play `arr` to its end on a real engine with `voice_settings`, the stand-ins'
    audio captured; (take, engine) once both stopped (`tail` s of release kept).
    With `freewheel` the playing runs in JACK freewheel (frame-exact, no xruns)."""
    engine = start(arr, voice_settings, outputs)
    cap = capture(jack_server)
    try:
        with freewheel or contextlib.nullcontext(), ControlClient(engine.port) as control:
            control.send("/rig/play")
            wait_state(control, "ended", 180)
            time.sleep(tail)
    finally:
        take = cap.stop()
        engine.stop()
    return take, engine

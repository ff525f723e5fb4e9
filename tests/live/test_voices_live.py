"""Software voices live: the real engine process with pyo on a private JACK dummy server.

Witnesses share nothing with the engine: the stand-ins' audio is captured by
`rig.probe.capture` (its own process, JACK frame stamps) and hardware MIDI by the
MIDI recorder, on the same frame timeline, so "the stand-in stops and the
hardware takes over at the bar" is checked to the frame.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from rig.control.protocol import ControlClient
from rig.dsp.loader import load_voice
from rig.engine.process import EngineError, EngineProcess
from rig.engine.sinks import OutputSpec
from rig.engine.spec import EngineSpec
from rig.midi.notes import sounding_after
from rig.probe.recorder import Recorder
from rig.song.arrangement import TrackInfo
from rig.song.events import PPQ, NoteOff, NoteOn
from rig.voices.settings import VoiceSettings
from tests.support.audio import SR, f0, midi_hz, onsets, rises, rms
from tests.support.live import wait_connected, wait_for, wait_state
from tests.support.voices import (
    BLOCK,
    REPO,
    TEST_VOICE,
    VOICES,
    arrangement,
    beats,
    capture,
    play_through,
    settings,
    sine_voice,
    start,
)

pytestmark = [pytest.mark.jack, pytest.mark.audio, pytest.mark.slow]


def test_a_software_track_plays_its_pitch_on_its_beats(jack_server, freewheel):
    # 8 beats of A3 on the piano voice at 120 BPM: an onset every 24000 frames.
    arr = arrangement(beats("keys", 8, 57), [TrackInfo("keys", None, "piano", 0)], bars=2)
    voices = settings({"piano": load_voice(VOICES / "piano.yaml")})
    take, engine = play_through(jack_server, arr, voices, tail=0.5, freewheel=freewheel)
    check_pitch_and_beats((take, engine))


def check_pitch_and_beats(result) -> None:
    take, engine = result
    mono = take.audio.mean(axis=1)
    peak = np.abs(mono).max()
    assert peak > 1e-3, "no sound from the software track"
    found = rises(mono)
    assert len(found) == 8, found
    gaps = np.diff(found)
    # Each onset on its block (±half a block); the energy crossing is found to ~2 ms.
    assert np.all(np.abs(gaps - SR // 2) <= BLOCK + 96), gaps
    first = found[0]
    pitch = f0(mono[first + 2400 : first + 2400 + 9600])
    assert abs(pitch / midi_hz(57) - 1) < 0.01, f"{pitch:.2f} Hz"
    stats = engine.exit_info[3]
    assert stats["applied"] == 16 and stats["late"] == 0


def test_a_device_whose_port_is_missing_is_heard_on_its_stand_in(jack_server, freewheel, tmp_path):
    arr = arrangement(beats("lead", 8, 69), [TrackInfo("lead", "synth", "test-sine", 0)], bars=2)
    outputs = [OutputSpec("synth", "no-such-port-anywhere", "jack")]
    take, engine = play_through(jack_server, arr, settings({"test-sine": sine_voice(tmp_path)}),
                                outputs, freewheel=freewheel)  # fmt: skip
    assert any("synth" in w and "stand-in" in w for w in engine.warnings), engine.warnings
    mono = take.audio.mean(axis=1)
    found = onsets(mono, 0.1 * np.abs(mono).max())
    assert len(found) == 8
    assert abs(f0(mono[found[0] + 1200 : found[0] + 6000]) / 440.0 - 1) < 0.01


@pytest.mark.parametrize("limit", [True, False], ids=["limiter", "no-limiter"])
def test_stand_in_onsets_fall_in_the_block_of_the_hardware_midi_frame(
    jack_server, freewheel, tmp_path, limit
):
    # "hw" is a synth on the recorder (latency 0, with clock); "late" has no port, a
    # 10 ms latency (its MIDI would go 480 frames early) and plays on its stand-in,
    # which must sound on the beat all the same: in the block of hw's note's frame.
    events = beats("hw", 8, 60) + beats("late", 8, 69, channel=1)
    tracks = [
        TrackInfo("hw", "hw", None, 0),
        TrackInfo("late", "slow", "test-sine", 1, latency_ms=10.0),
    ]
    arr = arrangement(events, tracks, bars=2)
    recorder = Recorder.spawn(jack_server.env)
    outputs = [
        OutputSpec("hw", recorder.port, "jack", clock=True),
        OutputSpec("slow", "no-such-port-anywhere", "jack", latency_ms=10.0),
    ]
    try:
        voices = VoiceSettings({"test-sine": sine_voice(tmp_path)}, {}, connect=None,
                               required=True, limit=limit)  # fmt: skip
        take, engine = play_through(jack_server, arr, voices, outputs, tail=0.3,
                                    freewheel=freewheel)  # fmt: skip
        midi = recorder.stop()
    finally:
        recorder.kill()
    check_lined_up(take, midi)


def check_lined_up(take, midi) -> None:
    """Every stand-in onset in the block (JACK period = pyo block) its MIDI frame falls
    in: 0 blocks off. Blocks are counted on the capture's cycle grid. (The capture
    runs in real time before and after freewheel and may xrun there: its rows are
    mapped to frames across the cycles it missed.)"""
    note_frames = [f for f, d in midi if d[0] & 0xF0 == 0x90 and d[2] > 0]
    mono = take.audio.mean(axis=1)
    found = [take.frame_at(i) for i in onsets(mono, 0.05 * np.abs(mono).max())]
    assert len(note_frames) == len(found) == 8
    block = [(f - take.first_frame) // BLOCK for f in note_frames]
    heard = [(f - take.first_frame) // BLOCK for f in found]
    offsets = [a - m for a, m in zip(found, note_frames, strict=True)]
    within = [(f - take.first_frame) % BLOCK for f in note_frames]
    print(f"MIDI frames' offsets in their blocks {within}; onset - MIDI frames {offsets}")
    assert heard == block, offsets


def test_a_port_appearing_mid_show_takes_over_at_the_next_bar(jack_server, freewheel, tmp_path):
    # 6 bars of beats; the downbeat of each bar is note 72, the others 69. The synth's
    # port appears during bar 2: from the next bar line on its notes arrive as MIDI,
    # and the stand-in falls silent (its all-notes-off at that bar). Real time until the
    # engine has connected to the new port (no client opens while the server
    # freewheels), the rest in freewheel.
    bars = 6
    events = beats("lead", bars * 4, 69, downbeat=72)
    arr = arrangement(events, [TrackInfo("lead", "synth", "test-sine", 0)], bars=bars)
    name = f"late-synth-{os.getpid()}"
    outputs = [OutputSpec("synth", name, "jack")]
    engine = start(arr, settings({"test-sine": sine_voice(tmp_path)}), outputs)
    cap = capture(jack_server)
    rec = None
    xruns = jack_server.xruns.count
    try:
        with ControlClient(engine.port) as control:
            control.send("/rig/play")
            wait_for(control, lambda s: s.state == "playing" and (s.bar, s.beat) >= (2, 2))
            rec = Recorder.spawn(jack_server.env, client_name=name)
            wait_connected(rec.port)
            with freewheel:
                wait_state(control, "ended", 180)
                time.sleep(0.3)
    finally:
        take = cap.stop()
        engine.stop()
        midi = rec.stop() if rec is not None else []
    xruns = jack_server.xruns.count - xruns
    messages = engine.exit_info[3]["messages"]
    assert any("back" in m and "next bar" in m for m in messages), messages
    ons = [(f, d) for f, d in midi if d[0] & 0xF0 == 0x90 and d[2] > 0]
    assert ons, "no MIDI reached the synth after its port appeared"
    assert {d[1] for _, d in ons} <= {69, 72}
    # The hardware starts on a downbeat and plays every note from there on: exact at the
    # recorder unless the server xrun (a cycle that xruns can lose its MIDI there).
    bars_on_hw = -(-len(ons) // 4)
    assert (ons[0][1][1] == 72 and len(ons) % 4 == 0) or xruns > 0, (ons[:2], len(ons), xruns)
    assert 1 <= bars_on_hw <= bars - 2
    assert sounding_after([d for _, d in midi]) == [] or xruns > 0, xruns
    handover = ons[0][0]  # frame of the first hardware note
    mono = take.audio.mean(axis=1)
    cut = take.frame_index(handover)
    before = mono[max(0, cut - SR) : cut]
    after = mono[cut + SR // 20 :]  # the stand-in's 20 ms release is over
    assert rms(before) > 0.01, "the stand-in was not playing before the handover"
    assert np.abs(after).max() < 1e-4, "the stand-in still sounds after the handover"
    # Bars before the handover were heard on the stand-in: one onset per beat.
    found = onsets(mono[:cut], 0.1 * np.abs(before).max())
    assert len(found) == (bars - bars_on_hw) * 4


def test_no_jack_server_is_a_clear_error_not_a_hang(tmp_path):
    # In a child process with no server: pyo must not be asked to boot blind (it would
    # try to start jackd, wait, then print a page of libjack errors).
    code = (
        "from rig.dsp.server import import_pyo, jack_server, AudioUnavailable\n"
        "try:\n"
        "    jack_server(import_pyo())\n"
        "except AudioUnavailable as exc:\n"
        "    print('ERROR', exc)\n"
    )
    env = dict(os.environ, JACK_DEFAULT_SERVER=f"rig-none-{os.getpid()}")
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ERROR no JACK server"), proc.stdout
    assert "start jackd" in proc.stdout


def test_engine_that_needs_jack_audio_without_a_server_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", f"rig-none-{os.getpid()}")
    arr = arrangement(beats("keys", 4, 60), [TrackInfo("keys", None, "test-sine", 0)], bars=1)
    with pytest.raises(EngineError, match="no JACK server"):
        start(arr, settings({"test-sine": sine_voice(tmp_path)}))
    # Not required (config audio: auto): a warning, and the engine runs.
    loose = VoiceSettings({"test-sine": sine_voice(tmp_path)}, {}, connect=None)
    engine = EngineProcess(EngineSpec((arr,), (), voices=loose)).start()
    try:
        assert any("software voices" in w and "no JACK server" in w for w in engine.warnings)
    finally:
        engine.stop()


LOUD_VOICE = TEST_VOICE.replace("level: -6", "level: 0").replace("voices: 4", "voices: 8")


def test_the_live_master_limiter_holds_a_pile_up_under_minus_one_dbfs(
    jack_server, freewheel, tmp_path
):
    """Eight loud sines at once (an octave-spread chord on two tracks) sum far above
    full scale: JACK's float audio would pass that on to the sound card, which clips.
    The same song with the limiter off shows the pile-up is real."""
    path = tmp_path / "loud-sine.yaml"
    path.write_text(LOUD_VOICE)
    voices = {"loud-sine": load_voice(path)}
    events = []
    for track, channel, notes in (("a", 0, (45, 52, 57, 64)), ("b", 1, (48, 55, 60, 67))):
        for note in notes:
            events += [NoteOn(0, track, channel, note, 127), NoteOff(4 * PPQ, track, channel, note)]
    tracks = [TrackInfo("a", None, "loud-sine", 0), TrackInfo("b", None, "loud-sine", 1)]
    arr = arrangement(events, tracks, bars=1)
    peaks = {}
    for limit in (False, True):
        voice_settings = VoiceSettings(voices=voices, cc_names={}, connect=None, required=True,
                                       gain_db=0.0, limit=limit)  # fmt: skip
        take, engine = play_through(jack_server, arr, voice_settings, tail=0.2,
                                    freewheel=freewheel)  # fmt: skip
        peaks[limit] = float(np.abs(take.audio).max())
    assert peaks[False] > 2.0, peaks  # the pile-up, unlimited
    assert 0.5 < peaks[True] <= 10 ** (-1 / 20) + 1e-6, peaks  # loud, and never over −1 dBFS

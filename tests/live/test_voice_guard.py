"""A stand-in whose sound goes to inf/NaN (a filter blowing up) is silenced within a few
blocks and rebuilt: the show's audio comes back, finite, with the next note.

The VoicePlayer runs in this process on the private JACK server (the test plays the
engine thread's part: it sends the notes and calls the player as the engine's loop
does); its audio is captured by its own JACK client in another process. The blow-up is
forced by setting the filter's cutoff signal to NaN while a note sounds, as a resonant
ladder pushed past its range does by itself (tests/dsp/test_filter_stability.py).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest

from rig.dsp.loader import load_voice
from rig.probe.capture import AudioCapture
from rig.song.arrangement import TrackInfo
from rig.song.events import NoteOff, NoteOn
from rig.voices.player import VoicePlayer
from rig.voices.settings import VoiceSettings
from tests.support.audio import SR, f0, midi_hz, rms
from tests.support.voices import TEST_VOICE, arrangement

pytestmark = [pytest.mark.jack, pytest.mark.audio, pytest.mark.slow]

FILTERED = TEST_VOICE.replace(
    "filter: {type: none}",
    "params:\n  cutoff: {value: 3000, min: 20, max: 16000}\n"
    "filter: {type: lowpass24, cutoff: cutoff, resonance: 0.2}",
)
CLIENT = "rigtest-guard"
MS = 1_000_000


def test_an_instrument_gone_to_nan_is_silenced_rebuilt_and_plays_again(
    jack_server, tmp_path, monkeypatch
):
    for key, value in jack_server.env.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "test-filter.yaml"
    path.write_text(FILTERED)
    spec = load_voice(path)
    arr = arrangement([], [TrackInfo("t", None, "test-filter", 0)], bars=1)
    settings = VoiceSettings(
        voices={"test-filter": spec}, cc_names={}, connect=None, required=True,
        client_name=CLIENT,
    )  # fmt: skip
    player = VoicePlayer(settings, [arr]).open()
    cap = None
    try:
        player.outputs({}, ())
        engine = SimpleNamespace(arrangement=player.cues[0], playing=False)
        player.attach(engine)
        player.start()
        cap = AudioCapture.spawn([f"{CLIENT}:output_1", f"{CLIENT}:output_2"], jack_server.env)

        def run_engine(seconds: float) -> None:
            """The engine thread's part: call the player every few ms."""
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                player(time.monotonic_ns(), engine)
                time.sleep(0.005)

        def note(pitch: int, at_ns: int, length_ns: int) -> None:
            player.play("voice:t", at_ns, NoteOn(0, "t", 0, pitch, 100))
            player.play("voice:t", at_ns + length_ns, NoteOff(0, "t", 0, pitch))

        now = time.monotonic_ns()
        note(57, now + 200 * MS, 600 * MS)  # A3: sounding when the filter blows up
        run_engine(0.5)
        (inst,) = player._instruments.values()
        inst.params._setters["cutoff"](float("nan"))  # the blow-up
        run_engine(0.5)
        note(69, time.monotonic_ns() + 100 * MS, 400 * MS)  # A4 after the rebuild
        run_engine(0.8)
    finally:
        take = cap.stop() if cap is not None else None
        player.close()

    assert player.faults == 1, "the non-finite output was not caught"
    assert any("went out of range (inf/NaN); rebuilt" in m for m in player.messages)
    assert take is not None
    mono = take.audio.mean(axis=1).astype(np.float64)
    bad = np.nonzero(~np.isfinite(mono))[0]
    # Whatever NaN got out lasted at most the check interval and the engine's reaction.
    if len(bad):
        assert (bad[-1] - bad[0]) < SR // 10, f"non-finite for {(bad[-1] - bad[0]) / SR:.3f} s"
        after = mono[bad[-1] + 1 :]
    else:
        after = mono
    assert np.isfinite(after).all()
    # The next note sounds again, at its pitch, out of the rebuilt instrument.
    loud = np.nonzero(np.abs(after) > 0.01)[0]
    assert len(loud), "silent after the rebuild"
    start = loud[-1] - SR // 5  # the last 0.2 s of sound: the A4 held
    held = after[start : loud[-1]]
    assert rms(held) > 0.01
    assert f0(held) == pytest.approx(midi_hz(69), rel=0.02)

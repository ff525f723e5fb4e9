"""An instrument silent past its tails rests (effects, LFOs, noise, mixes stopped) and
a note wakes it on its own block. Each voice is rendered twice, resting and never
resting (its tail made endless); the note after the rest must sound the same."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rig.dsp.loader import load_voice
from rig.dsp.render import track_jobs
from rig.dsp.spec import VoiceSpec
from rig.dsp.worker import render_track
from tests.support.audio import SR, centroid, rms
from tests.support.render import VOICES, arrangement, note

pytestmark = pytest.mark.audio

VOICE_NOTES = {
    "virus-pad": 57,
    "juno-poly": 60,
    "monopoly-bass": 36,
    "gm-piano": 64,
    "piano": 64,
    "guitar": 52,
    "horns": 60,
    "rytm-kit": 0,  # BD
}
# Nothing in these runs while no note plays (no LFO, chorus or noise): resting or not,
# the samples after the rest are the same.
STATIC = {"monopoly-bass", "gm-piano", "piano"}
BEAT_S = 0.5  # 120 BPM


def _render(voice: str, events: list, bars: int, tmp_path, monkeypatch, rest: bool):
    spec = load_voice(VOICES / f"{voice}.yaml")
    arr = arrangement(events, {"t": voice}, bars=bars)
    folder = tmp_path / ("rest" if rest else "awake")
    folder.mkdir()
    (job,) = track_jobs(arr, {voice: spec}, folder, SR)
    with monkeypatch.context() as patch:
        if not rest:
            patch.setattr(VoiceSpec, "tail_seconds", lambda self: math.inf)
        result = render_track(job, lambda track, done: None)
    audio = np.fromfile(result.path, dtype="<f4").reshape(-1, 2).mean(axis=1)
    return audio, result.rests


def _onset(mono: np.ndarray, start: int, level: float) -> int:
    above = np.nonzero(np.abs(mono[start:]) > level)[0]
    assert len(above), "no note"
    return int(above[0])


@pytest.mark.parametrize("voice", sorted(VOICE_NOTES))
def test_a_note_after_a_rest_sounds_as_it_would_have_without_the_rest(voice, tmp_path, monkeypatch):
    tail = load_voice(VOICES / f"{voice}.yaml").tail_seconds()
    pitch = VOICE_NOTES[voice]
    # The second note comes once the first one's tails have rung out (+ housekeeping).
    second = math.ceil((BEAT_S + tail + 2.0) / BEAT_S)
    events = note("t", 0, pitch, 1) + note("t", second, pitch, 1)
    bars = second // 4 + 2
    rested, rests = _render(voice, events, bars, tmp_path, monkeypatch, rest=True)
    awake, never = _render(voice, events, bars, tmp_path, monkeypatch, rest=False)
    assert rests >= 1 and never == 0

    start = round(second * BEAT_S * SR)
    peak = np.abs(awake[:start]).max()
    a, b = awake[start : start + SR // 2], rested[start : start + SR // 2]
    # The wake costs no block: the note starts where it would have (its first audible
    # sample: later crossings move with the phase of a filter LFO).
    assert _onset(b, 0, 2e-3 * peak) == pytest.approx(_onset(a, 0, 2e-3 * peak), abs=64)
    if voice in STATIC:
        assert np.abs(b - a).max() < 1e-3 * peak, f"{voice}: the note changed after the rest"
    else:
        # A free-running LFO (or noise) stopped where it was and goes on from there, as a
        # hardware LFO is wherever it is at a note-on: the same note, at another phase of
        # the PWM, chorus or filter sweep (measured: up to 2.4 dB apart over the note).
        assert abs(20 * math.log10(rms(b) / rms(a))) < 3.0, f"{voice}: level changed"
        assert centroid(b) == pytest.approx(centroid(a), rel=0.2), f"{voice}: tone changed"
    # Resting is silent: nothing clicks when the effects stop.
    quiet = rested[round((BEAT_S + tail) * SR) : start - SR // 10]
    assert np.abs(quiet).max() < 1e-3 * peak, f"{voice}: sound while resting"

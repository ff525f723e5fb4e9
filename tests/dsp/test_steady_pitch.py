"""Which voices play steady pitches (`SynthInstrument.steady`), and that they play in tune.

A slot whose pitch only moves from note to note (no glide, no pitch LFO that sounds) is
given each note's frequency as a number; the others follow a pitch stream. Offline, a
pitch LFO whose depth no event moves from 0 is not built at all (the piano's tape wow
outside its warped program). How each voice sounds against the pitch-stream way is
`tests/dsp/test_render_cost.py`'s; here: who is steady, and a steady chord's pitches.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from rig.dsp.loader import load_voice
from rig.dsp.params import moving_params
from rig.dsp.render import track_jobs
from rig.dsp.server import import_pyo, offline_server
from rig.dsp.synth import SynthInstrument
from rig.dsp.worker import render_track
from tests.support.audio import SR, yin_f0
from tests.support.render import VOICES, arrangement, note

pytestmark = pytest.mark.audio


def _steady(voice: str, controls: list) -> bool:
    pyo = import_pyo()
    server = offline_server(pyo, SR, 128)
    spec = load_voice(VOICES / f"{voice}.yaml")
    made = [SynthInstrument(pyo, spec, moving_params(spec, controls))]
    steady = all(slot.steady for slot in made[0].slots)
    made.clear()
    gc.collect()
    server.stop()
    server.shutdown()
    return steady


@pytest.mark.parametrize(
    ("voice", "controls", "steady"),
    [
        ("virus-pad", [], True),
        ("juno-poly", [], True),
        ("guitar", [], True),
        ("piano", [0], True),  # the grand: its tape LFOs have depth 0 for good
        ("piano", [1], False),  # the warped piano wows
        ("monopoly-bass", [], False),  # glides
        ("lead-voice", [], False),  # vibrato
    ],
)
def test_who_plays_steady_pitches(voice, controls, steady):
    assert _steady(voice, controls) is steady


def test_live_a_pitch_lfo_whose_depth_may_move_is_kept():
    """Live (`moving` None) any parameter may move: the piano's wow is built, not steady."""
    pyo = import_pyo()
    server = offline_server(pyo, SR, 128)
    made = [SynthInstrument(pyo, load_voice(VOICES / "piano.yaml"), None)]
    assert not made[0].slots[0].steady
    assert "pitch" in made[0]._shared.lfo
    made.clear()
    gc.collect()
    server.stop()
    server.shutdown()


@pytest.mark.parametrize("voice", ["virus-pad", "juno-poly"])
def test_a_steady_voice_plays_each_note_at_its_pitch(voice, tmp_path):
    """Notes one after another (each alone: the last one's release is over) on the same
    slots: each sounds at its own pitch."""
    pitches = [45, 52, 57, 64]
    events = [e for i, p in enumerate(pitches) for e in note("t", i * 8.0, p, 2.0, 100)]
    arr = arrangement(events, {"t": voice}, bars=8)
    spec = load_voice(VOICES / f"{voice}.yaml")
    (job,) = track_jobs(arr, {voice: spec}, tmp_path, SR, max_tail=0.5)
    result = render_track(job, lambda track, done: None)
    audio = np.fromfile(result.path, dtype="<f4").reshape(-1, 2).mean(axis=1)
    for i, pitch in enumerate(pitches):
        start = int((i * 4.0 + 0.6) * SR)  # 8 beats at 120 BPM apart; past the attack
        hz = 440.0 * 2 ** ((pitch - 69) / 12)
        found = yin_f0(audio[start : start + SR // 4], fmin=hz / 1.5, fmax=hz * 1.5)
        assert found == pytest.approx(hz, rel=0.01), f"note {pitch}"

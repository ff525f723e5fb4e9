"""Resonant voices pushed to the top of their filters stay finite.

At a 16.8 kHz cutoff ceiling Heartbeat III's arp (virus-pad, resonance 0.6, envelope
+3 octaves, cutoff CC 127) blew up to inf/NaN within one block once its filter LFO ran
from another phase: a single NaN silences a normalised render, and live it would poison
the master limiter. Here every filtered synth voice plays fast arpeggios over five
octaves with cutoff, resonance and envelope amount at their maximum, in presets that
differ, and the raw (un-normalised) track must stay finite and bounded.
"""

from __future__ import annotations

import numpy as np
import pytest

from rig.dsp.loader import load_voice
from rig.dsp.render import track_jobs
from rig.dsp.worker import render_track
from rig.song.events import PPQ, ControlChange, NoteOff, NoteOn, ProgramChange
from tests.support.audio import SR
from tests.support.render import VOICES, arrangement

pytestmark = pytest.mark.audio

CASES = [("virus-pad", None), ("virus-pad", 3), ("juno-poly", None), ("monopoly-bass", None),
         ("horns", None)]  # fmt: skip
MAXED = ("cutoff", "resonance", "env_amount")


@pytest.mark.parametrize(("voice", "program"), CASES)
def test_a_filter_at_its_top_stays_finite(voice, program, tmp_path):
    spec = load_voice(VOICES / f"{voice}.yaml")
    events: list = []
    if program is not None:
        events.append(ProgramChange(0, "t", 0, program))
    events += [ControlChange(1, "t", 0, 0, 127, name) for name in MAXED if spec.param(name)]
    step = PPQ // 4  # 16ths
    tick = PPQ
    for sweep in range(3):
        for note in range(36, 97, 5 + sweep):
            events += [NoteOn(tick, "t", 0, note, 110), NoteOff(tick + step - 10, "t", 0, note)]
            tick += step
    bars = tick // (4 * PPQ) + 2
    (job,) = track_jobs(arrangement(events, {"t": voice}, bars=bars, bpm=130), {voice: spec},
                        tmp_path, SR)  # fmt: skip
    result = render_track(job, lambda track, done: None)
    audio = np.fromfile(result.path, dtype="<f4")
    assert len(audio) > SR, "nothing rendered"
    assert np.isfinite(audio).all(), f"{voice}: inf/NaN in the render"
    assert np.abs(audio).max() < 20, f"{voice}: peak {np.abs(audio).max():.1f} (a blow-up)"

"""Voices summed by `rig.dsp.sums.mix` render what they rendered with `pyo.Mix`.

`mix` replaces pyo's `Mix` (which calls Python on every block, per input) with pyo's
C arithmetic objects, adding the same streams in the same order at the same precision.
Here every kind of voice that mixes (a poly pad: oscillators per slot and slots to
stereo; the kit: lanes, the metal bank, left/right; a mono bass; the piano; the guitar's
string) renders one phrase both ways in the same test: sample for sample equal.
"""

from __future__ import annotations

import numpy as np
import pytest

from rig.dsp import sums
from rig.dsp.loader import load_voice
from rig.dsp.render import track_jobs
from rig.dsp.server import import_pyo
from rig.dsp.sums import mix
from rig.dsp.worker import render_track
from tests.support.audio import SR
from tests.support.render import VOICES, arrangement, note

pytestmark = pytest.mark.audio


def _pyo_mix(pyo, inputs, voices=1):
    return pyo.Mix(list(inputs), voices=voices), []


def _render(voice: str, tmp_path, name: str) -> np.ndarray:
    if voice == "rytm-kit":
        events = [e for i in range(24) for e in note("t", i * 0.25, i % 12, 0.2, 60 + 2 * i)]
    else:
        chord = [48, 60, 64, 67, 71]
        events = [e for i, p in enumerate(chord) for e in note("t", i * 0.5, p, 2.5, 70 + 8 * i)]
    arr = arrangement(events, {"t": voice}, bars=2)
    spec = load_voice(VOICES / f"{voice}.yaml")
    folder = tmp_path / name
    folder.mkdir()
    (job,) = track_jobs(arr, {voice: spec}, folder, SR, max_tail=2.0)
    result = render_track(job, lambda track, done: None)
    return np.fromfile(result.path, dtype="<f4").reshape(-1, 2)


@pytest.mark.parametrize(
    "voice", ["virus-pad", "rytm-kit", "monopoly-bass", "juno-poly", "piano", "guitar"]
)
def test_a_voice_summed_in_c_renders_what_pyo_mix_rendered(voice, tmp_path, monkeypatch):
    ours = _render(voice, tmp_path, "sums")
    with monkeypatch.context() as m:
        m.setattr(sums, "mix", _pyo_mix)  # every voice sums through `sums.summed`
        reference = _render(voice, tmp_path, "mix")
    assert np.max(np.abs(reference)) > 1e-2, "the phrase sounds"
    assert len(ours) == len(reference)
    np.testing.assert_array_equal(ours, reference)


def test_mix_spreads_inputs_over_voices_as_pyo_mix_does():
    pyo = import_pyo()
    server = pyo.Server(sr=SR, nchnls=2, buffersize=64, duplex=0, audio="manual")
    server.setVerbosity(1)
    server.boot()
    server.start()
    try:
        sources = [pyo.Sig(v) for v in (0.25, -0.5, 0.125)]
        stereo = pyo.Sig([0.75, -0.0625])
        cases = [
            (sources, 1),
            (sources, 2),
            (sources[:1], 2),
            ([*sources, stereo], 2),
            (sources, 4),
        ]
        outs = []
        for inputs, voices in cases:
            ours, made = mix(pyo, inputs, voices)
            theirs = pyo.Mix(inputs, voices=voices)
            outs.append((ours, theirs, made))
        server._server.process()
        for ours, theirs, _made in outs:
            assert len(ours._base_objs) == len(theirs._base_objs)
            for a, b in zip(ours.get(all=True), theirs.get(all=True), strict=True):
                assert a == b
        del outs, sources, stereo
    finally:
        server.stop()
        server.shutdown()

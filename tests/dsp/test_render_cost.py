"""The cheaper render (issue 14's render speed) sounds as the costly one did.

Four changes cut the workers' CPU without changing the voices: pyo's `LFO` shapes read
from tables (`rig.dsp.waves`), curved envelopes and cutoffs without `powf` per sample
(`rig.dsp.curves`), oscillators given a note's pitch as a number where it does not glide
or wobble (`SynthInstrument.steady`) and, offline, parameters no event moves given to pyo as
numbers instead of constant streams (`rig.dsp.params.moving_params`). Each test renders
the same phrase twice in the same run — once as before (pyo's own `LFO`, every parameter
a stream), once as now — and holds the two to each other: the tables sample for sample
(up to the oscillators' phase), whole voices by loudness, brightness, band energies and
onsets, and the fixed parameters sample-identical where no table is involved.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import rig.dsp.worker
from rig.dsp.curves import Curves
from rig.dsp.loader import load_voice
from rig.dsp.render import track_jobs
from rig.dsp.server import import_pyo
from rig.dsp.synth import SynthInstrument
from rig.dsp.waves import KINDS, Wave, WaveBank
from rig.dsp.worker import render_track
from rig.song.events import PPQ, ControlChange, ProgramChange
from tests.support.audio import SR, onsets, rms
from tests.support.render import VOICES, arrangement, note

pytestmark = pytest.mark.audio

# A phrase per voice: its range low to high (so the tables' sharpness changes from note
# to note), a chord where the voice is poly, and automation of a parameter the voice
# has (so moving and fixed parameters meet), as the cues use them.
PHRASES = {
    "virus-pad": ([45, 57, 69, 81], "cutoff"),
    "juno-poly": ([48, 60, 72, 84], "cutoff"),
    "monopoly-bass": ([28, 36, 43, 55], "cutoff"),
    "lead-voice": ([60, 67, 76, 88], None),
    "horns": ([53, 60, 70, 79], None),
    "guitar": ([40, 52, 64, 76], None),
    "nylon-guitar": ([40, 52, 64, 76], None),
    "piano": ([36, 60, 72, 96], None),
    "gm-piano": ([36, 60, 72, 96], None),
}
# Every lane of the kit, the hats and cymbal (the metal bank) among them.
KIT_NOTES = list(range(12))
# Octave bands (Hz) the spectra are compared in.
BANDS = [(40 * 2**k, 40 * 2 ** (k + 1)) for k in range(9)]


def _events(voice: str) -> list:
    if voice == "rytm-kit":
        return [e for i, n in enumerate(KIT_NOTES) for e in note("t", i * 0.5, n, 0.25, 70 + i)]
    pitches, swept = PHRASES[voice]
    events = [e for i, p in enumerate(pitches) for e in note("t", i * 2.0, p, 1.5, 60 + 15 * i)]
    chord = [pitches[1], pitches[1] + 4, pitches[1] + 7]
    events += [e for p in chord for e in note("t", 8.0, p, 3.0, 100)]
    if swept:
        spec = load_voice(VOICES / f"{voice}.yaml")
        cc = spec.param(swept)
        assert cc is not None and cc.cc is not None
        for step in range(16):
            tick = round((8.0 + step * 0.2) * PPQ)
            events.append(ControlChange(tick, "t", 0, cc.cc, 40 + step * 5, swept))
    events.append(ProgramChange(round(12.0 * PPQ), "t", 0, 0))
    events += note("t", 12.5, pitches[2], 1.0, 90)
    return sorted(events, key=lambda e: e.tick)


def _render(voice: str, tmp_path, monkeypatch, before: bool) -> np.ndarray:
    spec = load_voice(VOICES / f"{voice}.yaml")
    arr = arrangement(_events(voice), {"t": voice}, bars=4)
    folder = tmp_path / ("before" if before else "after")
    folder.mkdir()
    (job,) = track_jobs(arr, {voice: spec}, folder, SR)
    with monkeypatch.context() as patch:
        if before:
            patch.setattr(WaveBank, "exact", True)
            patch.setattr(Curves, "exact", True)
            patch.setattr(SynthInstrument, "steady", False)
            patch.setattr(rig.dsp.worker, "moving_params", lambda spec, controls: None)
        result = render_track(job, lambda track, done: None)
    return np.fromfile(result.path, dtype="<f4").reshape(-1, 2)


def _db(x: float) -> float:
    return 20 * np.log10(max(x, 1e-12))


def _brightness(x: np.ndarray) -> float:
    """The centroid of the power spectrum: the energy's, not the noise floor's (the
    magnitude-weighted centroid also weighs the floor between the harmonics, 60 dB down,
    where two renders differ most)."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    return float(np.sum(freqs * spectrum) / np.sum(spectrum))


def _bands(x: np.ndarray) -> list[float]:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    total = spectrum.sum()
    return [10 * np.log10(spectrum[(freqs >= lo) & (freqs < hi)].sum() / total) for lo, hi in BANDS]


@pytest.mark.parametrize("voice", sorted([*PHRASES, "rytm-kit"]))
def test_a_voice_sounds_as_before_the_cheaper_render(voice, tmp_path, monkeypatch):
    before = _render(voice, tmp_path, monkeypatch, before=True)
    after = _render(voice, tmp_path, monkeypatch, before=False)
    # The tail ends where the output stays 80 dB down: a few blocks either way.
    assert abs(len(after) - len(before)) <= SR // 10
    n = min(len(before), len(after))
    a, b = before[:n].mean(axis=1), after[:n].mean(axis=1)
    assert rms(a) > 1e-3, "the phrase sounds"
    # Loudness within 0.1 dB, over the whole phrase and in each half second.
    assert abs(_db(rms(b)) - _db(rms(a))) < 0.1
    hop = SR // 2
    for start in range(0, len(a) - hop, hop):
        pa, pb = a[start : start + hop], b[start : start + hop]
        if rms(pa) > rms(a) * 0.05:
            assert abs(_db(rms(pb)) - _db(rms(pa))) < 0.5, f"at {start / SR:.1f} s"
    # Brightness (the power spectrum's centroid) within 1 %, every octave band holding as
    # much of the energy within 0.5 dB (bands with at least 0.1 % of it).
    assert _brightness(b) == pytest.approx(_brightness(a), rel=0.01)
    for (lo, _), ea, eb in zip(BANDS, _bands(a), _bands(b), strict=True):
        if ea > -30:
            assert abs(eb - ea) < 0.5, f"{lo} Hz band: {ea:.2f} dB before, {eb:.2f} dB after"
    # The same onsets, to the sample block.
    level = np.max(np.abs(a)) * 0.05
    on_a, on_b = onsets(a, level), onsets(b, level)
    assert len(on_a) == len(on_b) > 0
    assert max(abs(x - y) for x, y in zip(on_a, on_b, strict=True)) <= 128


def _offline(seconds: float, path: str):
    pyo = import_pyo()
    server = pyo.Server(sr=SR, nchnls=1, buffersize=128, duplex=0, audio="offline")
    server.setVerbosity(1)
    server.boot()
    server.recordOptions(dur=seconds, filename=path, fileformat=3, sampletype=3)
    return pyo, server


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("sharp", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("freq", [0.3, 41.2, 205.3, 540.0, 1760.0])
def test_a_table_plays_pyos_lfo_shape(kind, sharp, freq, tmp_path):
    """Each table against pyo's `LFO` at the same frequency: the same harmonics, each
    within 1 % of the whole spectrum (the two accumulate phase differently, so samples
    drift apart by a fraction of a cycle; the spectrum's magnitude does not)."""
    seconds = max(2.0, 3.0 / freq)
    rendered = []
    for exact in (True, False):
        path = str(tmp_path / f"{exact}.raw")
        pyo, server = _offline(seconds, path)
        bank = WaveBank(pyo, SR)
        bank.exact = exact  # this bank only
        wave = Wave(bank, kind, freq, sharp)
        wave.out.out()
        server.start()
        del wave, bank
        server.shutdown()
        rendered.append(np.fromfile(path, dtype="<f4"))
        os.unlink(path)
    lfo, table = rendered
    assert len(lfo) == len(table) > SR
    spectra = [np.abs(np.fft.rfft(x * np.hanning(len(x)))) for x in (lfo, table)]
    error = np.sqrt(np.sum((spectra[1] - spectra[0]) ** 2) / np.sum(spectra[0] ** 2))
    assert error < 0.01
    assert abs(_db(rms(table)) - _db(rms(lfo))) < 0.05

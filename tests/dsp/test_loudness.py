"""rig's loudness meter (rig.dsp.loudness) against pyloudnorm, the meter it replaced.

The same BS.1770-4 figures within 0.01 LU on stereo and mono, at 44.1, 48 and 96 kHz,
with quiet stretches that the gates drop; a section measured out of the whole cue's one
K-weighting as pyloudnorm measures the section cut out on its own.
"""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest

from rig.dsp.loudness import Loudness, integrated_lufs, section_loudness
from rig.song.arrangement import Arrangement, SectionSpan
from rig.song.events import PPQ
from rig.song.tempomap import TempoMap

TOLERANCE_LU = 0.01


def _music(rate: int, seconds: float, channels: int = 2, quiet: bool = True) -> np.ndarray:
    """Noise and a low tone that swell and fall, with a near-silent stretch (`quiet`)."""
    rng = np.random.default_rng(1)
    n = round(seconds * rate)
    t = np.arange(n) / rate
    swell = 0.05 + 0.3 * (0.5 + 0.5 * np.sin(2 * np.pi * t / 7.0))
    mono = swell * (0.3 * np.sin(2 * np.pi * 55 * t) + rng.normal(scale=0.2, size=n))
    if quiet:
        mono[n // 3 : n // 3 + 2 * rate] *= 1e-3  # the relative gate drops this
    out = np.stack([mono * (1 + 0.1 * c) for c in range(channels)], axis=1)
    return out if channels > 1 else out[:, 0]


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
@pytest.mark.parametrize("channels", [1, 2])
def test_integrated_loudness_is_pyloudnorms(rate: int, channels: int) -> None:
    audio = _music(rate, 13.3, channels)
    ours = integrated_lufs(audio, rate)
    theirs = pyloudnorm.Meter(rate).integrated_loudness(audio)
    assert abs(ours - theirs) < TOLERANCE_LU, (ours, theirs)


def test_each_section_as_if_cut_out_and_measured_alone() -> None:
    rate = 48000
    audio = _music(rate, 24.0)
    bar = 4 * PPQ  # 2 s at 120 BPM
    spans = [("a", 0, 3), ("b", 3, 4), ("c", 7, 5)]
    sections = [SectionSpan(n, s * bar, (s + b) * bar, s + 1, b, 4, 4) for n, s, b in spans]
    arr = Arrangement("t", [], TempoMap.constant(120.0), sections, [], 12 * bar)
    meter = pyloudnorm.Meter(rate)
    for got in section_loudness(audio, rate, arr):
        piece = audio[round(got.start * rate) : round(got.end * rate)]
        assert abs(got.lufs - meter.integrated_loudness(piece)) < TOLERANCE_LU, got


def test_silence_and_short_stretches_have_no_loudness() -> None:
    rate = 48000
    assert integrated_lufs(np.zeros((rate * 2, 2)), rate) == -math.inf
    assert integrated_lufs(_music(rate, 0.3), rate) == -math.inf
    meter = Loudness(_music(rate, 5.0), rate)
    assert meter.lufs(0, rate // 4) == -math.inf
    assert math.isfinite(meter.lufs(0, rate))
    # 6 dB up is 6 LU louder (with nothing near a gate: the meter is linear in power)
    soft, loud = (Loudness(k * _music(rate, 5.0, quiet=False), rate) for k in (1, 2))
    assert abs(loud.lufs() - soft.lufs() - 20 * math.log10(2)) < 1e-9


@pytest.mark.parametrize("gain_db", [0.0, -9.5, -30.0, 12.0])
def test_a_cue_metered_before_its_gain_reads_as_the_scaled_audio_does(gain_db: float) -> None:
    """A set render meters each cue as it completes (`Loudness.metered`) and applies the
    night's gain later: the figures are those of the scaled audio measured afresh, gates
    included (at -30 dB the quiet stretch, -60 dB under the music, falls under the
    absolute gate; unscaled it does not)."""
    rate = 48000
    audio = _music(rate, 24.0)
    audio[: 6 * rate] *= 10 ** (-45 / 20)  # a quiet opening, about -70 LUFS once 30 dB down
    bar = 4 * PPQ
    spans = [("a", 0, 3), ("b", 3, 4), ("c", 7, 5)]
    sections = [SectionSpan(n, s * bar, (s + b) * bar, s + 1, b, 4, 4) for n, s, b in spans]
    arr = Arrangement("t", [], TempoMap.constant(120.0), sections, [], 12 * bar)
    metered = Loudness(audio, rate).metered(arr)
    scaled = Loudness(audio * 10 ** (gain_db / 20), rate)
    assert metered.lufs(gain_db) == pytest.approx(scaled.lufs(), abs=1e-6)
    for got, want in zip(metered.sections(gain_db), scaled.sections(arr), strict=True):
        assert got.name == want.name
        if math.isinf(want.lufs):
            assert got.lufs == want.lufs
        else:
            assert got.lufs == pytest.approx(want.lufs, abs=1e-6)

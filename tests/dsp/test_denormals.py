"""Rendering with denormals flushed to zero: the same sound, below −180 dB of the peak.

`rig.dsp.denormals.flush_denormals` sets the processor's flush-to-zero bits while a
track renders, so decaying filters and reverbs stop taking the slow path for floats
under 1.2e-38. Here every voice renders a phrase with rests (where tails decay into
that range) both ways in the same test: the same length, and sample for sample within
1e-9 of the peak; and the bits are set only inside the block.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import rig.dsp.worker
from rig.dsp.denormals import flush_denormals, mxcsr
from rig.dsp.loader import load_voice
from rig.dsp.render import track_jobs
from rig.dsp.worker import render_track
from tests.support.audio import SR
from tests.support.render import VOICES, arrangement, note

pytestmark = pytest.mark.audio

TINY = np.float32(1e-38)  # the smallest normal float32 is 1.18e-38


def _underflow() -> float:
    return float(np.multiply(TINY, np.float32(0.01)))


def test_denormals_flush_inside_the_block_only():
    if mxcsr() is None:
        pytest.skip("no MXCSR access on this machine: renders keep their denormals")
    assert _underflow() > 0.0, "denormals as usual before"
    with flush_denormals() as flushing:
        assert flushing
        assert _underflow() == 0.0
    assert _underflow() > 0.0, "and after"


def _render(voice: str, tmp_path, monkeypatch, name: str, flush: bool):
    if voice == "rytm-kit":
        events = [e for i in range(8) for e in note("t", i * 1.5, i, 0.25, 90)]
    else:  # notes with rests between them: releases and tails decay to nothing
        pitches = [40, 52, 64, 76] if voice != "monopoly-bass" else [28, 36, 43, 40]
        events = [e for i, p in enumerate(pitches) for e in note("t", i * 3.0, p, 0.5, 90)]
    arr = arrangement(events, {"t": voice}, bars=4)
    folder = tmp_path / name
    folder.mkdir()
    spec = load_voice(VOICES / f"{voice}.yaml")
    (job,) = track_jobs(arr, {voice: spec}, folder, SR)
    with monkeypatch.context() as patch:
        if not flush:
            patch.setattr(rig.dsp.worker, "flush_denormals", contextlib.nullcontext)
        result = render_track(job, lambda track, done: None)
    return np.fromfile(result.path, dtype="<f4").reshape(-1, 2)


@pytest.mark.parametrize(
    "voice",
    ["virus-pad", "rytm-kit", "monopoly-bass", "juno-poly", "piano", "guitar", "lead-voice"],
)
def test_a_voice_renders_the_same_with_denormals_flushed(voice, tmp_path, monkeypatch):
    before = _render(voice, tmp_path, monkeypatch, "denormals", flush=False)
    after = _render(voice, tmp_path, monkeypatch, "flushed", flush=True)
    assert len(after) == len(before)
    peak = float(np.max(np.abs(before)))
    assert peak > 1e-2, "the phrase sounds"
    worst = float(np.max(np.abs(after.astype(np.float64) - before)))
    assert worst <= 1e-9 * peak, f"{worst:.3g} apart, the peak {peak:.3g}"

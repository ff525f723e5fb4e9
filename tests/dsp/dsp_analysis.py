"""Helpers for the DSP tests: hand-built arrangements and analysis of rendered audio."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rig.dsp.render import render
from rig.dsp.wavfile import read_wav
from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, Event, NoteOff, NoteOn
from rig.song.tempomap import TempoMap

VOICES = Path(__file__).resolve().parents[2] / "patches" / "voices"
SR = 48000


def note(track: str, beat: float, pitch: int, beats: float, velocity: int = 100) -> list[Event]:
    on = round(beat * PPQ)
    return [
        NoteOn(on, track, 0, pitch, velocity),
        NoteOff(on + round(beats * PPQ), track, 0, pitch),
    ]


def arrangement(
    events: Iterable[Event], voices: dict[str, str], bars: int, bpm: float = 120.0
) -> Arrangement:
    """`voices` maps track name → voice name; 4/4 bars."""
    length = bars * 4 * PPQ
    tracks = [TrackInfo(t, None, v, 0, drums=v == "rytm-kit") for t, v in voices.items()]
    section = SectionSpan("all", 0, length, 1, bars, 4, 4)
    return Arrangement("test", list(events), TempoMap.constant(bpm), [section], tracks, length)


def render_arrays(arr: Arrangement, tmp_path: Path, stems: bool = False, **kwargs):
    """Render; returns (mono mix as float array, report, {track: mono stem})."""
    out = tmp_path / "out.wav"
    stem_dir = tmp_path / "stems" if stems else None
    report = render(arr, VOICES, out, stems=stem_dir, **kwargs)
    audio, rate = read_wav(out)
    assert rate == SR
    stem_audio = {}
    for path in report.stems:
        data, _ = read_wav(path)
        stem_audio[path.stem] = data.mean(axis=1)
    return audio.mean(axis=1), report, stem_audio


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if len(x) else 0.0


def window(x: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return x[int(start_s * SR) : int(end_s * SR)]


def yin_f0(
    x: np.ndarray, fmin: float = 40.0, fmax: float = 2000.0, threshold: float = 0.12
) -> float:
    """Fundamental frequency by YIN (de Cheveigné & Kawahara 2002), parabolic refinement."""
    x = x - x.mean()
    n = len(x) // 2
    lags = np.arange(int(SR / fmax), int(SR / fmin))
    # Difference function d(τ) = Σ (x[j] - x[j+τ])² over a window of n samples.
    energy = np.cumsum(np.concatenate([[0.0], x**2]))
    size = 2 * len(x)
    # r(τ) = Σ_{j<n} x[j]·x[j+τ]: the head correlated against the whole signal.
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(x[:n], size)), size)[: len(x)]
    d = np.array(
        [energy[n] + energy[tau + n] - energy[tau] - 2 * corr[tau] for tau in range(lags[-1] + 2)]
    )
    d[0] = 0.0
    cmnd = d.copy()
    cmnd[1:] = d[1:] * np.arange(1, len(d)) / np.maximum(np.cumsum(d[1:]), 1e-12)
    candidates = [
        t for t in lags if cmnd[t] < threshold and cmnd[t] <= cmnd[t - 1] and cmnd[t] <= cmnd[t + 1]
    ]
    tau = candidates[0] if candidates else int(lags[np.argmin(cmnd[lags])])
    a, b, c = cmnd[tau - 1], cmnd[tau], cmnd[tau + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return SR / (tau + shift)


def centroid(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    return float(np.sum(freqs * spectrum) / np.sum(spectrum))


def midi_hz(note_number: int) -> float:
    return 440.0 * 2 ** ((note_number - 69) / 12)

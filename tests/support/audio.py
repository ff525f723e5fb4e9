"""Analysis of rendered or captured audio (mono float arrays at SR): level, pitch,
onsets, brightness."""

from __future__ import annotations

import numpy as np

__all__ = ["SR", "rms", "window", "midi_hz", "f0", "yin_f0", "centroid", "onsets", "rises"]

SR = 48000


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


def onsets(x: np.ndarray, threshold: float, gap: int = SR // 10) -> list[int]:
    """First samples above `threshold` after at least `gap` samples below it."""
    loud = np.nonzero(np.abs(x) > threshold)[0]
    if not len(loud):
        return []
    starts = [int(loud[0])]
    for prev, cur in zip(loud, loud[1:], strict=False):
        if cur - prev > gap:
            starts.append(int(cur))
    return starts


def rises(x: np.ndarray, smooth: int = 240, ratio: float = 3.0) -> list[int]:
    """Onsets over a ringing tail: the smoothed energy (5 ms) crossing halfway between its
    level 10 ms before and its peak in the next 20 ms, where that peak is `ratio` times
    the level before."""
    energy = np.convolve(np.square(x), np.ones(smooth) / smooth, mode="same")
    back, ahead = SR // 100, SR // 50
    found: list[int] = []
    i = back
    floor = 1e-4 * energy.max()
    while i < len(energy) - ahead:
        before = energy[i - back] + floor
        peak = energy[i : i + ahead].max()
        if peak > ratio * before and energy[i] > before + 0.5 * (peak - before):
            found.append(i)
            i += SR // 10
        else:
            i += 8
    return found


def f0(x: np.ndarray, fmin: float = 60.0, fmax: float = 1500.0) -> float:
    """Fundamental by normalised autocorrelation with parabolic refinement."""
    x = x - x.mean()
    n = len(x)
    spec = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[:n]
    ac /= ac[0]
    lo, hi = int(SR / fmax), int(SR / fmin)
    lag = lo + int(np.argmax(ac[lo:hi]))
    # The first peak close to the best one: not an octave below.
    for cand in range(lo, hi):
        if ac[cand] > 0.9 * ac[lag] and ac[cand] >= ac[cand - 1] and ac[cand] >= ac[cand + 1]:
            lag = cand
            break
    a, b, c = ac[lag - 1], ac[lag], ac[lag + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c else 0.0
    return SR / (lag + shift)

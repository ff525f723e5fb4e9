"""Loudness of rendered audio (EBU R128 / ITU-R BS.1770-4) and the gain a set render uses.

Integrated loudness in LUFS (K-weighting, 400 ms blocks overlapping by 75 %, the absolute
-70 LUFS and relative -10 LU gates), per cue and per section. Peaks alone hide a night's
shape: before this, a set render scaled every cue to −1 dBFS on its own (gains −6.4 to
+9.7 dB), so Utopie came out as loud as Inferno. A set render now scales the whole night
by one gain (`set_gain`), so quiet cues stay quiet; `rig render --normalize cue` keeps
the old per-cue behaviour for rehearsing one cue.

The meter follows `pyloudnorm` (the same filter design, blocks and gates; the tests hold
the two within 0.01 LU) but is numpy alone, and K-weights a cue once for the cue and all
of its sections. pyloudnorm's scipy import alone cost 1.5 s of CPU per `rig render`, and it
filtered the audio again for every section and summed its blocks one by one in Python
(measured on One Soul, 147 s: 2.4 s of CPU to meter the cue and its six sections).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rig.song.arrangement import Arrangement

__all__ = [
    "SectionLoudness",
    "Loudness",
    "Metered",
    "gated_lufs",
    "integrated_lufs",
    "section_loudness",
    "set_gain_db",
    "format_lufs",
    "MIN_SECONDS",
]

# BS.1770 measures in 400 ms blocks: anything shorter has no loudness.
MIN_SECONDS = 0.4
BLOCK_SECONDS = 0.4
STEP_SECONDS = 0.1  # 75 % overlap
ABSOLUTE_GATE = -70.0  # LUFS
RELATIVE_GATE = -10.0  # LU under the loudness of the blocks over the absolute gate
# Channel weights: left, right, centre 1.0; the surrounds +1.5 dB.
CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)
# The K-weighting's two stages: the head as a high shelf (+4 dB, Q 1/√2, 1500 Hz) and the
# RLB high-pass (Q 0.5, 38 Hz), designed as pyloudnorm designs them (RBJ's cookbook).
_SHELF = (4.0, 1 / math.sqrt(2), 1500.0)
_HIGHPASS = (0.5, 38.0)
# Filtering in the frequency domain, blocks overlapped and added: each block is followed
# by room for the filters' ring, whose impulse response falls under 1e-12 of its peak
# within 0.105 s at 44.1 to 192 kHz (measured); the room is 0.125 s or more.
_RING_SECONDS = 0.125
_FFT_PER_RING = 16


@dataclass(frozen=True)
class SectionLoudness:
    name: str
    start: float  # seconds
    end: float
    lufs: float  # -inf: silent (or shorter than one 400 ms block)


def _biquads(rate: float) -> list[tuple[tuple[float, float, float], tuple[float, float, float]]]:
    gain, q, fc = _SHELF
    a = 10 ** (gain / 40.0)
    w0 = 2.0 * math.pi * fc / rate
    alpha, cos = math.sin(w0) / (2.0 * q), math.cos(w0)
    root = 2 * math.sqrt(a) * alpha
    shelf = (
        (a * ((a + 1) + (a - 1) * cos + root), -2 * a * ((a - 1) + (a + 1) * cos),
         a * ((a + 1) + (a - 1) * cos - root)),
        ((a + 1) - (a - 1) * cos + root, 2 * ((a - 1) - (a + 1) * cos),
         (a + 1) - (a - 1) * cos - root),
    )  # fmt: skip
    q, fc = _HIGHPASS
    w0 = 2.0 * math.pi * fc / rate
    alpha, cos = math.sin(w0) / (2.0 * q), math.cos(w0)
    highpass = (((1 + cos) / 2, -(1 + cos), (1 + cos) / 2), (1 + alpha, -2 * cos, 1 - alpha))
    return [shelf, highpass]


def _response(rate: float, size: int) -> np.ndarray:
    """The K-weighting's frequency response on an rfft grid of `size` points."""
    z = np.exp(-2j * np.pi * np.arange(size // 2 + 1) / size)
    h = np.ones(size // 2 + 1, dtype=complex)
    for b, a in _biquads(rate):
        h *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return h


def _weighted_power(audio: np.ndarray, rate: float) -> np.ndarray:
    """Per frame: the K-weighted signal's power summed over the channels with their weights."""
    frames = audio if audio.ndim == 2 else audio.reshape(-1, 1)
    n, channels = frames.shape
    if channels > len(CHANNEL_WEIGHTS):
        raise ValueError(f"loudness of {channels} channels: at most {len(CHANNEL_WEIGHTS)}")
    ring = 1 << math.ceil(math.log2(_RING_SECONDS * rate))
    size = min(_FFT_PER_RING * ring, 1 << (n + ring).bit_length())
    block = size - ring
    # Single-precision FFTs (numpy keeps float32 as float32): a third less CPU than double
    # for a night's cues, each frame's power within ~1e-5 of it and a block's (a sum of
    # 19200 frames) within ~1e-7, i.e. under 1e-6 dB (measured); the sums are double.
    h = _response(rate, size)[:, None].astype(np.complex64)
    out = np.zeros((n, channels), dtype=np.float32)
    for start in range(0, n, block):
        piece = frames[start : start + block].astype(np.float32, copy=False)
        y = np.fft.irfft(np.fft.rfft(piece, size, axis=0) * h, size, axis=0)
        stop = min(n, start + size)
        out[start:stop] += y[: stop - start]
    out *= out
    return out @ np.asarray(CHANNEL_WEIGHTS[:channels], dtype=np.float32)


class Loudness:
    """A rendered cue K-weighted once; the loudness of any stretch of it from there.

    A stretch is measured as BS.1770 (and pyloudnorm) measures it on its own: blocks from
    its first frame; only the filters' memory carries in from before it (the cue's sound).
    """

    def __init__(self, audio: np.ndarray, sample_rate: int):
        self.rate = sample_rate
        power = _weighted_power(audio, sample_rate)
        self._cumulative = np.concatenate([[0.0], np.cumsum(power, dtype=np.float64)])

    @property
    def frames(self) -> int:
        return len(self._cumulative) - 1

    def lufs(self, start: int = 0, end: int | None = None) -> float:
        """Integrated loudness of frames [start, end), LUFS; -inf if silent or too short."""
        return gated_lufs(self.blocks(start, end))

    def blocks(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """The mean K-weighted power of each 400 ms block of frames [start, end) (none
        when the stretch is shorter than one block)."""
        end = self.frames if end is None else min(end, self.frames)
        length = end - start
        if length < MIN_SECONDS * self.rate:
            return np.zeros(0)
        window = BLOCK_SECONDS * self.rate
        seconds = length / self.rate
        count = round((seconds - BLOCK_SECONDS) / STEP_SECONDS) + 1
        j = np.arange(count)
        lower = start + (BLOCK_SECONDS * j * (1 - 0.75) * self.rate).astype(int)
        upper = np.minimum(
            start + (BLOCK_SECONDS * (j * (1 - 0.75) + 1) * self.rate).astype(int), end
        )
        return (self._cumulative[upper] - self._cumulative[lower]) / window

    def sections(self, arrangement: Arrangement) -> list[SectionLoudness]:
        """Each section's integrated loudness, on its own stretch of the rendered cue
        (reverb tails after the last section belong to no section)."""
        return self.metered(arrangement).sections()

    def metered(self, arrangement: Arrangement) -> Metered:
        """The blocks of the whole cue and of each section: their loudness at any gain."""
        seconds_at = arrangement.tempo.seconds_at
        parts = []
        for section in arrangement.sections:
            start, end = seconds_at(section.start_tick), seconds_at(section.end_tick)
            blocks = self.blocks(round(start * self.rate), round(end * self.rate))
            parts.append((section.name, start, end, blocks))
        return Metered(self.blocks(), tuple(parts))


@dataclass(frozen=True)
class Metered:
    """A cue's K-weighted block powers, the whole cue's and each section's: its loudness
    as if scaled by any gain, gated as the scaled audio would be (a set render meters
    each cue as it completes, before the night's one gain is known)."""

    whole: np.ndarray
    parts: tuple[tuple[str, float, float, np.ndarray], ...]  # (section, start s, end s, blocks)

    def lufs(self, gain_db: float = 0.0) -> float:
        return gated_lufs(self.whole * 10 ** (gain_db / 10))

    def sections(self, gain_db: float = 0.0) -> list[SectionLoudness]:
        scale = 10 ** (gain_db / 10)
        return [
            SectionLoudness(name, start, end, gated_lufs(blocks * scale))
            for name, start, end, blocks in self.parts
        ]


def gated_lufs(power: np.ndarray) -> float:
    """Integrated loudness from 400 ms block powers: the absolute gate, then the relative
    one (BS.1770-4); -inf when nothing passes (silent, or no block at all)."""
    if not len(power):
        return -math.inf
    with np.errstate(divide="ignore"):
        blocks = -0.691 + 10.0 * np.log10(power)
    above = power[blocks >= ABSOLUTE_GATE]
    if not len(above):
        return -math.inf
    relative = -0.691 + 10.0 * math.log10(float(above.mean())) + RELATIVE_GATE
    gated = power[(blocks > relative) & (blocks > ABSOLUTE_GATE)]
    mean = float(gated.mean()) if len(gated) else 0.0
    return -0.691 + 10.0 * math.log10(mean) if mean > 0 else -math.inf


def integrated_lufs(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness of `audio` ((frames, channels) or (frames,)), LUFS; -inf if silent."""
    if len(audio) < MIN_SECONDS * sample_rate:
        return -math.inf
    return Loudness(audio, sample_rate).lufs()


def section_loudness(
    audio: np.ndarray, sample_rate: int, arrangement: Arrangement
) -> list[SectionLoudness]:
    """Each section's integrated loudness, measured on its own stretch of the rendered cue."""
    return Loudness(audio, sample_rate).sections(arrangement)


def set_gain_db(raw_peaks_dbfs: Sequence[float], target_dbfs: float) -> float:
    """One gain for every cue of a set: the loudest peak of the night lands on `target_dbfs`."""
    finite = [p for p in raw_peaks_dbfs if math.isfinite(p)]
    return target_dbfs - max(finite) if finite else 0.0


def format_lufs(value: float) -> str:
    return f"{value:.1f} LUFS" if math.isfinite(value) else "silent"

"""Loudness of rendered audio (EBU R128 / ITU-R BS.1770-4) and the gain a set render uses.

Integrated loudness in LUFS through `pyloudnorm` (K-weighting, 400 ms blocks, absolute
and relative gates), per cue and per section. Peaks alone hide a night's shape: before
this, a set render scaled every cue to −1 dBFS on its own (gains −6.4 to +9.7 dB), so
Utopie came out as loud as Inferno. A set render now scales the whole night by one gain
(`set_gain`), so quiet cues stay quiet; `rig render --normalize cue` keeps the old
per-cue behaviour for rehearsing one cue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rig.song.arrangement import Arrangement

__all__ = [
    "SectionLoudness",
    "integrated_lufs",
    "section_loudness",
    "set_gain_db",
    "format_lufs",
    "MIN_SECONDS",
]

# BS.1770 measures in 400 ms blocks: anything shorter has no loudness.
MIN_SECONDS = 0.4


@dataclass(frozen=True)
class SectionLoudness:
    name: str
    start: float  # seconds
    end: float
    lufs: float  # -inf: silent (or shorter than one 400 ms block)


def integrated_lufs(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness of `audio` ((frames, channels) or (frames,)), LUFS; -inf if silent."""
    import pyloudnorm  # scipy underneath: imported when a render is measured, not before

    if len(audio) < MIN_SECONDS * sample_rate:
        return -math.inf
    value = float(pyloudnorm.Meter(sample_rate).integrated_loudness(audio))
    return value if math.isfinite(value) else -math.inf


def section_loudness(
    audio: np.ndarray, sample_rate: int, arrangement: Arrangement
) -> list[SectionLoudness]:
    """Each section's integrated loudness, measured on its own stretch of the rendered cue
    (reverb tails after the last section belong to no section)."""
    seconds_at = arrangement.tempo.seconds_at
    out = []
    for section in arrangement.sections:
        start, end = seconds_at(section.start_tick), seconds_at(section.end_tick)
        piece = audio[round(start * sample_rate) : round(end * sample_rate)]
        out.append(SectionLoudness(section.name, start, end, integrated_lufs(piece, sample_rate)))
    return out


def set_gain_db(raw_peaks_dbfs: Sequence[float], target_dbfs: float) -> float:
    """One gain for every cue of a set: the loudest peak of the night lands on `target_dbfs`."""
    finite = [p for p in raw_peaks_dbfs if math.isfinite(p)]
    return target_dbfs - max(finite) if finite else 0.0


def format_lufs(value: float) -> str:
    return f"{value:.1f} LUFS" if math.isfinite(value) else "silent"

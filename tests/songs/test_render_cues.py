"""Every cue of the set renders on the software voices: sound where notes start, no clipping.

Real pyo offline renders (about 40 minutes of audio in all), analysed with numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rig.dsp.render import render
from rig.dsp.wavfile import read_wav
from rig.project import Project
from rig.song.arrangement import Arrangement
from rig.song.events import NoteOn

from .score import SONGS

CUES = sorted(p.stem for p in SONGS.glob("*.yaml"))
SOUNDING_DBFS = -70.0  # a bar in which notes start is louder than this (RMS); fades go to ~-64


def _db(x: float) -> float:
    return 20 * np.log10(max(x, 1e-12))


@pytest.mark.audio
@pytest.mark.slow
@pytest.mark.parametrize("stem", CUES)
def test_cue_renders_where_it_sounds_without_clipping(
    stem: str, project: Project, cue: Callable[[str], Arrangement], tmp_path: Path
) -> None:
    arrangement = cue(stem)
    report = render(arrangement, project.config.patches_dir / "voices", tmp_path / "cue.wav")
    assert not report.skipped, f"tracks with no voice: {report.skipped}"
    audio, rate = read_wav(tmp_path / "cue.wav")
    peak = float(np.max(np.abs(audio)))
    assert _db(peak) <= -0.99, f"{stem}: peak {_db(peak):.2f} dBFS clips past -1 dBFS"
    assert report.duration >= arrangement.duration_seconds - 0.01

    mono = audio.mean(axis=1)
    starts = sorted({e.tick for e in arrangement.events if isinstance(e, NoteOn)})
    quiet_bars = []
    for bar in range(1, arrangement.length_bars + 1):
        a, b = arrangement.bar_tick(bar), arrangement.bar_tick(bar + 1)
        if not any(a <= t < b for t in starts):
            continue
        lo = round(arrangement.tempo.seconds_at(a) * rate)
        hi = round(arrangement.tempo.seconds_at(b) * rate)
        rms = float(np.sqrt(np.mean(mono[lo:hi] ** 2)))
        if _db(rms) < SOUNDING_DBFS:
            quiet_bars.append((bar, round(_db(rms), 1)))
    assert not quiet_bars, f"{stem}: bars with notes but no sound: {quiet_bars}"

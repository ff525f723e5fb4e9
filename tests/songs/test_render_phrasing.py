"""The phrasing heard: real pyo offline renders of two cues, measured with numpy and the
EBU R128 meter (rig.dsp.loudness).

Inferno's build grows into its climax (before issue 14's rewrite the "inferno" section
measured level with the "peak", -15.2 LUFS each); Let's Make a Deal's last chord, held on
the sustain pedal, still sounds on the piano at the cue's end (it used to die within ~5 s
of the 13.7 s chord, leaving only the pad).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rig.dsp.loudness import section_loudness
from rig.dsp.render import render
from rig.dsp.wavfile import read_wav
from rig.project import Project
from rig.song.arrangement import Arrangement


def _db(x: float) -> float:
    return 20 * float(np.log10(max(x, 1e-12)))


@pytest.mark.audio
@pytest.mark.slow
def test_infernos_build_arrives_at_its_climax(
    project: Project, cue: Callable[[str], Arrangement], tmp_path: Path
) -> None:
    arr = cue("inferno")
    render(arr, project.config.patches_dir / "voices", tmp_path / "inferno.wav")
    audio, rate = read_wav(tmp_path / "inferno.wav")
    lufs = {s.name: s.lufs for s in section_loudness(audio, rate, arr)}
    build = [lufs[name] for name in ("low", "hacker", "build", "peak")]
    # every section of the build louder than the last, by a step you hear (>= 1 LU)
    assert all(b - a >= 1.0 for a, b in zip(build, build[1:], strict=False)), lufs
    # the climax is the loudest section, clearly over the peak; the breath drops back
    assert lufs["inferno"] == max(lufs.values()), lufs
    assert lufs["inferno"] - lufs["peak"] >= 1.0, lufs
    assert lufs["breath"] <= lufs["inferno"] - 3.0, lufs


@pytest.mark.audio
@pytest.mark.slow
def test_lets_make_a_deals_last_chord_sounds_to_the_end(
    project: Project, cue: Callable[[str], Arrangement], tmp_path: Path
) -> None:
    arr = cue("lets-make-a-deal")
    stems = tmp_path / "stems"
    render(arr, project.config.patches_dir / "voices", tmp_path / "deal.wav", stems=stems)
    keys, rate = read_wav(stems / "keys.wav")
    mono = keys.mean(axis=1) if keys.ndim > 1 else keys
    last = arr.sections[-1]
    start = round(arr.tempo.seconds_at(last.start_tick) * rate)
    end = round(arr.tempo.seconds_at(last.end_tick) * rate)

    def rms(a: int, b: int) -> float:
        return _db(float(np.sqrt(np.mean(mono[a:b] ** 2))))

    struck = rms(start, start + rate)  # the chord's first second
    held = rms(end - rate, end)  # the cue's last second
    assert held > -60.0, f"the piano is silent at the end ({held:.1f} dBFS)"
    assert held > struck - 30.0, f"struck {struck:.1f} dBFS, at the end {held:.1f} dBFS"


# The other build cues: the sections that build, in order, and their climax.
BUILDS = {
    "heartbeat-3": (["pulse", "quicken", "race", "climb"], "peak"),
    "two-souls": (["alone", "horns", "grow"], "souls"),
    "rivalry": (["haze", "pulse", "rivals"], "duel"),
}


@pytest.mark.audio
@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(BUILDS))
def test_build_cues_grow_into_their_loudest_section(
    stem: str, project: Project, cue: Callable[[str], Arrangement], tmp_path: Path
) -> None:
    arr = cue(stem)
    render(arr, project.config.patches_dir / "voices", tmp_path / "cue.wav")
    audio, rate = read_wav(tmp_path / "cue.wav")
    lufs = {s.name: s.lufs for s in section_loudness(audio, rate, arr)}
    names, climax = BUILDS[stem]
    build = [lufs[name] for name in names]
    assert all(b - a >= 0.5 for a, b in zip(build, build[1:], strict=False)), lufs
    assert lufs[climax] == max(lufs.values()) and lufs[climax] > build[-1], lufs

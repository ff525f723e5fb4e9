"""The night's shape survives the set render (issue 14): a real `rig render` of a set.

Before, a set render scaled every cue to -1 dBFS on its own (gains -6.4 to +9.7 dB), so
Utopie came out as loud as Inferno. Now the whole night gets one gain, and the quiet cues
stay as quiet as they were written: Utopie and One Soul at least 6 LU under Inferno's
climax (the issue's margin), nothing over -1 dBFS.

The whole night is 41 minutes of audio; the test renders the three cues the issue names,
with their entries taken from songs/sets/heated-rivalry-night.yaml as they are (a set of
them, so one gain, set transitions and the joining are the real set render's), and
measures the written file with the EBU R128 meter.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from rig.commands.render import GAP_SECONDS, main
from rig.dsp.loudness import integrated_lufs
from rig.dsp.wavfile import read_wav

from .score import CONFIG, CUES, SETLIST, SONGS

QUIET = ("one-soul", "utopie")
CLIMAX = ("inferno", "inferno")  # the cue, its climax section
MARGIN_LU = 6.0
LINE = re.compile(
    r"^(?P<name>.+): (?P<seconds>[\d.]+) s, peak (?P<peak>-?[\d.]+) dBFS "
    r"\(gain (?P<gain>[+-][\d.]+) dB\), (?P<lufs>-?[\d.]+) LUFS"
)


def _set_of(stems: tuple[str, ...], folder: Path) -> tuple[Path, list[str]]:
    """A copy of songs/ with a set of the night's entries for `stems` (as the night has
    them, in its order); returns the set and its stems in that order."""
    shutil.copytree(SONGS, folder)
    night = yaml.safe_load(SETLIST.read_text(encoding="utf-8"))
    entries = [c for c in night["cues"] if Path(c["song"]).stem in stems]
    path = folder / "sets" / "shape.yaml"
    path.write_text(yaml.safe_dump({"set": "Shape", "cues": entries}), encoding="utf-8")
    return path, [Path(c["song"]).stem for c in entries]


@pytest.mark.audio
@pytest.mark.slow
def test_the_set_render_keeps_the_nights_quiet_and_loud(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stems = (CLIMAX[0], *QUIET)
    setlist, ordered = _set_of(stems, tmp_path / "songs")
    assert sorted(ordered) == sorted(stems), ordered
    out = tmp_path / "shape.wav"
    code = main([str(setlist), "-o", str(out), "--config", str(CONFIG)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "set: one gain for every cue" in printed, printed
    cues = [m.groupdict() for m in map(LINE.match, printed.splitlines()) if m]
    assert len(cues) == len(stems), printed

    # one gain for the whole set, not one per cue; the loudest peak of the night at -1 dBFS
    gains = {float(c["gain"]) for c in cues}
    assert len(gains) == 1, printed
    audio, rate = read_wav(out)
    peak = 20 * float(np.log10(np.max(np.abs(audio))))
    assert -1.1 <= peak <= -0.99, f"the set peaks at {peak:.2f} dBFS"

    # the file, cut where the printed lengths say (each cue, then the gap of silence)
    parts, at = [], 0
    for c in cues:
        frames = round(float(c["seconds"]) * rate)
        parts.append(audio[at : at + frames])
        at += frames + round(GAP_SECONDS * rate)
    assert abs(at - round(GAP_SECONDS * rate) - len(audio)) <= 0.1 * rate * len(cues)
    lufs = {}
    for stem, c, part in zip(ordered, cues, parts, strict=True):
        assert c["name"] == CUES[stem], (stem, c)
        lufs[stem] = integrated_lufs(part, rate)
        # the printed figures are the file's
        assert abs(lufs[stem] - float(c["lufs"])) < 0.3, (stem, lufs[stem], c)
        part_peak = 20 * float(np.log10(np.max(np.abs(part))))
        assert abs(part_peak - float(c["peak"])) < 0.2, (stem, part_peak, c)

    climax = _section_lufs(printed, ordered.index(CLIMAX[0]), CLIMAX[1])
    assert climax == max(_section_values(printed)), printed
    for stem in QUIET:
        assert lufs[stem] <= climax - MARGIN_LU, (
            f"{stem} at {lufs[stem]:.1f} LUFS, Inferno's climax at {climax:.1f}: "
            f"the night's quiet cue must sit {MARGIN_LU} LU under it"
        )
        assert lufs[stem] < lufs[CLIMAX[0]], lufs


def _section_lines(printed: str) -> list[str]:
    return [ln for ln in printed.splitlines() if ln.startswith("  sections: ")]


def _section_lufs(printed: str, cue: int, section: str) -> float:
    """The printed loudness of `section` of the set's `cue`-th cue."""
    line = _section_lines(printed)[cue]
    found = re.search(rf"(?:: |, ){re.escape(section)} (-?[\d.]+) LUFS", line)
    assert found, line
    return float(found.group(1))


def _section_values(printed: str) -> list[float]:
    return [float(v) for ln in _section_lines(printed) for v in re.findall(r"(-?[\d.]+) LUFS", ln)]

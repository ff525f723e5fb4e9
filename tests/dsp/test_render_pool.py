"""Every cue of a set rendered on one shared set of workers (`rig.dsp.pool`) sounds
exactly as it does rendered alone: same samples, whichever worker took which track."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rig.dsp import pool
from rig.dsp.render import Cue, RenderError, render, render_cues
from rig.dsp.wavfile import read_wav
from tests.support.render import VOICES, arrangement, note

pytestmark = pytest.mark.audio


def _cues():
    chords = [e for b in range(0, 16, 4) for p in (57, 60, 64) for e in note("pad", b, p, 3)]
    bass = [e for b in range(16) for e in note("bass", b, 36 + b % 3, 0.5)]
    kit = [e for b in range(16) for e in note("kit", b, 36 if b % 2 == 0 else 38, 0.25)]
    lead = [e for b in range(8) for e in note("lead", b * 2, 72 + b, 1.5, 40 + 10 * b)]
    return [
        arrangement(chords + bass, {"pad": "virus-pad", "bass": "monopoly-bass"}, bars=4),
        arrangement(kit + lead, {"kit": "rytm-kit", "lead": "juno-poly"}, bars=4),
        arrangement(bass, {"bass": "monopoly-bass"}, bars=4),
    ]


def test_cues_rendered_together_are_sample_identical_to_each_alone(tmp_path: Path) -> None:
    arrangements = _cues()
    cues = [
        Cue(a, tmp_path / "set" / f"cue{i}.wav", tmp_path / "set" / f"stems{i}")
        for i, a in enumerate(arrangements)
    ]
    # One worker for all (each takes every track, cue after cue) and two, as on this machine.
    for workers in (1, 2):
        reports = render_cues(cues, VOICES, workers=workers)
        assert [r.path for r in reports] == [c.out for c in cues]
        for i, (cue, report) in enumerate(zip(cues, reports, strict=True)):
            alone = tmp_path / f"alone{i}-{workers}.wav"
            single = render(cue.arrangement, VOICES, alone, stems=tmp_path / f"s{i}-{workers}")
            together, _ = read_wav(cue.out)
            by_itself, _ = read_wav(alone)
            assert together.shape == by_itself.shape and np.abs(together).max() > 0.1
            assert np.array_equal(together, by_itself), f"cue {i} with {workers} workers"
            for a, b in zip(report.stems, single.stems, strict=True):
                assert np.array_equal(read_wav(a)[0], read_wav(b)[0])
            assert report.peak_dbfs == single.peak_dbfs and report.gain_db == single.gain_db
            assert report.tracks == single.tracks and report.cpu_seconds > 0


def test_a_worker_that_dies_is_a_render_error_naming_it(tmp_path: Path, monkeypatch) -> None:
    real_spawn = pool._spawn

    def spawn_one_that_dies(workdir, n, sel):
        child = real_spawn(workdir, n, sel)
        if n == 1:
            child.proc.kill()  # a crash in pyo, as seen from the parent
        return child

    monkeypatch.setattr(pool, "_spawn", spawn_one_that_dies)
    cues = [Cue(a, tmp_path / f"c{i}.wav") for i, a in enumerate(_cues())]
    with pytest.raises(RenderError, match="a render worker failed"):
        render_cues(cues, VOICES, workers=2)
    assert not any(c.out.exists() for c in cues[1:])  # nothing after the failure written


def test_workers_import_the_parents_rig_whatever_the_working_directory(
    tmp_path: Path, monkeypatch
) -> None:
    """Run from inside another checkout (a directory holding a `rig` package), the
    workers still render with the rig the parent imported, not that one."""
    decoy = tmp_path / "checkout" / "rig" / "dsp"
    decoy.mkdir(parents=True)
    for folder in (decoy.parent, decoy):
        (folder / "__init__.py").write_text("")
    (decoy / "worker.py").write_text("raise SystemExit('the decoy rig was imported')\n")
    monkeypatch.chdir(decoy.parent.parent)
    (cue,) = [Cue(a, tmp_path / "cue.wav") for a in _cues()[2:]]
    (report,) = render_cues([cue], VOICES, workers=1)
    assert report.tracks == ("bass",) and cue.out.exists()

"""Where a set kept outside a `songs/` folder may read its cues (issue 15 confinement):
a set in `gig/sets/` names `../cue.yaml`, as the demo set in songs/sets/ does, and
still nothing above `gig/`."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.cli import main

REPO = Path(__file__).resolve().parents[2]
CUE = (
    "cue: Cue\ntempo: 120\ntracks:\n  t: {device: juno60}\n"
    'patterns:\n  p: {track: t, steps: "C4"}\nsections:\n  - {name: a, bars: 1, play: [p]}\n'
)


def test_a_set_in_a_sets_folder_reads_the_cues_beside_it_and_no_further(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gig = tmp_path / "gig"
    (gig / "sets").mkdir(parents=True)
    (gig / "cue.yaml").write_text(CUE)
    (tmp_path / "stranger.yaml").write_text(CUE.replace("Cue", "Stranger"))
    night = gig / "sets" / "night.yaml"
    night.write_text("set: Night\ncues:\n  - {song: ../cue.yaml}\n")
    config = ["--config", str(REPO / "config.yaml")]
    assert main(["check", str(night), *config]) == 0
    night.write_text(
        "set: Night\ncues:\n  - {song: ../cue.yaml}\n  - {song: ../../stranger.yaml}\n"
    )
    assert main(["check", str(night), *config]) == 1
    err = capsys.readouterr().err
    assert "night.yaml:4:12" in err and "outside the project" in err and "Stranger" not in err

"""`rig bench render --live` runs for real: a set's cues, each inside an engine that
holds the whole set's instruments, on the test session's JACK server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.jack, pytest.mark.audio, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def test_live_bench_of_a_set_measures_each_cue_with_the_whole_set_loaded(jack_server, tmp_path):
    # A set's songs must lie in its project (issue 15): a copy of songs/ holds it.
    shutil.copytree(REPO / "songs", tmp_path / "songs")
    set_path = tmp_path / "songs" / "sets" / "night.yaml"
    set_path.write_text(
        "set: Night\ncues:\n"
        "  - {song: ../utopie.yaml}\n"
        "  - {song: ../heartbeat-1.yaml, next: bar}\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), **jack_server.env)
    cmd = [sys.executable, "-m", "rig.cli", "bench", "render", "--live", "--jack",
           "--seconds", "1", "--config", str(REPO / "config.yaml"), str(set_path)]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, cwd=REPO)
    assert done.returncode == 0, done.stderr
    rows = {line.split("  ")[0].strip(): line for line in done.stdout.splitlines()}
    assert "Utopie" in rows and "Heartbeat I" in rows, done.stdout
    # Both cues ran with the same instruments: every voice of the set was built.
    counts = {row.split()[-7] for name, row in rows.items() if name in ("Utopie", "Heartbeat I")}
    assert len(counts) == 1 and int(counts.pop()) >= 4, done.stdout
    assert "JACK 64 frames at 48000 Hz" in done.stdout
    # Each cue's control ran: a pyo process computing on the same server (its load is
    # matched to the cue's from 1 s samples: in 1 s runs an xrun's spike can move it far,
    # so only that it computed is checked here), its xruns counted.
    for name in ("Utopie", "Heartbeat I"):
        cells = rows[name].split()
        assert int(cells[-2]) >= 0 and float(cells[-1].rstrip("%")) > 0, rows[name]
    assert "in the control (plain pyo DSP at the same load, no rig)" in done.stdout

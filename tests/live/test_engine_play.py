"""`rig play` end to end: the real CLI, project, engine process and JACK, at the recorder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rig.midi.notes import sounding_after

pytestmark = [pytest.mark.jack, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def test_rig_play_from_a_bar_with_a_missing_device(recorder, jack_server, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        f"patches: {REPO / 'patches'}\n"
        "devices:\n"
        f"  monopoly: {{port: '{recorder.port}', clock: true}}\n"
        "  virus: {port: 'no-such-port'}\n"
        "osc: {port: 39123}\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), **jack_server.env)
    cmd = [sys.executable, "-m", "rig.cli", "play", str(REPO / "songs/inferno.yaml")]
    cmd += ["--from", "9", "--for", "3", "--config", str(config), "--osc-port", "0"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "virus" in warnings[0] and "no-such-port" in warnings[0]
    assert "bar 9 beat 1" in done.stdout
    data = [d for _, d in recorder.stop()]
    assert data[0] == bytes((0xF2, 0, 1))  # bar 9 = 128 sixteenths: lsb 0, msb 1
    assert data[1] == b"\xfb" and data[2] == b"\xf8"
    assert any(d[0] & 0xF0 == 0x90 for d in data)
    assert b"\xfc" in data and sounding_after(data) == []


def test_rig_play_rejects_bad_arguments():
    run = [sys.executable, "-m", "rig.cli", "play"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    bad = subprocess.run([*run, "songs/inferno.yaml", "--from", "0"], env=env, cwd=REPO,
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    missing = subprocess.run([*run, "songs/nope.yaml"], env=env, cwd=REPO,
                             capture_output=True, text=True)  # fmt: skip
    assert missing.returncode == 1 and "Traceback" not in missing.stderr

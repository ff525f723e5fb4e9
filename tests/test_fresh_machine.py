"""The main job on a fresh machine: no JACK library, or JACK but no server running.

`rig` runs in a child process whose `import jack` fails the way JACK-Client fails
where libjack is not installed (`OSError: JACK library not found`, raised at import):
a `jack` module that raises it sits first on PYTHONPATH. `rig play` must rehearse
offline (render to out/<name>.wav, exit 0); `rig ports`, `rig panic` and `rig live`
must say why in one line and exit 3 — never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXIT_UNAVAILABLE = 3

SONG = """\
cue: Tiny
tempo: 120
tracks:
  bass: {device: monopoly}
patterns:
  p: {track: bass, steps: "C2 . E2 ."}
sections:
  - {bars: 1, play: [p]}
"""
# What JACK-Client's `import jack` raises on a machine without libjack.
NO_LIBJACK = 'raise OSError("JACK library not found")\n'


@pytest.fixture
def stage(tmp_path: Path) -> Path:
    """A working folder with a one-bar song and no config.yaml (the built-in default)."""
    (tmp_path / "song.yaml").write_text(SONG, encoding="utf-8")
    return tmp_path


def rig(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rig.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def without_libjack(tmp_path: Path) -> dict[str, str]:
    fake = tmp_path / "nolibjack"
    fake.mkdir()
    (fake / "jack.py").write_text(NO_LIBJACK, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(fake), str(REPO)])
    return env


def without_server(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    # A server name nobody started: libjack is there, no server answers.
    env["JACK_DEFAULT_SERVER"] = f"rig-nobody-{os.getpid()}"
    env["JACK_NO_START_SERVER"] = "1"
    return env


def test_the_fake_makes_jack_unimportable(tmp_path: Path) -> None:
    env = without_libjack(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", "import jack"], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "OSError: JACK library not found" in done.stderr


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


@pytest.mark.audio
@pytest.mark.parametrize("machine", ["no libjack", "no JACK server"])
def test_rig_play_rehearses_offline(stage: Path, tmp_path: Path, machine: str) -> None:
    env = without_libjack(tmp_path) if machine == "no libjack" else without_server(tmp_path)
    done = rig(["play", "song.yaml", "--for", "1"], stage, env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    why = "libjack" if machine == "no libjack" else "no JACK server is running"
    lines = done.stderr.splitlines()
    assert lines[0].startswith("rig play: nothing can sound live here: ") and why in lines[0]
    assert "rehearsing offline" in lines[1]
    out = stage / "out" / "song.wav"
    assert "wrote out/song.wav" in done.stdout
    # One bar of 4/4 at 120 BPM is 2 s, plus the voices' release tail.
    assert 2.0 <= wav_seconds(out) < 6.0


@pytest.mark.parametrize(
    "args",
    [["ports"], ["panic"], ["live", "song.yaml"]],
    ids=["ports", "panic", "live"],
)
def test_without_libjack_live_commands_say_why_and_exit_3(
    stage: Path, tmp_path: Path, args: list[str]
) -> None:
    done = rig(args, stage, without_libjack(tmp_path))
    assert done.returncode == EXIT_UNAVAILABLE, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"rig {args[0]}: ")
    assert "the JACK library (libjack) is not installed here" in lines[0]
    # live adds what to do instead; ports and panic have nothing more to say.
    assert len(lines) == (2 if args[0] == "live" else 1)

"""isobar, the peer a user would pick instead of rig, as a row of `rig bench clock`.

isobar (PyPI) is not a dependency of rig: the benchmark keeps it in a virtual
environment of its own (`~/.cache/rig-bench/isobar-venv`, made on demand with this
Python's `venv` and pip; or any interpreter given with `--isobar-python`), and runs
this file there as a script. So this file imports nothing of rig; isobar and mido
are imported inside `_child`, in the venv.

The child reads one JSON object on stdin — the output port's name pattern (the
recorder's), tempo, length in beats and the notes (onset beat, channel, notes,
velocities, lengths in beats) — plays them with isobar's own Timeline and clock
(`send_clock`: 24 PPQN MIDI clock from isobar's 480 PPQN, Start and Stop) through
mido's rtmidi backend on rtmidi's JACK API, as an isobar user on Linux would, and
prints one JSON line: CPU seconds (user + system of the whole process) and wall
seconds while it played.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["ISOBAR", "ensure_venv", "isobar_version", "play", "note_groups"]

ISOBAR = "isobar==0.2.1"  # the version measured in results/clock-bench.md
VENV = Path.home() / ".cache" / "rig-bench" / "isobar-venv"


def ensure_venv(say=print, folder: Path = VENV) -> Path:
    """The venv's python with isobar installed (created and installed when missing).
    RuntimeError (one line) when it cannot be made (no network, no venv module)."""
    python = folder / "bin" / "python"
    if python.exists() and isobar_version(python):
        return python
    say(f"installing {ISOBAR} into {folder} (once; not a dependency of rig)")
    try:
        if not python.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(folder)],
                check=True,
                capture_output=True,
                timeout=300,
            )
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", ISOBAR],
            check=True,
            capture_output=True,
            timeout=900,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        last = detail.decode(errors="replace").strip().splitlines()[-1:] or [str(exc)]
        raise RuntimeError(f"could not install {ISOBAR} into {folder}: {last[0]}") from None
    if not isobar_version(python):
        raise RuntimeError(f"{ISOBAR} did not import in {folder}")
    return python


def isobar_version(python: Path) -> str:
    """isobar's version in that interpreter ("" when it does not import)."""
    code = "import importlib.metadata as m, isobar; print(m.version('isobar'))"
    try:
        out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def note_groups(notes: list[tuple[float, int, int, int, float]]) -> list[list]:
    """Notes (onset beat, channel, note, velocity, length beats) grouped by (channel,
    onset): [[onset, channel, [notes], [velocities], [lengths]], ...] in onset order."""
    groups: dict[tuple[int, float], list] = {}
    for onset, channel, note, velocity, length in notes:
        g = groups.setdefault((channel, onset), [onset, channel, [], [], []])
        g[2].append(note)
        g[3].append(velocity)
        g[4].append(length)
    return sorted(groups.values(), key=lambda g: (g[0], g[1]))


def play(python: Path, job: dict, server_env: dict[str, str], timeout: float) -> dict:
    """Run the child in `python` on `job`; its JSON answer. RuntimeError when it fails."""
    env = dict(os.environ, **server_env)
    env.pop("PYTHONPATH", None)  # the venv's own packages, not rig's tree
    # Imported here: this file also runs as a script in the venv, without rig.
    from rig.commands.bench.jsonchild import run_json_child

    return run_json_child([str(python), __file__], "isobar", timeout, env, json.dumps(job))


def _child() -> int:
    import importlib

    job = json.loads(sys.stdin.read())
    mido = importlib.import_module("mido")
    iso = importlib.import_module("isobar")
    mido.set_backend("mido.backends.rtmidi/UNIX_JACK")
    names = [n for n in mido.get_output_names() if job["port"] in n]
    if not names:
        print(f"no MIDI output matching {job['port']!r}", file=sys.stderr)
        return 3
    device = iso.MidiOutputDevice(device_name=names[0], send_clock=True)
    timeline = iso.Timeline(job["bpm"], output_device=device)
    by_channel: dict[int, list] = {}
    for group in job["groups"]:
        by_channel.setdefault(group[1], []).append(group)
    length = float(job["beats"])
    for channel, groups in sorted(by_channel.items()):
        onsets = [g[0] for g in groups] + [length]
        steps = [b - a for a, b in zip(onsets, onsets[1:], strict=False)]
        timeline.schedule(
            {
                "note": iso.PSequence([tuple(g[2]) for g in groups], 1),
                "amplitude": iso.PSequence([tuple(g[3]) for g in groups], 1),
                "gate": iso.PSequence(
                    [
                        tuple(min(0.99, n / s) for n in g[4])
                        for g, s in zip(groups, steps, strict=True)
                    ],
                    1,
                ),
                "duration": iso.PSequence(steps, 1),
                "channel": channel,
            },
            delay=onsets[0],
        )
    seconds = length * 60.0 / job["bpm"]
    t0, wall0 = os.times(), time.monotonic()
    timeline.start()
    time.sleep(seconds)
    wall, t1 = time.monotonic() - wall0, os.times()
    timeline.stop()  # isobar's own stop: a note-off for every note and channel, then Stop
    time.sleep(0.2)  # rtmidi's JACK client delivers in its next cycles
    cpu = (t1.user + t1.system) - (t0.user + t0.system)
    print(json.dumps({"cpu_seconds": cpu, "wall_seconds": wall}), flush=True)
    device.midi.close()
    return 0


if __name__ == "__main__":
    sys.exit(_child())

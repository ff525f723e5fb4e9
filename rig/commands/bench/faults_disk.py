"""The disk-full fault of `rig bench faults`: `rig export`, `rig render` and `rig render
--stems` onto a real file system that is full.

A tmpfs of a few MiB is mounted (needs root), the previous good output (and stems) put
on it, then the rest of it filled with a filler file, leaving `leave` bytes free; the
command runs as a user would run it (its own process, so an error printed while Python
shuts down — a `Wave_write.__del__` failing again at garbage collection — is seen too).
Counted per run: the exit code (4: an output file could not be written), the lines on
stderr (one clear line is the aim), a traceback, whether the previous output and every
previous stem are byte-identical afterwards, a half-written output left where there was
none, and temporary files left (`atomic_write`'s ``.NAME.*.part``).

`tests/hostile/test_disk_full.py` runs the same function and asserts on it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rig.commands.bench.faultkit import Row

__all__ = ["DiskOutcome", "KINDS", "fault_disk", "fill", "full_disk_run", "tmpfs"]

REPO = Path(__file__).resolve().parents[3]
KINDS = ("export", "render", "stems")
PREVIOUS = b"previous good output " * 200  # what a previous run left at each output path

# Small on purpose: a render of 2 bars takes a few seconds; its WAV (~1.2 MB) cannot fit.
RENDER_SONG = """cue: Disk
tempo: 120
tracks:
  pad:  {device: virus}
  bass: {device: monopoly}
patterns:
  pad:  {track: pad, chords: "Cmaj7 | Am7", octave: 3}
  bass: {track: bass, steps: "C2 . C2 . A1 . A1 . F1 . F1 . G1 . G1 ."}
sections:
  - {name: a, bars: 2, play: [pad, bass]}
"""
# Long enough that its MIDI file (~40 KB) does not fit in what is left free.
EXPORT_SONG = RENDER_SONG.replace("bars: 2,", "bars: 512,")
STEMS = ("pad.wav", "bass.wav")  # the stem files RENDER_SONG's tracks give


@contextlib.contextmanager
def tmpfs(size: str) -> Iterator[Path]:
    """A tmpfs of `size` (e.g. "4m") mounted on a new folder; unmounted at the end.
    RuntimeError when mounting is refused (not root)."""
    folder = Path(tempfile.mkdtemp(prefix="rig-faults-disk-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        folder.rmdir()
        raise RuntimeError(f"cannot mount a tmpfs: {done.stderr.strip() or done.returncode}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)
        with contextlib.suppress(OSError):
            folder.rmdir()


def fill(folder: Path, leave: int) -> Path:
    """Fill the file system of `folder` with one filler file until it is full, then give
    `leave` bytes back (tmpfs frees whole pages). Returns the filler's path."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(block)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


@dataclass
class DiskOutcome:
    kind: str  # "export" | "render" | "stems"
    leave: int  # bytes free when the command started
    old: bool  # a previous output was there
    exit: int = -1
    stderr: list[str] = field(default_factory=list)
    old_intact: bool | None = None  # None: there was no previous output
    stems_intact: bool | None = None  # None: not a --stems run
    half_left: bool = False  # an output file left where there was none before
    temp_left: list[str] = field(default_factory=list)

    @property
    def traceback(self) -> bool:
        return any("Traceback" in line or "Exception ignored" in line for line in self.stderr)


def full_disk_run(kind: str, leave: int, old: bool, work: Path, size: str = "4m") -> DiskOutcome:
    """One run of `kind` onto a freshly mounted, full tmpfs; `work`: a folder for the song."""
    song = work / f"{kind}.yaml"
    song.write_text(EXPORT_SONG if kind == "export" else RENDER_SONG)
    outcome = DiskOutcome(kind, leave, old)
    with tmpfs(size) as disk:
        out = disk / ("show.mid" if kind == "export" else "show.wav")
        stems = disk / "stems"
        if old:
            out.write_bytes(PREVIOUS)
        if kind == "stems":
            stems.mkdir()
            for name in STEMS:
                (stems / name).write_bytes(PREVIOUS)
        filler = fill(disk, leave)
        verb = "export" if kind == "export" else "render"
        cmd = [sys.executable, "-m", "rig.cli", verb, str(song), "-o", str(out),
               "--config", str(REPO / "config.yaml")]  # fmt: skip
        if kind == "stems":
            cmd += ["--stems", str(stems)]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        outcome.exit = done.returncode
        outcome.stderr = [line for line in done.stderr.splitlines() if line.strip()]
        if old:
            outcome.old_intact = out.is_file() and out.read_bytes() == PREVIOUS
        else:
            outcome.half_left = out.exists()
        if kind == "stems":
            found = sorted(p.name for p in stems.iterdir())
            outcome.stems_intact = found == sorted(STEMS) and all(
                (stems / n).read_bytes() == PREVIOUS for n in STEMS
            )
        filler.unlink()
        outcome.temp_left = sorted(
            str(p.relative_to(disk)) for p in disk.rglob("*") if p.name.endswith(".part")
        )
    return outcome


def fault_disk(reps: int, rng: random.Random) -> list[Row]:
    """`reps` full-disk runs: export, render, render --stems in turn; how much room is left
    (0 to 256 KiB) drawn from `rng`; a previous output present in three runs of four."""
    rows = []
    work = Path(tempfile.mkdtemp(prefix="rig-faults-song-"))
    try:
        for rep in range(1, reps + 1):
            kind = KINDS[(rep - 1) % len(KINDS)]
            leave = rng.choice([0, 4096, 65536, 262144])
            if kind == "export":
                leave = min(leave, 16384)
            o = full_disk_run(kind, leave, old=rep % 4 != 0, work=work)
            rows.append(Row("disk", rep, {
                "kind": kind, "free KiB": leave // 1024, "old file": o.old, "exit": o.exit,
                "stderr lines": len(o.stderr), "traceback": o.traceback,
                "old intact": "-" if o.old_intact is None else o.old_intact,
                "stems intact": "-" if o.stems_intact is None else o.stems_intact,
                "half file left": o.half_left, "temp files left": len(o.temp_left),
            }, o.stderr[-1][:120] if o.stderr else ""))  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows

"""Offline render of an Arrangement to a WAV file (and stems) on the pyo voices.

Each track is rendered by its own pyo offline server in a child process (two at a
time on a 2-core machine), then the parent mixes the tracks with numpy, measures
the peak and scales the mix so it peaks at −1 dBFS (down when it would clip, up
when it is quiet), and writes 24-bit WAV. Child processes keep pyo out of the
caller's process (a crash in pyo never takes rig down) and use both cores.

Every render of the same arrangement is sample-identical: pyo's random objects
get a fixed seed, and tracks are summed in arrangement order.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pickle
import re
import resource
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rig.dsp.loader import load_voice, voice_names
from rig.dsp.spec import VoiceSpec
from rig.dsp.wavfile import WavWriter
from rig.dsp.worker import TrackJob, TrackResult
from rig.song.arrangement import Arrangement
from rig.song.events import ControlChange, NoteOff, NoteOn, ProgramChange
from rig.source import InputError, Pos, SourceError, suggest
from rig.source.files import atomic_write

__all__ = ["render", "RenderReport", "RenderError", "TARGET_PEAK_DBFS", "track_jobs"]

TARGET_PEAK_DBFS = -1.0
BUFFER_SIZE = 128
MAX_TAIL = 20.0
_CHUNK_SECONDS = 10.0
_TAIL_FLOOR = 1e-4  # -80 dB: where the written file's tail is trimmed


class RenderError(RuntimeError):
    """A track could not be rendered (pyo failed in the child process)."""


@dataclass(frozen=True)
class RenderReport:
    path: Path
    duration: float  # seconds of audio written
    seconds: float  # wall-clock seconds taken
    cpu_seconds: float  # CPU time of the render processes (parent and children)
    peak_dbfs: float  # peak of the written file
    gain_db: float  # normalisation applied to reach it
    tracks: tuple[str, ...]  # rendered
    skipped: tuple[str, ...] = ()  # tracks with no software voice
    stems: tuple[Path, ...] = ()
    unmatched: dict[str, tuple[str, ...]] = field(default_factory=dict)  # track → CC names
    rests: dict[str, int] = field(default_factory=dict)  # track → times its instrument rested

    @property
    def realtime_factor(self) -> float:
        return self.duration / self.seconds if self.seconds > 0 else math.inf


def _voices(arrangement: Arrangement, voices_dir: Path) -> dict[str, VoiceSpec]:
    known = voice_names(voices_dir)
    wanted = sorted({t.voice for t in arrangement.tracks if t.voice})
    where = Pos(arrangement.source or arrangement.name, 1, 1)
    errors = [
        SourceError(where, f"no voice '{name}' in {voices_dir}{_suggest(name, known)}")
        for name in wanted
        if name not in known
    ]
    if errors:
        raise InputError(errors)
    return {name: load_voice(voices_dir / f"{name}.yaml") for name in wanted}


def _suggest(name: str, known: Sequence[str]) -> str:
    return suggest(name, known, "voices")


def track_jobs(
    arrangement: Arrangement,
    voices: dict[str, VoiceSpec],
    workdir: Path,
    sample_rate: int,
    buffer_size: int = BUFFER_SIZE,
    max_tail: float = MAX_TAIL,
) -> list[TrackJob]:
    """One job per track that has a voice: its events with their sample frames."""
    per_track: dict[str, list] = {t.name: [] for t in arrangement.tracks}
    seconds_at = arrangement.tempo.seconds_at
    for event in arrangement.events:
        if isinstance(event, NoteOn | NoteOff | ControlChange | ProgramChange):
            if event.track in per_track:
                frame = round(seconds_at(event.tick) * sample_rate)
                per_track[event.track].append((frame, event))
    end_frame = round(arrangement.duration_seconds * sample_rate)
    jobs = []
    for i, info in enumerate(arrangement.tracks):
        if not info.voice:
            continue
        jobs.append(
            TrackJob(
                track=info.name,
                spec=voices[info.voice],
                events=tuple(per_track[info.name]),
                end_frame=end_frame,
                max_tail=max_tail,
                sample_rate=sample_rate,
                buffer_size=buffer_size,
                path=str(workdir / f"track{i:03d}"),
            )
        )
    return jobs


def _share(jobs: list[TrackJob], workers: int) -> list[list[TrackJob]]:
    """Longest job first onto the least loaded worker."""
    loads = [0.0] * workers
    shares: list[list[TrackJob]] = [[] for _ in range(workers)]
    for job in sorted(jobs, key=lambda j: -j.cost):
        w = loads.index(min(loads))
        shares[w].append(job)
        loads[w] += job.cost
    return [s for s in shares if s]


def _run(
    jobs: list[TrackJob], workers: int, workdir: Path, progress: Callable[[float], None] | None
) -> dict[str, TrackResult]:
    """Render the jobs in `workers` child processes (``python -m rig.dsp.worker``).

    Plain subprocesses rather than multiprocessing: spawn re-imports the caller's
    main module, which breaks any script without a ``__main__`` guard.
    """
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    children: list[tuple[subprocess.Popen, object]] = []
    sel = selectors.DefaultSelector()
    try:
        for i, share in enumerate(_share(jobs, workers)):
            jobs_path = workdir / f"jobs{i}.pickle"
            jobs_path.write_bytes(pickle.dumps(share))
            read_fd, write_fd = os.pipe()
            proc = subprocess.Popen(
                [sys.executable, "-m", "rig.dsp.worker", str(jobs_path), str(write_fd)],
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
            )
            os.close(write_fd)
            reader = os.fdopen(read_fd, "r")
            sel.register(reader, selectors.EVENT_READ, proc)
            children.append((proc, reader))
        return _collect(jobs, sel, progress)
    finally:
        sel.close()
        for proc, reader in children:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            reader.close()
            if proc.stderr:
                proc.stderr.close()


def _collect(
    jobs: list[TrackJob], sel: selectors.BaseSelector, progress: Callable[[float], None] | None
) -> dict[str, TrackResult]:
    weights = {job.track: max(job.cost, 1e-3) for job in jobs}
    total = sum(weights.values())
    done: dict[str, float] = {}
    results: dict[str, TrackResult] = {}
    errors: list[str] = []
    open_readers = len(sel.get_map())
    while open_readers:
        for key, _ in sel.select():
            line = key.fileobj.readline()  # type: ignore[union-attr]
            if not line:  # the child exited
                sel.unregister(key.fileobj)
                open_readers -= 1
                proc = key.data
                proc.wait()
                if proc.returncode != 0:
                    err = proc.stderr.read().decode(errors="replace").strip().splitlines()
                    detail = err[-1] if err else f"exit status {proc.returncode}"
                    errors.append(f"a render worker failed: {detail}")
                continue
            kind, track, payload = json.loads(line)
            if kind == "progress":
                done[track] = payload
                if progress:
                    progress(0.95 * sum(weights[t] * f for t, f in done.items()) / total)
            elif kind == "done":
                results[track] = TrackResult.from_json(payload)
            else:
                errors.append(f"track '{track}': {payload}")
    missing = [job.track for job in jobs if job.track not in results]
    if errors or missing:
        raise RenderError("; ".join(errors) or f"tracks not rendered: {', '.join(missing)}")
    return results


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "track"


def _load(result: TrackResult) -> np.ndarray:
    if result.frames == 0:
        return np.zeros((0, 2), dtype=np.float32)
    return np.memmap(result.path, dtype="<f4", mode="r", shape=(result.frames, 2))


def render(
    arrangement: Arrangement,
    voices_dir: Path,
    out: Path,
    stems: Path | None = None,
    progress: Callable[[float], None] | None = None,
    sample_rate: int = 48000,
    *,
    workers: int | None = None,
    max_tail: float = MAX_TAIL,
    buffer_size: int = BUFFER_SIZE,
) -> RenderReport:
    """Render `arrangement` to `out` (24-bit WAV); one WAV per track into `stems` if given.

    Raises InputError for a voice that does not exist or does not load, RenderError
    when pyo fails.
    """
    started = time.perf_counter()
    cpu_started = _cpu()
    voices = _voices(arrangement, voices_dir)
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    skipped = tuple(t.name for t in arrangement.tracks if not t.voice)
    with tempfile.TemporaryDirectory(prefix="rig-render-") as tmp:
        jobs = track_jobs(arrangement, voices, Path(tmp), sample_rate, buffer_size, max_tail)
        results = _run(jobs, workers, Path(tmp), progress) if jobs else {}
        ordered = [results[job.track] for job in jobs]
        tracks = [_load(r) for r in ordered]
        end_frame = round(arrangement.duration_seconds * sample_rate)
        peak, stem_peak, last_loud = _measure(tracks, sample_rate)
        frames = max(
            end_frame, min(last_loud(peak * _TAIL_FLOOR), max(map(len, tracks), default=0))
        )
        target = 10 ** (TARGET_PEAK_DBFS / 20)
        # One gain for the mix and every stem, so the stems still add up to the mix.
        loudest = max([peak, *stem_peak])
        gain = target / loudest if loudest > 0 else 1.0
        stem_paths: list[Path] = []
        if stems is not None:
            stems.mkdir(parents=True, exist_ok=True)
            stem_paths = [stems / f"{_safe_name(r.track)}.wav" for r in ordered]
        out.parent.mkdir(parents=True, exist_ok=True)
        _write(out, stem_paths, tracks, frames, gain, sample_rate)
        del tracks
    if progress:
        progress(1.0)
    return RenderReport(
        path=out,
        duration=frames / sample_rate,
        seconds=time.perf_counter() - started,
        cpu_seconds=_cpu() - cpu_started,
        peak_dbfs=20 * math.log10(peak * gain) if peak > 0 else -math.inf,
        gain_db=20 * math.log10(gain),
        tracks=tuple(r.track for r in ordered),
        skipped=skipped,
        stems=tuple(stem_paths),
        unmatched={r.track: r.unmatched for r in ordered if r.unmatched},
        rests={r.track: r.rests for r in ordered},
    )


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _chunks(length: int, sample_rate: int) -> Iterator[slice]:
    step = int(_CHUNK_SECONDS * sample_rate)
    for start in range(0, length, step):
        yield slice(start, min(length, start + step))


def _mix(tracks: list[np.ndarray], part: slice) -> np.ndarray:
    frames = part.stop - part.start
    mix = np.zeros((frames, 2), dtype=np.float64)
    for track in tracks:
        piece = track[part]
        mix[: len(piece)] += piece
    # A filter pushed past stability can emit NaN/inf; keep it out of the file (never seen
    # with the shipped voices, but one bad sample would otherwise silence a whole chunk).
    if not np.isfinite(mix).all():
        np.nan_to_num(mix, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return mix


def _measure(tracks: list[np.ndarray], sample_rate: int):
    """Peak of the mix and of each stem, and a function: the frame after the last one above
    a level (to 10 ms), computed chunk by chunk so a long set never sits in memory whole."""
    length = max(map(len, tracks), default=0)
    hop = max(1, sample_rate // 100)
    peak = 0.0
    stem_peak = [0.0] * len(tracks)
    envelope: list[np.ndarray] = []  # the mix's peak per 10 ms
    for part in _chunks(length, sample_rate):
        for i, track in enumerate(tracks):
            piece = track[part]
            if len(piece):
                stem_peak[i] = max(stem_peak[i], float(np.max(np.abs(piece))))
        loud = np.max(np.abs(_mix(tracks, part)), axis=1)
        peak = max(peak, float(loud.max(initial=0.0)))
        pad = (-len(loud)) % hop
        envelope.append(np.pad(loud, (0, pad)).reshape(-1, hop).max(axis=1))
    env = np.concatenate(envelope) if envelope else np.zeros(0)

    def last_loud(level: float) -> int:
        above = np.nonzero(env > level)[0]
        return (int(above[-1]) + 2) * hop if len(above) else 0

    return peak, stem_peak, last_loud


def _write(
    out: Path,
    stem_paths: list[Path],
    tracks: list[np.ndarray],
    frames: int,
    gain: float,
    sample_rate: int,
) -> None:
    # Every file is written under a temporary name and renamed only when all are
    # complete: a full disk or a crash never leaves a half mix or stem as if done.
    with contextlib.ExitStack() as files:
        temps = [files.enter_context(atomic_write(p)) for p in [out, *stem_paths]]
        writers = []
        for path in temps:
            writers.append(WavWriter(path, sample_rate))
            # Every writer is closed even when closing another fails (a full disk fails
            # the mix's last flush): one left open would fail again at garbage
            # collection and print a traceback after the error line (measured).
            files.callback(writers[-1].close)
        for part in _chunks(frames, sample_rate):
            writers[0].write(_mix(tracks, part) * gain)
            for writer, track in zip(writers[1:], tracks, strict=False):
                writer.write(_mix([track], part) * gain)

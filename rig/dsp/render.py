"""Offline render of Arrangements to WAV files (and stems) on the pyo voices.

Each track is rendered by its own pyo server (run block by block) in a worker process
(two workers on a 2-core machine, shared by every cue of a set: `rig.dsp.pool`), then the parent
mixes the cue's tracks with numpy, measures the peak and scales the mix so it peaks at
−1 dBFS (down when it would clip, up when it is quiet), and writes 24-bit WAV, while
the workers go on with the next cue. Child processes keep pyo out of the caller's
process (a crash in pyo never takes rig down) and use both cores.

Every render of the same arrangement is sample-identical: pyo's random objects
get a fixed seed, and tracks are summed in arrangement order.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from rig.dsp.loader import load_voice, voice_names
from rig.dsp.loudness import Loudness, Metered
from rig.dsp.pool import RenderError, run_batches
from rig.dsp.spec import VoiceSpec
from rig.dsp.wavfile import WavWriter
from rig.dsp.worker import TrackJob, TrackResult
from rig.song.arrangement import Arrangement
from rig.song.events import ControlChange, NoteOff, NoteOn, ProgramChange
from rig.source import InputError, Pos, SourceError, suggest
from rig.source.files import atomic_write

__all__ = [
    "render",
    "render_cues",
    "Cue",
    "RenderReport",
    "RenderError",
    "TARGET_PEAK_DBFS",
    "track_jobs",
    "read_raw",
]

TARGET_PEAK_DBFS = -1.0
BUFFER_SIZE = 128
MAX_TAIL = 20.0
_CHUNK_SECONDS = 10.0
_TAIL_FLOOR = 1e-4  # -80 dB: where the written file's tail is trimmed


@dataclass(frozen=True)
class Cue:
    """One arrangement to render, and where its mix (and stems, if wanted) go.

    `raw`: write the mix as float32 stereo RAW (interleaved, not scaled: the report's
    `gain_db` is what the WAV would get) instead of 24-bit WAV, and meter it (the
    report's `metered`): a set's cues, which only wait to be joined into the night's file
    under the set's gain (no 24-bit packing and unpacking of every cue, and the metering
    done while the workers render on, not after the last cue; `read_raw` reads one back)."""

    arrangement: Arrangement
    out: Path
    stems: Path | None = None
    raw: bool = False


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
    metered: Metered | None = None  # a `Cue.raw` cue's loudness blocks, before any gain

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
    (report,) = render_cues(
        [Cue(arrangement, out, stems)],
        voices_dir,
        progress,
        sample_rate,
        workers=workers,
        max_tail=max_tail,
        buffer_size=buffer_size,
    )
    return report


def render_cues(
    cues: Sequence[Cue],
    voices_dir: Path,
    progress: Callable[[float], None] | None = None,
    sample_rate: int = 48000,
    *,
    workers: int | None = None,
    max_tail: float = MAX_TAIL,
    buffer_size: int = BUFFER_SIZE,
) -> list[RenderReport]:
    """Render every cue (each to its own WAV, scaled to −1 dBFS on its own) on one set
    of worker processes; reports in the cues' order.

    Each report's `seconds` is the wall time from the previous cue's file (or the start)
    to its own, and `cpu_seconds` its tracks' worker CPU and its mixing; a single cue
    counts everything (start-up included). Raises InputError for a voice that does not
    exist or does not load (before anything renders), RenderError when pyo fails.
    """
    started = time.perf_counter()
    cpu_started = _cpu()
    voices: dict[str, VoiceSpec] = {}
    for cue in cues:
        voices.update(_voices(cue.arrangement, voices_dir))
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    reports: list[RenderReport | None] = [None] * len(cues)
    last = [started]
    with tempfile.TemporaryDirectory(prefix="rig-render-") as tmp:
        batches = []
        for i, cue in enumerate(cues):
            folder = Path(tmp) / f"cue{i:03d}"
            folder.mkdir()
            jobs = track_jobs(cue.arrangement, voices, folder, sample_rate, buffer_size, max_tail)
            batches.append(jobs)

        def finished(i: int, results: dict[str, TrackResult]) -> None:
            cpu_before = time.process_time()
            ordered = [results[job.track] for job in batches[i]]
            report = _finish(cues[i], ordered, sample_rate)
            for result in ordered:  # a set's raw tracks would fill a small disk
                with contextlib.suppress(OSError):
                    os.unlink(result.path)
            now = time.perf_counter()
            cpu = sum(r.cpu for r in ordered) + time.process_time() - cpu_before
            reports[i] = replace(report, seconds=now - last[0], cpu_seconds=cpu)
            last[0] = now

        run_batches(batches, workers, Path(tmp), finished, progress)
    if progress:
        progress(1.0)
    done = [r for r in reports if r is not None]
    assert len(done) == len(cues), "run_batches finishes every batch or raises"
    if len(done) == 1:
        done[0] = replace(
            done[0], seconds=time.perf_counter() - started, cpu_seconds=_cpu() - cpu_started
        )
    return done


def _finish(cue: Cue, ordered: list[TrackResult], sample_rate: int) -> RenderReport:
    """Mix, measure and write one cue whose tracks are rendered (timing filled in later)."""
    arrangement = cue.arrangement
    skipped = tuple(t.name for t in arrangement.tracks if not t.voice)
    tracks = [_load(r) for r in ordered]
    end_frame = round(arrangement.duration_seconds * sample_rate)
    # Mixed once, kept as float32 (a 4-minute cue: 90 MB) for the peak, the tail and
    # the file alike; the peaks measured on the way (one read of every track).
    mix = np.empty((max(map(len, tracks), default=0), 2), dtype=np.float32)
    peak, stem_peak, last_loud = _mix_and_measure(mix, tracks, sample_rate)
    frames = max(end_frame, min(last_loud(peak * _TAIL_FLOOR), len(mix)))
    target = 10 ** (TARGET_PEAK_DBFS / 20)
    # One gain for the mix and every stem, so the stems still add up to the mix.
    loudest = max([peak, *stem_peak])
    gain = target / loudest if loudest > 0 else 1.0
    stem_paths: list[Path] = []
    if cue.stems is not None:
        cue.stems.mkdir(parents=True, exist_ok=True)
        stem_paths = [cue.stems / f"{_safe_name(r.track)}.wav" for r in ordered]
    cue.out.parent.mkdir(parents=True, exist_ok=True)
    metered = None
    if cue.raw:
        written = mix[:frames]
        if frames > len(mix):  # silence to the arrangement's end
            written = np.concatenate([mix, np.zeros((frames - len(mix), 2), np.float32)])
        written.tofile(cue.out)
        metered = Loudness(written, sample_rate).metered(arrangement)
        del written
        mix = mix[:0]
    _write(None if cue.raw else cue.out, mix, stem_paths, tracks, frames, gain, sample_rate)
    del tracks, mix
    return RenderReport(
        path=cue.out,
        duration=frames / sample_rate,
        seconds=0.0,
        cpu_seconds=0.0,
        peak_dbfs=20 * math.log10(peak * gain) if peak > 0 else -math.inf,
        gain_db=20 * math.log10(gain),
        tracks=tuple(r.track for r in ordered),
        skipped=skipped,
        stems=tuple(stem_paths),
        unmatched={r.track: r.unmatched for r in ordered if r.unmatched},
        rests={r.track: r.rests for r in ordered},
        metered=metered,
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


def _mix_and_measure(mix: np.ndarray, tracks: list[np.ndarray], sample_rate: int):
    """Sum `tracks` into `mix` (float64 sums, stored float32), chunk by chunk (the tracks
    are files, mapped: each is read once). Returns the mix's peak, each track's peak, and
    a function: the frame after the last one above a level (to 10 ms)."""
    hop = max(1, sample_rate // 100)
    peak = 0.0
    stem_peak = [0.0] * len(tracks)
    envelope: list[np.ndarray] = []  # the mix's peak per 10 ms
    for part in _chunks(len(mix), sample_rate):
        frames = part.stop - part.start
        total = np.zeros((frames, 2), dtype=np.float64)
        for i, track in enumerate(tracks):
            piece = track[part]
            if not len(piece):
                continue
            top, bottom = float(piece.max()), float(piece.min())
            if not (math.isfinite(top) and math.isfinite(bottom)):
                # A filter pushed past stability can emit NaN/inf; keep it out of the file
                # (never seen with the shipped voices, but one bad sample would otherwise
                # silence a whole chunk).
                piece = np.nan_to_num(piece, nan=0.0, posinf=0.0, neginf=0.0)
                top, bottom = float(piece.max()), float(piece.min())
            stem_peak[i] = max(stem_peak[i], top, -bottom)
            total[: len(piece)] += piece
        out = mix[part]
        out[:] = total
        # Per 10 ms: the largest magnitude on either channel (max and -min: no |x| copy).
        pad = (-frames) % hop
        if pad:
            out = np.concatenate([out, np.zeros((pad, 2), np.float32)])
        hops = out.reshape(-1, hop * 2)
        loud = np.maximum(hops.max(axis=1), -hops.min(axis=1))
        peak = max(peak, float(loud.max(initial=0.0)))
        envelope.append(loud)
    env = np.concatenate(envelope) if envelope else np.zeros(0)

    def last_loud(level: float) -> int:
        above = np.nonzero(env > level)[0]
        return (int(above[-1]) + 2) * hop if len(above) else 0

    return peak, stem_peak, last_loud


def _padded(mix: np.ndarray, part: slice, dtype: type) -> np.ndarray:
    """The mix's frames `part`, silence where `part` runs past its end (the written
    file lasts until the tail is quiet, or the arrangement's end if that is later)."""
    block = np.zeros((part.stop - part.start, 2), dtype=dtype)
    piece = mix[part]
    block[: len(piece)] = piece
    return block


def read_raw(path: Path) -> np.ndarray:
    """A cue written with `Cue.raw` (not scaled), as float32 (frames, 2)."""
    return np.fromfile(path, dtype=np.float32).reshape(-1, 2)


def _write(
    out: Path | None,
    mix: np.ndarray,
    stem_paths: list[Path],
    tracks: list[np.ndarray],
    frames: int,
    gain: float,
    sample_rate: int,
) -> None:
    # Every file is written under a temporary name and renamed only when all are
    # complete: a full disk or a crash never leaves a half mix or stem as if done.
    # `out` None: only the stems (the mix went elsewhere).
    paths = [*([out] if out is not None else []), *stem_paths]
    if not paths:
        return
    with contextlib.ExitStack() as files:
        temps = [files.enter_context(atomic_write(p)) for p in paths]
        writers = []
        for path in temps:
            writers.append(WavWriter(path, sample_rate))
            # Every writer is closed even when closing another fails (a full disk fails
            # the mix's last flush): one left open would fail again at garbage
            # collection and print a traceback after the error line (measured).
            files.callback(writers[-1].close)
        stems = writers[1:] if out is not None else writers
        for part in _chunks(frames, sample_rate):
            if out is not None:
                writers[0].write(_padded(mix, part, np.float64) * gain)
            for writer, track in zip(stems, tracks, strict=False):
                writer.write(_mix([track], part) * gain)

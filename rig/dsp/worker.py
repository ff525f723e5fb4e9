"""Render tracks on a pyo server run block by block; runs in the child processes of
`rig.dsp.pool`.

Events are applied before the audio block nearest to their sample (blocks of
`buffer_size` frames, 128 by default: within ±1.3 ms at 48 kHz). pyo applies
`play()`/`stop()` and value changes at block starts only (its own `delay=` argument
is block-quantised too, measured), so a smaller block is the way to finer timing;
64 frames cost ~15% more CPU than 128 (measured).

After the arrangement's end every held note is released and the render goes on
until the track's output stays 80 dB below its loudest for a moment, or
`max_tail` seconds have passed: reverb and delay tails are kept, not cut.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import pickle
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from rig.dsp.denormals import flush_denormals
from rig.dsp.params import moving_params
from rig.dsp.play import apply_event, build_instrument
from rig.dsp.server import import_pyo, offline_server
from rig.dsp.spec import VoiceSpec
from rig.song.events import ControlChange, Event, NoteOn, ProgramChange

__all__ = ["TrackJob", "TrackResult", "render_track", "main"]

# -80 dB below the track's loudest block: the tail is over.
TAIL_FLOOR = 1e-4
# The tail must stay under the floor this long (a delay's gap between echoes is not the end).
TAIL_QUIET_SECONDS = 0.6
# Silent voice slots are stopped this often (in blocks); cheap bookkeeping in Python.
HOUSEKEEP_BLOCKS = 16
METER_BLOCKS = 4
PROGRESS_SECONDS = 2.0
# Blocks recorded between two writes of the track's file (65536 frames: 512 KB).
CHUNK_BLOCKS = 512


@dataclass(frozen=True, slots=True)
class TrackJob:
    track: str
    spec: VoiceSpec
    events: tuple[tuple[int, Event], ...]  # (frame, event), in order
    end_frame: int  # the arrangement's end
    max_tail: float  # seconds
    sample_rate: int
    buffer_size: int
    path: str  # RAW float32 stereo, interleaved

    @property
    def cost(self) -> float:
        """A rough estimate of render time, to share tracks fairly between workers."""
        notes = sum(1 for _, e in self.events if isinstance(e, NoteOn))
        return self.end_frame / self.sample_rate + notes * 0.05 * max(1, self.spec.voices // 4)


@dataclass(frozen=True, slots=True)
class TrackResult:
    track: str
    path: str
    frames: int
    seconds: float  # wall time taken
    unmatched: tuple[str, ...]  # CC names no parameter of the voice answered
    rests: int = 0  # times the instrument went to rest (silent, tails over: nothing computed)
    cpu: float = 0.0  # CPU seconds of the worker process while it rendered this track

    @classmethod
    def from_json(cls, data: dict) -> TrackResult:
        return cls(**{**data, "unmatched": tuple(data["unmatched"])})


def render_track(job: TrackJob, report: Callable[[str, float], None]) -> TrackResult:
    """Render `job` to `job.path`; may be called several times in one process."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    pyo = import_pyo()
    server = offline_server(pyo, job.sample_rate, job.buffer_size)
    try:
        # Decaying filters and reverbs compute far faster without denormals (see there).
        with flush_denormals():
            unmatched, rests, frames = _play(pyo, server, job, report)
    finally:
        # pyo objects freed after their server is gone (or while the next one boots)
        # crash the process (measured: a segfault on the 5th render in one process).
        gc.collect()
        server.stop()
        server.shutdown()
    report(job.track, 1.0)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return TrackResult(job.track, job.path, frames, seconds, unmatched, rests, cpu)


class _Recorder:
    """The track's stereo output into a pyo table, written to `path` a chunk at a time.

    pyo's `TableRec` copies each block into the table (in C); every `CHUNK_BLOCKS`
    blocks the table is copied out, interleaved, and written with one call, instead of
    one `write` per block as pyo's offline backend does. The samples are those the
    offline backend wrote (`tests/dsp/test_render_server.py` compares the two)."""

    def __init__(self, pyo: ModuleType, signal, job: TrackJob):
        bs = job.buffer_size
        self.size = CHUNK_BLOCKS * bs
        self.block = bs
        self.table = pyo.NewTable(self.size / job.sample_rate, chnls=2)
        if self.table.getSize() != self.size:  # NewTable takes seconds: never off, checked
            raise RuntimeError(f"a {self.size}-frame table came out {self.table.getSize()}")
        self.channels = [np.asarray(self.table.getBuffer(c)) for c in range(2)]
        self.rec = pyo.TableRec(signal, self.table)
        self.rec.play()
        self.frames = np.empty((self.size, 2), dtype=np.float32)
        self.file = open(job.path, "wb")  # noqa: SIM115 - closed by close()
        self.done = 0  # blocks in the table
        self.written = 0  # frames in the file

    def count(self) -> None:
        """One more block computed: write the table once it is full."""
        self.done += 1
        if self.done == CHUNK_BLOCKS:
            self.flush()

    def flush(self) -> None:
        n = self.done * self.block
        if n:
            for c, channel in enumerate(self.channels):
                self.frames[:n, c] = channel[:n]
                # TableRec adds feedback × what was there (0 × x: NaN stays NaN): clear it.
                channel[:n] = 0.0
            self.frames[:n].tofile(self.file)
            self.written += n
        self.done = 0
        self.rec.play()  # from the table's start again

    def close(self) -> None:
        self.flush()
        self.file.close()
        self.rec.stop()
        self.channels = []


def _play(pyo: ModuleType, server, job: TrackJob, report) -> tuple[tuple[str, ...], int, int]:
    """Build the voice, run the server to the end of the tail; every pyo object dies here.
    Returns the CC names nothing answered, the times the instrument rested and the
    frames written."""
    sr, bs = job.sample_rate, job.buffer_size
    end_block = -(-job.end_frame // bs)
    total_blocks = end_block + int(job.max_tail * sr / bs)
    quiet_needed = max(1, int(TAIL_QUIET_SECONDS * sr / bs))
    progress_every = max(1, int(PROGRESS_SECONDS * sr / bs))
    controls = [
        (e.name, e.control, e.value) if isinstance(e, ControlChange) else e.program
        for _, e in job.events
        if isinstance(e, ControlChange | ProgramChange)
    ]
    instrument = build_instrument(pyo, job.spec, moving_params(job.spec, controls))
    meter = pyo.PeakAmp(instrument.out)
    # Its C streams, read directly: `meter.get(all=True)` checks its arguments in Python
    # first, on every fourth block of every track (a few % of a quiet track's render).
    peaks = [obj._getStream() for obj in meter._base_objs]
    # PeakAmp also calls Python every 60 ms to feed a meter display; there is none.
    meter._timer.stop()
    # Made after the voice: pyo computes streams in the order they were made, so the
    # recorder takes each block's output in the same block.
    recorder = _Recorder(pyo, instrument.out, job)
    # Events are bucketed by their nearest block once, so the loop compares integers.
    timed = [((frame + bs // 2) // bs, event) for frame, event in job.events]
    timed.append((total_blocks + 1, None))  # a sentinel: no end check per block
    loud = 0.0
    quiet = 0
    rests = 0
    nxt = 0
    # The block with work before it (an event, housekeeping, metering or progress):
    # every other block is one comparison and pyo's block.
    assert HOUSEKEEP_BLOCKS % METER_BLOCKS == 0, "housekeeping falls on metered blocks"
    due = 0
    process = server._server.process  # the C method: no Python frame per block
    count = recorder.count
    # No cyclic garbage collection while the blocks run: the loop's small allocations
    # would trigger it every few hundred blocks, over every object of the process
    # (measured ~1-3 % of a render); `render_track` collects once at the end.
    gc.disable()
    try:
        for block in range(total_blocks):
            if block >= due:
                at = block * bs / sr
                while timed[nxt][0] <= block:
                    apply_event(instrument, timed[nxt][1], at)
                    nxt += 1
                if block + 1 >= end_block:
                    due = block + 1  # the tail: the meter decides every block
                else:
                    due = min(
                        timed[nxt][0],
                        block - block % METER_BLOCKS + METER_BLOCKS,
                        block - block % progress_every + progress_every,
                    )
                if block % HOUSEKEEP_BLOCKS == 0:
                    resting = instrument.resting
                    instrument.housekeep(at)
                    rests += instrument.resting and not resting
                if block % progress_every == 0:
                    report(job.track, min(1.0, block / max(1, end_block)))
                if block < end_block:
                    # A sample of block peaks is enough to know the track's loudness roughly.
                    if block % METER_BLOCKS == 0:
                        loud = max(loud, *(p.getValue() for p in peaks))
                else:
                    level = max(p.getValue() for p in peaks)  # the previous block's peak
                    if block == end_block:
                        # The arrangement is over: release what is still held, keep the tails.
                        instrument.all_notes_off(at)
                    quiet = quiet + 1 if level <= loud * TAIL_FLOOR else 0
                    if quiet >= quiet_needed:
                        process()
                        count()
                        break
            process()
            count()
    finally:
        gc.enable()
        recorder.close()
    return tuple(sorted(instrument.unmatched)), int(rests), recorder.written


def main(argv: list[str] | None = None) -> int:
    """Child-process entry: ``python -m rig.dsp.worker FD``.

    Reads one path per line on stdin, each a pickled TrackJob, and renders them one
    after another until stdin closes; so one process renders every track it is given
    over a whole set (the parent feeds it as it finishes, see `rig.dsp.pool`). Reports
    JSON lines on file descriptor FD (not stdout: pyo's C code may print there), each
    naming the job by its `path`.
    """
    args = sys.argv[1:] if argv is None else argv
    fd = int(args[0])
    with os.fdopen(fd, "w", buffering=1) as out:

        def send(*message: object) -> None:
            out.write(json.dumps(message) + "\n")

        for line in sys.stdin:
            if not line.strip():
                continue
            with open(line.strip(), "rb") as f:
                job: TrackJob = pickle.load(f)
            key = job.path
            try:
                result = render_track(job, lambda _t, done, key=key: send("progress", key, done))
            except Exception as exc:  # the parent raises it as a RenderError
                send("error", key, f"{type(exc).__name__}: {exc}")
            else:
                send("done", key, dataclasses.asdict(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

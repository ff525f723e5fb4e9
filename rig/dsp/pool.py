"""Render worker processes shared by every cue of a render, fed job by job.

A set render used to start two fresh worker processes per cue (each importing pyo,
numpy and rig), hand each a fixed share of the cue's tracks, and wait for the slower
share while the other core idled; then the parent mixed and wrote the cue while both
workers were gone. Now the workers start once for the whole render and each is sent
its next track as it finishes one (longest first within a cue, cue after cue), so both
cores stay busy across cue boundaries; a worker always has a second track queued, so it
goes on rendering while the parent mixes and writes the cue that just completed
(`finished` is called as soon as a cue's last track is in).

Plain subprocesses rather than multiprocessing: spawn re-imports the caller's main
module, which breaks any script without a ``__main__`` guard.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import selectors
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from rig.dsp.worker import TrackJob, TrackResult

__all__ = ["run_batches", "RenderError", "QUEUED_PER_WORKER"]

# Jobs a worker holds at once (rendering one, the next waiting in its stdin): it never
# waits for the parent, who may be busy mixing a finished cue.
QUEUED_PER_WORKER = 2


class RenderError(RuntimeError):
    """A track could not be rendered (pyo failed in the child process)."""


@dataclass
class _Child:
    proc: subprocess.Popen
    reader: IO[bytes]  # its reports, read unbuffered (see `_lines`)
    errors: IO[bytes]  # its stderr, in a file: a full pipe would block a long-lived worker
    pending: list[str] = field(default_factory=list)  # job keys sent, not yet answered
    partial: bytes = b""  # the start of a report line not yet complete


def run_batches(
    batches: Sequence[Sequence[TrackJob]],
    workers: int,
    workdir: Path,
    finished: Callable[[int, dict[str, TrackResult]], None],
    progress: Callable[[float], None] | None = None,
) -> None:
    """Render every job of every batch (a cue's tracks) in `workers` child processes;
    `finished(i, {track: result})` runs in this process as soon as batch i is complete.

    Raises RenderError when a track fails or a worker dies (no further jobs are sent);
    whatever `finished` raises propagates, the workers killed.
    """
    queue: deque[tuple[int, TrackJob]] = deque()
    for i, batch in enumerate(batches):
        queue.extend((i, job) for job in sorted(batch, key=lambda j: -j.cost))
    for i, batch in enumerate(batches):
        if not batch:
            finished(i, {})
    if not queue:
        return
    owner = {job.path: (i, job) for i, job in queue}
    left = [len(b) for b in batches]
    results: list[dict[str, TrackResult]] = [{} for _ in batches]
    weights = {key: max(job.cost, 1e-3) for key, (_, job) in owner.items()}
    total = sum(weights.values())
    done: dict[str, float] = {}
    errors: list[str] = []
    sel = selectors.DefaultSelector()
    children = [_spawn(workdir, n, sel) for n in range(max(1, min(workers, len(queue))))]

    def feed(child: _Child) -> None:
        while queue and not errors and len(child.pending) < QUEUED_PER_WORKER:
            _, job = queue.popleft()
            path = Path(job.path).with_suffix(".job")
            path.write_bytes(pickle.dumps(job))
            child.pending.append(job.path)
            try:
                _send(child, f"{path}\n")
            except BrokenPipeError:  # it died: its end of file says so, the job pending
                return
        if not queue or errors:
            _close(child)  # the worker exits after what it holds

    try:
        for child in children:
            feed(child)
        open_readers = len(children)
        while open_readers:
            for key, _ in sel.select():
                child = key.data
                lines = _lines(child)
                if lines is None:  # the child exited
                    sel.unregister(child.reader)
                    open_readers -= 1
                    child.proc.wait()
                    if child.proc.returncode != 0 or child.pending:
                        errors.append(f"a render worker failed: {_last_error(child)}")
                    continue
                for line in lines:
                    kind, job_key, payload = json.loads(line)
                    if kind == "progress":
                        done[job_key] = payload
                        if progress:
                            progress(0.95 * sum(weights[k] * f for k, f in done.items()) / total)
                        continue
                    child.pending.remove(job_key)
                    i, job = owner[job_key]
                    if kind == "done":
                        results[i][job.track] = TrackResult.from_json(payload)
                        left[i] -= 1
                    else:
                        errors.append(f"track '{job.track}': {payload}")
                    feed(child)
                    if kind == "done" and left[i] == 0 and not errors:
                        finished(i, results[i])
    finally:
        sel.close()
        for child in children:
            if child.proc.poll() is None:
                child.proc.kill()
            child.proc.wait()
            _close(child)
            child.reader.close()
            child.errors.close()
    missing = [job.track for i, job in owner.values() if job.track not in results[i]]
    if errors or missing:
        raise RenderError("; ".join(errors) or f"tracks not rendered: {', '.join(missing)}")


def _spawn(workdir: Path, n: int, sel: selectors.BaseSelector) -> _Child:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    read_fd, write_fd = os.pipe()
    errors = open(workdir / f"worker{n}.err", "w+b")  # noqa: SIM115 - closed by run_batches
    # -P: `python -m` would put the working directory first on sys.path, so a render
    # run from inside another rig checkout had its workers import that checkout's rig
    # (`rig bench render --baseline`, run from the checkout under test, rendered the
    # baseline's cues on this code's voices: measured, its workers' CPU equal to this
    # code's). The workers import the rig this module belongs to, named by PYTHONPATH.
    proc = subprocess.Popen(
        [sys.executable, "-P", "-m", "rig.dsp.worker", str(write_fd)],
        pass_fds=(write_fd,),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=errors,
        env=env,
        text=True,
    )
    os.close(write_fd)
    child = _Child(proc, os.fdopen(read_fd, "rb", buffering=0), errors)
    sel.register(child.reader, selectors.EVENT_READ, child)
    return child


def _lines(child: _Child) -> list[str] | None:
    """The complete report lines that have arrived; None once the worker has exited.

    Read from the pipe as it comes, not with a buffered readline(): a buffered reader
    can swallow two lines while select() wakes once, leaving the second (a worker's last
    "done") unread while that worker waits for its next job: both would wait forever.
    """
    data = child.reader.read(65536)
    if not data:
        return None
    *lines, child.partial = (child.partial + data).split(b"\n")
    return [line.decode() for line in lines]


def _send(child: _Child, line: str) -> None:
    assert child.proc.stdin is not None, "spawned with stdin=PIPE"
    child.proc.stdin.write(line)
    child.proc.stdin.flush()


def _close(child: _Child) -> None:
    stdin = child.proc.stdin
    if stdin is not None and not stdin.closed:
        # Closing flushes: a worker that died leaves a broken pipe, already reported.
        with contextlib.suppress(BrokenPipeError):
            stdin.close()


def _last_error(child: _Child) -> str:
    child.errors.seek(0)
    lines = child.errors.read().decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {child.proc.returncode}"

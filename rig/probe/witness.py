"""The parent side of a witness process: a JACK client in a child Python process
(`rig.probe.recorder` for MIDI, `rig.probe.capture` for audio) that shares nothing with
the code under test.

Both speak the same line protocol over the child's stdin/stdout: one JSON line when
it is ready, "stop" on stdin (or stdin closing: a parent that dies takes the child
with it), then the child's output until it exits. This module starts such a child
from the same source tree as the parent and stops it; each witness reads its own
output.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["spawn_witness", "stop_witness"]


def spawn_witness(
    module: str,
    args: Sequence[str],
    server_env: Mapping[str, str] | None,
    timeout: float,
    error: type[Exception],
    what: str,
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start ``python -m module args`` on the JACK server of `server_env`; (process, its
    ready line as a dict). `error("<what> did not start: <its last stderr line>")` when
    it does not answer within `timeout` seconds."""
    env = dict(os.environ)
    env.update(server_env or {})
    # The child imports rig from the same tree as the parent, installed or not.
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    line = _read_line(proc, timeout)
    if not line:
        proc.kill()
        _, err = proc.communicate()
        reason = (err or "").strip().splitlines()[-1:] or ["no answer"]
        raise error(f"{what} did not start: {reason[0]}")
    return proc, json.loads(line)


def stop_witness(
    proc: subprocess.Popen[str], timeout: float, error: type[Exception], what: str
) -> tuple[str, str]:
    """Ask the child to stop; (its stdout, its stderr) once it has exited.
    `error("<what> did not stop")` (the child killed) when it takes over `timeout` s."""
    try:
        assert proc.stdin is not None
        proc.stdin.write("stop\n")
        proc.stdin.flush()
    except (BrokenPipeError, ValueError):
        pass  # already gone: collect what it wrote
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise error(f"{what} did not stop") from None


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            return ""
    return proc.stdout.readline()

"""A benchmark's measuring child: run it, give it a time limit, read its answer.

The clock benchmark's floor row (rig.commands.bench.floor) and its isobar row
(rig.commands.bench.isobar_peer) each measure in a process of their own, which
prints its figures as one JSON line last; a failure or a timeout is one line for
the user, named after what ran.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence

__all__ = ["run_json_child"]


def run_json_child(
    cmd: Sequence[str],
    what: str,
    timeout: float,
    env: Mapping[str, str],
    stdin: str | None = None,
) -> dict:
    """The JSON object on the last line `cmd` prints. RuntimeError ("<what> failed:
    <its last stderr line>", or "did not finish") when it exits non-zero, prints
    nothing or outlasts `timeout` seconds."""
    try:
        out = subprocess.run(
            list(cmd),
            input=stdin,
            text=True,
            capture_output=True,
            env=dict(env),
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what} did not finish within {timeout:.0f} s") from None
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        err = out.stderr.strip().splitlines()[-1:] or [f"exit {out.returncode}"]
        raise RuntimeError(f"{what} failed: {err[0]}")
    return json.loads(lines[-1])

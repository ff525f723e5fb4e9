"""`rig export`, `rig render` and `rig render --stems` onto a real, full file system.

A tmpfs is mounted (root only: skipped otherwise), the previous output put on it and
the rest filled; the command runs in its own process. It must say so in one line,
exit with 4 (an output file could not be written), leave the previous output and
stems byte-identical, leave no half-written file and no temporary file.
The same runs, repeated with figures: `rig bench faults --only disk`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rig.commands import EXIT_WRITE_FAILED
from rig.commands.bench.faults_disk import full_disk_run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root"),
]


@pytest.mark.parametrize(
    ("kind", "leave", "old"),
    [
        ("export", 4096, True),
        ("export", 0, False),
        pytest.param("render", 65536, True, marks=pytest.mark.audio),
        pytest.param("render", 0, False, marks=pytest.mark.audio),
        pytest.param("stems", 4096, True, marks=pytest.mark.audio),
        # No room at all: the mix's last flush fails first; every stem writer must still
        # be closed (else each prints a traceback at garbage collection: measured).
        pytest.param("stems", 0, False, marks=pytest.mark.audio),
    ],
)
def test_full_disk_keeps_the_last_good_output(
    kind: str, leave: int, old: bool, tmp_path: Path
) -> None:
    o = full_disk_run(kind, leave, old, tmp_path)
    assert o.exit == EXIT_WRITE_FAILED, o.stderr
    assert len(o.stderr) == 1, o.stderr  # one clear line, no traceback after it
    verb = "export" if kind == "export" else "render"
    assert o.stderr[0].startswith(f"rig {verb}: cannot write ")
    assert "No space left on device" in o.stderr[0]
    assert not o.traceback
    assert o.old_intact is (True if old else None)
    assert not o.half_left
    assert o.stems_intact is (True if kind == "stems" else None)
    assert o.temp_left == []

"""Stale live session files (rig.stage.session): what a SIGKILLed host leaves is
recognised, and removed with one line saying so."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from rig.stage.session import Session, clear_stale, host_running, session_path, write_session


def _started(argv: list[str]) -> subprocess.Popen:
    """`argv` running, its command line readable (empty in the instant it execs)."""
    proc = subprocess.Popen(argv)
    deadline = time.monotonic() + 10
    while not Path(f"/proc/{proc.pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return proc


def _ended_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_host_is_a_live_process_running_the_host_module():
    assert not host_running(_ended_pid())
    assert not host_running(0)
    sleeper = _started(["sleep", "60"])  # alive, but another program
    try:
        assert not host_running(sleeper.pid)
    finally:
        sleeper.kill()
        sleeper.wait()
    host = _started([sys.executable, "-c", "import time; time.sleep(60)",
                     "-m", "rig.stage.host"])  # fmt: skip
    try:
        assert host_running(host.pid)  # its command line names the host module
    finally:
        host.kill()
        host.wait()


def test_clear_stale_removes_a_dead_hosts_files_and_says_so(tmp_path):
    path = session_path(9123, tmp_path)
    assert clear_stale(path) is None  # no file
    dead = _ended_pid()
    write_session(path, Session(9123, 0, dead, "/sets/night.yaml"))
    path.with_suffix(".notes").write_bytes(b"map")
    said = clear_stale(path)
    assert said is not None and "night.yaml on OSC port 9123" in said and str(dead) in said
    assert not path.exists() and not path.with_suffix(".notes").exists()
    path.write_text("{not json")
    assert "unreadable" in (clear_stale(path) or "")
    assert not path.exists()


def test_clear_stale_leaves_a_running_shows_file(tmp_path):
    path = session_path(9124, tmp_path)
    host = _started([sys.executable, "-c", "import time; time.sleep(60)",
                     "-m", "rig.stage.host"])  # fmt: skip
    try:
        write_session(path, Session(9124, 0, host.pid, "/sets/night.yaml"))
        assert clear_stale(path) is None
        assert path.exists()
    finally:
        host.kill()
        host.wait()

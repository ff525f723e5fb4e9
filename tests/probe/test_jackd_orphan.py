"""A benchmark's private JACK server dies with the benchmark (rig.probe.jackd).

Found running: `jackd -n rig-bench-<pid>` servers whose benchmark had been killed
(a timeout), orphaned for half an hour, each spinning dummy cycles and holding one of
the 8 entries of JACK's shared server registry."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.jack]

BENCH = """
import time
from rig.probe.jackd import private_jackd
with private_jackd() as name:
    print(name, flush=True)
    time.sleep(120)
"""


def _jackd_pids(name: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if args[:3] == [b"jackd", b"-n", name.encode()] and state not in ("Z", "X"):
            pids.append(int(proc.name))
    return pids


def test_a_killed_benchmark_takes_its_jack_server_along():
    import shutil

    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (Debian: apt-get install jackd2)")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    bench = subprocess.Popen([sys.executable, "-c", BENCH], stdout=subprocess.PIPE, text=True,
                             env=env)  # fmt: skip
    try:
        assert bench.stdout is not None
        name = bench.stdout.readline().strip()
        assert name.startswith("rig-bench-"), name
        assert _jackd_pids(name), "the private server is not running"
        bench.send_signal(signal.SIGKILL)  # no finally, no context manager exit
        bench.wait(10)
        deadline = time.monotonic() + 20
        while _jackd_pids(name) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _jackd_pids(name), f"jackd {name} outlived its benchmark"
    finally:
        bench.kill()
        bench.wait()

"""The floor under every Python JACK client, as rows of `rig bench clock`.

A JACK client written in Python (JACK-Client, cffi) pays for each process cycle
before its callback does anything: the server wakes the client's thread, cffi takes
the GIL and calls into Python, and the thread signals the next client. At 64 frames
that is 750 times a second. These rows measure that floor on the same server in the
same run as the engines: a process with one JACK client, MIDI out ports and an empty
process callback, for as long as the section plays — so the frame engine's CPU can
be read as floor + the engine's own work. Twice: with one port connected to nothing,
and with one port per device connected where the engine's are (the recorders). The
second is the engine's real floor: a client whose ports feed another client wakes
that client at the end of each cycle (measured here: ~10-14 µs a cycle more, for one
port or eight — per client edge, not per port).

A third row is the native floor: `jack_midiseq` (a C client from jackd2's example
clients, looping a MIDI sequence) with its output connected to the same recorders —
what any JACK MIDI client costs on this machine, written in C, with no Python and no
cffi in its cycle. Its CPU is the sum of its threads' run time from
/proc/<pid>/task/*/schedstat (nanoseconds, the same count `time.process_time` reads
for the Python rows; /proc/<pid>/stat's utime + stime count in 10 ms ticks, too coarse
for a row of half a second). When the tool is not installed the row says so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from rig.commands.bench.jsonchild import run_json_child

__all__ = [
    "EMPTY_CLIENT",
    "EMPTY_CONNECTED",
    "NATIVE_CLIENT",
    "MIDISEQ",
    "empty_client",
    "native_client",
]

EMPTY_CLIENT = "empty Python JACK client"
EMPTY_CONNECTED = "empty Python JACK client, connected"
NATIVE_CLIENT = "C JACK MIDI client, connected"
MIDISEQ = "jack_midiseq"
# Its loop: one 16th note at 100 BPM (7200 frames at 48 kHz), C4 for half of it.
_LOOP = ("7200", "0", "60", "3600")

_CHILD = """
import json, sys, time
import jack
seconds = float(sys.argv[1])
client = jack.Client(sys.argv[2], no_start_server=True)
targets = sys.argv[3:]
ports = [client.midi_outports.register(f"out{i}") for i in range(max(1, len(targets)))]
def process(frames):
    pass
client.set_process_callback(process)
client.activate()
for port, target in zip(ports, targets):
    client.connect(port, target)
time.sleep(0.5)  # activation's page faults are not the floor
t0, w0 = time.process_time(), time.monotonic()  # user + system, to the µs
time.sleep(seconds)
t1, w1 = time.process_time(), time.monotonic()
rate, period = client.samplerate, client.blocksize
client.deactivate()
client.close()
cpu = t1 - t0
print(json.dumps({"cpu_seconds": cpu, "wall_seconds": w1 - w0, "rate": rate, "period": period}))
"""


def empty_client(seconds: float, name: str, timeout: float, targets: tuple[str, ...] = ()) -> dict:
    """CPU and wall seconds of the empty client over `seconds` (the JSON the child
    prints); RuntimeError when it fails. The server is the environment's
    (`JACK_DEFAULT_SERVER`). `targets`: MIDI in ports to connect one out port each to
    (none: one port, connected to nothing)."""
    cmd = [sys.executable, "-c", _CHILD, str(seconds), name, *targets]
    return run_json_child(cmd, "the empty JACK client", timeout, os.environ)


def _cpu_ns(pid: int) -> int:
    """Run time of every thread of `pid` so far, in ns (schedstat's first field)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that ended between the listing and the read
    return total


def native_client(
    seconds: float, name: str, timeout: float, targets: tuple[str, ...], tool: str = MIDISEQ
) -> dict | None:
    """CPU and wall seconds of `jack_midiseq` looping a note for `seconds`, its output
    connected to every one of `targets` (MIDI in ports); None when `tool` is not
    installed. The server is the environment's (`JACK_DEFAULT_SERVER`); RuntimeError
    when the client does not come up within `timeout` seconds."""
    import jack

    path = shutil.which(tool)
    if path is None:
        return None
    proc = subprocess.Popen(
        [path, name, *_LOOP],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    try:
        port = f"{name}:out"
        patch = jack.Client(f"{name}-patch", no_start_server=True)  # never activated
        try:
            deadline = time.monotonic() + timeout
            for target in dict.fromkeys(targets):  # one connection per recorder
                # The port exists before the client is active, and JACK refuses to
                # connect an inactive client's port: ask again until it is.
                while True:
                    try:
                        patch.connect(port, target)
                        break
                    except jack.JackError as exc:
                        if proc.poll() is not None or time.monotonic() > deadline:
                            raise RuntimeError(f"{tool} did not connect: {exc}") from None
                        time.sleep(0.05)
            rate, period = patch.samplerate, patch.blocksize
        finally:
            patch.close()
        time.sleep(0.5)  # as the Python rows: activation is not the floor
        t0, w0 = _cpu_ns(proc.pid), time.monotonic()
        time.sleep(seconds)
        t1, w1 = _cpu_ns(proc.pid), time.monotonic()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    cpu = (t1 - t0) / 1e9
    return {"cpu_seconds": cpu, "wall_seconds": w1 - w0, "rate": rate, "period": period}

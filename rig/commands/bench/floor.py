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
"""

from __future__ import annotations

import os
import sys

from rig.commands.bench.jsonchild import run_json_child

__all__ = ["EMPTY_CLIENT", "EMPTY_CONNECTED", "empty_client"]

EMPTY_CLIENT = "empty Python JACK client"
EMPTY_CONNECTED = "empty Python JACK client, connected"

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

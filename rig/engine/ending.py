"""The end of a show: Stop, note-offs delivered, sinks and JACK clients closed.

`shutdown` runs whatever ended the engine loop (quit, a signal, the controller gone).
The Stop's note-offs and FC must reach the devices before the engine's JACK client
closes: a note whose note-off is lost hangs a synth, and a drum machine following the
clock plays on. So the wait is on the frame timeline (the sinks write each message on
its frame), bounded in wall time (a server that stopped running cycles must not hold
the exit).

The controller SIGKILLed: its note-rescue JACK client (`rescue_client`) dies inside
the graph, and until the server has dropped it, a receiver patched to it as well as to
the engine (a recorder, a MIDI merger) is not run: what the engine writes then never
arrives. Measured here: 2 of 4 runs lost the Stop and left a note sounding, the
engine gone 50 ms after its controller. The rescue's ports therefore stay dormant
(connected to nothing) until it rescues; and after a controller's death the engine
waits (at most `RESCUE_GONE_NS`) until that client has left the graph and sends the
Stop's messages again (`Scheduler.repeat_stop`: a second note-off for a silent note
does nothing) — the death makes the server xrun, which can lose the first Stop.

Whatever a C library does after that, the engine process ends (`end_within`): with
its controller SIGKILLed it was seen hanging for good in libjack's `jack_client_close`
(the stand-ins' control client, after the Stop had left), an orphan that nobody
would ever stop, holding its JACK clients.
"""

from __future__ import annotations

import contextlib
import math
import re
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rig.engine.sinks import close_sinks, sink_hosts
from rig.engine.transport import Engine

if TYPE_CHECKING:
    from rig.engine.cycle import FrameLoop

__all__ = ["END_WITHIN_S", "end_within", "rescue_client", "shutdown"]

# After the final Stop: time for queued messages to leave the sinks (JACK delivers
# in its next process cycle, 1.3 ms at 64 frames; rtmidi's sender thread at once).
DRAIN_NS = 30_000_000
RESCUE_GONE_NS = 3_000_000_000  # wall time to wait for a dead controller's client to go
# From the end of the show to the end of the process, at most: the Stop's wait for a
# dead controller's rescue (3 s), its delivery and the closes take a few seconds.
END_WITHIN_S = 15.0


def end_within(seconds: float = END_WITHIN_S) -> bool:
    """Make the kernel end this process `seconds` from now if it has not ended by
    then (SIGALRM with its default action: no Python code has to run, so a thread
    stuck in a C call cannot hold it). Only in the main thread of a process that is
    an engine (signals belong to the main thread); False where it cannot be armed
    (no SIGALRM on Windows, or not the main thread)."""
    if not hasattr(signal, "alarm") or threading.current_thread() is not threading.main_thread():
        return False
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(max(1, math.ceil(seconds)))
    return True


def rescue_client(client_name: str) -> str:
    """The JACK client name of the controller's note rescue for the engine's client
    `client_name` (rig.stage.rescue opens it; the engine looks for it at its end)."""
    return f"{client_name}-rescue"


def shutdown(
    engine: Engine,
    sinks: Sequence,
    now_ns: Callable[[], int] = time.monotonic_ns,
    loop: FrameLoop | None = None,
    controller_died: bool = False,
) -> None:
    """Stop (note-offs, Stop), wait for the sinks to deliver it, close them.

    `controller_died`: the controller ended without a word (SIGKILL): see above."""
    if loop is not None:
        now_ns = loop.now_ns
    hosts = sink_hosts(sinks)
    guard: Any = loop.lock if loop is not None else contextlib.nullcontext()
    with guard:
        stopped_at = now_ns()
        engine.stop(stopped_at)
    _deliver(engine, now_ns)
    if controller_died:
        # Once its rescue has left the graph (or at once without one; bounded), the
        # Stop again: a controller's death makes the server xrun, which can lose it.
        _wait_rescue_gone(hosts)
        with guard:
            engine.scheduler.repeat_stop(now_ns(), stopped_at)
        _deliver(engine, now_ns)
    if loop is not None:
        for host in hosts:
            host.driver = None  # the engine is done: the sinks only deliver from here
    close_sinks(sinks)  # each ends anything its tracker still knows is sounding


def _deliver(engine: Engine, now_ns: Callable[[], int]) -> None:
    """Wait until what the scheduler handed the sinks is due and a little more."""
    last = engine.scheduler.last_deadline_ns
    wait_until = max(now_ns(), last or 0) + DRAIN_NS
    give_up = time.monotonic_ns() + 2 * DRAIN_NS + 1_000_000_000
    while (left := wait_until - now_ns()) > 0 and time.monotonic_ns() < give_up:
        time.sleep(min(left, DRAIN_NS) / 1e9)


def _wait_rescue_gone(hosts: Sequence[Any]) -> None:
    """Wait until no JACK host's rescue client has ports left (at once without one),
    at most RESCUE_GONE_NS."""
    patterns = [
        (host, "^" + re.escape(rescue_client(host.client_name)) + ":")
        for host in hosts
        if getattr(host, "client", None) is not None and getattr(host, "alive", False)
    ]
    give_up = time.monotonic_ns() + RESCUE_GONE_NS
    while time.monotonic_ns() < give_up:
        listed = [
            host.port_names(lambda h=host, p=pattern: h.client.get_ports(p))
            for host, pattern in patterns
        ]
        if not any(names is None or names for names in listed):
            return
        time.sleep(0.02)

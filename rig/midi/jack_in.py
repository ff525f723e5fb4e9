"""A JACK MIDI input on a `JackHost`, read in its process callback, each message stamped
with its frame: the sync input on the frame timeline.

rtmidi's input delivers a message when its thread gets the GIL, and its JACK backend
snaps delta times to period boundaries (measured: bursts of late stamps that fooled
the tempo fit; see `rig.midi.sync_in`). Here the message's own frame is the stamp:
the host's process callback reads the port first thing in the cycle (before the
engine's frame loop pumps), and each event becomes ``(cycle.ns_of(first + offset),
bytes)`` — exact timeline ns on the engine's frame line, in real time as in JACK
freewheel. `drain()` hands them over in order, in the same callback (the engine's
`SyncDriver.pump` drains its input), so nothing is shared with another thread but
a deque.

The port connects to the master's output by name pattern (`rig.config.match_port`),
and again when the master comes back (the host's watcher thread calls
`_reconcile` on graph changes, as for the sinks).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

from rig.config import match_port

__all__ = ["JackInput"]

log = logging.getLogger(__name__)

# Stamped messages kept until drained: 4 s of MIDI clock at 400 BPM with timecode; a
# consumer that stops draining loses the oldest, never blocks the RT thread.
_KEEP = 8192


class JackInput:
    """One MIDI in port on `host`, connected from the output matching `pattern`."""

    def __init__(self, host: Any, pattern: str, port_name: str = "sync in") -> None:
        self.host = host
        self.pattern = pattern
        self.port_name = port_name
        self.name = ""  # the master's port, once connected
        self.connected = False
        self.received = 0
        self._port: Any = None
        self._events: deque[tuple[int, bytes]] = deque(maxlen=_KEEP)
        self._reconcile_lock = threading.Lock()

    def open(self) -> JackInput:
        """Register the port and connect it; a missing master waits (a warning)."""
        self._port = self.host._attach_input(self, self.port_name)
        self._reconcile()
        if not self.connected:
            log.warning("sync: no MIDI output matches '%s'; waiting for it", self.pattern)
        return self

    @property
    def port(self) -> str | None:
        return self._port.name if self._port is not None else None

    def drain(self) -> list[tuple[int, bytes]]:
        """Every (timeline ns, bytes) read since the last call, oldest first."""
        out = []
        events = self._events
        while events:
            out.append(events.popleft())
        return out

    def reset(self) -> None:
        self._events.clear()

    def close(self) -> None:
        if self._port is None:
            return
        self.host._detach_input(self)
        self.host.wait_cycles(2, timeout=0.5)
        if self.host.alive and self.host.client is not None:
            try:
                self._port.unregister()
            except Exception:
                log.debug("unregistering %s", self.port_name, exc_info=True)
        self._port = None
        self.connected = False

    # watcher thread ----------------------------------------------------------
    def _reconcile(self) -> None:
        with self._reconcile_lock:
            port = self._port
            if port is None or not self.host.alive:
                return
            if port.connections:
                self.connected = True
                return
            self.connected = False
            source = match_port(self.pattern, self.host.sources())
            if source is None:
                return
            try:
                self.host.client.connect(source, port)
            except Exception as exc:  # jack.JackError: tried again on the next change
                log.info("sync: connecting from %s failed (%s); trying again", source, exc)
                return
            self.name = source
            self.connected = True
            log.info("sync: following %s", source)

    # process callback (JACK's real-time thread) ----------------------------------
    def _process(self, cycle: Any) -> None:
        port = self._port
        if port is None:
            return
        first = cycle.frames
        for offset, data in port.incoming_midi_events():
            self._events.append((cycle.ns_of(first + offset), bytes(data)))
            self.received += 1

"""rtmidi output (ALSA, CoreMIDI, Windows MM, JACK): a sender thread that hits deadlines.

rtmidi sends "now", so timing is the sink's job. `open()` starts one named
sender thread per sink; it keeps a heap of `(deadline, seq, bytes)` fed by a
`queue.SimpleQueue`, and for the head message it

1. sleeps (a timed wait on the queue, so an earlier message still wakes it)
   until `spin_us` before the deadline, with its timer slack lowered to 1 ns
   (Linux `prctl(PR_SET_TIMERSLACK)`; the default 50 µs would be all jitter);
2. spins on `time.monotonic_ns()` for the last stretch (a sleep's wake-up
   latency is ~50-100 µs here, a spin's is ~1 µs);
3. sends, then stamps the send time (`sent_log`, when enabled, for the benchmark).

It asks for SCHED_FIFO and carries on quietly without it. Deadlines are
absolute, so a late wake-up never shifts later messages; messages that are
already late go out at once and are counted in `late`, never held back to fake
a tempo (a stall gives lateness, not a burst plus a gap).

Hot-plug: rtmidi has no port notifications on every API, so the thread polls
the port list (~10 µs with the JACK API) every 0.5 s when the next deadline is
not close. A destination that vanished: its sounding notes are forgotten and
sends are dropped until a port matching the pattern returns; then it reopens.
With the JACK API, rtmidi's own JACK client delivers at the start of the next
period, so the recorder sees up to one period of extra delay: measure this
sink at its send side.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from rig.midi.notes import NoteTracker
from rig.midi.ports import BackendUnavailable, match_port, rtmidi_api
from rig.midi.realtime import lower_timer_slack, try_realtime
from rig.midi.sink import entry, wire_of
from rig.midi.wire import Message, encode

__all__ = ["RtMidiSink", "DEFAULT_SPIN_US"]

log = logging.getLogger(__name__)

# Sleep to this much before a deadline, then spin. The spin is the sink's CPU
# cost (a 120 BPM clock alone is 48 spins a second) and its precision: it must
# cover the sleep's wake-up lateness. Measured here (120 BPM clock, SCHED_FIFO,
# idle, send-side error p99 / max, process CPU): 1500 µs 98 / 126 µs, 9.1 %;
# 500 µs 54 / 71 µs, 4.8 %; 200 µs 79 / 89 µs, 2.6 %; 100 µs 72 / 133 µs, 2.0 %.
# The ~22 µs floor is rtmidi's own send. 200 µs keeps p99 <= 0.1 ms with a
# little room; without SCHED_FIFO a sleep wakes later (p99 ~0.8 ms under load)
# and no affordable spin covers that. `spin_us` overrides it per sink.
DEFAULT_SPIN_US = 200.0
_POLL_NS = 500_000_000  # port-list poll interval
_POLL_CLEARANCE_NS = 5_000_000  # don't poll when a deadline is nearer than this


class _Control:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_PANIC = _Control("panic")
_STOP = _Control("stop")


class RtMidiSink:
    """One device's rtmidi output port, matched by pattern, fed by a sender thread."""

    def __init__(
        self,
        name: str,
        pattern: str,
        *,
        api: str = "auto",
        client_name: str = "rig",
        port_name: str | None = None,
        realtime: bool = True,
        rt_priority: int = 5,
        spin_us: float = DEFAULT_SPIN_US,
        log_sends: bool = False,
        late_tolerance_ns: int = 1_000_000,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.name = name
        self.pattern = pattern
        self.api = api
        self.late = 0
        self.dropped = 0  # messages sent while no destination was connected
        self.connected = False
        self.destination: str | None = None
        self.realtime = False  # True once the sender thread runs under SCHED_FIFO
        self.sent_log: list[tuple[int, int]] | None = [] if log_sends else None
        self._client_name = client_name
        self._port_name = port_name or name
        self._want_rt = realtime
        self._rt_priority = rt_priority
        self._spin_ns = max(0, round(spin_us * 1000))
        self._tolerance = late_tolerance_ns
        self._clock = clock
        self._out: Any = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._seq = itertools.count()
        self._tracker = NoteTracker()
        self._heap: list[tuple[int, int, Message, list[bytes]]] = []
        self._panic_done = threading.Event()
        self._thread: threading.Thread | None = None

    # lifecycle -----------------------------------------------------------
    def open(self) -> None:
        """Open the backend, connect by pattern (a warning if absent), start the thread."""
        if self._thread is not None:
            return
        import rtmidi

        try:
            self._out = rtmidi.MidiOut(rtmidi_api(self.api), name=self._client_name)
        except rtmidi.RtMidiError as exc:
            raise BackendUnavailable(f"rtmidi ({self.api}) cannot start: {exc}") from None
        self._check_port()
        if not self.connected:
            log.warning("%s: no MIDI port matches '%s'; waiting for it", self.name, self.pattern)
        self._thread = threading.Thread(
            target=self._run, name=f"rig-rtmidi-{self.name}", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        if self._thread is None:
            return
        self.panic()
        self._queue.put(_STOP)
        self._thread.join(timeout=5)
        self._thread = None
        out, self._out = self._out, None
        try:
            out.close_port()
        finally:
            out.delete()
        self.connected = False

    def __enter__(self) -> RtMidiSink:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # the interface -------------------------------------------------------
    def send(self, when_ns: int, data: Message | bytes) -> None:
        if self._thread is None:
            raise RuntimeError(f"sink {self.name} is not open")
        self._queue.put((int(when_ns), next(self._seq), *entry(data)))

    def panic(self, wait: bool = True) -> None:
        """Drop what is queued; explicit note-offs for every sounding note, now."""
        if self._thread is None:
            return
        self._panic_done.clear()
        self._queue.put(_PANIC)
        if wait:
            self._panic_done.wait(timeout=1.0)

    def sounding(self) -> list[tuple[int, int]]:
        return self._tracker.sounding()

    def drain(self, timeout: float = 2.0) -> bool:
        """Wait until everything sent so far has gone out (False on timeout)."""
        deadline = time.monotonic() + timeout
        while not self._queue.empty() or self._heap:
            if self._thread is None or time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True

    # sender thread -------------------------------------------------------
    def _run(self) -> None:
        lower_timer_slack(1)
        self.realtime = try_realtime(self._rt_priority) if self._want_rt else False
        clock = self._clock
        heap = self._heap  # owned by this thread; others only read its length
        spin_ns = self._spin_ns
        next_poll = clock() + _POLL_NS
        try:
            while True:
                # Take everything queued, without waiting.
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if not self._handle(item, heap):
                        return
                now = clock()
                # Poll between deadlines, whatever woke us: while playing, new
                # messages arrive every few ms and a poll only on a quiet timeout
                # would never come (measured: a returning port was never reopened).
                if now >= next_poll and (not heap or heap[0][0] - now > _POLL_CLEARANCE_NS):
                    self._check_port()
                    now = clock()
                    next_poll = now + _POLL_NS
                wait_ns = heap[0][0] - now - spin_ns if heap else _POLL_NS
                if wait_ns > 0:
                    timeout = min(wait_ns, max(next_poll - now, _POLL_CLEARANCE_NS))
                    try:
                        item = self._queue.get(timeout=timeout / 1e9)
                    except queue.Empty:
                        continue
                    if not self._handle(item, heap):
                        return
                    continue
                when = heap[0][0]
                while clock() < when:
                    pass  # the last stretch: spin, a sleep would wake too late
                _, _, message, wire = heapq.heappop(heap)
                self._deliver(message, wire, when)
        except Exception:
            log.exception("%s: sender thread failed", self.name)

    def _handle(self, item: Any, heap: list[tuple[int, int, Message, list[bytes]]]) -> bool:
        if item is _STOP:
            return False
        if item is _PANIC:
            heap.clear()
            for off in self._tracker.release():
                self._emit(off)
            self._panic_done.set()
        else:
            heapq.heappush(heap, item)
        return True

    def _deliver(self, message: Message, wire: list[bytes], when: int) -> None:
        if not self.connected:
            self.dropped += 1
            return
        for typed in self._tracker.deliver(message):
            self._write(wire_of(typed, message, wire))
        sent = self._clock()
        if self.sent_log is not None:
            self.sent_log.append((when, sent))
        if sent - when > self._tolerance:
            self.late += 1

    def _emit(self, msg: Message) -> None:
        self._write(encode(msg))

    def _write(self, wire: list[bytes]) -> None:
        if self.connected:
            for data in wire:  # bytes only here, as they go on the wire
                self._out.send_message(data)

    def _check_port(self) -> None:
        """Poll the port list: notice a vanished destination, (re)open a matching one."""
        out = self._out
        ports = out.get_ports()
        if self.connected:
            if self.destination in ports:
                return
            log.warning(
                "%s: port %s vanished; its notes are forgotten", self.name, self.destination
            )
            self.connected = False
            self._tracker.forget()
            out.close_port()
        target = match_port(self.pattern, ports)
        if target is None:
            return
        out.open_port(ports.index(target), name=self._port_name)
        self.destination = target
        self.connected = True
        # A receiver that went away mid-note may still hold it: release those first.
        for msg in self._tracker.reconnected():
            self._emit(msg)
        log.info("%s: connected to %s", self.name, target)

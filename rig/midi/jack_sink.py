"""JACK MIDI output: every message written at its exact frame in the process callback.

One `JackHost` is one JACK client; each `JackSink` is one MIDI out port on it,
connected to the destination port its pattern matches. One client for all
devices rather than one per device because each client is a node in JACK's
graph with its own real-time thread and wake-up per cycle: one node with N ports
costs one wake-up, and all ports are written in the same callback from the same
cycle times. A sink made without a host gets a private one (handy in tests).

Delivery: `send()` puts `(deadline, seq, bytes)` on a `queue.SimpleQueue` (no
lock held by the caller beyond the queue's own, never blocks). The process
callback drains it into a heap, maps each head deadline to a frame with JACK's
own time->frames mapping (`rig.midi.jacktime`), and writes every message whose
frame falls in this cycle at `frame - last_frame_time`. A message whose frame
has already passed goes out at offset 0 and counts as `late` (a frame or two of
DLL rounding between cycles is not lateness). Because JACK runs a client after
the clients that feed it, the receiver stamps the message with the same frame in
the same cycle.

Frame mode (`JackHost.use_timeline`, what the engine uses with JACK MIDI): the
deadlines are timeline ns on JACK's own frame counter (`rig.timing.timeline`), so a
message's frame is exact integer arithmetic, no DLL; the host's `driver` (the
engine's `rig.engine.cycle.FrameLoop`) runs first in each process callback and
hands over what is due. A note-on more than `drop_late_ns` behind its frame (an
xrun skipped its cycles) is dropped; its note-off still goes out.

Control messages (panic, forget, take back) travel the same queue, so they are
ordered with respect to sends: a panic drops what was queued before it and writes
explicit note-offs for every sounding note at offset 0 of the next cycle; a take
back (a followed master's Stop) drops what was queued for its frame or later,
note-offs aside.

Hot-plug: JACK's port- and client-registration callbacks (non-real-time
thread, where calling the server is forbidden) wake a watcher thread that
reconciles each sink. `connected` means "connected to a port the device's pattern
matches": a MIDI monitor or recorder patched to rig's port by hand is not the
device, so a synth that dies while one is patched in still fails over to its
stand-in. A destination that is gone makes the sink `connected = False` and
forgets its sounding notes (they cannot be reached); a port matching the pattern
that (re)appears is connected again and first gets explicit note-offs for the
notes that sounded when it went away. A port vanishing while the watcher lists
ports is "look again", never an exception (`JackHost.port_names`).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import threading
import time
from collections import deque
from typing import Any

from rig.midi.jack_host import NEVER, JackHost, direct_midi
from rig.midi.notes import NoteTracker, take_back
from rig.midi.ports import match_port
from rig.midi.sink import entry, wire_of
from rig.midi.wire import CLOCK_MSG, Message, encode
from rig.song.events import NoteOn

__all__ = ["JackHost", "JackSink"]

log = logging.getLogger(__name__)

# Frames a message may be "behind" the cycle without counting as late: the DLL's
# estimate of a frame's time moves by a fraction of a frame between cycles, so a
# message kept for "the next cycle" can map one frame before it once it arrives.
_GRACE_FRAMES = 2
# A clock tick this late when its cycle comes is dropped, not written at offset 0: after
# the engine's own JACK thread stalled (SIGSTOP for 2 s in `rig bench faults`), the tick
# it had queued before the stall came out in the same cycle as the first tick after it —
# two F8s on one frame, a tempo spike for a follower. 25 ms is beyond any tick the
# scheduler hands over late on purpose (less than half a tick: 20.8 ms at 60 BPM).
_STALE_CLOCK_NS = 25_000_000
# Messages written per port per cycle, at most. Each write is a few µs of Python
# in JACK's real-time thread: 300 in one cycle overran the 1.33 ms period here
# (xrun: the whole cycle's MIDI was lost). A burst beyond this spills into the
# next cycles, in order. 32 per 1.33 ms is still ~24x DIN MIDI's speed.
_MAX_PER_CYCLE = 32


class _Control:
    """A control message on a sink's queue (identity is the meaning)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _TakeBack:
    """Take back what is queued from `at_ns` on (see `JackSink.take_back`)."""

    __slots__ = ("at_ns",)

    def __init__(self, at_ns: int) -> None:
        self.at_ns = at_ns


_PANIC = _Control("panic")
_FORGET = _Control("forget")
_RECONNECTED = _Control("reconnected")


class JackSink:
    """One device's MIDI out port on a `JackHost`, connected by port-name pattern."""

    def __init__(
        self,
        name: str,
        pattern: str,
        *,
        host: JackHost | None = None,
        port_name: str | None = None,
        log_frames: bool = False,
    ) -> None:
        self.name = name
        self.pattern = pattern
        self.late = 0
        self.dropped = 0  # late note-ons dropped after an xrun (a full buffer defers)
        self.stale_clocks = 0  # clock ticks dropped because a stall made them stale
        self.overflows = 0  # times the port's buffer was full within a cycle
        self.connected = False
        self.destination: str | None = None
        # Frame mode: a note-on this late (an xrun skipped its frames) is dropped;
        # its note-off still goes out (harmless for a silent note).
        self.drop_late_ns = 30_000_000
        self.frame_log: deque[tuple[int, int]] | None = (
            deque(maxlen=100_000) if log_frames else None
        )
        self._own_host = host is None
        self.host = host if host is not None else JackHost(f"rig-{name}")
        self._port_name = port_name or name
        self._port: Any = None
        # The port's MIDI buffer through cffi directly (`direct_midi`; None: through
        # JACK-Client's methods), and this cycle's buffer once cleared.
        self._direct: Any = None
        self._buf: Any = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._heap: list[tuple[int, int, Message, list[bytes]]] = []
        self._overflow: deque[bytes] = deque()
        self._written = 0
        self._dirty = True  # the port's buffer may hold events: clear it next cycle
        self._head_frame: int | None = None  # frame of the heap's head (None: look again)
        self._head_line: Any = None  # the timeline that frame is on
        # The host skips this sink's cycle while its queue is empty and the cycle ends
        # at or before this frame (exact frame timeline only; -1: never skip).
        self.quiet_until = -1
        self._panic_pending = False
        self._seq = itertools.count()
        self._tracker = NoteTracker()
        self._panic_done = threading.Event()
        self._reconcile_lock = threading.Lock()
        self._open = False
        self.dormant = False  # connected to nothing until woken (set_dormant)

    def open(self) -> None:
        """Register the port and connect it; a missing destination is a warning, not an error."""
        if self._open:
            return
        self._port = self.host._attach(self, self._port_name)
        self._direct = direct_midi(self._port)
        self._open = True
        self._reconcile()
        if not self.connected:
            log.warning("%s: no MIDI port matches '%s'; waiting for it", self.name, self.pattern)

    def set_dormant(self, dormant: bool) -> None:
        """A dormant port is connected to nothing, not even its device, until woken:
        a JACK client that may die with its process (the live host's note rescue,
        rig.stage.rescue) must not sit in the graph, where its death takes the
        clients downstream with it (measured: a recorder patched to it stopped
        receiving, 2 of 4 runs). Waking connects it at once, in this thread."""
        with self._reconcile_lock:
            self.dormant = dormant
            if dormant and self._port is not None and self.host.alive:
                with contextlib.suppress(Exception):  # jack.JackError: imported lazily
                    self._port.disconnect()
                self.connected = False
                self.destination = None
        if not dormant:
            self._reconcile()

    def send(self, when_ns: int, data: Message | bytes) -> None:
        if not self._open:
            raise RuntimeError(f"sink {self.name} is not open")
        self._put((int(when_ns), next(self._seq), *entry(data)))

    def _put(self, item: Any) -> None:
        """Queue `item` for the process callback, and tell the host to look."""
        self._queue.put(item)
        self.host.queued = True

    def take_back(self, at_ns: int) -> bool:
        """Output ends at `at_ns` (a followed master's Stop): what was sent for `at_ns`
        or later and is not on the wire yet is taken back, its note-offs aside (they
        go out at `at_ns`, unless their note-on is taken back too:
        `rig.midi.notes.take_back`). Ordered with sends — what is sent after this call
        stays. On JACK's frames the engine calls this in the process callback, before
        the sinks write the cycle, so nothing of the cycle from `at_ns` on is written."""
        if not self._open:
            return False
        self._put(_TakeBack(int(at_ns)))
        return True

    def panic(self, wait: bool = True) -> None:
        """Drop what is queued; explicit note-offs for all sounding notes next cycle.

        `wait=False` for the engine's own panic: it runs under the frame loop's lock,
        which the process callback takes first, so waiting for a cycle there stalled
        the whole callback for the 0.5 s timeout (an xrun in real time; a dropped clock
        tick in freewheel). What is sent after the panic stays queued behind it."""
        if not self._open:
            return
        self._panic_done.clear()
        self._put(_PANIC)
        # Wait (briefly) until the offs are written and that cycle has finished,
        # so a caller that closes or exits right after does not cut them off.
        if wait and self.host.alive and self._panic_done.wait(timeout=0.5):
            self.host.wait_cycles(1, timeout=0.5)

    def drain(self, timeout: float = 2.0) -> bool:
        """Wait until everything sent so far is on the wire (False on timeout)."""
        deadline = time.monotonic() + timeout
        while not self._queue.empty() or self._heap or self._overflow:
            if not self.host.alive or time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True

    def close(self) -> None:
        if not self._open:
            return
        self.panic()
        self._open = False
        self.host._detach(self)
        # A callback that started before the detach may still write this port:
        # let it finish before the port goes away.
        self.host.wait_cycles(2, timeout=0.5)
        if self.host.alive and self.host.client is not None:
            try:
                self._port.unregister()
            except Exception:
                log.debug("unregistering %s", self._port_name, exc_info=True)
        self._port = None
        self._direct = None
        self.connected = False
        if self._own_host:
            self.host.close()

    def __enter__(self) -> JackSink:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> str | None:
        """Full JACK name of this sink's own port."""
        return self._port.name if self._port is not None else None

    def sounding(self) -> list[tuple[int, int]]:
        """(channel, note) pairs sounding at the destination (read from another thread)."""
        return self._tracker.sounding()

    # watcher thread --------------------------------------------------------
    def _reconcile(self) -> None:
        # Called by open() and by the watcher thread: one at a time.
        with self._reconcile_lock:
            self._reconcile_locked()

    def _reconcile_locked(self) -> None:
        port = self._port
        if port is None or not self.host.alive or self.dormant:
            return
        connections = self.host.port_names(lambda: port.connections)
        if connections is None:
            self.host.look_again()  # the graph is changing: look again shortly
            return
        # The device is there while the port is connected to a port its pattern
        # matches. Any other connection (a MIDI monitor, a recorder patched by hand)
        # is not the device: with only those left the synth is gone, its stand-in plays.
        device = [name for name in connections if match_port(self.pattern, [name])]
        if device:
            if self.destination not in device:
                self.destination = device[0]
            self.connected = True
            return
        if self.connected:
            log.warning(
                "%s: port %s vanished; its notes are forgotten", self.name, self.destination
            )
            self.connected = False
            self._put(_FORGET)
        self.destination = None
        destinations = self.host.destinations()
        if destinations is None:
            self.host.look_again()
            return
        target = match_port(self.pattern, destinations)
        if target is None:
            return
        try:
            self.host.client.connect(port, target)
        except Exception as exc:  # jack.JackError; JACK-Client is imported lazily
            # Seen in `rig bench faults`: a port leaving and coming back under the
            # same name can still be listed while it is unregistered. The next
            # graph change (or the watcher's 1 s round) tries again: one line, no
            # traceback in the show's log.
            log.info("%s: connecting to %s failed (%s); trying again", self.name, target, exc)
            return
        # A receiver that went away mid-note may still hold it: release those first.
        self._put(_RECONNECTED)
        self.destination = target
        self.connected = True
        log.info("%s: connected to %s", self.name, target)

    # process callback (JACK's real-time thread) ----------------------------
    def _process(self, cycle: Any) -> None:
        port = self._port
        if port is None:
            return
        if self._dirty and self._queue.empty() and not self._overflow:
            # The cycle after a write, nothing new queued: clear what JACK kept in the
            # buffer (see below) and rest until the head is due — the most common visit,
            # kept short. Anything else (a head due now, a panic) takes the long way.
            head = self._head_frame
            timeline = self.host.timeline
            if head is None:
                rests = not self._heap  # an unknown head with a heap: look it up below
            else:
                rests = head >= cycle.frames + cycle.nframes
            if (
                rests
                and timeline is not None
                and timeline is self._head_line
                and not self._panic_pending
            ):
                self._clear(port, cycle.nframes)
                self._dirty = False
                self.quiet_until = NEVER if head is None else head
                return
        heap = self._heap
        overflow = self._overflow
        panicked = False
        if not self._queue.empty():  # a C call: no exception raised on the idle path
            panicked = self._drain(heap, overflow)
        first = cycle.frames
        end = first + cycle.nframes
        timeline = self.host.timeline
        if timeline is None or timeline is not self._head_line:
            # The head's frame is kept between cycles on the exact frame timeline only
            # (JACK's DLL mapping moves from cycle to cycle).
            self._head_frame, self._head_line = None, timeline
        if self._head_frame is None and heap:
            self._head_frame = cycle.frame_of(heap[0][0])
        due = self._head_frame is not None and self._head_frame < end
        # Most cycles have nothing for this port: no JACK call at all then. JACK keeps
        # an output port's MIDI buffer from cycle to cycle (what is not cleared goes
        # out again), so the buffer is cleared in every cycle that writes and in the
        # one after — from then on it is empty until the next write.
        if not (due or overflow or self._dirty or panicked or self._panic_pending):
            self._quiet(timeline)
            return
        self._clear(port, cycle.nframes)
        # What did not fit last cycle goes first, at offset 0 (already late).
        while overflow:
            if not self._write(port, 0, overflow[0]):
                break
            overflow.popleft()
            self.late += 1
        if due and not overflow:
            self._deliver(port, cycle, first, end)
        self._dirty = self._written > 0
        if panicked:
            self._panic_pending = True
        # The panic is done once its note-offs are all on the wire.
        if self._panic_pending and not overflow:
            self._panic_pending = False
            self._panic_done.set()
        if self._dirty or overflow or self._panic_pending:
            self.quiet_until = -1
        else:
            self._quiet(timeline)

    def _quiet(self, timeline: Any) -> None:
        """Nothing to write or clear until the heap's head is due (or the queue fills)."""
        if timeline is None:
            self.quiet_until = -1
        else:
            head = self._head_frame
            self.quiet_until = head if head is not None else NEVER

    def _drain(self, heap: list, overflow: deque[bytes]) -> bool:
        """Take what other threads queued; True if a panic was among it."""
        panicked = False
        get = self._queue.get_nowait
        while True:
            try:
                item = get()
            except queue.Empty:
                break
            if item is _PANIC:
                heap.clear()
                overflow.clear()
                overflow.extend(b for m in self._tracker.release() for b in encode(m))
                panicked = True
            elif isinstance(item, _TakeBack):
                heap[:] = take_back(heap, item.at_ns)
                heapq.heapify(heap)
            elif item is _FORGET:
                self._tracker.forget()
            elif item is _RECONNECTED:
                overflow.extend(b for m in self._tracker.reconnected() for b in encode(m))
            else:
                heapq.heappush(heap, item)
        self._head_frame = None  # the head may have changed
        return panicked

    def _deliver(self, port: Any, cycle: Any, first: int, end: int) -> None:
        """Write every queued message whose frame falls before `end` (this cycle)."""
        heap = self._heap
        overflow = self._overflow
        offset = 0
        drop_before = None
        timeline = self.host.timeline
        if timeline is not None:
            drop_before = first - self.drop_late_ns * timeline.rate // 1_000_000_000
        frame = self._head_frame
        while frame is not None and frame < end and not overflow:
            when, _, message, wire = heapq.heappop(heap)
            frame_now, frame = frame, (cycle.frame_of(heap[0][0]) if heap else None)
            late = frame_now < first - _GRACE_FRAMES
            if late and drop_before is not None and frame_now < drop_before:
                if isinstance(message, NoteOn):
                    self.dropped += 1
                    continue
            if late and message == CLOCK_MSG:
                if (first - frame_now) * cycle.ns_per_frame > _STALE_CLOCK_NS:
                    self.stale_clocks += 1
                    continue
            # Offsets never go backwards: JACK refuses out-of-order events.
            offset = max(offset, frame_now - first, 0)
            for typed in self._tracker.deliver(message):
                for msg in wire_of(typed, message, wire):  # bytes only at the wire
                    if not overflow and self._write(port, offset, msg):
                        self.late += late
                    else:
                        # This cycle's share is written (a burst, e.g. a panic
                        # sweep): the rest waits for the next cycle, in order.
                        overflow.append(msg)
            if self.frame_log is not None:
                self.frame_log.append((when, first + offset))
        self._head_frame = frame if timeline is not None else None

    def _clear(self, port: Any, nframes: int) -> None:
        """Clear the port's MIDI buffer for this cycle (and keep it for the writes)."""
        self._written = 0
        direct = self._direct
        if direct is None:
            port.clear_buffer()
            return
        self._buf = direct[0](nframes)
        direct[1](self._buf)

    def _write(self, port: Any, offset: int, msg: bytes) -> bool:
        if self._written >= _MAX_PER_CYCLE:
            self.overflows += 1
            return False
        direct = self._direct
        if direct is not None:
            if direct[2](self._buf, offset, bytes(msg), len(msg)):  # ENOBUFS: full
                self.overflows += 1
                return False
        else:
            try:
                port.write_midi_event(offset, msg)
            except Exception:  # buffer full: never raise in the RT thread
                self.overflows += 1
                return False
        self._written += 1
        return True

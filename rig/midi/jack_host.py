"""One JACK client hosting the MIDI out ports of several `JackSink`s (see
`rig.midi.jack_sink` for delivery, frame mode and hot-plug): the client, its process
callback (the frame loop's driver runs first, then each sink), xrun and shutdown
counts, and the watcher thread that reconnects sinks on graph changes."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from rig.midi.ports import BackendUnavailable, jack_unavailable_reason, load_jack
from rig.midi.realtime import try_realtime
from rig.timing.timeline import FrameCycle

__all__ = ["JackHost", "direct_midi"]

log = logging.getLogger(__name__)

# How often the watcher re-checks connections even without a JACK notification.
_WATCH_INTERVAL_S = 1.0
# Process cycles after activation not counted in the worst callback time (0.13 s at 64).
_WARM_CYCLES = 100
# Times a port listing is tried again while the graph changes under it.
_LIST_ATTEMPTS = 5
_perf_ns = time.perf_counter_ns  # a global read, not a module attribute lookup, per cycle
NEVER = 1 << 62  # a frame no cycle reaches (a sink with nothing due)
_WRAP = 1 << 32  # JACK's frame counter is 32 bits (`rig.timing.timeline`)


def _last_frame_reader(client: Any) -> Callable[[], int]:
    """A callable returning `client.last_frame_time`. JACK-Client's property is a Python
    function around one C call (`jack_last_frame_time`); the process callback reads it
    in every cycle, so this calls the C function directly (a C partial, no Python frame)
    where the JACK-Client version exposes it, and the property elsewhere."""
    import functools

    lib, ptr = getattr(load_jack(), "_lib", None), getattr(client, "_ptr", None)
    function = getattr(lib, "jack_last_frame_time", None)
    if function is None or ptr is None:
        return lambda: client.last_frame_time
    return functools.partial(function, ptr)


def direct_midi(port: Any) -> tuple[Callable[[int], Any], Any, Any] | None:
    """(buffer of `port` for n frames, clear a buffer, write an event to a buffer): the C
    functions JACK-Client's `clear_buffer` and `write_midi_event` call, without their
    Python around them (each looks the buffer up again through the client's buffer size
    property; a write also wraps the bytes). A sink takes the buffer once per cycle.
    None where the JACK-Client version (or a test's port) does not expose them."""
    import functools

    lib, ptr = getattr(load_jack(), "_lib", None), getattr(port, "_ptr", None)
    names = ("jack_port_get_buffer", "jack_midi_clear_buffer", "jack_midi_event_write")
    calls = [getattr(lib, name, None) for name in names]
    if ptr is None or None in calls:
        return None
    return functools.partial(calls[0], ptr), calls[1], calls[2]


class JackHost:
    """One JACK client hosting the MIDI out ports of several `JackSink`s."""

    def __init__(self, client_name: str = "rig", *, server: str | None = None) -> None:
        self.client_name = client_name
        self.server = server
        self.client: Any = None
        self.clock: Any = None
        self.alive = False
        self.xruns = 0
        self.cycles = 0
        # Time spent in the process callback (wall ns, `time.perf_counter_ns`): the total,
        # and the worst one after the first `_WARM_CYCLES` (client activation's page
        # faults are not the engine's). `rig bench clock` reads them from the status.
        self.callback_ns = 0
        self.callback_max_ns = 0
        self._sinks: tuple[Any, ...] = ()
        # The sinks are looked at in a cycle only when one has something due before its
        # end (`_quiet_until`: the earliest of their `quiet_until` as of the last look;
        # -1: look) or something was queued since (`queued`, set by `JackSink._put`).
        # Most cycles then cost one compare for all sinks instead of a few per sink.
        self._quiet_until = -1
        self.queued = True
        self._inputs: tuple[Any, ...] = ()  # JackInput ports, read first in each cycle
        # Frame mode (rig.engine.cycle): sinks map deadlines through this exact
        # frame line instead of JACK's DLL, and the `driver` (the engine's FrameLoop)
        # runs first in every process callback: `driver.quiet(frames, nframes)`, and
        # `driver(cycle)` on the cycles it says need a pump.
        self.timeline: Any = None
        self.driver: Any = None
        # JACK's `last_frame_time`, read once per cycle: straight through cffi once the
        # client is open (`_last_frame_reader`), else through JACK-Client's property.
        self._last_frame_time: Callable[[], int] = lambda: self.client.last_frame_time
        self._lock = threading.Lock()
        self._wake: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._watcher: threading.Thread | None = None

    # lifecycle -----------------------------------------------------------
    def open(self) -> None:
        """Open the JACK client, activate it and start the watcher thread."""
        if self.client is not None:
            return
        from rig.midi.jacktime import JackClock

        jack = load_jack()

        try:
            kwargs = {"servername": self.server} if self.server else {}
            client = jack.Client(self.client_name, no_start_server=True, **kwargs)
        except jack.JackError as exc:
            raise BackendUnavailable(jack_unavailable_reason(exc)) from None
        self.client = client
        self.clock = JackClock(client)
        self._last_frame_time = _last_frame_reader(client)
        client.set_process_callback(self._process)
        client.set_xrun_callback(self._on_xrun)
        client.set_shutdown_callback(self._on_shutdown)
        client.set_port_registration_callback(self._on_graph_change, only_available=False)
        client.set_client_registration_callback(self._on_client_change)
        self.alive = True
        client.activate()
        self._watcher = threading.Thread(
            target=self._watch, name=f"rig-jack-watch-{self.client_name}", daemon=True
        )
        self._watcher.start()

    def close(self) -> None:
        """Close every sink (note-offs first), stop the watcher, close the client."""
        for sink in self._sinks:
            sink.close()
        for reader in self._inputs:
            reader.close()
        if self._watcher is not None:
            self._wake.put(False)
            self._watcher.join(timeout=5)
            self._watcher = None
        if self.client is not None:
            client, self.client = self.client, None
            self.alive = False
            try:
                client.deactivate()
            finally:
                client.close()

    def __enter__(self) -> JackHost:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def samplerate(self) -> int:
        return int(self.client.samplerate)

    @property
    def blocksize(self) -> int:
        return int(self.client.blocksize)

    # sinks ---------------------------------------------------------------
    def _attach(self, sink: Any, port_name: str) -> Any:
        self.open()
        port = self.client.midi_outports.register(port_name)
        with self._lock:
            self._sinks = (*self._sinks, sink)
        self._quiet_until = -1
        self._wake.put(True)
        return port

    def _detach(self, sink: Any) -> None:
        with self._lock:
            self._sinks = tuple(s for s in self._sinks if s is not sink)
        self._quiet_until = -1

    def _attach_input(self, reader: Any, port_name: str) -> Any:
        """A MIDI in port for `reader` (`rig.midi.jack_in.JackInput`)."""
        self.open()
        port = self.client.midi_inports.register(port_name)
        with self._lock:
            self._inputs = (*self._inputs, reader)
        self._wake.put(True)
        return port

    def _detach_input(self, reader: Any) -> None:
        with self._lock:
            self._inputs = tuple(r for r in self._inputs if r is not reader)

    def wait_cycles(self, count: int = 1, timeout: float = 1.0) -> bool:
        """Block until `count` more process cycles have run (False on timeout)."""
        target = self.cycles + count
        deadline = time.monotonic() + timeout
        while self.cycles < target:
            if not self.alive or time.monotonic() > deadline:
                return False
            time.sleep(0.0005)
        return True

    def destinations(self) -> list[str] | None:
        """Names of MIDI input ports of other clients (where a sink can send); None
        when the graph changed under the listing (ask again next round)."""
        if self.client is None:
            return []
        mine = self.client.name + ":"
        names = self.port_names(lambda: self.client.get_ports(is_midi=True, is_input=True))
        if names is None:
            return None
        return [name for name in names if not name.startswith(mine)]

    def look_again(self) -> None:
        """Have the watcher reconcile every sink again soon (the graph was changing)."""
        self._wake.put(True)

    def port_names(self, listing: Any) -> list[str] | None:
        """The names of the ports `listing()` returns, or None when the graph keeps
        changing under it.

        JACK-Client lists names, then looks each one up again: a port unregistered in
        between raises `JackError: Port ... not available` (another program's ports
        coming and going while the watcher reconciles). That is "ask again", a few
        times, then "not known this round" — never an exception in the watcher."""
        ports = self.ports(listing)
        return None if ports is None else [port.name for port in ports]

    def ports(self, listing: Any) -> list[Any] | None:
        """The ports `listing()` returns (JACK-Client `Port`s), or None when the graph
        keeps changing under it (see `port_names`)."""
        jack = load_jack()
        for _ in range(_LIST_ATTEMPTS):
            try:
                return list(listing())
            except jack.JackError:
                continue
        return None

    def sources(self) -> list[str]:
        """Names of MIDI output ports of other clients (where an input can listen)."""
        if self.client is None:
            return []
        mine = self.client.name + ":"
        return [
            p.name
            for p in self.client.get_ports(is_midi=True, is_output=True)
            if not p.name.startswith(mine)
        ]

    # JACK callbacks --------------------------------------------------------
    def use_timeline(self, timeline: Any, driver: Any = None) -> None:
        """Frame mode: deadlines are timeline ns (`rig.timing.timeline`), mapped to
        frames exactly; the `driver` (a `rig.engine.cycle.FrameLoop`) runs first in each
        process callback."""
        self.timeline = timeline
        self.driver = driver
        for sink in self._sinks:
            sink.quiet_until = -1  # frames of another line: each sink looks again
        self._quiet_until = -1

    def _process(self, nframes: int) -> None:
        # JACK's real-time thread, once per cycle (750 times a second at 64 frames).
        # Frame mode, most cycles: nothing queued, no sink due before the cycle's end, no
        # input to read and the frame loop says quiet — one frame read, a few compares,
        # no cycle object, not timed (two clock reads cost about as much as the rest:
        # measured with `rig bench clock`; the process's CPU counts these cycles).
        timeline = self.timeline
        if timeline is not None and self.client is not None:
            frames = (self._last_frame_time() - timeline.origin) % _WRAP
            driver = self.driver
            # The loop's `quiet` counts the cycle as run when it needs no pump.
            quiet = not self._inputs and (driver is None or driver.quiet(frames, nframes))
            if quiet and not self.queued and frames + nframes <= self._quiet_until:
                self.cycles += 1
                return
            self._cycle(frames, nframes, timeline, None if quiet else driver)
        elif self.client is not None:  # closing: the callback may still run once or twice
            self._cycle(0, nframes, None, None)

    def _cycle(self, frames: int, nframes: int, timeline: Any, driver: Any) -> None:
        """A cycle with work: the inputs, the frame loop (`driver`: None when it already
        counted this cycle as quiet), then each sink that has something due or queued;
        timed (`callback_ns`, `callback_max_ns`)."""
        began = _perf_ns()
        cycle: Any = None
        if timeline is None:
            cycle = self.clock.cycle(nframes)
            frames = cycle.frames
        elif self._inputs or driver is not None:
            # Inputs first: the engine's pump below sees this cycle's sync messages.
            cycle = FrameCycle(frames, nframes, timeline)
            for reader in self._inputs:
                reader._process(cycle)
            if driver is not None:
                driver(cycle)
        end = frames + nframes
        if self.queued or self._quiet_until < end:
            if cycle is None:
                cycle = FrameCycle(frames, nframes, timeline)
            # Cleared before the queues are looked at: a put after this sets it again.
            self.queued = False
            quiet = NEVER
            for sink in self._sinks:
                # A sink with nothing due and nothing queued costs no call.
                if sink.quiet_until < end or not sink._queue.empty():
                    sink._process(cycle)
                if sink.quiet_until < quiet:
                    quiet = sink.quiet_until
            self._quiet_until = quiet
        self.cycles += 1
        took = _perf_ns() - began
        self.callback_ns += took
        if took > self.callback_max_ns and self.cycles > _WARM_CYCLES:
            self.callback_max_ns = took

    def _on_xrun(self, delay_usecs: float) -> None:
        self.xruns += 1

    def _on_shutdown(self, status: Any, reason: str) -> None:
        # The server is gone: nothing can be delivered or reconnected any more.
        self.alive = False
        for sink in self._sinks:
            sink.connected = False
        self._wake.put(False)

    def _on_graph_change(self, port: Any, register: bool) -> None:
        # Notification thread: calling the server here deadlocks; hand off.
        self._wake.put(True)

    def _on_client_change(self, name: str, register: bool) -> None:
        self._wake.put(True)

    # watcher thread --------------------------------------------------------
    def _watch(self) -> None:
        # SCHED_FIFO (lowest) where permitted: a normal thread preempted by a busy
        # machine while it holds the GIL would stall the process callback with it.
        try_realtime(1)
        while True:
            try:
                go_on = self._wake.get(timeout=_WATCH_INTERVAL_S)
            except queue.Empty:
                go_on = True
            # Coalesce a burst of notifications (a client leaving unregisters
            # all its ports) into one reconcile.
            while go_on:
                try:
                    go_on = self._wake.get_nowait()
                except queue.Empty:
                    break
            if not go_on or not self.alive:
                return
            for sink in (*self._sinks, *self._inputs):
                try:
                    sink._reconcile()
                except Exception:  # a JACK call failing must not kill the watcher
                    log.exception("reconnecting %s", getattr(sink, "name", sink))

"""The engine process: its own interpreter doing only timing, MIDI and the stand-ins' DSP.

Why a process: the GIL. A busy Python thread in the same process as the clock
lost ticks here (DESIGN.md, timing), so the controller — CLI now, live UI later —
runs elsewhere and talks OSC (`rig.control.protocol`). The process is started with
`multiprocessing` in *spawn* mode (a clean interpreter: no inherited threads,
JACK clients or locks).

The loop is one thread: pump the scheduler, read every pending OSC datagram
(non-blocking), then wait in `select()` for the next pump or a command. It never
waits on the controller: replies are one non-blocking `sendto`.

No stuck notes when things go wrong:
- SIGINT / SIGTERM: stop cleanly (explicit note-offs, Stop), let the sinks deliver,
  close them, exit 0.
- The controller dies, even by SIGKILL: the engine holds the read end of a pipe
  whose only writer is the controller, so it sees EOF at once (and also checks
  that its parent pid did not change); it stops cleanly the same way.
- The JACK server goes away (killed, crashed): nothing can sound or be reconnected
  through the dead clients, so the engine says so on stderr and in its goodbye,
  and exits with code 3 (`EXIT_JACK_GONE`); `rig play` then ends with 3. Measured
  before (`rig bench faults`, fault "jack"): the engine went on "playing" silently,
  forever, with nothing in its status saying why.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from rig.control.protocol import HOST, decode, encode
from rig.engine.ending import end_within, shutdown
from rig.engine.sinks import close_sinks, open_sinks, sink_hosts, timing_logs
from rig.engine.spec import MTC_DEVICE, EngineSpec
from rig.engine.syncsetup import attach_sync, open_jack_sync_input, open_sync_input, use_frames
from rig.engine.transport import Engine
from rig.engine.wiring import frame_loop, frames_possible, mapped

if TYPE_CHECKING:
    from rig.engine.cycle import FrameLoop

__all__ = ["EngineProcess", "EngineError", "engine_main", "serve", "JACK_GONE", "EXIT_JACK_GONE"]

JACK_GONE = "JACK server gone"  # serve()'s reason when the server shut down under us
EXIT_JACK_GONE = 3  # the engine process's exit code then (rig.commands.EXIT_UNAVAILABLE)

_STATUS = "/rig/status"  # a question: answered under the frame loop's `reading` lock
_MAX_DATAGRAMS, _READ_BUDGET_NS = 64, 2_000_000  # OSC read per loop round, then pump
# Frame engine, no DSP hook, no reload, no sync source: the loop has nothing of its own to
# do, so it waits this long between rounds (a command, the controller's EOF and a signal,
# through `wake`, end the wait at once; a JACK server that went away is seen within it).
# Was 50 ms: 20 idle rounds a second cost the engine ~0.15 % of a core (`rig bench clock`).
_FRAME_ROUND_NS = 250_000_000
_SYNC_ROUND_NS = 50_000_000  # the same with a sync source (Link is read off JACK's thread)


class EngineError(Exception):
    """The engine process could not start (one line, for the user)."""


def _try_realtime() -> bool:
    """SCHED_FIFO for the engine thread where the OS permits; quietly not elsewhere.

    Priority 3: above every normal thread (a busy desktop cannot delay the
    scheduler past its lookahead), below the rtmidi sender threads (5) that hit
    the deadlines and below JACK's own threads (10 and up), which matter more.
    """
    from rig.midi.realtime import try_realtime

    return try_realtime(3)


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process, to the µs (`os.times` counts 10 ms
    ticks: too coarse for a stopped engine's second)."""
    return time.process_time()


def _bind(port: int, host: str = HOST) -> tuple[socket.socket, list[str]]:
    """The engine's OSC socket: loopback unless the config opened it (`osc.open`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    warnings = []
    try:
        sock.bind((host, port))
    except OSError as exc:
        if port == 0:
            raise
        warnings.append(f"OSC port {port} is busy ({exc.strerror}); using a free one")
        sock.bind((host, 0))
    sock.setblocking(False)
    return sock, warnings


def handle(engine: Engine, address: str, args: list, now_ns: int) -> tuple[str, list] | None:
    """Apply one command; returns a reply (address, args) or None. ValueError on bad input.

    The address space and its dispatch live in rig.control.protocol / rig.engine.dispatch."""
    from rig.engine.dispatch import handle as dispatch

    return dispatch(engine, address, args, now_ns, _cpu_seconds())


def serve(
    engine: Engine,
    sock: socket.socket,
    conn: Connection | None,
    *,
    now_ns: Callable[[], int] = time.monotonic_ns,
    interval_ns: int = 5_000_000,
    should_quit: Callable[[], bool] = lambda: False,
    loop: FrameLoop | None = None,
    jack_gone: Callable[[], bool] = lambda: False,
    wake: socket.socket | None = None,
) -> str:
    """The engine loop; returns why it ended ("quit", "signal", "controller gone",
    JACK_GONE). A sync source (`engine.sync`) and MTC out (`engine.mtc`) are pumped by
    `Engine.pump`.

    With a `loop` (JACK: the engine pumps in the process callback, see
    `rig.engine.cycle`) this thread only runs commands, the DSP hook and hot-reload
    steps, each under the loop's lock, with `now` = the next cycle's first frame.
    `wake`: a socket the signal handlers write to (`signal.set_wakeup_fd`), so a
    signal ends the wait for the next round at once."""
    from rig.engine.dispatch import run_loads

    parent = os.getppid()
    watch = [sock] + ([conn] if conn is not None else []) + ([wake] if wake is not None else [])
    guard: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    reading = guard  # for the status: it changes nothing, so no pump follows it
    if loop is not None:
        now_ns = loop.now_ns
        guard, reading = loop.lock, loop.reading
    while True:
        began = time.monotonic_ns()
        quiet = loop is not None and not engine.loads and engine.dsp_hook is None
        if loop is None:
            engine.pump(now_ns())
        elif engine.dsp_hook is not None:
            with guard:
                engine.dsp_hook(now_ns(), engine.scheduler)
        if loop is not None and engine.sync is not None:
            engine.sync.refresh()  # Link, read off JACK's thread (rig.timing.link)
        if engine.loads:  # hot reload: read a bundle a few small steps at a time
            if loop is None:
                run_loads(engine, now_ns)
            else:
                run_loads(engine, time.monotonic_ns, guard=loop.lock, swap_now=loop.now_ns)
        if should_quit():
            return "signal"
        if jack_gone():
            return JACK_GONE
        round_ns = interval_ns
        if quiet:
            following = engine.sync is not None and engine.sync.source is not None
            round_ns = _SYNC_ROUND_NS if following else _FRAME_ROUND_NS
        timeout = max(0.0, (began + round_ns - time.monotonic_ns()) / 1e9)
        try:
            ready, _, _ = select.select(watch, [], [], timeout)
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
            ready = []
        if wake is not None and wake in ready:
            with contextlib.suppress(OSError):
                wake.recv(64)  # a signal's byte: `should_quit` is asked next round
            continue
        if conn is not None and conn in ready:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return "controller gone"
            if message == "quit":
                return "quit"
        if sock in ready:
            # A bounded share of each round: a flood of packets (10 000/s measured)
            # read until the socket was empty stopped the clock for the whole flood.
            # The rest waits in the socket (the kernel drops what does not fit).
            budget_end = now_ns() + _READ_BUDGET_NS
            for _ in range(_MAX_DATAGRAMS):
                try:
                    data, sender = sock.recvfrom(65536)
                except (BlockingIOError, InterruptedError):
                    break
                reply = None
                try:
                    address, args = decode(data)
                    if address == "/rig/quit":
                        return "quit"
                    with reading if address == _STATUS else guard:
                        reply = handle(engine, address, args, now_ns())
                except (ValueError, IndexError, TypeError) as exc:
                    reply = ("/rig/error", [str(exc)])
                except Exception as exc:  # a packet must never end the show
                    reply = ("/rig/error", [f"{type(exc).__name__}: {exc}"])
                if reply is not None:
                    # One non-blocking datagram: a controller that stopped reading
                    # cannot make the engine wait.
                    with contextlib.suppress(OSError):
                        sock.sendto(encode(reply[0], *reply[1]), sender)
                if now_ns() >= budget_end:
                    break
        if os.getppid() != parent:
            return "controller gone"


def _voice_player(spec: EngineSpec, warnings: list[str]) -> Any:
    """The software voices on JACK when `spec.voices` asks for them, opened; else None.

    Without JACK the voices are a warning (tracks without hardware stay silent), or,
    when the config demands JACK audio, an error.
    """
    settings = spec.voices
    if settings is None:
        return None
    from rig.dsp.server import AudioUnavailable
    from rig.voices.player import VoicePlayer

    player = VoicePlayer(settings, spec.cues)
    try:
        player.open()
    except AudioUnavailable as exc:
        player.close()
        if settings.required:
            raise EngineError(f"software voices: {exc}") from None
        warnings.append(f"software voices: {exc}; tracks without hardware are silent")
        return None
    return player


def engine_main(spec: EngineSpec, conn: Connection) -> None:
    """Entry point of the spawned engine process."""
    from rig.midi.realtime import freeze_heap, prepare_realtime_process

    # Before any JACK client exists: short GIL hand-over, no GC pauses at start-up.
    prepare_realtime_process()
    quit_flag = [False]

    def on_signal(signum: int, frame: object) -> None:
        quit_flag[0] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # A signal wakes the engine loop's select at once (it waits up to _FRAME_ROUND_NS).
    wake, wake_w = socket.socketpair()
    wake.setblocking(False)
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno())
    sinks: dict = {}
    player = None
    loop = None
    sync_input = None
    try:
        warnings: list[str] = []
        # The engine's time for sync stamps and Link's host-time mapping: read late, so
        # the engine's timeline (monotonic ns, JACK's frame_time once the frame loop
        # runs: `use_frames`) is what the sources see.
        engine_time: list[Callable[[], int]] = [time.monotonic_ns]

        def engine_now() -> int:
            return engine_time[0]()

        sync_input = open_sync_input(spec, warnings, engine_now)  # first: see its doc
        player = _voice_player(spec, warnings)
        stand_ins = player.stand_ins if player is not None else {}
        extra = (spec.mtc_out,) if spec.mtc_out is not None else ()
        sinks, more = open_sinks(
            spec.outputs + extra, log_timing=spec.log_timing, stand_ins=stand_ins
        )
        warnings += more
        if spec.soundmap:  # the live host ends these notes if this process dies
            sinks = mapped(sinks, spec.soundmap, warnings, engine_now)
        mtc_sink = sinks.get(MTC_DEVICE)
        sock, more = _bind(spec.osc_port, spec.osc_host)
        warnings += more
        clock_ms = {o.device: o.latency_ms for o in spec.outputs if o.clock and o.device in sinks}
        outputs: dict = {d: s for d, s in sinks.items() if d != MTC_DEVICE}
        cues = list(spec.cues)
        if player is not None:
            outputs = player.outputs(outputs, bound=[o.device for o in spec.outputs])
            warnings += player.messages
            cues = player.cues
        from rig.engine.sync import FollowClock

        clock = FollowClock(cues[0].tempo)
        engine_lookahead = round(spec.lookahead_ms * 1e6)
        engine = Engine(
            cues,
            outputs,
            clock_latency_ms=clock_ms,
            lookahead_ns=engine_lookahead,
            late_note_ns=round(spec.late_note_ms * 1e6),
            run_on=spec.run_on,
            transitions=spec.transitions,
            dsp_hook=player,
            set_name=spec.set_name,
            clock=clock,
            play_for_ns=None if spec.play_for_s is None else round(spec.play_for_s * 1e9),
        )
        engine.count_in = spec.count_in
        if spec.kept is not None:  # what the last show kept (a set's live: block)
            from rig.engine.kept import apply_kept

            warnings += apply_kept(engine, spec.kept, engine_now())
        if spec.count_in.bars and spec.count_in.click and spec.count_in.click not in outputs:
            warnings.append(
                f"count_in: click '{spec.count_in.click}' is not a device of this set; "
                "the count-in only flashes"
            )
        if spec.bundle_dir:
            from pathlib import Path

            engine.bundle_dir = Path(spec.bundle_dir)
        try:
            attach_sync(spec, engine, clock, sync_input, warnings, engine_now)
        except ValueError as exc:  # the config asked for Link and it cannot be had
            raise EngineError(str(exc)) from None
        if mtc_sink is not None and spec.sync.mtc_out is not None:
            from rig.engine.mtcout import MtcSender

            engine.mtc = MtcSender(
                engine, mtc_sink, spec.sync.mtc_out.fps, lookahead_ns=engine_lookahead
            )
        engine.scheduler.idle_clock(o.device for o in spec.outputs if o.clock_stopped)
        if player is not None:
            from rig.voices.settings import route_voice_tracks

            # Cues swapped in later (launch of a reloaded set, hot reload) get their
            # voice-only tracks routed to the stand-ins too.
            engine.adapt = lambda arrangement: route_voice_tracks([arrangement])[0]
            player.attach(engine.scheduler)
            player.start()
        loop = frame_loop(engine, spec, sinks, player)
        if loop is not None:
            use_frames(engine, loop, engine_time)
        jack_input = open_jack_sync_input(spec, engine, loop, warnings)
        if jack_input is not None:
            sync_input = jack_input
        elif spec.sync.port and loop is None and frames_possible(spec):
            warnings.append(
                f"sync: no JACK client to read '{spec.sync.port}' on (no JACK output); "
                "the rig leads on its own clock"
            )
    except Exception as exc:  # reported to the controller as one line
        if sync_input is not None:
            sync_input.close()
        if player is not None:
            player.close()
        close_sinks(sinks.values())
        with contextlib.suppress(OSError):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    freeze_heap()  # cues and engine built: out of the collector's sight
    realtime = spec.realtime and _try_realtime()
    hosts = sink_hosts(sinks.values())
    # Its JACK clients' names as JACK gave them (a taken name gets `-NN`): the live
    # host looks at what is patched to their ports (rig.stage.patches).
    clients = {h.client_name: h.client.name for h in hosts if getattr(h, "client", None)}
    if player is not None:
        clients[player.settings.client_name] = player.jack_name
    conn.send(("ready", sock.getsockname()[1], warnings, realtime, clients))
    reason = "quit"

    def jack_gone() -> bool:
        return any(not h.alive for h in hosts) or bool(getattr(player, "jack_gone", False))

    # Following a master, pump every ms: a Start is acted on within a ms of its arrival.
    interval_ms = spec.interval_ms if spec.sync.source == "internal" else min(1.0, spec.interval_ms)
    try:
        reason = serve(
            engine,
            sock,
            conn,
            interval_ns=round(interval_ms * 1e6),
            should_quit=lambda: quit_flag[0],
            loop=loop,
            jack_gone=jack_gone,
            wake=wake,
        )
        if reason == JACK_GONE:
            print("rig engine: the JACK server went away; ending (exit 3)", file=sys.stderr)
    finally:
        end_within()  # the process ends even if a close hangs (rig.engine.ending)
        shutdown(engine, list(sinks.values()), loop=loop,
                 controller_died=reason == "controller gone")  # fmt: skip
        if sync_input is not None:
            sync_input.close()
        if engine.sync is not None:
            engine.sync.close()
        voice_stats = player.stats() if player is not None else {}
        # The figures first: closing pyo's server and its JACK client can take seconds on
        # a busy machine (once more than `stop`'s wait, in CI), and the caller then had
        # no exit figures at all. The process still ends only after the closes.
        with contextlib.suppress(OSError, BrokenPipeError):
            conn.send(("bye", reason, _cpu_seconds(), timing_logs(sinks), voice_stats))
        if player is not None:
            player.close()
        sock.close()
        conn.close()
        signal.set_wakeup_fd(-1)
        wake.close()
        wake_w.close()
    if reason == JACK_GONE:
        raise SystemExit(EXIT_JACK_GONE)


class EngineProcess:
    """The controller's handle on a spawned engine process."""

    def __init__(self, spec: EngineSpec):
        self.spec = spec
        self.port = 0
        self.warnings: list[str] = []
        self.realtime = False
        self.clients: dict[str, str] = {}  # its JACK clients: asked name -> JACK's name
        self.exit_info: tuple | None = None
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def start(self, timeout: float = 15.0) -> EngineProcess:
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = ctx.Pipe(duplex=True)
        self._proc = ctx.Process(target=engine_main, args=(self.spec, theirs), name="rig-engine")
        self._proc.start()
        theirs.close()  # only the child holds that end: our death is its EOF
        self._conn = ours
        if not ours.poll(timeout):
            self.kill()
            raise EngineError(f"the engine process did not start within {timeout:.0f} s")
        try:
            message = ours.recv()
        except EOFError:
            self._proc.join(1)
            code = self._proc.exitcode
            raise EngineError(f"the engine process died at start (exit {code})") from None
        if message[0] == "error":
            self._proc.join(5)
            raise EngineError(message[1])
        _, self.port, self.warnings, self.realtime, self.clients = message
        return self

    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    @property
    def sentinel(self) -> int | None:
        """A descriptor that becomes readable when the process ends (for select)."""
        return None if self._proc is None else self._proc.sentinel

    def stop(self, timeout: float = 5.0) -> int | None:
        """Ask the engine to stop cleanly and wait; SIGTERM, then SIGKILL, if it hangs."""
        if self._proc is None:
            return None
        if self._conn is not None and self._proc.is_alive():
            with contextlib.suppress(OSError, BrokenPipeError):
                self._conn.send("quit")
        self._read_bye(timeout)
        self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(timeout)
        if self._proc.is_alive():
            self.kill()
        return self._proc.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        assert self._proc is not None
        self._read_bye(timeout or 0.0)
        self._proc.join(timeout)
        return self._proc.exitcode

    def kill(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)

    def _read_bye(self, timeout: float) -> None:
        if self._conn is None or self.exit_info is not None:
            return
        with contextlib.suppress(EOFError, OSError):
            if self._conn.poll(timeout):
                message = self._conn.recv()
                if message and message[0] == "bye":
                    self.exit_info = tuple(message[1:])

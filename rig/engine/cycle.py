"""The engine driven by JACK's process cycle: one frame line for MIDI and voices.

`FrameLoop` is called first thing in the MIDI host's process callback
(`rig.midi.jack_sink.JackHost`), with the cycle on the engine's timeline
(`rig.timing.timeline`). It pumps the engine with `now` = the cycle's first
frame, so the scheduler hands the sinks every event up to `now + lookahead` as
timeline ns, which the JACK sinks write at `frame_of(ns) - cycle start` — exact
integer frames from the tempo map, no wall-clock mapping. The stand-in voices get
the same timeline deadlines and apply them on the pyo block whose frames hold
them (`VoicePlayer.use_timeline`). In JACK freewheel the same code runs cycle
after cycle without deadlines, so tests are exact and cannot xrun.

Where a clock source decides the beat position per frame: the engine's
`InternalClock` (tick <-> timeline ns through the tempo map). A source that
follows MIDI clock in, Link or MTC replaces that object; the loop only passes
frames as ns.

The controller's commands arrive in the engine process's main thread (OSC); they
run under `lock`, which the callback also takes, with `now_ns()` = the first
frame of the next cycle — so a command takes effect on the frame timeline, from
the next cycle on, quantized by the engine as before.

Pumping in batches: a pump at `now` hands the sinks every event before `now +
lookahead` (15 ms: 11 cycles at 64 frames), which the sinks keep and write each on
its frame. So the loop pumps only when the next cycle would reach past what the
last pump covered (less the stand-in voices' notice), after an xrun, after anything
another thread did under `lock` (a command, a reload step), never while stopped with
nothing to send (no clock while stopped, timed end or MTC), and in every cycle while
a sync source or input is followed (a master's Start is acted on in the cycle it
arrives). The frames the music lands on do not depend on when it was handed over;
the scheduler's Python work runs about once in ten cycles instead of in every one
(measured in `rig bench clock`). Fewer still: when nothing is due before the next
event, clock tick or end of the view (`next_due`), the pumps before it, which would
hand over nothing, are skipped; a command first moves the scheduler's first free tick
to where they would have left it (`catch_up`), so "now" means what it meant. The
other cycles ask only `quiet(frames, nframes)`: ints and a few compares, no cycle
object, no lock taken (see `quiet` for why that is safe against a command arriving
meanwhile).

Xruns: when a cycle does not start where the previous one ended, the frames in
between were never processed. The pump then finds the missed window's events
overdue: note-offs go out at frame 0 of this cycle, note-ons later than the
scheduler's `drop_late_ns` are dropped with their note-offs, clock ticks more
than half a period late are skipped (no catch-up burst), and
`Scheduler.after_xrun` sends the note-offs of the last 100 ms again (a lost one
hangs a synth; a duplicate is harmless). A followed MIDI clock master's F8s stamped
from the missed frames to the end of the next cycle are counted but not fitted
(`SyncDriver.xrun`): they come bunched, late by the stall, and a young fit restarted
on them.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from rig.midi.wire import TICKS_PER_CLOCK
from rig.timing.timeline import FrameCycle, Timeline

__all__ = ["FrameLoop", "next_due", "catch_up"]

_NEVER = 1 << 62  # a frame no cycle reaches


def next_due(scheduler: Any) -> tuple[int, int] | None:
    """While playing: (tick, timeline ns) before which nothing not handed over yet is
    due — the next tick anything can happen at (an event of the view, a mute change, the
    view's end: `CueView.next_due`; a clock tick), and its time less the largest
    latency. A pump whose horizon stays before it hands over nothing. None: not known
    (stopped, a timed stop, an arrangement without `next_due`)."""
    view_due = getattr(scheduler.arrangement, "next_due", None)
    if not scheduler.playing or view_due is None or scheduler.until_ns is not None:
        return None
    tick = scheduler.next_tick
    due = view_due(tick)
    if scheduler.clock_latency_ns:
        due = min(due, -(-tick // TICKS_PER_CLOCK) * TICKS_PER_CLOCK)
    return due, int(scheduler.clock.ns_at(due)) - scheduler.max_latency_ns


def catch_up(scheduler: Any, now_ns: int, due_tick: int) -> None:
    """`next_tick` where a pump at `now_ns` that hands over nothing leaves it: its
    horizon's tick, never past `due_tick` (from there on something may be due). After
    skipped pumps a command then sees "the first tick not handed over" where a pump every
    lookahead would have left it (a tempo change starts there: `Scheduler.set_bpm`)."""
    if scheduler.playing and scheduler.arrangement is not None:
        horizon = now_ns + scheduler.lookahead_ns + scheduler.max_latency_ns
        tick_to = math.floor(scheduler.clock.tick_at(horizon)) + 1
        scheduler.next_tick = max(scheduler.next_tick, min(tick_to, due_tick))


class _CommandLock:
    """`FrameLoop.lock` as other threads take it: whatever they changed under it, the
    next cycle pumps (a command may have moved the transport inside the span the
    last pump covered)."""

    __slots__ = ("_loop", "_lock")

    def __init__(self, loop: FrameLoop, lock: threading.Lock) -> None:
        self._loop = loop
        self._lock = lock

    def __enter__(self) -> _CommandLock:
        self._lock.acquire()
        loop = self._loop
        if loop._lagging:  # pumps were skipped: the transport as they would have left it
            loop._lagging = False
            catch_up(loop.engine.scheduler, loop.now_ns(), loop._due_tick)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop._covered_frame = -1
        self._lock.release()


class _ReadLock:
    """`FrameLoop.reading`: the lock for a question that changes nothing (the status):
    the callback does not pump in the middle of it, and no pump follows it. A quiet
    cycle does not wait for it (`FrameLoop.quiet`): it changes nothing the question
    reads."""

    __slots__ = ("_loop", "_lock")

    def __init__(self, loop: FrameLoop, lock: threading.Lock) -> None:
        self._loop = loop
        self._lock = lock

    def __enter__(self) -> _ReadLock:
        self._lock.acquire()
        self._loop._reader = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop._reader = False  # before the release: a command may take it next
        self._lock.release()


class FrameLoop:
    """Pumps an engine from JACK process cycles on one `Timeline`."""

    def __init__(self, engine: Any, timeline: Timeline, first_frame: int | None = None) -> None:
        """`first_frame`: where the server's next cycle starts, as far as is known when
        the loop is made — `now_ns()` until the first cycle runs (a `/rig/play` sent
        at once must not land on the timeline's origin, which lies in the past)."""
        self.engine = engine
        self.timeline = timeline
        self._lock = threading.Lock()  # the callback's side of `lock`
        self._busy = self._lock.locked  # True while another thread holds `lock`
        self.lock = _CommandLock(self, self._lock)
        # For questions (the status, 10 a second from `rig play` and the UI): under
        # `lock` each made the next cycle pump, and after skipped pumps catch up.
        self.reading = _ReadLock(self, self._lock)
        self._reader = False  # `reading` holds `lock` (not a command)
        self.host: Any = None  # the JackHost whose process callback calls this loop
        self.cycles = 0
        self.jumps = 0  # cycles that did not start where the last one ended
        self.missed_frames = 0  # frames never processed (the sum of the jumps)
        self.errors = 0
        self.last_error = ""
        self.pumps = 0  # cycles that pumped the engine (see the module doc)
        # Frames of notice an output needs beyond the next cycle (the stand-in voices:
        # `VoicePlayer.notice_frames`); the MIDI sinks need none.
        self.notice_frames = 0
        self._next_frame: int | None = first_frame  # frame the next cycle should start at
        # The last frame whose events the last pump handed over; -1: pump next cycle.
        self._covered_frame = -1
        # The last pump covered up to the next due event, beyond its lookahead (pumps
        # that would hand over nothing are skipped): a command catches up first.
        self._lagging = False
        self._due_tick = 0  # the tick `next_due` found at the last pump

    def now_ns(self) -> int:
        """Timeline ns of the next cycle's first frame (for commands: they land there)."""
        frame = self._next_frame
        return self.timeline.ns_of(frame if frame is not None else 0)

    def now_frame(self) -> int:
        return self._next_frame if self._next_frame is not None else 0

    def seconds(self) -> float:
        """Timeline seconds since the origin (frames / rate)."""
        return self.timeline.seconds_of(self.now_frame())

    def quiet(self, frames: int, nframes: int) -> bool:
        """The process callback's first step on most cycles (JACK's real-time thread):
        True when the cycle starting at `frames` needs no pump — it starts where the last
        one ended, what the last pump covered still reaches a cycle past it, and no other
        thread holds `lock` — and is then counted as run; False: call the loop with the
        cycle (`__call__`). Ints only, no `FrameCycle` made, no lock taken.

        Why no lock, and why this order: a command reads `now_ns()` (the next cycle's
        first frame) under `lock`, and its exit makes the next cycle pump. The cycle
        is claimed first (`_next_frame` moves past it), then the lock and the covered
        frame are looked at. A command that read the old `_next_frame` (this cycle)
        took the lock before the claim: it still holds it (busy: this cycle takes the
        loop's path, which waits for it and pumps), or it is done and its exit already
        cleared the covered frame (this cycle pumps). A command that takes the lock
        after the claim reads the next cycle's frame: its events land from there, and
        that cycle pumps. Under the GIL these steps are one order for both threads.
        The status holds `lock` as a reader (`reading`): it changes nothing, so a quiet
        cycle runs on instead of waiting for it (a reply took 0.1-0.4 ms, a quarter of
        a cycle at 64 frames, and each cycle it overlapped blocked JACK's thread on the
        lock, then woke it, then fought the main thread for the GIL). `_reader` is set
        after the acquire and cleared before the release: read True, the lock is the
        reader's; a command that takes it next reads the next cycle's frame, as above."""
        if frames != self._next_frame:
            return False
        self._next_frame = frames + nframes  # claimed: see above
        if (
            not self._busy() or self._reader
        ) and frames + 2 * nframes + self.notice_frames <= self._covered_frame:
            self.cycles += 1
            return True
        self._next_frame = frames  # not quiet after all: the loop's path runs this cycle
        return False

    def __call__(self, cycle: FrameCycle) -> None:
        """The process callback's first step (JACK's real-time thread)."""
        frames = cycle.frames
        nframes = cycle.nframes
        expected = self._next_frame
        lock = self._lock
        lock.acquire()
        try:
            # The first cycle may start later than `first_frame` guessed: not an xrun.
            if frames != expected and expected is not None and self.cycles:
                self._pump(cycle, expected)
            # One cycle of margin (and the outputs' notice): the pump runs while this
            # cycle and the next are still inside what the last one covered.
            elif frames + 2 * nframes + self.notice_frames > self._covered_frame:
                self._pump(cycle, None)
        except Exception as exc:  # never raise in the RT thread; the status shows it
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
        finally:
            self._next_frame = frames + nframes
            self.cycles += 1
            lock.release()

    def _pump(self, cycle: FrameCycle, missed_from: int | None) -> None:
        """Pump the engine at the cycle's first frame (after the xrun handling when
        frames from `missed_from` on were never processed)."""
        engine = self.engine
        now = cycle.start_ns
        if missed_from is not None:
            self.jumps += 1
            self.missed_frames += max(0, cycle.frames - missed_from)
            engine.scheduler.after_xrun(now, self.timeline.ns_of(missed_from))
            if engine.sync is not None:
                # A master's clocks due in the missed frames come bunched in this cycle
                # (or the next, as its client runs): not a step to follow.
                until = self.timeline.ns_of(cycle.frames + 2 * cycle.nframes)
                engine.sync.xrun(self.timeline.ns_of(missed_from), until)
        self._covered_frame = -1  # stays so if the pump raises
        self._lagging = False
        engine.pump(now, hooks=False)
        self.pumps += 1
        sync = engine.sync
        if sync is not None and (sync.source is not None or sync.input is not None):
            return  # following a sync source or input: taken every cycle
        scheduler = engine.scheduler
        if scheduler.playing or scheduler.idle_devices:
            # Every frame before now + lookahead is handed over ...
            covered = self.timeline.frame_of(now + scheduler.lookahead_ns) - 1
            # ... and nothing is due before the next event, clock tick or end: the pumps
            # before it would hand over nothing, so the next one runs a cycle or two
            # before it, as after any pump (a timed end and MTC work in every pump).
            due = next_due(scheduler) if engine.timed is None and engine.mtc is None else None
            if due is not None and self.timeline.frame_of(due[1]) - 1 > covered:
                covered = self.timeline.frame_of(due[1]) - 1
                self._due_tick = due[0]
                self._lagging = True
            self._covered_frame = covered
        elif engine.timed is None and engine.mtc is None:
            # Stopped, no clock while stopped, no timed end, no MTC: nothing is sent
            # until a command (which makes the next cycle pump) or an xrun.
            self._covered_frame = _NEVER

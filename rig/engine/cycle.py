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
(measured in `rig bench clock`). The other cycles ask only `quiet(frames, nframes)`:
ints, a lock and two compares, no cycle object.

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

import threading
from typing import Any

from rig.timing.timeline import FrameCycle, Timeline

__all__ = ["FrameLoop"]

_NEVER = 1 << 62  # a frame no cycle reaches


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
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop._covered_frame = -1
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
        self.lock = _CommandLock(self, self._lock)
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
        one ended and what the last pump covered still reaches a cycle past it — and is
        then counted as run; False: call the loop with the cycle (`__call__`). Ints only,
        no `FrameCycle` made: a quiet cycle costs a lock and two compares."""
        lock = self._lock
        lock.acquire()
        if (
            frames == self._next_frame
            and frames + 2 * nframes + self.notice_frames <= self._covered_frame
        ):
            self._next_frame = frames + nframes
            self.cycles += 1
            lock.release()
            return True
        lock.release()
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
        engine.pump(now, hooks=False)
        self.pumps += 1
        sync = engine.sync
        if sync is not None and (sync.source is not None or sync.input is not None):
            return  # following a sync source or input: taken every cycle
        scheduler = engine.scheduler
        if scheduler.playing or scheduler.idle_devices:
            # Every frame before now + lookahead is handed over.
            self._covered_frame = self.timeline.frame_of(now + scheduler.lookahead_ns) - 1
        elif engine.timed is None and engine.mtc is None:
            # Stopped, no clock while stopped, no timed end, no MTC: nothing is sent
            # until a command (which makes the next cycle pump) or an xrun.
            self._covered_frame = _NEVER

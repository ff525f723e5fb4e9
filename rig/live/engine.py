"""The engine's transport: cues, play/stop/continue/locate, mutes, tempo, status.

`Engine` is the single-threaded heart of the engine process (see
`rig.live.engine_process` for the process, sockets and signals around it). It
owns the clock source and the scheduler, receives commands with the current
time passed in, and never sleeps or does I/O itself apart from handing bytes to
its sinks — so the same object is driven by real time in the process and by a
jumping clock in tests.

`dsp_hook` is where the DSP issue plugs in software voices: called on every pump
with (now_ns, scheduler), it may route the tracks that have no hardware sink.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rig.song.arrangement import Arrangement
from rig.song.events import PPQ
from rig.timing.clock import InternalClock
from rig.timing.scheduler import Output, Scheduler

__all__ = ["Engine", "bar_beat", "START_DELAY_NS"]

# From a command to the downbeat: longer than the lookahead (so the first events
# are handed over on time) and long enough for a follower to chase an SPP
# (3 bytes on DIN = 0.96 ms, plus its own seek) before the Continue.
START_DELAY_NS = 50_000_000


def bar_beat(arrangement: Arrangement, tick: int) -> tuple[int, int]:
    """1-based (bar, beat) of `tick`, beats in the bar's meter."""
    for span in arrangement.sections:
        if span.start_tick <= tick < span.end_tick:
            into = tick - span.start_tick
            beat_ticks = PPQ * 4 // span.denominator
            bar = span.start_bar + into // span.bar_ticks
            return bar, (into % span.bar_ticks) // beat_ticks + 1
    if arrangement.sections:
        last = arrangement.sections[-1]
        into = tick - last.start_tick
        beat_ticks = PPQ * 4 // last.denominator
        return last.start_bar + into // last.bar_ticks, (into % last.bar_ticks) // beat_ticks + 1
    return tick // (4 * PPQ) + 1, (tick % (4 * PPQ)) // PPQ + 1


class Engine:
    """Transport over a list of cues (a set, or one song)."""

    def __init__(
        self,
        cues: Sequence[Arrangement],
        outputs: Mapping[str, Output],
        *,
        clock_latency_ms: Mapping[str, float] | None = None,
        lookahead_ns: int = 15_000_000,
        run_on: bool = True,
        transitions: Sequence[str] | None = None,
        dsp_hook: Callable[[int, Scheduler], None] | None = None,
    ):
        """`run_on`: at the end of a cue, go on with the next one of the set.
        `transitions[i]`: after cue i, "bar" (go on at its last bar line, the default)
        or "wait" (stop; the next cue is loaded and waits for /rig/play)."""
        if not cues:
            raise ValueError("an engine needs at least one cue")
        self.cues = list(cues)
        self.cue_index = 0
        self.clock = InternalClock(self.cues[0].tempo)
        self.scheduler = Scheduler(
            self.clock,
            outputs,
            clock_latency_ms=clock_latency_ms,
            lookahead_ns=lookahead_ns,
            next_cue=self._next_cue if run_on else None,
        )
        self.scheduler.load(self.cues[0])
        self.position_tick = 0  # where a stopped transport stands (Continue resumes here)
        self.transitions = list(transitions or [])
        self.waiting = False  # a "wait" transition: the next cue is loaded, not started
        self.dsp_hook = dsp_hook

    # -- commands (now_ns always passed in) -----------------------------------------
    def play(self, now_ns: int, bar: int | None = None) -> None:
        self.waiting = False
        tick = 0 if bar is None or bar <= 1 else self.arrangement.bar_tick(bar)
        self._start(tick, now_ns)

    def stop(self, now_ns: int) -> None:
        if self.scheduler.playing:
            self.position_tick = self._tick_now(now_ns)
        self.scheduler.stop(now_ns)

    def cont(self, now_ns: int) -> None:
        if not self.scheduler.playing:
            self._start(self.position_tick, now_ns)

    def locate(self, now_ns: int, bar: int) -> None:
        tick = self.arrangement.bar_tick(max(1, bar))
        if self.scheduler.playing:
            self.scheduler.stop(now_ns)
            self._start(tick, now_ns)
        else:
            self.position_tick = tick

    def tempo(self, bpm: float) -> None:
        self.scheduler.set_bpm(bpm)

    def cue(self, now_ns: int, index: int) -> None:
        """Select cue `index`: now when stopped, at the next bar line while playing."""
        if not 0 <= index < len(self.cues):
            raise ValueError(f"no cue {index} (the set has {len(self.cues)})")
        self.cue_index = index
        if not self.scheduler.playing:
            self.scheduler.cue(self.cues[index], None, now_ns)
            self.position_tick = 0
            return
        self.scheduler.cue(self.cues[index], self._next_bar_tick(now_ns), now_ns)

    def mute(self, now_ns: int, track: str) -> None:
        self.scheduler.mute(track, now_ns)

    def unmute(self, track: str) -> None:
        self.scheduler.unmute(track)

    def panic(self, now_ns: int) -> None:
        """Every sink drops its queue and sends explicit note-offs for what sounds, now.

        The transport keeps running; the next pump schedules on from the horizon.
        """
        for sink in self.scheduler.outputs.values():
            sink.panic()  # type: ignore[attr-defined]
        self.scheduler.forget(now_ns)

    def pump(self, now_ns: int) -> None:
        self.scheduler.pump(now_ns)
        if self.scheduler.ended:
            self.position_tick = 0
            if self.waiting:
                self.scheduler.cue(self.cues[self.cue_index], None, now_ns)
        if self.dsp_hook is not None:
            self.dsp_hook(now_ns, self.scheduler)

    # -- state --------------------------------------------------------------------
    @property
    def arrangement(self) -> Arrangement:
        assert self.scheduler.arrangement is not None
        return self.scheduler.arrangement

    @property
    def state(self) -> str:
        if self.scheduler.playing:
            return "playing"
        if self.waiting:
            return "waiting"
        return "ended" if self.scheduler.ended else "stopped"

    def position(self, now_ns: int) -> tuple[int, int, float]:
        """(bar, beat, bpm) now."""
        tick = self._tick_now(now_ns) if self.scheduler.playing else self.position_tick
        bar, beat = bar_beat(self.arrangement, tick)
        return bar, beat, self.clock.bpm_at(max(0, tick))

    def _tick_now(self, now_ns: int) -> int:
        return max(0, int(self.clock.tick_at(now_ns)))

    def _start(self, tick: int, now_ns: int) -> None:
        # From tick 0 the scheduler sends Start, else SPP + Continue (FA = SPP 0 + FB).
        self.scheduler.play(tick, now_ns + START_DELAY_NS, now_ns)

    def _next_bar_tick(self, now_ns: int) -> int:
        tick = max(self._tick_now(now_ns), self.scheduler.next_tick)
        bar, _ = bar_beat(self.arrangement, tick)
        return self.arrangement.bar_tick(bar + 1)

    def _next_cue(self) -> Arrangement | None:
        if self.cue_index + 1 >= len(self.cues):
            return None
        how = self.transitions[self.cue_index] if self.cue_index < len(self.transitions) else "bar"
        self.cue_index += 1
        if how == "wait":
            self.waiting = True  # stop here; pump() loads the next cue
            return None
        return self.cues[self.cue_index]

"""The engine's transport: cues, play/stop/continue/locate, quantized launches,
section jumps, mutes and solos, tempo, hot reload, status.

`Engine` is the single-threaded heart of the engine process (see
`rig.engine.process` for the process, sockets and signals around it). It
owns the clock source and the scheduler, receives commands with the current
time passed in, and never sleeps or does I/O itself apart from handing bytes to
its sinks — so the same object is driven by real time in the process and by a
jumping clock in tests (the offline twin).

Quantized actions (launch a cue, jump to a section, mute/unmute/solo, reload)
take a `quantize` of "now", "beat", "bar", "section" or "cue" (`rig.song.quantize`)
and land **on the tick of that boundary**: the engine picks the first boundary at
or after the first tick the scheduler has not handed over yet, and changes what
the current `CueView` answers from that tick on (`rig.engine.cueview`). A launch
makes the view end at the boundary; the scheduler then releases what sounds just
before it and goes on with the next view on the very tick — the clock runs on, no
gap, no Start. While stopped, every action takes effect at once (a launch plays).

`dsp_hook` is where the DSP issue plugs in software voices: called on every pump
with (now_ns, scheduler), it may route the tracks that have no hardware sink.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rig.config.countin import CountIn
from rig.engine.countin import Count, clicks, plan
from rig.engine.cueview import CueView, MuteState, NotePairs
from rig.engine.handtempo import HandTempo
from rig.engine.landing import Landing
from rig.engine.timed import TimedStop
from rig.song.arrangement import Arrangement
from rig.song.quantize import bar_beat, boundary, check_quantize
from rig.timing.clock import InternalClock
from rig.timing.scheduler import Output, Scheduler
from rig.timing.tap import TapTempo

__all__ = ["Engine", "Queued", "START_DELAY_NS", "TRANSITIONS"]

# From a command to the downbeat: longer than the lookahead (so the first events
# are handed over on time) and long enough for a follower to chase an SPP
# (3 bytes on DIN = 0.96 ms, plus its own seek) before the Continue.
START_DELAY_NS = 50_000_000

TRANSITIONS = ("bar", "wait")


@dataclass(frozen=True, slots=True)
class Queued:
    """A switch waiting for its boundary: `tick` is in the current view's ticks."""

    kind: str  # "cue" (a launch), "section" (a jump), "reload" (a new version, same bar)
    index: int  # the cue that plays from the boundary on
    tick: int
    quantize: str
    section: str = ""  # kind "section": the section's name
    start_tick: int = 0  # kind "section": where it starts in the cue
    bar: int = 1  # kind "reload": the bar to go on at in the new version


class Engine(HandTempo):
    """Transport over a list of cues (a set, or one song)."""

    def __init__(
        self,
        cues: Sequence[Arrangement],
        outputs: Mapping[str, Output],
        *,
        clock_latency_ms: Mapping[str, float] | None = None,
        lookahead_ns: int = 15_000_000,
        late_note_ns: int = 30_000_000,
        run_on: bool = True,
        transitions: Sequence[str] | None = None,
        dsp_hook: Callable[[int, Scheduler], None] | None = None,
        set_name: str = "",
        clock: InternalClock | None = None,
        play_for_ns: int | None = None,
    ):
        """`run_on`: at the end of a cue, go on with the next one of the set.
        `transitions[i]`: after cue i, "bar" (go on at its last bar line, the default)
        or "wait" (stop; the next cue is loaded and waits for /rig/play).
        `clock`: the clock to run on (a `rig.engine.sync.FollowClock` follows a sync
        source); default: the rig's own."""
        if not cues:
            raise ValueError("an engine needs at least one cue")
        self.cues = list(cues)
        self.cue_index = 0
        # The only folder /rig/reload and /rig/voice may read (rig.engine.dispatch).
        self.bundle_dir: Path | None = None
        self.run_on = run_on
        self.transitions = list(transitions or [])
        self.clock = clock if clock is not None else InternalClock(self.cues[0].tempo)
        self.scheduler = Scheduler(
            self.clock,
            outputs,
            clock_latency_ms=clock_latency_ms,
            lookahead_ns=lookahead_ns,
            drop_late_ns=late_note_ns,
            next_cue=self._next_cue,
        )
        self._pairs: dict[int, NotePairs] = {}
        # (cue index, bpm) set by hand: every view of that cue plays at it (Engine.tempo).
        self.tempo_override: tuple[int, float] | None = None
        self.kept_tempos: dict[int, float] = {}  # a set file's live: tempo (rig.engine.kept)
        self.count_in = CountIn()  # config.yaml count_in: (bars 0: none)
        self.counting: Count | None = None  # the last count-in (rig.engine.countin)
        self.fill_held = False  # the live fill control is held (it carries to new views)
        self.view = self._view(0)
        self.scheduler.load(self.view)
        self.position_tick = 0  # where a stopped transport stands (Continue resumes here)
        self.waiting = False  # a "wait" transition: the next cue is loaded, not started
        self.queued: Queued | None = None
        self.dsp_hook = dsp_hook
        self.taps = TapTempo()
        self.last_error = ""
        self.reloads = 0  # versions swapped in (hot reload)
        self.set_name = set_name
        # rig.engine.sync.SyncDriver when the engine follows a sync source; None: the rig leads.
        self.sync: Any = None
        # rig.engine.mtcout.MtcSender when config.yaml asks for MIDI timecode out.
        self.mtc: Any = None
        # Hot-reload files being read, (steps, quantize, file name): the engine loop steps
        # them between pumps (rig.engine.dispatch.run_loads); what waits and what landed:
        self.loads: list = []
        self.landing = Landing()  # (rig.engine.landing: the status's reload fields)
        # Applied to every arrangement a hot reload brings (voice-only tracks routed as at start).
        self.adapt: Callable[[Arrangement], Arrangement] | None = None
        self.timed = TimedStop(play_for_ns) if play_for_ns is not None else None

    # -- transport (now_ns always passed in) -----------------------------------------
    def play(self, now_ns: int, bar: int | None = None, at_ns: int | None = None,
             count_in: bool = True) -> None:  # fmt: skip
        """Play the current cue from its top or from `bar` (SPP + Continue), the downbeat at
        `at_ns` (a sync beat) or START_DELAY_NS from now; `count_in`: False, a resumed show."""
        self.waiting = False
        if self.scheduler.playing:
            self.scheduler.stop(now_ns)
        self._reset(self.cue_index)
        tick = 0 if bar is None or bar <= 1 else self.view.bar_tick(bar)
        count = plan(self.count_in, self.view, tick) if at_ns is None and count_in else None
        if count is None:
            self._start(tick, now_ns, at_ns)
            return
        self._start(tick, now_ns, now_ns + START_DELAY_NS + count.lead_ns)
        self.counting = replace(count, downbeat_ns=int(self.clock.ns_at(tick)))
        device = self.count_in.click
        if device in self.scheduler.outputs:
            for when, data in clicks(self.count_in, self.counting):
                self.scheduler.outputs[device].send(when, data)

    def stop(self, now_ns: int, at_ns: int | None = None) -> None:
        if self.scheduler.playing:
            self.position_tick = self._tick_now(max(now_ns, at_ns or 0)) + self.view.offset
        self.scheduler.stop(now_ns, at_ns)
        self.queued = None
        self._reset(self.view.index)  # stopped views start at the cue's top: SPP is exact

    def cont(self, now_ns: int, at_ns: int | None = None) -> None:
        if not self.scheduler.playing:
            self.waiting = False
            self._start(self.position_tick, now_ns, at_ns)

    def locate(self, now_ns: int, bar: int) -> None:
        tick = self.cues[self.view.index].bar_tick(max(1, bar))
        if self.scheduler.playing:
            self.scheduler.stop(now_ns)
            self.queued = None
            self._reset(self.view.index)
            self._start(tick, now_ns)
        else:
            self.position_tick = tick

    def panic(self, now_ns: int) -> None:
        """Every sink drops its queue and sends explicit note-offs for what sounds, now.

        The transport keeps running; the next pump schedules on from the horizon.
        """
        for sink in self.scheduler.outputs.values():
            sink.panic(wait=False)  # type: ignore[attr-defined]  # see JackSink.panic
        self.scheduler.forget(now_ns)

    # -- quantized actions -------------------------------------------------------------
    def launch(self, now_ns: int, index: int, quantize: str = "bar") -> None:
        """Launch cue `index` at the next `quantize` boundary (stopped: play it now)."""
        self._check_cue(index)
        check_quantize(quantize)
        if not self.scheduler.playing:
            self.cue_index = index
            self.play(now_ns)
            return
        self._queue(Queued("cue", index, self._boundary(now_ns, quantize), quantize))

    def launch_next(self, now_ns: int, quantize: str = "bar") -> None:
        """The next cue of the set (the loaded one while a "wait" transition waits)."""
        if self.waiting:
            self.launch(now_ns, self.cue_index, quantize)
            return
        index = self.view.index + 1
        if index >= len(self.cues):
            raise ValueError("the last cue of the set is playing; there is no next cue")
        self.launch(now_ns, index, quantize)

    def cue(self, now_ns: int, index: int) -> None:
        """Select cue `index`: now when stopped, at the next bar line while playing."""
        self._check_cue(index)
        if self.scheduler.playing:
            self.launch(now_ns, index, "bar")
            return
        self.cue_index = index
        self.waiting = False
        self._reset(index)
        self.position_tick = 0

    def cancel(self, now_ns: int) -> bool:
        """Cancel a queued launch, jump or reload; True if there was one."""
        if self.queued is None:
            return False
        self.queued = None
        self.view.restore_end()
        return True

    def section(self, now_ns: int, which: str | int, quantize: str = "bar") -> None:
        """Jump to a section (name, or 0-based index) of the current cue at the boundary."""
        check_quantize(quantize)
        arrangement = self.cues[self.view.index]
        spans = arrangement.sections
        if isinstance(which, int) or str(which).lstrip("-").isdigit():
            i = int(which)
            if not 0 <= i < len(spans):
                raise ValueError(f"no section {i} in '{arrangement.name}' (it has {len(spans)})")
            span = spans[i]
        else:
            span = next((s for s in spans if s.name == which), None)  # type: ignore[assignment]
            if span is None:
                names = ", ".join(dict.fromkeys(s.name for s in spans))
                raise ValueError(f"no section '{which}' in '{arrangement.name}' ({names})")
        if not self.scheduler.playing:
            self.position_tick = span.start_tick
            return
        at = self._boundary(now_ns, quantize)
        self._queue(Queued("section", self.view.index, at, quantize, span.name, span.start_tick))

    def mute(self, now_ns: int, track: str, quantize: str = "now") -> None:
        self._mute_op(now_ns, "mute", track, quantize)

    def unmute(self, now_ns: int, track: str, quantize: str = "now") -> None:
        self._mute_op(now_ns, "unmute", track, quantize)

    def solo(self, now_ns: int, track: str, quantize: str = "now") -> None:
        self._mute_op(now_ns, "solo", track, quantize)

    def unsolo(self, now_ns: int, track: str, quantize: str = "now") -> None:
        self._mute_op(now_ns, "unsolo", track, quantize)

    def fill(self, now_ns: int, bars: int | None = None, quantize: str = "bar") -> None:
        """The live fill control: `{fill}` conditions on from the next `quantize`
        boundary, for `bars` bars, or held until `release_fill` (bars None). While
        stopped, from where the transport stands."""
        check_quantize(quantize)
        view = self.view
        if bars is not None and bars < 1:
            raise ValueError(f"fill: expected 1 bar or more, got {bars}")
        if bars is not None and not self.scheduler.playing:
            raise ValueError("fill: a fill for N bars needs the transport playing (on holds it)")
        at = self._boundary(now_ns, quantize) if self.scheduler.playing else self.tick(now_ns)
        end = None
        if bars is not None:
            end = at
            for _ in range(bars):  # whole bars in the meter(s) where they fall
                end = boundary(view.sections, 1 << 62, end + 1, "bar")
        else:
            self.fill_held = True
        view.add_fill(at, end)

    def release_fill(self, now_ns: int, quantize: str = "bar") -> None:
        """Let go of a held fill at the next `quantize` boundary (a fill for N bars
        runs its bars)."""
        check_quantize(quantize)
        self.fill_held = False
        at = self._boundary(now_ns, quantize) if self.scheduler.playing else self.tick(now_ns)
        self.view.release_fill(at)

    def reload(
        self,
        now_ns: int,
        index: int,
        arrangement: Arrangement,
        quantize: str = "bar",
        pairs: NotePairs | None = None,
    ) -> None:
        """Swap in a new version of cue `index`. Playing it: from the next boundary on,
        at the same bar of the new version; otherwise the next time it plays."""
        self._check_cue(index)
        check_quantize(quantize)
        self.cues[index] = self.adapt(arrangement) if self.adapt else arrangement
        self._pairs.pop(index, None)
        if pairs is not None:
            self._pairs[index] = pairs
        self.reloads += 1
        if self.view.index != index:
            return
        if not self.scheduler.playing:
            self._reset(index)
            return
        if self.queued is not None and self.queued.kind != "reload":
            return  # the queued launch or jump re-reads the cue when it happens
        at = self._boundary(now_ns, quantize)
        if at >= self.view.natural_length:
            self.cancel(now_ns)  # the old version ends first; the next play is the new one
            return
        bar = bar_beat(self.view, at)[0]
        self._queue(Queued("reload", index, at, quantize, bar=bar))

    def set_cues(
        self,
        cues: Sequence[Arrangement],
        transitions: Sequence[str],
        pairs: Sequence[NotePairs] | None = None,
    ) -> None:
        """A new version of the set: the playing cue plays on (found by its source file);
        the new order and transitions apply from its end on."""
        if not cues:
            raise ValueError("a set needs at least one cue")
        playing_source = self.cues[self.view.index].source
        self.cues = [self.adapt(c) for c in cues] if self.adapt else list(cues)
        self.transitions = list(transitions)
        self._pairs = dict(enumerate(pairs)) if pairs is not None else {}
        self.reloads += 1
        found = [i for i, c in enumerate(self.cues) if c.source and c.source == playing_source]
        index = found[0] if found else min(self.view.index, len(self.cues) - 1)
        self.view.index = index
        self.cue_index = index
        if self.queued is not None and self.queued.index >= len(self.cues):
            self.cancel(0)
        if not self.scheduler.playing:
            self._reset(index)

    # -- the loop ----------------------------------------------------------------------
    def pump(self, now_ns: int, hooks: bool = True) -> None:
        """Hand the sinks what is due; `hooks=False` leaves out the `dsp_hook` (the
        frame loop pumps on JACK's RT thread, the hook runs in the main loop)."""
        if self.sync is not None:  # the master's transport first: a Start plays this pump
            self.sync.pump(now_ns)
        self.scheduler.pump(now_ns)
        if self.timed is not None:
            self.timed.pump(self, now_ns)
        if self.scheduler.ended:
            self.position_tick = 0
            if self.waiting and self.view.index != self.cue_index:
                self._reset(self.cue_index)  # the next cue waits, loaded and checked
            elif self.view.offset:
                self._reset(self.view.index)  # a jump's view ended: back to the cue's top
        if self.mtc is not None:
            self.mtc.pump(now_ns)
        if hooks and self.dsp_hook is not None:
            self.dsp_hook(now_ns, self.scheduler)

    # -- state -------------------------------------------------------------------------
    @property
    def arrangement(self) -> CueView:
        return self.view

    @property
    def state(self) -> str:
        if self.scheduler.playing:
            return "playing"
        if self.waiting:
            return "waiting"
        return "ended" if self.scheduler.ended or (self.timed and self.timed.done) else "stopped"

    def tick(self, now_ns: int) -> int:
        """The current tick of the current view (where a stopped transport stands)."""
        if self.scheduler.playing:
            return self._tick_now(now_ns)
        return self.position_tick - self.view.offset

    def position(self, now_ns: int, *, tick: int | None = None) -> tuple[int, int, float]:
        """(bar, beat, bpm) now (`tick`: `tick(now_ns)`, when the caller has it). Stopped
        or waiting, the tempo is the one the loaded cue will start at (issue 12, item 13)."""
        tick = self.tick(now_ns) if tick is None else tick
        bar, beat = bar_beat(self.view, tick)
        if not self.scheduler.playing and (self.sync is None or self.sync.source is None):
            return bar, beat, self.view.tempo.bpm_at(max(0, tick))
        return bar, beat, self.clock.bpm_at(max(0, tick))

    def section_name(self, now_ns: int, *, tick: int | None = None) -> str:
        span = self.view.section_at(self.tick(now_ns) if tick is None else tick)
        return "" if span is None else span.name

    def mute_state(self, now_ns: int, *, tick: int | None = None) -> MuteState:
        return self.view.state_at(self.tick(now_ns) if tick is None else tick)

    def pending_ops(self, now_ns: int, *, tick: int | None = None) -> list[tuple[int, str, str]]:
        """Queued mute/solo operations: (bar, op, track)."""
        return [
            (bar_beat(self.view, t)[0], op, name)
            for t, op, name in self.view.pending(self.tick(now_ns) if tick is None else tick)
        ]

    def queued_bar(self) -> int:
        """The bar (of the current cue) where the queued switch happens; 0 if none."""
        return 0 if self.queued is None else bar_beat(self.view, self.queued.tick)[0]

    def track_names(self) -> list[str]:
        return list(dict.fromkeys(t.name for c in self.cues for t in c.tracks))

    # -- inside --------------------------------------------------------------------------
    def _tick_now(self, now_ns: int) -> int:
        return max(0, int(self.clock.tick_at(now_ns)))

    def _start(self, tick: int, now_ns: int, at_ns: int | None = None) -> None:
        # From tick 0 the scheduler sends Start, else SPP + Continue (FA = SPP 0 + FB).
        at = now_ns + START_DELAY_NS if at_ns is None else at_ns
        self.scheduler.play(tick, at, now_ns)
        if self.timed is not None:  # the downbeat as the scheduler placed it
            self.timed.started(self.scheduler, self.clock.ns_at(self.scheduler.next_tick))

    def _check_cue(self, index: int) -> None:
        if not 0 <= index < len(self.cues):
            raise ValueError(f"no cue {index} (the set has {len(self.cues)})")

    def _first_free_tick(self, now_ns: int) -> int:
        """The first tick a change can still reach: nothing at or after it is handed over."""
        return max(self._tick_now(now_ns), self.scheduler.next_tick)

    def _boundary(self, now_ns: int, quantize: str) -> int:
        view = self.view
        return boundary(view.sections, view.length_ticks, self._first_free_tick(now_ns), quantize)

    def _queue(self, queued: Queued) -> None:
        """One switch waits at a time: the newest replaces an older one."""
        self.queued = queued
        self.view.restore_end()
        self.view.end_at(queued.tick)

    def _mute_op(self, now_ns: int, op: str, track: str, quantize: str) -> None:
        check_quantize(quantize)
        if track not in self.track_names():
            known = ", ".join(self.track_names())
            raise ValueError(f"no track '{track}' in the set ({known})")
        if not self.scheduler.playing:
            self._reset(self.view.index, self.view.final_state.apply(op, track))
            return
        self.view.add(self._boundary(now_ns, quantize), op, track)

    def _view(
        self,
        index: int,
        offset: int = 0,
        state: MuteState | None = None,
        later: Sequence[tuple[int, str, str]] = (),
    ) -> CueView:
        if index not in self._pairs:
            self._pairs[index] = NotePairs(self.cues[index])
        view = CueView(
            self.cues[index], index=index, offset=offset, state=state, pairs=self._pairs[index]
        )
        for tick, op, name in later:
            view.add(tick, op, name)
        self._hand_tempo(view, index)
        if self.fill_held:  # a held fill goes on into the next cue or section
            view.add_fill(0, None)
        return view

    def _reset(self, index: int, state: MuteState | None = None) -> None:
        """Load a fresh view of cue `index` from its top (transport not running)."""
        self.view = self._view(index, 0, state if state is not None else self.view.final_state)
        self.scheduler.load(self.view)

    def _next_cue(self) -> CueView | None:
        """The scheduler reached the end of the current view: what plays on the boundary."""
        at = self.view.length_ticks
        state, later = self.view.carry(at)
        queued, self.queued = self.queued, None
        if queued is not None:
            offset = 0
            if queued.kind == "section":
                offset = queued.start_tick
            elif queued.kind == "reload":
                arrangement = self.cues[queued.index]
                offset = arrangement.bar_tick(queued.bar) if queued.bar > 1 else 0
                offset = min(offset, arrangement.length_ticks)
            self.cue_index = queued.index
            self.view = self._view(queued.index, offset, state, later)
            return self.view
        if not self.run_on or self.view.index + 1 >= len(self.cues):
            return None
        index = self.view.index
        how = self.transitions[index] if index < len(self.transitions) else "bar"
        self.cue_index = index + 1
        if how == "wait":
            self.waiting = True  # stop here; pump() loads the next cue
            return None
        self.view = self._view(self.cue_index, 0, state, later)
        return self.view

"""The lookahead scheduler: arrangement ticks → absolute deadlines → sinks.

Each `pump(now_ns)` takes the events of the next few ms (`lookahead_ns`) from
`arrangement.query_ticks`, turns every tick into an absolute monotonic deadline
through the clock source (never by adding intervals), subtracts the device's
latency offset so hardware lines up — the one place latency is applied — and hands
`(when_ns, message)` to the sink of the event's device: typed messages (the song's
own events, `rig.midi.wire.System` for clock and transport), bytes only at the wire.
MIDI clock (F8 every 80 ticks = 24 PPQN) goes to the
outputs with clock enabled and follows tempo ramps because it is just ticks
through the same tempo map.

Stalls: an event handed over after its deadline is counted `late` and still
sent (note-offs, CCs and program changes must reach the synth), except a
note-on more than `drop_late_ns` late, which is dropped with its note-off (a
chord smeared over a stall is wrong music). Clock ticks more than half a clock
period late are dropped and counted, never sent as a catch-up burst: followers
read a burst as a tempo spike; after the stall the clock resumes on the grid.

Clock while stopped (per device, `idle_clock()`): some followers need F8 while
stopped to settle their tempo before Start (hardware.md §1.7, §4; the Hapax's
"always send clock"). Those devices get F8 on a free-running grid at the
current tempo, continuing the playing grid after a stop without a gap, and a
start is moved onto that grid (by less than one clock period), so a follower
sees one unbroken clock from before the Start to after it.

The scheduler is single-threaded and time-free: the caller passes `now_ns`, so
the engine drives it on real time and tests drive the same code on a fake clock
that jumps (the offline twin). Sounding notes are tracked per (device, channel,
note) at hand-over; releases are scheduled just after the last deadline already
handed to that sink, so a note-on still queued in a sink can never outlive its
note-off.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from rig.midi.wire import (
    CLOCK_MSG,
    CONTINUE_MSG,
    START_MSG,
    STOP_MSG,
    TICKS_PER_CLOCK,
    TICKS_PER_SIXTEENTH,
    Message,
    System,
    off_message,
    song_position,
    spp_for_tick,
)
from rig.song.arrangement import Arrangement
from rig.song.events import ControlChange, NoteOff, NoteOn, ProgramChange
from rig.timing.clock import InternalClock

__all__ = ["Output", "Stats", "Scheduler", "run", "TRANSPORT_LEAD_NS"]

# FA/FB go out 1 ms before the first F8. A receiver starts on the first F8 after
# Start/Continue (MIDI 1.0; Kenton converters likewise), so the F8 — not the FA —
# marks the downbeat and is put exactly on it. The FA/FB must already be on the
# wire and parsed by then: one byte takes 0.32 ms on DIN, plus a USB-MIDI frame
# (~1 ms granularity on many interfaces would merge them, which is still correct
# order); 1 ms leaves room without the receiver noticing a gap.
TRANSPORT_LEAD_NS = 1_000_000
# A start's SPP goes again halfway to its Continue when that leaves this long on
# either side (`play`): a follower's seek after the first one is not cut short.
SPP_AGAIN_MIN_NS = 5_000_000
# After an xrun, notes that ended this recently get their note-off again.
RESEND_WINDOW_NS = 100_000_000
# A panic hands over again the clock ticks due from this much before `now` on: on
# JACK's frames a tick within half a frame (10.4 µs at 48 kHz, 11.3 at 44.1) of the
# next cycle's first frame is written in that cycle, not yet on the wire. (With
# rtmidi a tick due that little before the panic has hardly left its sender thread.)
_FORGET_SLACK_NS = 12_000


class Output(Protocol):
    """What the scheduler needs of a sink (rig.midi sinks satisfy it)."""

    name: str

    def send(self, when_ns: int, data: Message) -> None: ...


@dataclass
class Stats:
    late: int = 0  # events handed to a sink after their deadline
    dropped_notes: int = 0  # note-ons too late to play (and their note-offs)
    late_clocks: int = 0  # clock ticks sent a little late (less than half a period)
    missed_clocks: int = 0  # clock ticks dropped after a stall
    resent_offs: int = 0  # note-offs sent again after an xrun (see `after_xrun`)
    sent: int = 0  # messages handed to sinks


@dataclass(frozen=True, slots=True)
class _Route:
    device: str
    output: Output
    latency_ns: int


class Scheduler:
    """Plays arrangements on outputs from an `InternalClock` (see module doc)."""

    def __init__(
        self,
        clock: InternalClock,
        outputs: Mapping[str, Output],
        *,
        clock_latency_ms: Mapping[str, float] | None = None,
        lookahead_ns: int = 15_000_000,
        drop_late_ns: int = 30_000_000,
        next_cue: Callable[[], Arrangement | None] | None = None,
    ):
        """`outputs`: device name → sink. `clock_latency_ms`: devices that get MIDI
        clock, with their latency offset (clock is shifted like their notes)."""
        self.clock = clock
        self.outputs = dict(outputs)
        self.clock_latency_ns = {
            d: round(ms * 1e6) for d, ms in (clock_latency_ms or {}).items() if d in self.outputs
        }
        self.lookahead_ns = lookahead_ns
        self.drop_late_ns = drop_late_ns
        self.next_cue = next_cue
        self.stats = Stats()
        self.muted: set[str] = set()
        self.arrangement: Arrangement | None = None
        self.playing = False
        self.ended = False  # the last arrangement played to its end
        self.next_tick = 0  # first tick not yet handed to the sinks
        # Music at or after this timeline ns is not handed over (a timed stop: `rig
        # play --for`); None: no limit.
        self.until_ns: int | None = None
        self._routes: dict[str, _Route] = {}
        self._max_latency_ns = 0
        self._device_latency_ns: dict[str, int] = {}
        self._sounding: dict[tuple[str, int, int], str] = {}  # (device, ch, note) → track
        self._on_ns: dict[tuple[str, int, int], int] = {}  # the last note-on's deadline
        self._dropped: set[tuple[str, int, int]] = set()
        self._last_ns: dict[str, int] = {}
        # Note-offs handed over lately, (deadline, device, channel, note): sent
        # again after an xrun (`after_xrun`).
        self._recent_offs: deque[tuple[int, str, int, int]] = deque(maxlen=512)
        self.idle_devices: tuple[str, ...] = ()  # clock also while stopped
        self._idle_anchor_ns: int | None = None  # grid point k = 0 of the stopped clock
        self._idle_k = 0  # next grid point to hand over
        self._idle_period_ns = 0.0

    # -- set-up --------------------------------------------------------------------
    def load(self, arrangement: Arrangement) -> None:
        """Make `arrangement` current (routes its tracks to devices with a sink)."""
        self.arrangement = arrangement
        self._routes = {}
        for info in arrangement.tracks:
            if info.device is not None and info.device in self.outputs:
                self._routes[info.name] = _Route(
                    info.device, self.outputs[info.device], round(info.latency_ms * 1e6)
                )
        lat = [r.latency_ns for r in self._routes.values()] + list(self.clock_latency_ns.values())
        self._max_latency_ns = max([0, *lat])
        self._device_latency_ns = {**self.clock_latency_ns}
        self._device_latency_ns.update((r.device, r.latency_ns) for r in self._routes.values())

    def latency_of(self, device: str) -> int:
        """The latency offset (ns) this scheduler takes off `device`'s deadlines: the one
        place a device's latency lives. An output that sounds the music itself (a
        stand-in voice) adds it back to hear it on the music's own time."""
        return self._device_latency_ns.get(device, 0)

    def idle_clock(self, devices: Iterable[str]) -> None:
        """Send MIDI clock to `devices` (of those with clock) while stopped, too."""
        self.idle_devices = tuple(d for d in devices if d in self.clock_latency_ns)
        self._idle_anchor_ns = None

    # -- transport -----------------------------------------------------------------
    def play(self, tick: int, at_ns: int, now_ns: int) -> None:
        """Start at `tick` (the downbeat lands at `at_ns`): FA from the top, else SPP + FB.

        With a clock running while stopped, the downbeat moves later onto its grid
        (less than one clock period) so the clock goes on without a hiccup."""
        assert self.arrangement is not None, "load() an arrangement first"
        if self.playing:
            self.stop(now_ns)
        if self.idle_devices and self._idle_anchor_ns is not None:
            at_ns = self._idle_grid_at_or_after(at_ns)
            self._pump_idle(now_ns, until_ns=at_ns - 1)  # the stopped clock runs up to it
        self._idle_anchor_ns = None
        if tick:
            spp = spp_for_tick(tick)
            tick = spp * TICKS_PER_SIXTEENTH  # SPP resolves to 16ths: start on the one it names
        self.clock.start(tick, at_ns, tempo=self.arrangement.tempo)
        self.next_tick = tick
        self.playing = True
        self.ended = False
        for device, lat in self.clock_latency_ns.items():
            first_clock = at_ns - lat
            if tick:
                # SPP is only valid while stopped, so it goes first, right away, and
                # once more halfway to the Continue (a second one changes nothing). On
                # JACK the first is written in the cycle after the command, the one
                # most likely to xrun (it waited for the command's lock and pumps
                # first), and an xrun cycle loses its MIDI: measured, a restarted
                # engine's resume lost its only SPP (1 run in ~45, two busy cores), and
                # the server reported an xrun two periods after it in runs that kept it.
                when = self._after_queued(device, now_ns)
                cont = first_clock - TRANSPORT_LEAD_NS
                self._send(device, when, System(song_position(spp)))
                if cont - when >= 2 * SPP_AGAIN_MIN_NS:
                    self._send(device, (when + cont) // 2, System(song_position(spp)))
                self._send(device, cont, CONTINUE_MSG)
            else:
                self._send(device, first_clock - TRANSPORT_LEAD_NS, START_MSG)

    def stop(self, now_ns: int, at_ns: int | None = None) -> None:
        """Stop now: explicit note-offs for every sounding note, then FC — after what
        the sinks already hold, or, with `at_ns` (a followed master's Stop, at or after
        now), at `at_ns` on every output that can take back what it holds from there
        on (`take_back`: the JACK sinks; a device's latency moves its cut earlier)."""
        if not self.playing:
            return
        if at_ns is not None:
            self._take_back(now_ns, max(now_ns, at_ns))
        self.release(now_ns)
        for device in self.clock_latency_ns:
            self._send(device, self._after_queued(device, now_ns), STOP_MSG)
        self._idle_from_playing()
        self.clock.stop()
        self.playing = False

    def _take_back(self, now_ns: int, at_ns: int) -> None:
        """Output ends at `at_ns`: the outputs that can take back what they hold from
        there on do; a note whose note-on went with it never sounds (no note-off for it),
        and the clock stopped there (a stopped clock goes on from that grid point)."""
        cut = {}
        for device, output in self.outputs.items():
            take = getattr(output, "take_back", None)
            at = max(now_ns, at_ns - self._device_latency_ns.get(device, 0))
            if take is not None and take(at):
                cut[device] = at
                self._last_ns[device] = at - 1  # the note-offs and FC go out at `at`
        for key in [k for k in self._sounding if self._on_ns.get(k, -1) >= cut.get(k[0], 2**62)]:
            del self._sounding[key]
        if cut and all(d in cut for d in self.clock_latency_ns):
            self.next_tick = min(self.next_tick, max(0, math.ceil(self.clock.tick_at(at_ns))))

    def release(self, now_ns: int, track: str | None = None) -> int:
        """Note-offs for the sounding notes (of one track, or all); returns how many."""
        keys = [(k, t) for k, t in self._sounding.items() if track is None or t == track]
        for key, name in keys:
            device, channel, note = key
            when = self._after_queued(device, now_ns)
            self._send(device, when, off_message(channel, note, name))
            self._recent_offs.append((when, device, channel, note))
            del self._sounding[key]
        return len(keys)

    def mute(self, track: str, now_ns: int) -> None:
        self.muted.add(track)
        self.release(now_ns, track)

    def unmute(self, track: str) -> None:
        self.muted.discard(track)

    def set_bpm(self, bpm: float) -> None:
        """Override the tempo from the first tick not yet scheduled (continuous timeline)."""
        self.clock.set_bpm(bpm, self.next_tick)

    def forget(self, now_ns: int) -> None:
        """The sinks just dropped their queues and released every note (panic).

        Drops the note bookkeeping and hands the clock ticks that were queued
        (deadline at or after now, tick before the horizon) to the sinks again: a panic
        must not cost followers a clock tick. At `now` too: on JACK's frames `now` is
        the first frame of a cycle not yet written, and a tick due there was dropped
        with the rest (measured: a 1600-frame gap in about one freewheel panic in ten).
        """
        self._sounding.clear()
        self._dropped.clear()
        self._last_ns.clear()
        if not self.playing and self._idle_anchor_ns is not None:
            # The stopped clock's queued ticks were dropped too: hand them over again.
            behind = (now_ns - self._idle_anchor_ns) / self._idle_period_ns
            self._idle_k = min(self._idle_k, max(0, math.ceil(behind)))
        if not self.playing or not self.clock_latency_ns:
            return
        start = max(0, math.floor(self.clock.tick_at(now_ns - self._max_latency_ns)))
        first = -(-start // TICKS_PER_CLOCK) * TICKS_PER_CLOCK
        for tick in range(first, self.next_tick, TICKS_PER_CLOCK):
            at = self.clock.ns_at(tick)
            for device, lat in self.clock_latency_ns.items():
                if at - lat >= now_ns - _FORGET_SLACK_NS:
                    self._send(device, at - lat, CLOCK_MSG)

    def after_xrun(
        self, now_ns: int, since_ns: int | None = None, window_ns: int = RESEND_WINDOW_NS
    ) -> int:
        """Cycles from `since_ns` to `now_ns` were missed: every note that ended in
        them or in the `window_ns` before gets its note-off again (unless it sounds
        again since); returns how many.

        An xrun can lose a cycle's MIDI on the way to a receiver, and a lost note-off
        hangs a synth, while a second note-off for a silent note does nothing."""
        since_ns = now_ns if since_ns is None else min(since_ns, now_ns)
        sent = 0
        done: set[tuple[str, int, int]] = set()
        for when, device, channel, note in reversed(self._recent_offs):
            key = (device, channel, note)
            if when > now_ns or key in done:
                continue
            if when < since_ns - window_ns:
                break
            done.add(key)
            if key in self._sounding:
                continue
            self._send(device, self._after_queued(device, now_ns), off_message(channel, note))
            sent += 1
        self.stats.resent_offs += sent
        return sent

    def repeat_stop(self, now_ns: int, since_ns: int) -> int:
        """The last Stop's messages again, for a stopped scheduler whose output an xrun
        may have lost since `since_ns` (the show's end: nothing would repeat them):
        the note-offs of every note that ended since then, and FC; returns how many
        note-offs."""
        sent = self.after_xrun(now_ns, since_ns)
        for device in self.clock_latency_ns:
            self._send(device, self._after_queued(device, now_ns), STOP_MSG)
        return sent

    @property
    def sounding(self) -> int:
        return len(self._sounding)

    @property
    def max_latency_ns(self) -> int:
        """The largest latency offset of the current routes and clock outputs."""
        return self._max_latency_ns

    @property
    def last_deadline_ns(self) -> int | None:
        """The latest deadline handed to any sink (None before the first)."""
        return max(self._last_ns.values(), default=None)

    # -- the work ------------------------------------------------------------------
    def pump(self, now_ns: int) -> None:
        """Hand the sinks everything due before now + lookahead."""
        if not self.playing:
            if self.idle_devices:
                self._pump_idle(now_ns)
            return
        while self.playing and self.arrangement is not None:
            horizon_ns = now_ns + self.lookahead_ns + self._max_latency_ns
            if self.until_ns is not None:
                horizon_ns = min(horizon_ns, self.until_ns - 1)
            end = self.arrangement.length_ticks
            tick_to = min(end, math.floor(self.clock.tick_at(horizon_ns)) + 1)
            if tick_to > self.next_tick:
                self._emit(self.next_tick, tick_to, now_ns)
                self.next_tick = tick_to
            if self.next_tick < end:
                return
            self._advance(end, now_ns)

    def _advance(self, end: int, now_ns: int) -> None:
        """The current arrangement is fully scheduled up to `end`: go on or stop there."""
        boundary_ns = self.clock.ns_at(end)
        nxt = self.next_cue() if self.next_cue is not None else None
        # Release what still sounds just before the boundary (new notes may start on it).
        self.release(max(now_ns, boundary_ns - 1))
        if nxt is None:
            for device, lat in self.clock_latency_ns.items():
                when = max(self._after_queued(device, now_ns), boundary_ns - lat)
                self._send(device, when, STOP_MSG)
            self._idle_from_playing()
            self.clock.stop()
            self.playing = False
            self.ended = True
            return
        self.load(nxt)
        # The clock runs on without a Start: followers keep counting across cues.
        self.clock.start(0, boundary_ns, tempo=nxt.tempo)
        self.next_tick = 0

    def _emit(self, tick_from: int, tick_to: int, now_ns: int) -> None:
        clock = self.clock
        assert self.arrangement is not None
        # Clock first: at equal deadlines a follower sees the beat's F8 before its notes.
        first = -(-tick_from // TICKS_PER_CLOCK) * TICKS_PER_CLOCK
        for tick in range(first if self.clock_latency_ns else tick_to, tick_to, TICKS_PER_CLOCK):
            at = clock.ns_at(tick)
            half_period = (clock.ns_at(tick + TICKS_PER_CLOCK) - at) // 2
            for device, lat in self.clock_latency_ns.items():
                when = at - lat
                overdue = now_ns - when
                if overdue > half_period:
                    self.stats.missed_clocks += 1
                    continue
                if overdue > 0:
                    self.stats.late_clocks += 1
                self._send(device, when, CLOCK_MSG)
        for event in self.arrangement.query_ticks(tick_from, tick_to):
            track = getattr(event, "track", None)  # tempo, meter, section: not for the wire
            route = self._routes.get(track) if track is not None else None
            if route is None or track in self.muted:
                continue
            when = clock.ns_at(event.tick) - route.latency_ns
            overdue = now_ns - when
            if overdue > 0:
                self.stats.late += 1
            if isinstance(event, NoteOn | NoteOff):
                key = (route.device, event.channel, event.note)
                if isinstance(event, NoteOn):
                    if overdue > self.drop_late_ns:
                        self.stats.dropped_notes += 1
                        self._dropped.add(key)
                        continue
                    self._dropped.discard(key)
                    self._sounding[key] = track
                    self._on_ns[key] = when
                else:
                    if key in self._dropped:
                        self._dropped.discard(key)
                        continue
                    self._sounding.pop(key, None)
                    self._recent_offs.append((when, *key))
            if isinstance(event, NoteOn | NoteOff | ControlChange | ProgramChange):
                self._send(route.device, when, event)

    # -- clock while stopped ------------------------------------------------------------
    def _idle_from_playing(self) -> None:
        """Stopping: the stopped clock goes on from the playing clock's next grid point."""
        if not self.idle_devices:
            return
        tick = -(-self.next_tick // TICKS_PER_CLOCK) * TICKS_PER_CLOCK
        self._idle_period_ns = self._clock_period_ns(tick)
        self._idle_anchor_ns = self.clock.ns_at(tick)
        self._idle_k = 0

    def _clock_period_ns(self, tick: int) -> float:
        return 60e9 / (self.clock.bpm_at(max(0, tick)) * 24)

    def _idle_grid_at_or_after(self, at_ns: int) -> int:
        assert self._idle_anchor_ns is not None
        k = max(self._idle_k, math.ceil((at_ns - self._idle_anchor_ns) / self._idle_period_ns))
        return self._idle_anchor_ns + round(k * self._idle_period_ns)

    def _pump_idle(self, now_ns: int, until_ns: int | None = None) -> None:
        period = self._clock_period_ns(self.next_tick)
        if self._idle_anchor_ns is None or period != self._idle_period_ns:
            # First start, or the tempo changed: a new grid from the next point on.
            start = now_ns + self.lookahead_ns
            if self._idle_anchor_ns is not None:
                start = max(now_ns, self._idle_grid_at_or_after(now_ns))
            self._idle_anchor_ns, self._idle_k, self._idle_period_ns = start, 0, period
        horizon_ns = now_ns + self.lookahead_ns + self._max_latency_ns
        if until_ns is not None:
            horizon_ns = until_ns
        half = period / 2
        while True:
            at = self._idle_anchor_ns + round(self._idle_k * period)
            if at > horizon_ns:
                return
            self._idle_k += 1
            for device in self.idle_devices:
                when = at - self.clock_latency_ns[device]
                if now_ns - when > half:  # a stall: skip, never a burst
                    self.stats.missed_clocks += 1
                    continue
                self._send(device, max(when, self._after_queued(device, now_ns) - 1), CLOCK_MSG)

    def _after_queued(self, device: str, now_ns: int) -> int:
        """A deadline after everything already handed to `device`, and not before now."""
        last = self._last_ns.get(device)
        return now_ns if last is None else max(now_ns, last + 1)

    def _send(self, device: str, when_ns: int, msg: Message) -> None:
        self.outputs[device].send(when_ns, msg)
        self.stats.sent += 1
        if when_ns > self._last_ns.get(device, -(2**62)):
            self._last_ns[device] = when_ns


def run(
    scheduler: Scheduler,
    now_ns: Callable[[], int],
    sleep_until: Callable[[int], None],
    *,
    interval_ns: int = 5_000_000,
    done: Callable[[], bool],
) -> None:
    """Pump `scheduler` every `interval_ns` until `done()`: the engine's loop and the
    offline twin's (with a fake `now_ns`/`sleep_until` that jumps time)."""
    while not done():
        now = now_ns()
        scheduler.pump(now)
        sleep_until(now + interval_ns)

"""A cue as the engine plays it: an Arrangement seen from a start point, through a
mute/solo timeline, with an end that a queued launch may bring forward.

Live control never edits events in flight (DESIGN.md): the scheduler keeps
asking "which events fall in ticks [a, b)?", and a `CueView` answers from the
compiled `Arrangement` with the live changes applied *by tick*:

- **Mutes and solos** are a timeline of operations, each from a tick on. An event
  at tick t passes when its track is audible at t; a track that falls silent at
  tick m gets explicit note-offs at m for the notes it was sounding (and their
  own note-offs later are dropped), a track that comes back at m starts with its
  next note-on (a note already under way is not started in the middle).
- **A start point** (`offset`): a section jump or a hot reload continues a cue
  from a bar. The view re-bases ticks, the tempo map and the sections so the
  scheduler sees a cue starting at tick 0, and *chases* the last program change
  and controller values before the start so the synths are in the right state.
- **An end** (`length_ticks`): a launch queued for tick B makes the view end at B;
  the scheduler's own end-of-cue handling (release what sounds just before the
  boundary, go on with the next arrangement on the very tick, no Start) then does
  the switch. Cancelling restores the natural end.

Every change is made at a tick the scheduler has not handed over yet (the engine
picks boundaries at or after `Scheduler.next_tick`), so a change lands exactly on
its boundary: nothing before it is touched, nothing after it is missed.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import defaultdict, deque
from collections.abc import Generator
from dataclasses import dataclass

from rig.song.arrangement import Arrangement, SectionSpan
from rig.song.events import ControlChange, Event, NoteOff, NoteOn, ProgramChange, sort_key
from rig.song.tempomap import TempoMap

__all__ = ["MuteState", "NotePairs", "CueView", "MUTE_OPS"]

MUTE_OPS = ("mute", "unmute", "solo", "unsolo")


@dataclass(frozen=True, slots=True)
class MuteState:
    """Which tracks are muted and soloed; a track is silent when muted, or when any
    track is soloed and it is not one of them."""

    muted: frozenset[str] = frozenset()
    soloed: frozenset[str] = frozenset()

    def silent(self, track: str) -> bool:
        return track in self.muted or (bool(self.soloed) and track not in self.soloed)

    def apply(self, op: str, track: str) -> MuteState:
        if op == "mute":
            return MuteState(self.muted | {track}, self.soloed)
        if op == "unmute":
            return MuteState(self.muted - {track}, self.soloed)
        if op == "solo":
            return MuteState(self.muted, self.soloed | {track})
        if op == "unsolo":
            return MuteState(self.muted, self.soloed - {track})
        raise ValueError(f"unknown mute operation '{op}'")


class NotePairs:
    """Each note of an arrangement as (on tick, off tick): built once per arrangement.

    Needed to know, for a note-off, whether its note-on was played, and, at a mute,
    which notes of a track are sounding. Notes of one (track, channel, pitch) pair up
    first-in, first-out.
    """

    def __init__(self, arrangement: Arrangement | None = None):
        self.notes: list[tuple[int, int, str, int, int]] = []
        self._on_of_off: dict[tuple[int, str, int, int], deque[int]] = defaultdict(deque)
        self._ons: list[int] = []
        self.longest = 0
        self.fill: NotePairs | None = None  # the pairs of the arrangement's fill variant
        if arrangement is not None:
            for _ in self._feed(arrangement, len(arrangement.events) + 1):
                pass
            if arrangement.fill_variant is not None:
                self.fill = NotePairs(arrangement.fill_variant)

    @classmethod
    def build_steps(
        cls, arrangement: Arrangement, step: int = 1024
    ) -> Generator[None, None, NotePairs]:
        """Build in steps of `step` events, yielding between them (the engine loop's
        hot reload does one step between pumps); returns the NotePairs (with the fill
        variant's, when the arrangement has one)."""
        pairs = cls()
        yield from pairs._feed(arrangement, step)
        if arrangement.fill_variant is not None:
            pairs.fill = cls()
            yield from pairs.fill._feed(arrangement.fill_variant, step)
        return pairs

    def _feed(self, arrangement: Arrangement, step: int) -> Generator[None, None, None]:
        open_notes: dict[tuple[str, int, int], deque[int]] = defaultdict(deque)
        notes = self.notes
        events = arrangement.events
        for start in range(0, len(events), step):
            for event in events[start : start + step]:
                if isinstance(event, NoteOn):
                    open_notes[(event.track, event.channel, event.note)].append(event.tick)
                elif isinstance(event, NoteOff):
                    key = (event.track, event.channel, event.note)
                    if open_notes[key]:
                        on = open_notes[key].popleft()
                        notes.append((on, event.tick, *key))
                        self._on_of_off[(event.tick, *key)].append(on)
            yield
        notes.sort()
        self._ons = [n[0] for n in notes]
        self.longest = max((off - on for on, off, *_ in notes), default=0)

    def on_tick(self, off: NoteOff) -> int | None:
        """Tick of the note-on this note-off ends (the earliest, if several)."""
        ons = self._on_of_off.get((off.tick, off.track, off.channel, off.note))
        return ons[0] if ons else None

    def sounding_at(self, tick: int) -> list[tuple[int, int, str, int, int]]:
        """Notes with on < tick <= off (still sounding when `tick` begins)."""
        lo = bisect.bisect_left(self._ons, tick - self.longest)
        hi = bisect.bisect_left(self._ons, tick)
        return [n for n in self.notes[lo:hi] if n[1] >= tick]


def _shift(event: Event, by: int) -> Event:
    if not by:
        return event
    changes: dict[str, int] = {"tick": event.tick - by}
    until = getattr(event, "until_tick", None)
    if until is not None:
        changes["until_tick"] = until - by
    return dataclasses.replace(event, **changes)  # type: ignore[arg-type]


def _chase(arrangement: Arrangement, offset: int) -> list[Event]:
    """The program and controller state at `offset`, re-sent at tick 0 of a view."""
    if offset <= 0:
        return []
    last: dict[tuple, Event] = {}
    for event in arrangement.query_ticks(0, offset):
        if isinstance(event, ProgramChange):
            last[("pc", event.track, event.channel)] = event
        elif isinstance(event, ControlChange):
            last[("cc", event.track, event.channel, event.control)] = event
    return sorted((dataclasses.replace(e, tick=0) for e in last.values()), key=sort_key)


class CueView:
    """`base` from tick `offset` on, through a mute timeline (see module doc).

    Quacks like an `Arrangement` for the scheduler and the status: `name`, `tempo`,
    `sections`, `tracks`, `length_ticks`, `query_ticks`, `bar_tick`, `section_at`.
    """

    def __init__(
        self,
        base: Arrangement,
        *,
        index: int = 0,
        offset: int = 0,
        state: MuteState | None = None,
        pairs: NotePairs | None = None,
    ):
        self.base = base
        self.index = index  # the cue's place in the set
        self.offset = offset
        self.name = base.name
        self.source = base.source
        self.key = base.key
        self.tracks = base.tracks
        self.tempo: TempoMap = base.tempo if offset == 0 else base.tempo.shifted(offset)
        self.sections = tuple(
            dataclasses.replace(s, start_tick=s.start_tick - offset, end_tick=s.end_tick - offset)
            for s in base.sections
            if s.end_tick > offset
        )
        self.natural_length = max(0, base.length_ticks - offset)
        self.length_ticks = self.natural_length
        self.pairs = pairs if pairs is not None else NotePairs(base)
        self._chased = _chase(base, offset)
        # The live fill control: spans [start, end) of view ticks (end None: held) where
        # notes come from the arrangement's fill variant (rig.song: `{fill}` conditions on).
        self.fill_base = base.fill_variant
        self.fill_pairs = self.pairs.fill
        if self.fill_base is not None and self.fill_pairs is None:
            self.fill_pairs = self.pairs.fill = NotePairs(self.fill_base)
        self.fills: list[tuple[int, int | None]] = []
        self._initial = state or MuteState()
        self._ops: list[tuple[int, int, str, str]] = []  # (tick, seq, op, track)
        self._ticks: list[int] = [0]
        self._states: list[MuteState] = [self._initial]

    # -- the scheduler's question ----------------------------------------------------
    def query_ticks(self, tick_from: int, tick_to: int) -> list[Event]:
        off = self.offset
        out: list[Event] = []
        if tick_from <= 0 < tick_to:
            out += [e for e in self._chased if not self.state_at(0).silent(e.track)]
        filling = self.fill_base is not None and bool(self.fills)
        self._take(out, self.base, self.pairs, False if filling else None, tick_from, tick_to)
        if filling:
            assert self.fill_base is not None and self.fill_pairs is not None
            self._take(out, self.fill_base, self.fill_pairs, True, tick_from, tick_to)
        out += self._mute_offs(tick_from, tick_to)
        if off or len(self._ticks) > 1 or filling:
            out.sort(key=sort_key)
        return out

    def next_due(self, tick: int) -> int:
        """A view tick at or after `tick` before which `query_ticks` from `tick` on returns
        nothing and the view does not end: the first event of either version, a mute
        change, the end. A lower bound (a muted event counts): the frame loop pumps no
        later than that (`rig.engine.cycle`), and a pump before it hands over nothing."""
        due = self.length_ticks
        if tick <= 0 < due and self._chased:
            return 0
        off = self.offset
        for source in (self.base, self.fill_base):
            if source is not None:
                first = source.first_tick_from(tick + off)
                if first is not None and first - off < due:
                    due = first - off
        i = bisect.bisect_left(self._ticks, max(1, tick))
        if i < len(self._ticks) and self._ticks[i] < due:
            due = self._ticks[i]
        return due

    def _take(
        self,
        out: list[Event],
        source: Arrangement,
        pairs: NotePairs,
        fill: bool | None,
        tick_from: int,
        tick_to: int,
    ) -> None:
        """`source`'s events in the window, through the mutes; `fill` True/False: only
        what belongs to that state of the fill control (a note by its note-on's tick,
        so each note-off comes from the version that struck the note); None: all."""
        off = self.offset
        for event in source.query_ticks(tick_from + off, tick_to + off):
            tick = event.tick - off
            track = getattr(event, "track", None)
            if isinstance(event, NoteOff):
                on = pairs.on_tick(event)
                if on is None or (fill is not None and self.fill_at(on - off) != fill):
                    continue  # never struck (or struck by the other version)
                if not self._audible(event.track, on - off, tick):
                    continue  # a mute ended it
            elif fill is not None and self.fill_at(tick) != fill:
                continue
            elif track is not None and self.state_at(tick).silent(track):
                continue
            out.append(_shift(event, off))

    # -- the live fill control ---------------------------------------------------------
    def fill_at(self, tick: int) -> bool:
        """Is the fill control on at view tick `tick`?"""
        return any(start <= tick and (end is None or tick < end) for start, end in self.fills)

    def add_fill(self, start: int, end: int | None) -> None:
        """Fill on from `start` to `end` (None: until `release_fill`)."""
        self.fills.append((max(0, start), end))

    def release_fill(self, at: int) -> None:
        """End the held fill (spans with no end) at tick `at`."""
        self.fills = [(s, max(s, at) if e is None else e) for s, e in self.fills]

    def _audible(self, track: str, start: int, end: int) -> bool:
        """True when `track` is audible at every tick of [start, end]."""
        if start < 0 or self.state_at(start).silent(track):
            return False
        lo = bisect.bisect_right(self._ticks, start)
        hi = bisect.bisect_right(self._ticks, end)
        return not any(self._states[i].silent(track) for i in range(lo, hi))

    def _mute_offs(self, tick_from: int, tick_to: int) -> list[Event]:
        """Note-offs at each tick in the window where a track falls silent."""
        out: list[Event] = []
        lo = bisect.bisect_left(self._ticks, max(1, tick_from))
        hi = bisect.bisect_left(self._ticks, tick_to)
        for i in range(lo, hi):
            tick, before, after = self._ticks[i], self._states[i - 1], self._states[i]
            falling = {t.name for t in self.tracks if after.silent(t.name)}
            falling = {t for t in falling if not before.silent(t)}
            if not falling:
                continue
            for on, _off, track, channel, note in self._sounding(tick):
                if track in falling and self._audible(track, on - self.offset, tick - 1):
                    out.append(NoteOff(tick, track, channel, note))
        return out

    def _sounding(self, tick: int) -> list[tuple[int, int, str, int, int]]:
        """Notes struck and still sounding when view tick `tick` begins (from either
        version while the fill control was used)."""
        at = tick + self.offset
        if self.fill_pairs is None or not self.fills:
            return self.pairs.sounding_at(at)
        base = [n for n in self.pairs.sounding_at(at) if not self.fill_at(n[0] - self.offset)]
        fill = [n for n in self.fill_pairs.sounding_at(at) if self.fill_at(n[0] - self.offset)]
        return base + fill

    # -- the mute timeline -----------------------------------------------------------
    def state_at(self, tick: int) -> MuteState:
        return self._states[max(0, bisect.bisect_right(self._ticks, tick) - 1)]

    @property
    def final_state(self) -> MuteState:
        return self._states[-1]

    def add(self, tick: int, op: str, track: str) -> None:
        """From `tick` on, apply `op` ("mute", "unmute", "solo", "unsolo") to `track`."""
        if op not in MUTE_OPS:
            raise ValueError(f"unknown mute operation '{op}'")
        self._ops.append((max(0, tick), len(self._ops), op, track))
        self._ops.sort()
        ticks, states = [0], [self._initial]
        for at, _seq, what, name in self._ops:
            state = states[-1].apply(what, name)
            if at == ticks[-1]:
                states[-1] = state
            else:
                ticks.append(at)
                states.append(state)
        self._ticks, self._states = ticks, states

    def pending(self, after_tick: int) -> list[tuple[int, str, str]]:
        """Operations that take effect after `after_tick`: (tick, op, track)."""
        return [(t, op, name) for t, _s, op, name in self._ops if t > after_tick]

    def carry(self, at_tick: int) -> tuple[MuteState, list[tuple[int, str, str]]]:
        """The state at `at_tick` and the operations after it, re-based to start there
        (what the next view of a switch at `at_tick` inherits)."""
        later = [(t - at_tick, op, name) for t, op, name in self.pending(at_tick)]
        return self.state_at(at_tick), later

    # -- launches ----------------------------------------------------------------------
    def end_at(self, tick: int) -> None:
        self.length_ticks = max(0, min(tick, self.natural_length))

    def restore_end(self) -> None:
        self.length_ticks = self.natural_length

    # -- Arrangement-like helpers ------------------------------------------------------
    def bar_tick(self, bar: int) -> int:
        return self.base.bar_tick(bar) - self.offset

    def section_at(self, tick: int) -> SectionSpan | None:
        for span in self.sections:
            if span.start_tick <= tick < span.end_tick:
                return span
        return None

    @property
    def length_bars(self) -> int:
        return self.base.length_bars

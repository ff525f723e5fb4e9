"""Sync sources: who decides where the beat is — the rig itself, a MIDI clock master,
an Ableton Link session, or incoming MIDI timecode.

The engine talks to every external source through one small interface, `SyncSource`:
"which song beat is it at time t", "when does song beat b fall", the followed tempo,
transport changes to act on, and a `SyncStatus` for the UI. Time is nanoseconds on
the engine's timeline (monotonic, or JACK frame time converted by the engine), so
the same source serves the current engine and the frame timeline.

- `MidiSource` wraps `rig.timing.follow.ClockFollower` (its beats are song beats);
- `LinkSource` wraps `rig.timing.link.LinkSession` and keeps the *origin*: the session
  bar line where song beat 0 lies, set when either side starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rig.config.sync import SOURCES
from rig.midi.wire import CLOCKS_PER_BEAT
from rig.song.events import PPQ
from rig.song.tempomap import TempoMap
from rig.timing.follow import ClockFollower, Transport
from rig.timing.link import LinkSession
from rig.timing.mtc import MtcReader

__all__ = ["SOURCES", "SyncSource", "SyncStatus", "MidiSource", "LinkSource", "MtcSource"]


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the UI shows about sync: does it hold?"""

    source: str = "internal"
    bpm: float = 0.0  # the source's tempo (0 until known)
    jitter_ms: float = 0.0  # RMS of the input's arrival jitter (MIDI clock)
    phase_ms: float = 0.0  # the last input's distance from the followed grid
    lost: bool = False  # the master went silent: the flywheel runs on
    peers: int = 0  # Link peers
    error: str = ""
    bar_phase: float = 0.0  # Link: where in the quantum the session is (beats)

    def line(self) -> str:
        """One line for the terminal UI."""
        if self.source == "internal":
            return "sync: internal"
        parts = [f"sync: {self.source}", f"{self.bpm:.2f} BPM" if self.bpm else "no tempo yet"]
        if self.source == "link":
            parts.append(f"{self.peers} peer{'s' if self.peers != 1 else ''}")
            parts.append(f"bar phase {self.bar_phase:.2f}")
        if self.source == "midi":
            parts.append(f"jitter {self.jitter_ms:.2f} ms, phase {self.phase_ms:+.2f} ms")
        if self.lost:
            parts.append("MASTER LOST (flywheel)")
        if self.error:
            parts.append(self.error)
        return " · ".join(parts)


class SyncSource(Protocol):
    """An external clock the engine follows."""

    name: str

    def beat_at(self, ns: float) -> float: ...

    def ns_at(self, beat: float) -> float: ...

    @property
    def bpm(self) -> float: ...

    def take(self, now_ns: int) -> list[Transport]: ...

    def status(self, now_ns: int) -> SyncStatus: ...


class MidiSource:
    """MIDI clock in: the engine feeds the bytes from its clock port.

    The follower's fitted line moves with every stamp, and jumps on a relock (a tempo
    change). The output does not jump with it: a change at stamp time t0 leaves the
    output where it was (the difference c0, in clocks, between the old and the new
    line at t0) and slews it onto the new line linearly over `slew_beats` — longer
    for a large correction: over at least 2·|c0| clocks, so the output's rate stays
    between ½ and 1½ of the tempo. So the output's beat never runs backwards and
    never jumps forwards — no beat played twice, no catch-up burst of clock ticks —
    and it is on the master's line one slew after the change: a quarter beat after a
    relock and while the fit is young (under two beats), a beat once it is full (the
    stamp-to-stamp moves of the line are input jitter, averaged out); a quick slew
    under way still ends when it was due (restarted on every stamp it never would).
    `rig bench sync` prints the figures (tests/live/test_sync.py holds them).
    """

    name = "midi"

    def __init__(
        self,
        follower: ClockFollower | None = None,
        slew_beats: float = 0.25,
        steady_beats: float = 1.0,
    ):
        self.follower = follower or ClockFollower()
        self.slew_clocks = slew_beats * CLOCKS_PER_BEAT
        self.steady_clocks = steady_beats * CLOCKS_PER_BEAT
        self._slew: tuple[float, float, float] | None = None  # (t0 ns, c0 clocks, span ns)

    def feed(self, data: bytes, at_ns: int) -> None:
        f = self.follower
        before = self._out_clock(at_ns) if f.locked else None
        relocks = f.relocks
        f.feed(data, at_ns)
        if before is None or not f.locked:
            self._slew = None
            return
        c0 = before - f.clock_at(at_ns)
        period = f.period_ns
        # A relock (the master moved) and a young fit slew fast; a full fit's small
        # moves from stamp to stamp (input jitter) over `steady_clocks`, where they
        # average out.
        quick = f.relocks != relocks or f.fit_size < 2 * CLOCKS_PER_BEAT
        slew = (self.slew_clocks if quick else max(self.slew_clocks, self.steady_clocks)) * period
        if quick and self._slew is not None and self._slew[0] + self._slew[2] > at_ns:
            # A quick slew under way ends no later than it was due: restarted on every
            # stamp it would only ever cover a share of the way (a relock's correction
            # still ~0.3 ms off a beat later, on a line already right to 0.01 ms). A
            # full fit's slews restart: an average of its jitter-sized moves.
            slew = min(slew, self._slew[0] + self._slew[2] - at_ns)
        span = max(slew, 2.0 * abs(c0) * period)
        self._slew = (float(at_ns), c0, span) if c0 else None

    def xrun(self, from_ns: int, to_ns: int) -> None:
        """The server stalled from `from_ns` to `to_ns`: clocks stamped then are late by
        the stall, not the master's (`ClockFollower.xrun`)."""
        self.follower.xrun(from_ns, to_ns)

    def _out_clock(self, ns: float) -> float:
        """The output's clock number at `ns`: the line plus the fading correction."""
        f = self.follower
        k = f.clock_at(ns)
        if self._slew is not None:
            t0, c0, span = self._slew
            if ns < t0 + span:
                k += c0 * (1.0 - (ns - t0) / span)
        return k

    def _ns_of_out(self, k: float) -> float:
        f = self.follower
        t = f.ns_of_clock(k)
        if self._slew is None:
            return t
        t0, c0, span = self._slew
        if t >= t0 + span:
            return t
        slope = 1.0 / f.period_ns - c0 / span  # clocks per ns in the slew (> 0)
        return t0 + (k - f.clock_at(t0) - c0) / slope

    def beat_at(self, ns: float) -> float:
        f = self.follower
        if not f.locked:
            return f.beat_at(ns)
        return f.beat_of_clock(self._out_clock(ns))

    def ns_at(self, beat: float) -> float:
        f = self.follower
        if not f.locked:
            return f.ns_at(beat)
        return self._ns_of_out(f.clock_of_beat(beat))

    @property
    def bpm(self) -> float:
        return self.follower.bpm

    def take(self, now_ns: int) -> list[Transport]:
        return self.follower.take()

    def status(self, now_ns: int) -> SyncStatus:
        f = self.follower
        error = f.error or (f"{f.garbage} stray bytes ignored" if f.garbage else "")
        return SyncStatus("midi", f.bpm, f.jitter_ms, f.phase_ms(), f.lost(now_ns), 0, error)


class LinkSource:
    """Ableton Link: song beat = session beat − origin (a bar line of the session)."""

    name = "link"

    def __init__(self, session: LinkSession):
        self.session = session
        self.origin = 0.0

    def beat_at(self, ns: float) -> float:
        return self.session.beat_at(ns) - self.origin

    def ns_at(self, beat: float) -> float:
        return self.session.ns_at(beat + self.origin)

    @property
    def bpm(self) -> float:
        return self.session.bpm

    def start_at(self, now_ns: int, from_beat: float = 0.0) -> int:
        """The rig starts: song beat `from_beat` on the next session bar line; start the
        session too (peers with start/stop sync follow). Returns that bar line's time."""
        q = self.session.quantum
        bar = -(-self.session.beat_at(now_ns) // q) * q
        self.origin = bar - from_beat
        at = round(self.session.ns_at(bar))
        self.session.start(now_ns)
        self.session.poll(now_ns)  # our own start is no news to us
        return at

    def stop(self, now_ns: int) -> None:
        self.session.stop(now_ns)
        self.session.poll(now_ns)  # our own stop is no news to us

    def take(self, now_ns: int) -> list[Transport]:
        """A session start (from a peer) plays from the top on its bar line."""
        events = self.session.poll(now_ns)
        for event in events:
            if event.kind == "start":
                self.origin = event.beat
        return [Transport(e.kind, e.at_ns, 0.0) for e in events]

    def status(self, now_ns: int) -> SyncStatus:
        s = self.session
        phase = s.phase_at(now_ns)
        return SyncStatus("link", s.bpm, peers=s.peers, error=s.error, bar_phase=phase)


class MtcSource:
    """Chase incoming MIDI timecode: the song position is the timecode minus `base_s`
    (where the cue starts, 01:00:00:00 by default), turned into beats through the
    current cue's tempo map (`tempo()`, asked each time: a cue change is seen).

    Quarter frames starting to run = play from there (on the next 16th, so the
    scheduler's SPP-exact start holds); a jump of the timecode = locate; quarter
    frames ceasing for two frames = stop.

    Cues spotted to picture (songs' `timecode:`): `place(seconds, fps)` says which cue
    of the set the timecode falls in — (cue index, where its bar 1 lies in timecode
    seconds, its tempo map), None before the first — and the chase plays that cue from
    there (the start's Transport names the cue; the engine selects it first). When
    the timecode runs on into the next spotted cue, or jumps to another, the chase
    stops and starts again in that cue at its timecode.
    """

    name = "mtc"

    def __init__(
        self,
        tempo: Callable[[], TempoMap],
        base_s: float = 3600.0,
        lead_ns: int = 20_000_000,
        place: Callable[[float, int], tuple[int, float, TempoMap] | None] | None = None,
    ):
        self.reader = MtcReader()
        self.tempo = tempo
        self.base_s = base_s
        self.lead_ns = lead_ns  # how far ahead a chase start is placed (beyond the lookahead)
        self.place = place
        self.cue = -1  # the spotted cue being chased (-1: the engine's current one)
        self._cue_tempo: TempoMap | None = None
        self.playing = False
        self._locates = 0

    def feed(self, data: bytes, at_ns: int) -> None:
        self.reader.feed(data, at_ns)

    def _tempo(self) -> TempoMap:
        return self._cue_tempo if self._cue_tempo is not None else self.tempo()

    def beat_at(self, ns: float) -> float:
        seconds = self.reader.seconds_at(int(ns)) - self.base_s
        return self._tempo().tick_at(max(0.0, seconds)) / PPQ

    def ns_at(self, beat: float) -> float:
        return self.reader.ns_at(self.base_s + self._tempo().seconds_at(beat * PPQ))

    @property
    def bpm(self) -> float:
        return self._tempo().bpm_at(0)

    def _placed(self, seconds: float) -> bool:
        """Follow the spotted cue `seconds` falls in; False before the first one."""
        if self.place is None:
            return seconds >= self.base_s
        got = self.place(seconds, self.reader.fps)
        if got is None:
            return False
        self.cue, self.base_s, self._cue_tempo = got
        return True

    def take(self, now_ns: int) -> list[Transport]:
        reader = self.reader
        running = reader.running(now_ns)
        jumped = len(reader.locates) != self._locates
        self._locates = len(reader.locates)
        events: list[Transport] = []
        if self.playing and running and self.place is not None and not jumped:
            got = self.place(reader.seconds_at(now_ns), reader.fps)
            jumped = got is None or got[0] != self.cue  # ran on into another spotted cue
        if self.playing and (not running or jumped):
            self.playing = False
            events.append(Transport("stop", now_ns, 0.0))
        if running and not self.playing and self._placed(reader.seconds_at(now_ns)):
            ahead = self.beat_at(now_ns + self.lead_ns)
            beat = math.ceil(ahead * 4) / 4  # the next 16th
            self.playing = True
            events.append(Transport("continue", round(self.ns_at(beat)), beat, self.cue))
        return events

    def status(self, now_ns: int) -> SyncStatus:
        lost = self.playing and not self.reader.running(now_ns)
        error = f"{self.reader.errors} broken quarter-frame runs" if self.reader.errors else ""
        return SyncStatus("mtc", self.bpm, lost=lost, error=error)

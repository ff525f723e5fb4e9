"""The engine follows a sync source: a clock that asks the source where the beat is,
and a driver that turns the source's Start/Stop/Continue/SPP into transport calls.

`FollowClock` is the engine's clock (an `InternalClock` while the source is
internal). Following, it maps the current view's tick t to the source's song beat
``(t + offset) / PPQ`` and back, so everything the scheduler times — notes, MIDI
clock out to the devices with `clock: true` (the pass-through), quantized launches
— lands where the source says the beat is. `offset` is fixed when the scheduler
starts the clock: from the source's own beat (`anchor`) on a Start/Continue, or
from the beat at the boundary when a cue runs on into the next.

`SyncDriver` owns the source (chosen by `sync: {source: ...}`, switched by
`/rig/sync SOURCE` while stopped), acts on its transport changes on every pump,
and reports the status fields the UI shows. The engine loop calls `pump(now_ns)`
before `Engine.pump`, and hands it the bytes of the sync input port (`feed`).

Time is whatever the engine's timeline is (monotonic ns today; JACK frame time
converted to ns on the frame timeline): the sources only need it to be one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rig.config.sync import SOURCES
from rig.engine.transport import Engine
from rig.song.events import PPQ
from rig.song.tempomap import TempoMap
from rig.timing.clock import InternalClock
from rig.timing.follow import Transport
from rig.timing.source import LinkSource, MidiSource, MtcSource, SyncSource, SyncStatus

__all__ = ["FollowClock", "SyncDriver"]


class FollowClock(InternalClock):
    """An `InternalClock` that, given a source, takes beat and tempo from it."""

    def __init__(self, tempo: TempoMap):
        super().__init__(tempo)
        self.source: SyncSource | None = None
        self.anchor: float | None = None  # the source's song beat the next start is at
        self._offset = 0.0  # ticks: view tick t is source beat (t + offset) / PPQ
        self.starts = 0  # counts start(): a (re)start of the timeline, not a tempo change

    def start(self, tick: int, at_ns: int, tempo: TempoMap | None = None) -> None:
        self.starts += 1
        if self.source is None:
            super().start(tick, at_ns, tempo)
            return
        if tempo is not None:
            self._tempo = tempo  # kept for when the source goes back to internal
        beat = self.anchor if self.anchor is not None else self.source.beat_at(at_ns)
        self.anchor = None
        self._offset = round(beat * PPQ) - tick
        self._running = True
        self._revision += 1

    def set_tempo(self, tempo: TempoMap, at_tick: int) -> None:
        if self.source is None:
            super().set_tempo(tempo, at_tick)
        else:
            self._tempo = tempo  # the song's tempo waits; the source's rules

    def set_bpm(self, bpm: float, at_tick: int) -> None:
        """Internal: the `/rig/tempo` override. Link: propose the tempo to the session
        (every peer follows). MIDI/MTC: the master's tempo rules — a clear error."""
        if self.source is None:
            super().set_bpm(bpm, at_tick)
        elif isinstance(self.source, LinkSource):
            self.source.session.propose_tempo(bpm, int(self.ns_at(max(0, at_tick))))
        else:
            raise ValueError(f"the tempo follows the {self.source.name} master")

    def ns_at(self, tick: float) -> int:
        if self.source is None:
            return super().ns_at(tick)
        return round(self.source.ns_at((tick + self._offset) / PPQ))

    def tick_at(self, ns: int) -> float:
        if self.source is None:
            return super().tick_at(ns)
        return self.source.beat_at(ns) * PPQ - self._offset

    def bpm_at(self, tick: float) -> float:
        if self.source is None:
            return super().bpm_at(tick)
        return self.source.bpm or super().bpm_at(tick)


class SyncDriver:
    """Keeps the engine on its sync source (see module doc)."""

    def __init__(
        self,
        engine: Engine,
        clock: FollowClock,
        *,
        make_link: Callable[[float], LinkSource] | None = None,
    ):
        """`make_link(bpm)` joins a Link session (the composition root passes it, so
        tests and machines without the binding never open one by accident)."""
        self.engine = engine
        self.clock = clock
        self.make_link = make_link
        self.source: SyncSource | None = None
        self.name = "internal"
        self.last_error = ""
        # The sync input port (rig.midi.sync_in.SyncInput, or anything with drain()
        # -> [(ns, bytes)] stamped on the engine's timeline); drained by pump().
        self.input: Any = None

    # -- choosing ----------------------------------------------------------------------
    def switch(self, name: str, now_ns: int) -> None:
        """Follow source `name` from now on; only while stopped (a switch mid-song
        would jump the beat under the music)."""
        if name not in SOURCES:
            raise ValueError(f"sync: unknown source '{name}' ({', '.join(SOURCES)})")
        if self.engine.scheduler.playing:
            raise ValueError("sync: stop first, then switch the sync source")
        if name == self.name:
            return
        self._close()
        if name == "internal":
            source: SyncSource | None = None
        elif name == "midi":
            source = MidiSource()
        elif name == "link":
            if self.make_link is None:
                raise ValueError("sync: Link is not available in this engine")
            source = self.make_link(self.clock.bpm_at(0))
        else:
            engine = self.engine
            source = MtcSource(
                lambda: engine.cues[engine.view.index].tempo,
                place=lambda s, fps: spotted(engine, s, fps),
            )
        self.source = source
        self.clock.source = source
        self.name = name

    def _close(self) -> None:
        if isinstance(self.source, LinkSource):
            self.source.session.close()
        self.source = None
        self.clock.source = None

    def close(self) -> None:
        self._close()
        self.name = "internal"

    # -- the loop --------------------------------------------------------------------
    def feed(self, data: bytes, at_ns: int) -> None:
        """Bytes from the sync input port, stamped on the engine's timeline."""
        if isinstance(self.source, MidiSource | MtcSource):
            self.source.feed(data, at_ns)

    def xrun(self, from_ns: int, to_ns: int) -> None:
        """The frame loop saw the server skip the frames from `from_ns` on (an xrun),
        before this pump: what the input stamped until `to_ns` came bunched (a MIDI
        clock master's F8s are then not fitted; the other sources need not know)."""
        if isinstance(self.source, MidiSource):
            self.source.xrun(from_ns, to_ns)

    def refresh(self) -> None:
        """Each round of the engine's command loop (not JACK's process callback): a Link
        session followed on JACK's frames is read here (`LinkSession.realtime`)."""
        if isinstance(self.source, LinkSource) and not self.source.session.live:
            self.source.session.capture()

    def pump(self, now_ns: int) -> None:
        """Take the input's bytes and act on the source's transport changes (before
        `Engine.pump`, in the same thread: the engine loop, or JACK's process cycle on
        the frame timeline)."""
        if self.input is not None:
            for at, data in self.input.drain():
                self.feed(data, at)
        if self.source is None:
            return
        for event in self.source.take(now_ns):
            try:
                self._apply(event, now_ns)
            except ValueError as exc:  # e.g. an SPP beyond the song
                self.last_error = str(exc)
                self.engine.last_error = self.last_error

    def _apply(self, event: Transport, now_ns: int) -> None:
        engine = self.engine
        if event.kind == "stop":
            if engine.scheduler.playing:  # nothing starts after the master's Stop
                engine.stop(now_ns, at_ns=max(now_ns, event.at_ns))
            return
        if event.cue >= 0 and event.cue != engine.view.index and not engine.scheduler.playing:
            engine.cue(now_ns, event.cue)  # chasing MTC: the cue spotted at that timecode
        tick = round(event.beat * PPQ)
        cue = engine.cues[engine.view.index]
        if tick > cue.length_ticks:
            raise ValueError(
                f"sync: the master's song position (beat {event.beat:g}) is beyond "
                f"'{cue.name}' ({cue.length_ticks / PPQ:g} beats); staying put"
            )
        if event.kind == "locate":
            if not engine.scheduler.playing:
                engine.position_tick = tick
            return
        self.clock.anchor = event.beat
        if event.kind == "start":
            engine.play(now_ns, at_ns=event.at_ns)
        else:  # continue: from the master's song position
            engine.position_tick = tick
            engine.cont(now_ns, at_ns=event.at_ns)

    # -- the performer's transport while following ---------------------------------------
    def handle(self, verb: str, now_ns: int) -> bool:
        """A transport command from OSC/UI while following: True if handled here.

        MIDI/MTC: the master runs the transport — play/continue/locate are refused
        (stop is allowed: the rig stops locally and waits for the master's next Start).
        Link: play/continue start the session too, on its next bar line; stop stops it.
        """
        if self.source is None:
            return False
        engine = self.engine
        if isinstance(self.source, LinkSource):
            if verb in ("play", "continue"):
                from_beat = 0.0 if verb == "play" else engine.position_tick / PPQ
                at = self.source.start_at(now_ns, from_beat)
                self.clock.anchor = from_beat
                if verb == "play":
                    engine.play(now_ns, at_ns=at)
                else:
                    engine.cont(now_ns, at_ns=at)
                return True
            if verb == "stop":
                engine.stop(now_ns)
                self.source.stop(now_ns)
                return True
            return False
        if verb in ("play", "continue", "locate"):
            raise ValueError(
                f"the {self.name} master runs the transport: start it there (or /rig/sync internal)"
            )
        return False

    # -- status ----------------------------------------------------------------------
    def status(self, now_ns: int) -> SyncStatus:
        if self.source is None:
            return SyncStatus("internal", self.clock.bpm_at(0), error=self.last_error)
        got = self.source.status(now_ns)
        if self.last_error and not got.error:
            return SyncStatus(
                got.source,
                got.bpm,
                got.jitter_ms,
                got.phase_ms,
                got.lost,
                got.peers,
                self.last_error,
                got.bar_phase,
            )
        return got


def spotted(engine: Engine, seconds: float, fps: int) -> tuple[int, float, TempoMap] | None:
    """The cue of `engine`'s set that timecode `seconds` (at `fps`) falls in: (index,
    its bar 1 in timecode seconds, its tempo map) — each spotted cue (`timecode:` in
    its song) runs until the next one's timecode. None before the first. A set with no
    spotted cue: the current cue, bar 1 at 01:00:00:00."""
    from rig.timing.mtc import Timecode

    spots = sorted(
        (float(Timecode(t.hours, t.minutes, t.seconds, t.frames, 2997 if t.drop else fps)
               .seconds_total), i)
        for i, cue in enumerate(engine.cues)
        if (t := getattr(cue, "timecode", None)) is not None
    )  # fmt: skip
    if not spots:
        index = engine.view.index
        return (index, 3600.0, engine.cues[index].tempo) if seconds >= 3600.0 else None
    placed = None
    for start, index in spots:
        cue = engine.cues[index]
        start -= _count_in_seconds(cue)  # the timecode spots bar 1: a count-in runs before
        if start > seconds + 1e-9:
            break
        placed = (index, start, cue.tempo)
    return placed


def _count_in_seconds(cue) -> float:
    """How long the count-in a set put before `cue` lasts (0.0 without one)."""
    from rig.song.transitions import COUNT_IN

    first = cue.sections[0] if cue.sections else None
    if first is None or getattr(first, "name", None) != COUNT_IN:
        return 0.0
    return float(cue.tempo.seconds_at(first.end_tick))

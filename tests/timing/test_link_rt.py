"""LinkSession on JACK's frames: nothing it answers in the process callback calls the
binding's `captureSessionState` — Link's `captureAppSessionState`, which is not
real-time safe (include/ableton/Link.hpp; it locks the mutex Link's own thread
updates the state under). A fake binding here does what Link's SessionState does for
one captured state (a timeline, phase-encoded for the quantum as
include/ableton/link/Phase.hpp encodes it), so the captured line is checked against
Link's own arithmetic, and it counts the captures. No network: never a real Link
session outside a private namespace (tests/timing/test_link.py)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from rig.timing.link import LinkSession


def phase(beats: float, quantum: float) -> float:
    return beats % quantum


def closest_phase_match(x: float, target: float, quantum: float) -> float:
    x = x - quantum / 2  # Phase.hpp: nextPhaseMatch(x - quantum / 2, target, quantum)
    return x + (phase(target, quantum) - phase(x, quantum) + quantum) % quantum


class FakeState:
    """Link's SessionState for one timeline (tempo, beat origin, time origin µs)."""

    def __init__(self, tempo: float, beat_origin: float, time_origin: int, playing: bool):
        self.t, self.bo, self.to, self.playing = tempo, beat_origin, time_origin, playing

    def tempo(self) -> float:
        return self.t

    def isPlaying(self) -> bool:
        return self.playing

    def timeForIsPlaying(self) -> int:
        return self.to + 1_000_000

    def _beats(self, micros: float) -> float:
        return self.bo + (micros - self.to) * self.t / 60e6

    def beatAtTime(self, micros: float, quantum: float) -> float:
        beat = self._beats(micros)
        return closest_phase_match(beat, beat - self.bo, quantum)

    def timeAtBeat(self, beat: float, quantum: float) -> float:  # by bisection
        lo, hi = self.to - 10**10, self.to + 10**10
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.beatAtTime(mid, quantum) < beat else (lo, mid)
        return lo

    def setTempo(self, tempo: float, micros: int) -> None:
        self.bo, self.to, self.t = self._beats(micros), micros, tempo

    def setIsPlaying(self, playing: bool, micros: int) -> None:
        self.playing = playing


class FakeLink:
    captures = 0

    def __init__(self, bpm: float) -> None:
        self.state = FakeState(bpm, 1.3, 7_000_000, False)  # a session joined mid-bar
        self.now = 10_000_000
        self.enabled = False
        self.startStopSyncEnabled = False
        self.on_tempo = self.on_start_stop = None

    def clock(self):
        return SimpleNamespace(micros=lambda: self.now)

    def numPeers(self) -> int:
        return 1

    def captureSessionState(self) -> FakeState:
        FakeLink.captures += 1
        s = self.state
        return FakeState(s.t, s.bo, s.to, s.playing)

    def commitSessionState(self, state: FakeState) -> None:
        self.state = state

    def setTempoCallback(self, fn) -> None:
        self.on_tempo = fn

    def setStartStopCallback(self, fn) -> None:
        self.on_start_stop = fn


def session() -> tuple[LinkSession, FakeLink]:
    s = LinkSession(120.0, 4.0, binding=SimpleNamespace(Link=FakeLink), mono_ns=lambda: 0)
    return s, s._link


def test_the_captured_line_is_links_own_beat_at_time():
    s, link = session()
    state = link.state
    for micros in (10_000_000, 10_250_000, 11_900_000, 13_333_333):
        ns = s.host.to_mono(micros)
        assert s.beat_at(ns) == pytest.approx(state.beatAtTime(micros, 4.0), abs=1e-9)
        assert s.phase_at(ns) == pytest.approx(phase(state.beatAtTime(micros, 4.0), 4.0))
    for beat in (8.0, 9.5, 12.0):
        micros = state.timeAtBeat(beat, 4.0)
        assert s.host.to_link(s.ns_at(beat)) == pytest.approx(micros, abs=1.0)


def test_on_jacks_frames_the_reads_never_capture():
    s, link = session()
    s.realtime()
    before = FakeLink.captures
    for ns in range(0, 10**9, 10**7):
        s.beat_at(ns), s.ns_at(ns / 1e9), s.phase_at(ns), s.bpm, s.playing
        s.poll(ns)
    assert FakeLink.captures == before  # the process callback's reads: the captured line
    # a peer's tempo change: Link's callback thread captures, the reads follow
    link.state.setTempo(130.0, link.now)
    assert s.bpm == 120.0
    link.on_tempo(130.0)
    assert s.bpm == 130.0 and FakeLink.captures == before + 1
    # a peer's start: likewise, and the poll reports it on the session's next bar line
    link.state.setIsPlaying(True, link.now)
    link.on_start_stop(True)
    (start,) = s.poll(0)
    assert start.kind == "start" and start.beat % 4 == 0
    assert start.beat >= link.state.beatAtTime(link.state.timeForIsPlaying(), 4.0)
    assert not math.isnan(start.at_ns)
    # our own proposal: captured (on the command loop's thread) right after the commit
    s.propose_tempo(100.0, 0)
    assert s.bpm == 100.0

"""Ableton Link: join the session, follow and propose its tempo, bar phase, start/stop.

The binding is `linkpython-extern` (the `link` module; the optional extra
`rig[link]`): a thin pybind11 wrapper of Ableton's Link library, released into the
public domain itself but compiled with Link, which is GPL-2.0-or-later — see the
README, "Ableton Link", for what that means for distributing rig with it. Nothing
here imports it at module load: `load_link()` does, when a `sync: {source: link}`
asks for it, and says how to install it if it is missing.

Link keeps time on its own host clock (CLOCK_MONOTONIC_RAW on Linux, in µs), the
engine on its timeline (`time.monotonic_ns()`, or on JACK's frames the timeline ns of
JACK's `frame_time`: pass that reader as `mono_ns`). `HostClock` maps one onto the
other by sampling both (the tightest of a few reads) ten times a second and drawing
a least-squares line through the last 2 s of samples, so neither NTP slewing of
CLOCK_MONOTONIC nor the sound card's clock rate can pull the two apart, and a
frame-quantised reader averages out.

`LinkSession` answers in *session beats* (Link's timeline, aligned to `quantum`:
beat 0, 4, 8 … are bar lines for every peer with quantum 4). The engine plays the
song from a bar line of the session, so song beat = session beat − origin, with the
origin a multiple of the quantum (`rig.timing.source.LinkSource` keeps that).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from rig.timing.follow import MAX_BPM, MIN_BPM, Transport

__all__ = ["HostClock", "LinkMissing", "LinkSession", "load_link"]

_RESAMPLE_NS = 100_000_000
_JUMP_NS = 500_000  # a sample this far off the line: the timeline jumped


class LinkMissing(RuntimeError):
    """The Link binding is not installed."""


def load_link() -> ModuleType:
    """The `link` module of linkpython-extern, or LinkMissing saying how to get it."""
    try:
        import link  # type: ignore[import-not-found]
    except ImportError:
        raise LinkMissing(
            "sync source 'link' needs the Ableton Link binding: pip install 'rig[link]' "
            "(linkpython-extern; Link is GPL-2.0-or-later, see README 'Ableton Link')"
        ) from None
    return link


class HostClock:
    """The engine's timeline ns <-> Link host µs, by sampling both clocks.

    Each sample is the tightest of a few reads of (timeline, Link, timeline); the
    mapping is the least-squares line through the last `keep` samples (ten a second:
    the last 2 s), so a timeline that runs at another rate than Link's clock — JACK's
    frames, counted at the sound card's rate, or by a dummy server that falls behind
    under load (measured here: 47 070 frames a second at 48 kHz, drifting with the
    load) — is followed, and a reader quantised to a frame (20.8 µs at 48 kHz) is
    smoothed out; one sample alone gives an offset."""

    def __init__(self, link_micros: Callable[[], int], mono_ns: Callable[[], int], keep: int = 20):
        self._micros = link_micros
        self._mono = mono_ns
        self._samples: deque[tuple[int, int]] = deque(maxlen=keep)  # (timeline, link) ns
        self._line = (0, 0, 1.0)  # (timeline ns, link ns) of a point, link ns per ns
        self._sampled_at = -_RESAMPLE_NS * 2
        self.resample()

    def reset(self, mono_ns: Callable[[], int] | None = None) -> None:
        """Start again (on another timeline reader: the engine moved to JACK's frames)."""
        if mono_ns is not None:
            self._mono = mono_ns
        self._samples.clear()
        self._line = (0, 0, 1.0)
        self.resample()

    def resample(self) -> None:
        best: tuple[int, int, int] | None = None
        for _ in range(5):
            a = self._mono()
            micros = self._micros()
            b = self._mono()
            if best is None or b - a < best[0]:
                best = (b - a, (a + b) // 2, micros * 1000)
        assert best is not None
        x, y = best[1:]
        self._sampled_at = self._mono()
        x1, y1, slope = self._line
        if len(self._samples) >= 3 and abs(y1 + (x - x1) * slope - y) > _JUMP_NS:
            # The timeline jumped against Link's clock (a dummy server's frame counter
            # catching up after an xrun): start again from here at the same rate.
            self._samples.clear()
        self._samples.append((x, y))
        x0, y0 = self._samples[0]
        n = len(self._samples)
        xs = [x - x0 for x, _ in self._samples]
        ys = [y - y0 for _, y in self._samples]
        mx, my = sum(xs) / n, sum(ys) / n
        den = sum((x - mx) ** 2 for x in xs)
        rate = slope  # one sample: the rate so far (1.0 at first)
        if den:
            rate = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den
        if not 0.9 < rate < 1.1:  # (a reader that jumped: never a line this steep)
            self._samples.clear()
            self._samples.append((x, y))
            x0, y0, mx, my, rate = x, y, 0.0, 0.0, 1.0
        self._line = (x0 + mx, y0 + my, rate)

    def refresh(self, now_ns: int) -> None:
        if now_ns - self._sampled_at >= _RESAMPLE_NS:
            self.resample()

    def to_link(self, ns: float) -> int:
        """Link host time (µs) of timeline `ns`."""
        x, y, rate = self._line
        return round((y + (ns - x) * rate) / 1000)

    def to_mono(self, micros: float) -> float:
        x, y, rate = self._line
        return x + (micros * 1000 - y) / rate


@dataclass(frozen=True, slots=True)
class _Session:
    """What the engine reads of the session, captured at Link host time `m0` (µs):
    for one captured state, Link's beat at a time (`SessionState.beatAtTime`, phase
    encoded for the quantum) is the timeline's beat plus a constant, so a straight
    line — ``beat = b0 + (µs − m0) · tempo / 60e6`` — answers it, and its inverse
    `timeAtBeat`."""

    tempo: float
    playing: bool
    start_micros: int  # timeForIsPlaying
    m0: int
    b0: float


class LinkSession:
    """One Link peer: the session's tempo, beat/phase at a time, peers, start/stop.

    Real-time safety: the binding's `captureSessionState` is Link's
    `captureAppSessionState` (linkpython-extern 1.3, src/Link.cpp: both names bind
    `&Link::captureAppSessionState`; `captureAudioSessionState` is not bound). In
    Ableton Link's include/ableton/Link.hpp it is "Thread-safe: yes, Realtime-safe:
    no": it returns `ControllerClientState::get()` (include/ableton/link/
    SessionState.hpp), which locks the `std::mutex` Link's own thread takes to update
    the state — JACK's process callback could wait on Link's network thread. So the
    reads (`bpm`, `beat_at`, `ns_at`, `phase_at`, `poll`) answer from a captured
    `_Session`; while `live` (the deadline engine's own thread, the tests) every read
    captures first, as before. On JACK's frames (`realtime()`) the engine reads them
    in the process callback, and the capture runs elsewhere: in Link's callback thread
    on a tempo or start/stop change, after each of our own commits, and each round of
    the engine's command loop (`SyncDriver.refresh`: a session re-aligned without a
    tempo change, as when joining)."""

    def __init__(
        self,
        bpm: float,
        quantum: float = 4.0,
        *,
        binding: ModuleType | None = None,
        mono_ns: Callable[[], int] = time.monotonic_ns,
    ):
        if quantum <= 0:
            raise ValueError(f"Link quantum must be > 0 beats, not {quantum}")
        mod = binding if binding is not None else load_link()
        self.quantum = float(quantum)
        self._link: Any = mod.Link(float(bpm))
        self._link.enabled = True
        self._link.startStopSyncEnabled = True
        self.host = HostClock(lambda: self._link.clock().micros(), mono_ns)
        self._playing = False
        self.error = ""
        self.live = True
        self._session = self.capture()

    def close(self) -> None:
        """Leave the session (no thread of ours: Link's own stop with `enabled`)."""
        if not self.live:
            self._link.setTempoCallback(lambda bpm: None)
            self._link.setStartStopCallback(lambda playing: None)
        self._link.enabled = False

    def realtime(self) -> None:
        """The reads run in JACK's process callback from now on: they answer from the
        last capture, which Link's callbacks and `capture()` renew (class doc)."""
        self.live = False
        self._link.setTempoCallback(lambda bpm: self.capture())
        self._link.setStartStopCallback(lambda playing: self.capture())
        self.capture()

    def capture(self) -> _Session:
        """Read the session (never from JACK's process callback: see the class doc)."""
        state = self._link.captureSessionState()  # = captureAppSessionState
        m0 = int(self._link.clock().micros())
        self._session = _Session(
            float(state.tempo()),
            bool(state.isPlaying()),
            int(state.timeForIsPlaying()),
            m0,
            float(state.beatAtTime(m0, self.quantum)),
        )
        return self._session

    def _read(self) -> _Session:
        return self.capture() if self.live else self._session

    # -- reading ---------------------------------------------------------------------
    @property
    def peers(self) -> int:
        return int(self._link.numPeers())  # Link.hpp: "Realtime-safe: yes"

    @property
    def bpm(self) -> float:
        return self._read().tempo

    @property
    def playing(self) -> bool:
        return self._read().playing

    def _beat_of_micros(self, s: _Session, micros: float) -> float:
        return s.b0 + (micros - s.m0) * s.tempo / 60e6

    def _micros_of_beat(self, s: _Session, beat: float) -> float:
        return s.m0 + (beat - s.b0) * 60e6 / s.tempo

    def beat_at(self, ns: float) -> float:
        """The session beat at timeline `ns`."""
        return self._beat_of_micros(self._read(), self.host.to_link(ns))

    def ns_at(self, beat: float) -> float:
        return self.host.to_mono(self._micros_of_beat(self._read(), float(beat)))

    def phase_at(self, ns: float) -> float:
        """Where in the bar (0 .. quantum) the session is at `ns`."""
        return self.beat_at(ns) % self.quantum

    # -- proposing (commands: the engine's command loop, not JACK's callback) -----------
    def propose_tempo(self, bpm: float, at_ns: int) -> None:
        """Change the session's tempo from `at_ns` on (every peer follows)."""
        if not MIN_BPM <= bpm <= MAX_BPM:
            raise ValueError(f"tempo {bpm} BPM is outside {MIN_BPM:.0f}-{MAX_BPM:.0f} BPM")
        state = self._link.captureSessionState()
        state.setTempo(float(bpm), self.host.to_link(at_ns))
        self._link.commitSessionState(state)
        self.capture()

    def start(self, at_ns: int) -> None:
        """Start the session playing (peers with start/stop sync start too)."""
        state = self._link.captureSessionState()
        state.setIsPlaying(True, self.host.to_link(at_ns))
        self._link.commitSessionState(state)
        self.capture()

    def stop(self, at_ns: int) -> None:
        state = self._link.captureSessionState()
        state.setIsPlaying(False, self.host.to_link(at_ns))
        self._link.commitSessionState(state)
        self.capture()

    # -- the engine's poll -------------------------------------------------------------
    def poll(self, now_ns: int) -> list[Transport]:
        """Start/stop changes of the session since the last poll.

        A start takes effect on the first bar line (multiple of the quantum) at or
        after the session's start time: that is song beat 0.
        """
        self.host.refresh(now_ns)
        s = self._read()
        tempo = s.tempo
        self.error = (
            ""
            if MIN_BPM <= tempo <= MAX_BPM
            else f"Link session tempo {tempo:.0f} BPM is outside {MIN_BPM:.0f}-{MAX_BPM:.0f}"
        )
        if s.playing == self._playing:
            return []
        self._playing = s.playing
        if not s.playing:
            return [Transport("stop", now_ns, 0.0)]
        beat = self._beat_of_micros(s, s.start_micros)
        bar = -(-beat // self.quantum) * self.quantum  # the first bar line at or after
        return [Transport("start", round(self.host.to_mono(self._micros_of_beat(s, bar))), bar)]

"""Ableton Link: join the session, follow and propose its tempo, bar phase, start/stop.

The binding is `linkpython-extern` (the `link` module; the optional extra
`rig[link]`): a thin pybind11 wrapper of Ableton's Link library, released into the
public domain itself but compiled with Link, which is GPL-2.0-or-later — see the
README, "Ableton Link", for what that means for distributing rig with it. Nothing
here imports it at module load: `load_link()` does, when a `sync: {source: link}`
asks for it, and says how to install it if it is missing.

Link keeps time on its own host clock (CLOCK_MONOTONIC_RAW on Linux, in µs), the
engine on its timeline (`time.monotonic_ns()`, or JACK frame time as ns: pass that
reading as `mono_ns`). `HostClock` maps one onto the other by sampling both (the
tightest of a few reads) and re-samples every second, so neither NTP slewing of
CLOCK_MONOTONIC nor the sound card's clock can pull the two apart by more than a
few µs.

`LinkSession` answers in *session beats* (Link's timeline, aligned to `quantum`:
beat 0, 4, 8 … are bar lines for every peer with quantum 4). The engine plays the
song from a bar line of the session, so song beat = session beat − origin, with the
origin a multiple of the quantum (`rig.timing.source.LinkSource` keeps that).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from rig.timing.follow import MAX_BPM, MIN_BPM, Transport

__all__ = ["HostClock", "LinkMissing", "LinkSession", "load_link"]

_RESAMPLE_NS = 1_000_000_000


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
    """Monotonic ns <-> Link host µs, by sampling both clocks."""

    def __init__(self, link_micros: Callable[[], int], mono_ns: Callable[[], int]):
        self._micros = link_micros
        self._mono = mono_ns
        self._offset_ns = 0  # link_ns - mono_ns
        self._sampled_at = -_RESAMPLE_NS * 2
        self.resample()

    def resample(self) -> None:
        best: tuple[int, int] | None = None
        for _ in range(5):
            a = self._mono()
            micros = self._micros()
            b = self._mono()
            if best is None or b - a < best[0]:
                best = (b - a, micros * 1000 - (a + b) // 2)
        assert best is not None
        self._offset_ns = best[1]
        self._sampled_at = self._mono()

    def refresh(self, now_ns: int) -> None:
        if now_ns - self._sampled_at >= _RESAMPLE_NS:
            self.resample()

    def to_link(self, ns: float) -> int:
        """Link host time (µs) of monotonic `ns`."""
        return round((ns + self._offset_ns) / 1000)

    def to_mono(self, micros: float) -> float:
        return micros * 1000 - self._offset_ns


class LinkSession:
    """One Link peer: the session's tempo, beat/phase at a time, peers, start/stop."""

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

    def close(self) -> None:
        """Leave the session (no thread of ours: Link's own stop with `enabled`)."""
        self._link.enabled = False

    # -- reading ---------------------------------------------------------------------
    @property
    def peers(self) -> int:
        return int(self._link.numPeers())

    @property
    def bpm(self) -> float:
        return float(self._link.captureSessionState().tempo())

    @property
    def playing(self) -> bool:
        return bool(self._link.captureSessionState().isPlaying())

    def beat_at(self, ns: float) -> float:
        """The session beat at monotonic `ns`."""
        state = self._link.captureSessionState()
        return float(state.beatAtTime(self.host.to_link(ns), self.quantum))

    def ns_at(self, beat: float) -> float:
        state = self._link.captureSessionState()
        return self.host.to_mono(state.timeAtBeat(float(beat), self.quantum))

    def phase_at(self, ns: float) -> float:
        """Where in the bar (0 .. quantum) the session is at `ns`."""
        state = self._link.captureSessionState()
        return float(state.phaseAtTime(self.host.to_link(ns), self.quantum))

    # -- proposing -------------------------------------------------------------------
    def propose_tempo(self, bpm: float, at_ns: int) -> None:
        """Change the session's tempo from `at_ns` on (every peer follows)."""
        if not MIN_BPM <= bpm <= MAX_BPM:
            raise ValueError(f"tempo {bpm} BPM is outside {MIN_BPM:.0f}-{MAX_BPM:.0f} BPM")
        state = self._link.captureSessionState()
        state.setTempo(float(bpm), self.host.to_link(at_ns))
        self._link.commitSessionState(state)

    def start(self, at_ns: int) -> None:
        """Start the session playing (peers with start/stop sync start too)."""
        state = self._link.captureSessionState()
        state.setIsPlaying(True, self.host.to_link(at_ns))
        self._link.commitSessionState(state)

    def stop(self, at_ns: int) -> None:
        state = self._link.captureSessionState()
        state.setIsPlaying(False, self.host.to_link(at_ns))
        self._link.commitSessionState(state)

    # -- the engine's poll -------------------------------------------------------------
    def poll(self, now_ns: int) -> list[Transport]:
        """Start/stop changes of the session since the last poll.

        A start takes effect on the first bar line (multiple of the quantum) at or
        after the session's start time: that is song beat 0.
        """
        self.host.refresh(now_ns)
        state = self._link.captureSessionState()
        tempo = float(state.tempo())
        self.error = (
            ""
            if MIN_BPM <= tempo <= MAX_BPM
            else f"Link session tempo {tempo:.0f} BPM is outside {MIN_BPM:.0f}-{MAX_BPM:.0f}"
        )
        playing = bool(state.isPlaying())
        if playing == self._playing:
            return []
        self._playing = playing
        if not playing:
            return [Transport("stop", now_ns, 0.0)]
        at_link = state.timeForIsPlaying()
        beat = float(state.beatAtTime(at_link, self.quantum))
        bar = -(-beat // self.quantum) * self.quantum  # the first bar line at or after
        return [
            Transport("start", round(self.host.to_mono(state.timeAtBeat(bar, self.quantum))), bar)
        ]

"""The engine's one timeline with JACK: frames of the server, as exact nanoseconds.

With the JACK backend the engine's clock is JACK's frame counter, as in Ardour,
Qtractor or seq66: a process cycle covers frames [f, f + n), and everything the
engine schedules is a position on that line. The scheduler and transport keep
working in nanoseconds (the rtmidi backend's deadlines are monotonic ns), so the
frame line is written as *timeline ns*: `ns_of(frame)` is exact integer
arithmetic on the frame count, `frame_of(ns)` its inverse (rounded to the
nearest frame). No wall clock, no smoothing, no re-seeding: the same frames in
real time and in JACK freewheel, where cycles run as fast as the CPU allows.

JACK's frame counter is 32 bits (it wraps after ~24.8 h at 48 kHz); frames are
unwrapped relative to the frame the timeline was made at, so a show may run that
long from the engine's start. Pure and stateless after construction: the MIDI
host's process callback and pyo's block callback share one `Timeline`.
"""

from __future__ import annotations

__all__ = ["FrameCycle", "Timeline", "ORIGIN_NS"]

_WRAP = 1 << 32
# Timeline ns of the origin frame: well away from 0, which some outputs read as
# "at once" (rig.voices.player), and from negative deadlines.
ORIGIN_NS = 1_000_000_000


class Timeline:
    """Frame <-> timeline ns for a server running at `rate` frames per second."""

    def __init__(self, rate: int, origin_frame: int = 0) -> None:
        if rate <= 0:
            raise ValueError(f"sample rate {rate} must be positive")
        self.rate = int(rate)
        self.origin = int(origin_frame) % _WRAP

    def unwrap(self, frame32: int) -> int:
        """A frame as JACK reports it (32 bits) → frames since the origin (0 and up)."""
        return (int(frame32) - self.origin) % _WRAP

    def ns_of(self, frame: int) -> int:
        """Timeline ns of `frame` (frames since the origin): exact, rounded to the ns."""
        return ORIGIN_NS + (frame * 1_000_000_000 + self.rate // 2) // self.rate

    def frame_of(self, ns: int) -> int:
        """The frame (since the origin) nearest to timeline `ns`."""
        return ((ns - ORIGIN_NS) * self.rate + 500_000_000) // 1_000_000_000

    def seconds_of(self, frame: int) -> float:
        """Timeline seconds of `frame` (`--for` and every engine duration count these)."""
        return frame / self.rate

    @classmethod
    def behind(cls, rate: int, last_frame_time: int) -> Timeline:
        """A timeline whose origin is one second before JACK's `last_frame_time` (the
        first frame of the cycle the server is in), so every cycle to come unwraps
        to a positive frame count.

        Not `frame_time`: that is the server's estimate of the frame *now*, which on
        a server that xruns runs ahead of the cycles actually processed; a cycle
        that starts before the origin unwraps to ~2^32 frames (24.8 h) ahead, and
        when the counter later passes the origin the timeline falls back 24.8 h —
        an engine that silently never reaches bar 2 (seen in the engine-kill test)."""
        return cls(rate, (int(last_frame_time) - int(rate)) % _WRAP)

    def cycle(self, frame32: int, nframes: int) -> FrameCycle:
        """The cycle that starts at JACK's `frame32` and lasts `nframes`."""
        return FrameCycle((frame32 - self.origin) % _WRAP, nframes, self)


class FrameCycle:
    """One process cycle on the timeline; the interface `rig.midi.jacktime.Cycle` has.

    A plain slotted class, made once per process cycle in JACK's real-time thread: a
    frozen dataclass's `__init__` (three `object.__setattr__` calls) cost about as
    much as the rest of a quiet cycle's Python (measured, `rig bench clock`)."""

    __slots__ = ("frames", "nframes", "timeline")

    def __init__(self, frames: int, nframes: int, timeline: Timeline) -> None:
        self.frames = frames  # first frame of the cycle, since the timeline's origin
        self.nframes = nframes
        self.timeline = timeline

    def __repr__(self) -> str:
        return f"FrameCycle(frames={self.frames}, nframes={self.nframes})"

    @property
    def start_ns(self) -> int:
        return self.timeline.ns_of(self.frames)

    @property
    def end_ns(self) -> int:
        """Timeline ns of the next cycle's first frame."""
        return self.timeline.ns_of(self.frames + self.nframes)

    @property
    def ns_per_frame(self) -> float:
        return 1e9 / self.timeline.rate

    def frame_of(self, when_ns: int) -> int:
        return self.timeline.frame_of(when_ns)

    def ns_of(self, frame: int) -> int:
        return self.timeline.ns_of(frame)

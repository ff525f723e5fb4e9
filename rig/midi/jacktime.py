"""Monotonic time <-> JACK frames, as precisely as JACK itself knows it.

JACK keeps a delay-locked loop per server: at the start of each cycle it knows
the cycle's first frame (`current_frames`), the estimated microsecond time of
that frame (`current_usecs`) and of the next cycle's start (`next_usecs`), all
on `jack_get_time()`'s clock. `jack_time_to_frames()` interpolates between
them. JACK-Client exposes neither `jack_get_cycle_times()` nor
`jack_get_time()`, so they are declared here (cffi ABI mode, like JACK-Client)
on the same libjack and the client's handle.

Which clock? On Linux, jack2 1.9.21 reads CLOCK_MONOTONIC_RAW, *not*
CLOCK_MONOTONIC (measured here: jack_get_time() − monotonic = raw − monotonic
= −246.78 ms, and that offset moves with NTP slewing). rig's deadlines are on
`time.monotonic_ns()`, so the offset is measured every cycle — bracketing one
`jack_get_time()` call between two monotonic reads, keeping only tight
brackets — and smoothed. Its noise (~1 µs) is far below one frame (20.8 µs at
48 kHz), so the mapping is exact to the frame.

JACK's per-cycle time estimate jitters (~7.5 µs rms here, up to a frame),
while its frame counter is exact. So the mapping used for delivery is a
least-squares line through every cycle's (frame, monotonic time of that frame)
over the last ~5 s (`FrameLine`): a regular grid of deadlines lands on a regular
grid of frames, 0 frames off, and the line stays within a frame of JACK's own
`jack_time_to_frames()` (tests check both). `Cycle.jack_frame_of()` is JACK's
own per-cycle interpolation, with nanosecond input, for those cross-checks.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["Cycle", "FrameLine", "JackClock"]

_CDEF = """
typedef uint32_t jack_nframes_t;
typedef uint64_t jack_time_t;
int jack_get_cycle_times(void *client, jack_nframes_t *current_frames,
                         jack_time_t *current_usecs, jack_time_t *next_usecs,
                         float *period_usecs);
jack_time_t jack_get_time(void);
jack_nframes_t jack_time_to_frames(void *client, jack_time_t usecs);
"""
# A monotonic/JACK bracket wider than this was interrupted: don't trust it.
_MAX_BRACKET_NS = 4_000
# Smoothing of the offset (slews by a few ppm at most, i.e. < 1 ns per cycle).
_ALPHA = 1 / 16
# A point this far (ns) off the fitted line means the clock jumped: start again.
_JUMP_NS = 1_000_000
_JUMP_RUN = 16  # this many in a row: a real jump


@dataclass(frozen=True)
class Cycle:
    """One process cycle's place on both clocks, with the smoothed frame<->time line."""

    frames: int  # first frame of the cycle (== client.last_frame_time)
    nframes: int  # frames in the cycle
    start_ns: int  # monotonic ns of `frames` on the smoothed line
    ns_per_frame: float  # slope of the smoothed line
    usecs: int  # JACK's own (per-cycle DLL) time of `frames`, µs on JACK's clock
    next_usecs: int  # ... and of the next cycle's first frame
    offset_ns: int  # JACK time − monotonic time, ns

    def frame_of(self, when_ns: int) -> int:
        """The frame at which monotonic `when_ns` falls (may lie outside this cycle)."""
        return self.frames + math.floor((when_ns - self.start_ns) / self.ns_per_frame + 0.5)

    def ns_of(self, frame: int) -> int:
        """Monotonic ns of `frame` (the inverse of `frame_of`)."""
        return self.start_ns + round((frame - self.frames) * self.ns_per_frame)

    def jack_frame_of(self, when_ns: int) -> int:
        """What JACK's own `jack_time_to_frames()` gives for `when_ns` this cycle
        (with ns input): the unsmoothed per-cycle estimate, for cross-checks."""
        jack_ns = when_ns + self.offset_ns - self.usecs * 1000
        span_ns = (self.next_usecs - self.usecs) * 1000
        return self.frames + math.floor(jack_ns * self.nframes / span_ns + 0.5)


class FrameLine:
    """Least-squares line through (frame, monotonic ns) points, slowly forgetting.

    JACK's per-cycle estimate of a cycle's start time wanders (~20 µs rms on
    this machine's dummy driver) while the frame counter is exact. Mapping
    deadlines through the per-cycle estimate scatters a regular MIDI clock by
    ±1 frame on one step in ten (measured); through this line (an exponential
    window of ~1.4 s by default, the slope pinned near the nominal sample rate
    until the data outweighs that prior) it lands on a regular frame grid, with
    a ±1 step on ~3 steps in 1000, and stays within ~1.3 frames (p99) of
    JACK's own estimate.

    Points far off the line (an xrun re-seeds JACK's estimate) are skipped; a
    run of them means the clock really jumped, and the line starts over. Sums
    are re-centred on the latest point each update, so doubles lose nothing to
    large frame numbers.
    """

    def __init__(
        self,
        nominal_ns_per_frame: float,
        window_points: int = 4096,
        slope_prior_ppm: float = 1.0,
        noise_ns: float = 20_000.0,
    ) -> None:
        self._keep = 1.0 - 1.0 / window_points
        self._nominal = nominal_ns_per_frame
        # Weight of "the slope is nominal, give or take slope_prior_ppm", in the
        # units of the x*x sums: noise² / (slope std)².
        self._prior = (noise_ns / (nominal_ns_per_frame * slope_prior_ppm * 1e-6)) ** 2
        self.slope = nominal_ns_per_frame
        self.at_latest = 0.0  # fitted time at the latest point, relative to _y0
        self.points = 0
        self.outliers = 0
        self.reset()

    def reset(self) -> None:
        self._frame: int | None = None  # the latest point's frame (x = 0 there)
        self._y0 = 0  # the latest point's time, ns (y measured from it)
        self._sw = self._sx = self._sy = self._sxx = self._sxy = 0.0
        self._run = 0  # consecutive outliers
        self.slope = self._nominal
        self.at_latest = 0.0
        self.points = 0

    def predict(self, frame: int) -> float:
        """Fitted monotonic ns of `frame`."""
        assert self._frame is not None
        return self._y0 + self.at_latest + (frame - self._frame) * self.slope

    def add(self, frame: int, ns: int) -> None:
        if self._frame is not None and self.points >= 2:
            if abs(ns - self.predict(frame)) > _JUMP_NS:
                self.outliers += 1
                self._run += 1
                if self._run < _JUMP_RUN:
                    # An xrun's re-seeded estimate: move the anchor, keep the fit.
                    self._recentre(frame, round(self.predict(frame)))
                    return
                self.reset()  # the clock really jumped (server restart)
        self._run = 0
        if self._frame is None:
            self._frame, self._y0 = frame, ns
        self._recentre(frame, ns)
        k = self._keep
        # Forget a little, then add the new point at (0, 0).
        self._sw = k * self._sw + 1.0
        self._sx *= k
        self._sy *= k
        self._sxx *= k
        self._sxy *= k
        self.points += 1
        self._solve()

    def _recentre(self, frame: int, ns: int) -> None:
        assert self._frame is not None
        dx = float(frame - self._frame)
        dy = float(ns - self._y0)
        sw, sx, sy = self._sw, self._sx, self._sy
        self._sxx += -2 * dx * sx + dx * dx * sw
        self._sxy += -dy * sx - dx * sy + dx * dy * sw
        self._sx = sx - dx * sw
        self._sy = sy - dy * sw
        self._frame, self._y0 = frame, ns
        self._solve()

    def _solve(self) -> None:
        sw, sx, sy = self._sw, self._sx, self._sy
        if sw <= 0:
            return
        sxx = self._sxx + self._prior
        sxy = self._sxy + self._prior * self._nominal
        det = sw * sxx - sx * sx
        self.slope = (sw * sxy - sx * sy) / det
        self.at_latest = (sy - self.slope * sx) / sw

    def ns_at_latest(self) -> int:
        """Fitted monotonic ns of the latest point's frame."""
        return self._y0 + round(self.at_latest)


class JackClock:
    """Reads JACK's cycle times for one client; `cycle()` is cheap enough to call
    once per process callback (three cffi calls and arithmetic).

    `smoothing_s` is the window of the frame line (see `FrameLine`); 0 keeps
    JACK's raw per-cycle estimate (a regular grid then scatters by ±1 frame).
    Where the line strays more than `max_deviation_frames` from JACK's own
    estimate — after an xrun re-times the cycles — it starts over from it.
    """

    def __init__(
        self, client: Any, *, smoothing_s: float = 1.4, max_deviation_frames: float = 4.0
    ) -> None:
        import cffi
        import jack

        self._ffi = cffi.FFI()
        self._ffi.cdef(_CDEF)
        # The same library JACK-Client loaded, so the same server connection.
        self._lib = self._ffi.dlopen(jack._libname)
        self._client = client
        self._handle = self._ffi.cast("void *", client._ptr)
        self._frames = self._ffi.new("jack_nframes_t *")
        self._usecs = self._ffi.new("jack_time_t *")
        self._next = self._ffi.new("jack_time_t *")
        self._period = self._ffi.new("float *")
        self._offset: float | None = None
        rate = client.samplerate
        period = client.blocksize
        self._line = FrameLine(1e9 / rate, max(1, round(smoothing_s * rate / period)))
        self._max_dev_ns = round(max_deviation_frames * 1e9 / rate)
        self.reseeds = 0
        self.measure_offset()

    def jack_time_us(self) -> int:
        """`jack_get_time()`: JACK's clock in µs."""
        return int(self._lib.jack_get_time())

    def measure_offset(self) -> float | None:
        """Refresh the JACK − monotonic offset from one tight bracket, if it is tight."""
        before = time.monotonic_ns()
        jack_us = self._lib.jack_get_time()
        after = time.monotonic_ns()
        if after - before <= _MAX_BRACKET_NS:
            # jack_get_time() truncates to the µs: +500 ns centres it.
            sample = jack_us * 1000 + 500 - (before + after) / 2
            if self._offset is None or abs(sample - self._offset) > 1_000_000:
                self._offset = sample  # first sample, or the clock jumped
            else:
                self._offset += _ALPHA * (sample - self._offset)
        elif self._offset is None:
            self._offset = jack_us * 1000 + 500 - (before + after) / 2
        return self._offset

    @property
    def offset_ns(self) -> int:
        """JACK time − monotonic time, ns (smoothed)."""
        return round(self._offset or 0.0)

    def cycle(self, nframes: int) -> Cycle:
        """The current cycle's times. Call once per process callback."""
        self.measure_offset()
        self._lib.jack_get_cycle_times(
            self._handle, self._frames, self._usecs, self._next, self._period
        )
        frames, usecs = int(self._frames[0]), int(self._usecs[0])
        offset = self.offset_ns
        line = self._line
        jack_ns = usecs * 1000 - offset
        line.add(frames, jack_ns)
        if line.points > 1 and abs(line.ns_at_latest() - jack_ns) > self._max_dev_ns:
            # JACK re-timed its cycles (an xrun can move them by a whole period)
            # and its estimate is slewing there: follow now rather than lag.
            line.reset()
            line.add(frames, jack_ns)
            self.reseeds += 1
        return Cycle(
            frames=frames,
            nframes=nframes,
            start_ns=line.ns_at_latest(),
            ns_per_frame=line.slope,
            usecs=usecs,
            next_usecs=int(self._next[0]),
            offset_ns=offset,
        )

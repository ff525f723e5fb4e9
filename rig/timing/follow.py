"""Follow an external MIDI clock: tempo and beat phase from the incoming F8 stamps.

`ClockFollower` is pure (no I/O, no threads, time passed in as monotonic or frame
nanoseconds). The engine feeds it every MIDI byte run it receives with the time it
arrived, and asks it "which beat is it at time t?" / "when does beat b fall?".

How the tempo is estimated, and why not a moving average of intervals: a F8 that
arrives 1 ms late makes one interval 1 ms long and the next 1 ms short, so an
average of intervals is noisy *and* slow. Instead the follower fits a straight line
``time = a + period · k`` to the stamps of the last `window` clocks (k = the clock's
number) by least squares — the optimal estimate for a steady tempo with random
arrival jitter, and what a second-order delay-locked loop approximates recursively.
Each stamp is first compared with the line's prediction (the *innovation*):

- innovations within the noise (3 × their running RMS, at least `floor_ms`) join the
  fit; with a 16-beat window, ±1 ms of uniform input jitter leaves ~0.06 ms RMS of
  phase error at the output (measured by `rig bench sync`);
- three in a row beyond it, on the same side and growing, mean the master changed
  tempo (six not growing: it jumped): the fit restarts and grows again (a "gear
  shift", as PLLs do), so a tempo jump settles within a beat instead of 16, while a
  short burst of late stamps is ignored. After a tempo step the new line starts where
  the old one was at the clock the step began (the clock whose hinge fits best, looked
  for again with every stamp while the fit is young; a free line until one clock is
  clearly best, measured against the jitter's variance), and on bounded jitter a young
  fit is the minimax line (`rig.timing.linefit`): beats 1-4 after a 120 → 132 BPM step
  with ±1 ms uniform jitter are within 0.2 ms p99 in 16 of 20 seeds; with Gaussian
  jitter of σ = 0.5 ms in 6 of 20, about what the least-squares broken line told the
  step's clock manages on the same stamps (5) (`rig bench sync`, tests/live/test_sync_jitter.py).

Sums are kept as exact Python integers (ns and clock numbers), so a long night does
not lose precision to float cancellation.

Transport (MIDI 1.0, `reference/hardware.md` §4): Start (FA) = play from the top,
the next F8 is beat 0; Song Position Pointer (F2, in 16ths = 6 clocks) + Continue
(FB) = play from there, the next F8 is that position; Stop (FC) = stop. Clock while
stopped only updates the tempo. A master silent for more than two clocks' worth
("master lost") leaves the last fit running — the flywheel — until it comes back or
stops.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from rig.midi.wire import CLOCKS_PER_BEAT
from rig.timing.linefit import SHAPE_KEEP, LineFit, bounded_jitter, hinge

__all__ = ["ClockFollower", "Transport", "MIN_BPM", "MAX_BPM"]

MIN_BPM = 20.0
MAX_BPM = 400.0
_CLOCK, _START, _CONTINUE, _STOP, _SPP = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
_SIXTEENTH = CLOCKS_PER_BEAT // 4  # one SPP unit = 6 clocks
# Innovations in a row beyond the noise that mean "the master moved": three when they
# grow (a new tempo pulls away from the line), six when they do not (a phase jump) — a
# short burst of late stamps (a busy input thread) ends before that and is ignored.
_RELOCK_RUN = 3
_RELOCK_MAX_RUN = 6
_JITTER_KEEP = 96  # innovations kept for the jitter figure (4 beats)
_MATURE = 4 * CLOCKS_PER_BEAT  # a fit this long judges the jitter's shape
_RECENT = 8  # stamps kept to find where a tempo step began
_YOUNG = 2 * CLOCKS_PER_BEAT  # after a step, where it began is looked for again until then
# The step's clock is clear when the next best hinge leaves this many times the
# input's variance more squared error (a log-likelihood ratio of 6 on Gaussian jitter:
# an anchor one clock off costs the whole step's period difference, a free line only a
# little more noise; at 4-8 the choice flapped between neighbours on a 120 → 126 BPM
# step with ±1 ms, whose hinges differ by about the jitter); before the jitter is
# measured: when it leaves 1.5 times the best's.
_CLEAR_VAR = 12.0
# Beyond the noise = beyond 3 × its RMS; _TAIL × for a young line on Gaussian-tailed
# jitter (`_noise_ns`).
_TAIL = 4.0
_CLEAR = 1.5


@dataclass(frozen=True, slots=True)
class Transport:
    """A transport change from the master, for the engine to act on.

    kind: "start" (from the top), "continue" (from `beat`), "stop", "locate" (an SPP
    while stopped: where the next Continue plays from). `at_ns` is when it takes
    effect: the time of the first clock of the run (predicted if the tempo is known).
    """

    kind: str
    at_ns: int
    beat: float
    cue: int = -1  # MTC chase of spotted cues: the cue of the set to play (-1: the current)


class ClockFollower:
    """Tempo, phase and transport of a MIDI clock master, from byte stamps."""

    def __init__(self, *, window: int = 16 * CLOCKS_PER_BEAT, floor_ms: float = 0.5):
        if window < 4:
            raise ValueError("the fit window needs at least 4 clocks")
        self.window = window
        self.floor_ns = floor_ms * 1e6
        self._fit: LineFit | None = None
        self._period = 0.0  # ns per clock of the current line
        self._xm = self._ym = 0.0  # the line passes through (k0 + xm, t0 + ym)
        self._k = -1  # number of the last clock received
        self._last_ns: int | None = None
        self._run: list[tuple[int, int, float]] = []  # innovations beyond the noise
        self._innov: deque[float] = deque(maxlen=_JITTER_KEEP)
        self._shape: deque[float] = deque(maxlen=SHAPE_KEEP)  # innovations of mature fits
        self._shaped = 0  # innovations ever put in _shape
        self._bounded: bool | None = None  # `bounded`, until judged again
        self._recent: deque[tuple[int, int]] = deque(maxlen=_RECENT)  # (k, ns) received
        self._past: deque[tuple[int, float, float]] = deque(maxlen=_RECENT)  # (k, a, period)
        # After a tempo step, while the new fit is young: (run's first clock, old line's
        # a and period, stamps since) — the step's clock is looked for again each stamp.
        self._step_at: tuple[int, float, float, list[tuple[int, int]]] | None = None
        self.playing = False
        self._pending: str | None = None  # "start" / "continue": waits for the next F8
        self._origin_k = 0  # clock number of song clock `_origin_pos`
        self._origin_pos = 0  # song position in clocks (24 PPQN) at _origin_k
        self._spp = 0  # song position (clocks) set by the last SPP
        self.revision = 0  # moves on every re-lock, start, continue, stop
        self.relocks = 0
        self.garbage = 0  # bytes that were not clock, transport or SPP
        self._xrun = (0, 0)  # stamps in [from, to) ns: the server stalled (`xrun`)
        self.xrun_stamps = 0  # clocks counted but not fitted for it
        self.error = ""  # the last problem with the master, for the UI
        self.events: list[Transport] = []  # transport changes not yet taken by the engine
        self._partial: list[int] = []  # an SPP split across two feeds

    # -- input ----------------------------------------------------------------------
    def feed(self, data: bytes, at_ns: int) -> None:
        """Every byte the MIDI input delivered at `at_ns` (running status aside, only
        real-time and SPP bytes matter; anything else is counted as garbage)."""
        for byte in data:
            if self._partial:
                if byte < 0x80:
                    self._partial.append(byte)
                    if len(self._partial) == 3:
                        _, lsb, msb = self._partial
                        self._partial = []
                        self.position(lsb | (msb << 7))
                    continue
                if byte < 0xF8:  # a status other than real-time breaks the SPP
                    self._partial = []
                    self.garbage += 1
            if byte == _CLOCK:
                self.clock(at_ns)
            elif byte == _START:
                self.start(at_ns)
            elif byte == _CONTINUE:
                self.cont(at_ns)
            elif byte == _STOP:
                self.stop(at_ns)
            elif byte == _SPP:
                self._partial = [byte]
            elif byte < 0xF8 or byte in (0xF9, 0xFD):
                self.garbage += 1  # data, channel messages, undefined real-time

    def clock(self, at_ns: int) -> None:
        """One F8 at `at_ns`."""
        if self.lost(at_ns):
            # Back after a silence: the flywheel ran the grid on, so this F8 is the
            # clock nearest to its time on the line, not the next one counted (a
            # master that paused 2 beats would otherwise put the rig 2 beats ahead).
            self._k = max(self._k, round(self.clock_at(at_ns)) - 1)
        elif self._xrun[1] and at_ns >= self._xrun[1] and self.locked:
            # The first clock after a stall: its number from the line, as after a
            # silence (the stall may have lost clocks, not only delayed them).
            self._k = round(self.clock_at(at_ns)) - 1
            self._xrun = (0, 0)
        self._k += 1
        k = self._k
        stalled = self._xrun[0] <= at_ns < self._xrun[1]  # (bunched: the same stamp)
        if self._last_ns is not None and at_ns <= self._last_ns and not stalled:
            self.error = "MIDI clock arrived out of order: stamp ignored"
            self._last_ns = at_ns
            return
        self._last_ns = max(at_ns, self._last_ns or at_ns)
        if stalled:
            self.xrun_stamps += 1  # counted, not fitted: its time is the server's stall
        else:
            self._recent.append((k, at_ns))
            self._fit_stamp(k, at_ns)
        if self._pending is not None:
            kind, self._pending = self._pending, None
            self._origin_k = k
            self._origin_pos = 0 if kind == "start" else self._spp
            self.playing = True
            self.revision += 1
            self.events.append(Transport(kind, at_ns, self._origin_pos / CLOCKS_PER_BEAT))

    def _fit_stamp(self, k: int, at_ns: int) -> None:
        """Clock `k` stamped `at_ns` against the line: fitted, or one of a run of
        stamps beyond the noise that restarts the fit (a tempo step, a phase jump)."""
        if self._fit is None:
            self._relock([(k, at_ns)])
            return
        predicted = self._time_of(k)
        innovation = at_ns - predicted
        if self._fit.n >= 2 and abs(innovation) > self._noise_ns():
            self._run.append((k, at_ns, innovation))
            same_side = all((r[2] > 0) == (innovation > 0) for r in self._run)
            if not same_side:
                self._run = [(k, at_ns, innovation)]
            elif len(self._run) >= _RELOCK_RUN and abs(innovation) > abs(self._run[0][2]):
                # The tempo stepped: from a mature line, the new one starts where
                # it was at the step (a young line is no anchor: start afresh).
                if self._fit.n >= _MATURE:
                    self._relock(*self._step(), step=True)
                else:
                    self._relock([(rk, rt) for rk, rt, _ in self._run])
                self.relocks += 1
            elif len(self._run) >= _RELOCK_MAX_RUN:  # the phase jumped
                self._relock([(rk, rt) for rk, rt, _ in self._run])
                self.relocks += 1
        else:
            self._run = []
            self._innov.append(float(innovation))
            if self._fit.n >= _MATURE:
                self._shape.append(float(innovation))
                self._shaped += 1
                if self._shaped % _RECENT == 0:
                    self._bounded = None
            self._accept(k, at_ns)

    def xrun(self, from_ns: int, to_ns: int) -> None:
        """The server stalled: the frames from `from_ns` to `to_ns` were never processed,
        and a master's clocks due in them arrive bunched at the end, their stamps late
        by the stall, or are lost — not a tempo step or phase jump to restart the fit on
        (on a real server a young fit restarted so, 0.8 BPM off). Clocks stamped in the
        window are counted, never fitted; the first after it is numbered by the line."""
        self._xrun = (from_ns, max(to_ns, self._xrun[1]))

    def start(self, at_ns: int) -> None:
        """FA: play from the top on the next F8."""
        self._spp = 0
        self._begin("start", at_ns)

    def cont(self, at_ns: int) -> None:
        """FB: play from the last SPP (or where Stop left off) on the next F8."""
        self._begin("continue", at_ns)

    def _begin(self, kind: str, at_ns: int) -> None:
        """The next F8 is the first of the run. With the clock running (a master that
        sends clock while stopped, as most do) its time is known now, so the engine
        hears of it at once and can be on time; otherwise on that F8's arrival."""
        self.playing = False
        self._pending = kind
        if self.locked and not self.lost(at_ns) and self._last_ns is not None:
            self._pending = None
            self._origin_k = self._k + 1
            self._origin_pos = 0 if kind == "start" else self._spp
            self.playing = True
            self.revision += 1
            at = round(self._time_of(self._origin_k))
            self.events.append(Transport(kind, at, self._origin_pos / CLOCKS_PER_BEAT))

    def stop(self, at_ns: int) -> None:
        """FC: stop now; a later Continue resumes where this stopped."""
        if self.playing:
            self._spp = self._origin_pos + max(0, self._k - self._origin_k + 1)
        self.playing = False
        self._pending = None
        self.revision += 1
        self.events.append(Transport("stop", at_ns, self._spp / CLOCKS_PER_BEAT))

    def position(self, sixteenths: int) -> None:
        """F2: the song position (in 16ths) the next Continue plays from."""
        self._spp = sixteenths * _SIXTEENTH
        if not self.playing:
            self.events.append(Transport("locate", self._last_ns or 0, self._spp / 24))

    def take(self) -> list[Transport]:
        """The transport changes since the last call (the engine acts on them)."""
        events, self.events = self.events, []
        return events

    # -- what the engine asks ----------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self._fit is not None and self._fit.n >= 2 and self._period > 0

    @property
    def bpm(self) -> float:
        """The master's tempo (0.0 until two clocks have arrived)."""
        return 60e9 / (self._period * CLOCKS_PER_BEAT) if self.locked else 0.0

    @property
    def jitter_ms(self) -> float:
        """RMS of the arrival times around the fitted line (the input's jitter)."""
        if not self._innov:
            return 0.0
        return math.sqrt(sum(e * e for e in self._innov) / len(self._innov)) / 1e6

    def lost(self, now_ns: int) -> bool:
        """True when the master has been silent for more than two clocks (flywheel)."""
        if not self.locked or self._last_ns is None:
            return False
        return now_ns - self._last_ns > 2 * self._period

    def beat_at(self, ns: float) -> float:
        """The song beat (quarter notes from the top) at time `ns`, on the fitted line;
        it keeps running at the last tempo while the master is silent."""
        if not self.locked:
            return self._origin_pos / CLOCKS_PER_BEAT
        assert self._fit is not None
        k = self._fit.k0 + self._xm + (ns - self._fit.t0 - self._ym) / self._period
        return (self._origin_pos + k - self._origin_k) / CLOCKS_PER_BEAT

    def ns_at(self, beat: float) -> float:
        """The time at which song `beat` falls on the fitted line."""
        k = self._origin_k + beat * CLOCKS_PER_BEAT - self._origin_pos
        return self._time_of(k)

    # -- the line in clock numbers (what a slewed output blends; see MidiSource) ------------
    @property
    def period_ns(self) -> float:
        """ns per clock of the fitted line (0.0 until locked)."""
        return self._period if self.locked else 0.0

    @property
    def fit_size(self) -> int:
        """Clocks in the fitted line (a relock starts again from a few)."""
        return self._fit.n if self._fit is not None else 0

    def clock_at(self, ns: float) -> float:
        """The clock number (a count of every F8 received) at `ns` on the fitted line."""
        assert self._fit is not None and self.locked
        return self._fit.k0 + self._xm + (ns - self._fit.t0 - self._ym) / self._period

    def ns_of_clock(self, k: float) -> float:
        """The time of clock number `k` on the fitted line (inverse of `clock_at`)."""
        return self._time_of(k)

    def beat_of_clock(self, k: float) -> float:
        """The song beat of clock number `k` (Start and SPP+Continue set the origin)."""
        return (self._origin_pos + k - self._origin_k) / CLOCKS_PER_BEAT

    def clock_of_beat(self, beat: float) -> float:
        return self._origin_k + beat * CLOCKS_PER_BEAT - self._origin_pos

    def phase_ms(self) -> float:
        """The last clock's distance from the fitted grid (the phase error to the master)."""
        return self._innov[-1] / 1e6 if self._innov else 0.0

    # -- inside --------------------------------------------------------------------------
    def _time_of(self, k: float) -> float:
        assert self._fit is not None
        if self._period <= 0:
            return float(self._last_ns or 0)
        return self._fit.t0 + self._ym + (k - self._fit.k0 - self._xm) * self._period

    def _noise_ns(self) -> float:
        if len(self._innov) < 8:
            return max(self.floor_ns, 2e6)  # too few to know the noise: be tolerant
        rms = math.sqrt(sum(e * e for e in self._innov) / len(self._innov))
        n = self._fit.n if self._fit is not None else _MATURE
        if self.bounded or n >= _MATURE:
            return max(3.0 * rms, self.floor_ns)
        # A young line on Gaussian-tailed jitter: the innovation is the jitter plus the
        # line's own error at k (~4/n of the jitter's variance), and a stamp 3 RMS out
        # is one in 400 (dropped, one-sided by chance, they leaned a young line 0.1 ms
        # off). Not a mature line's: its RMS would grow with a slow drift (120 → 121
        # BPM) as fast as the drift, which then never stood out (12 ms off at 4 RMS).
        return max(_TAIL * rms * math.sqrt(1.0 + 4.0 / max(n, 1)), self.floor_ns)

    @property
    def bounded(self) -> bool:
        """The input's jitter is bounded (quantised), so young fits take the minimax line."""
        # Judged on the fit's residuals around its own line, which are the input's
        # jitter itself: the innovations (each stamp against the line as it stood
        # before it) carry the line's moves too, and ±1 ms uniform jitter measured
        # max/RMS 2.11 on them — judged Gaussian, so its young fits went without the
        # minimax line. Not the last few stamps: a tempo step's first stamps can pass
        # as noise. Judged again every few innovations, not on every stamp (it reads
        # 192 of them).
        if self._bounded is None:
            self._bounded = bounded_jitter(self._residuals()[:-_RECENT])
        return self._bounded

    def _residuals(self) -> list[float]:
        """The newest stamps' distances (ns) from the current line."""
        fit = self._fit
        if fit is None or self._period <= 0:
            return []
        points = list(fit.points)[-(SHAPE_KEEP + _RECENT) :]
        p, xm, ym = self._period, self._xm, self._ym
        return [y - ym - (x - xm) * p for x, y in points]

    def _step(self) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
        """A tempo step: the stamps since it began, and the anchor — the old line at
        the clock where it began (`_hinge`). The old line is the one from before the
        run's first stamps; it and the stamps are kept to look again while the new
        fit is young (`_accept`)."""
        first = self._run[0][0]
        before = (line for k, *line in reversed(self._past) if k <= first - 4)
        a, p = next(before, self._line_now())
        self._step_at = (first, a, p, [(k, t) for k, t in self._recent if k > first - 4])
        return self._hinge()

    def _hinge(
        self, current: int | None = None
    ) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
        """Where the step began (`rig.timing.linefit.hinge`): (the stamps after it, the
        anchor; None while no clock is clearly best). `current`: the clock the young fit
        is anchored at now, kept unless another is clearly better."""
        assert self._step_at is not None
        first, a, p, stamps = self._step_at
        step = self._noise_ns() / 3  # (a period change that strays beyond it in 3 clocks)
        return hinge(range(first - 3, first), a, p, stamps, current, self._clear_margin, step)

    def _clear_margin(self, ssr: float) -> float:
        """How much worse the runner-up hinge must fit for the best one to be clear: a
        multiple of the input's variance (measured by the mature fit before the step),
        which both hinges' squared errors grow by with every stamp — a ratio of the two
        would call a step ever less clear the more stamps show it (on Gaussian jitter
        the first look, three stamps after the step, is rarely clear; a few more are)."""
        if len(self._shape) < _RECENT:
            return (_CLEAR - 1.0) * ssr
        return _CLEAR_VAR * sum(e * e for e in self._shape) / len(self._shape)

    def _line_now(self) -> tuple[float, float]:
        """(a, period): the current line as time = a + period · k."""
        return self._time_of(0), self._period

    def _relock(
        self,
        points: list[tuple[int, int]],
        anchor: tuple[int, int] | None = None,
        step: bool = False,
    ) -> None:
        """Restart the fit from `points` (through `anchor`, after a tempo step), unless
        their tempo is out of range (then the old line holds: a master at 999 BPM does
        not take the rig with it). `step`: a tempo step seen by a mature line, whose
        clock is looked for again while the new fit is young (`_accept`)."""
        k0, t0 = anchor if anchor is not None else points[0]
        fresh = LineFit(self.window, k0, t0, anchor)
        for k, t in points:
            fresh.add(k, t)
        line = fresh.line(self.bounded)
        if line is not None and not self._in_range(line[0]):
            return
        self._fit = fresh
        if not step:
            self._step_at = None
        self._run = []
        self._period = 0.0
        if line is not None:
            self._period, self._xm, self._ym = line
        self.revision += 1

    def _accept(self, k: int, t: int) -> None:
        fit = self._fit
        assert fit is not None
        fit.add(k, t)
        if self._step_at is not None:  # young after a step: is the hinge still there?
            self._step_at[3].append((k, t))
            points, anchor = self._hinge(fit.k0 if fit.anchor is not None else None)
            if (
                fit.whole
                and (anchor is None) != (fit.anchor is None)
                or (anchor is not None and anchor[0] != fit.k0)
            ):
                k0, t0 = anchor if anchor is not None else points[0]
                fit = self._fit = LineFit(self.window, k0, t0, anchor)
                for pk, pt in points:
                    fit.add(pk, pt)
            if fit.n >= _YOUNG or not fit.whole:
                self._step_at = None
        line = fit.line(self.bounded)
        if line is None:
            return
        if not self._in_range(line[0]):
            fit.drop_last()
            return
        self._period, self._xm, self._ym = line
        # The line as it stood after clock k: a tempo step's anchor is read off the line
        # from before the step's first stamps (a minimax line leans on every point).
        self._past.append((k, fit.t0 + line[2] - (fit.k0 + line[1]) * line[0], line[0]))

    def _in_range(self, period: float) -> bool:
        bpm = 60e9 / (period * CLOCKS_PER_BEAT) if period > 0 else math.inf
        if MIN_BPM <= bpm <= MAX_BPM:
            return True
        held = f"holding {self.bpm:.1f} BPM" if self.locked else "not following"
        self.error = (
            f"master tempo {bpm:.0f} BPM is outside {MIN_BPM:.0f}-{MAX_BPM:.0f} BPM: {held}"
        )
        return False

"""Checks on what a recorder (`rig.probe.recorder`) received: notes paired, clock on grid.

Pure functions over `(frame, bytes)` lists, shared by `rig bench soak`, `rig bench
faults` and their tests. They judge the wire as a synth would hear it, not what the
engine meant to send:

- `note_pairs`: per (channel, note), every note-on followed by one note-off; a
  note-on of a note already sounding (a re-trigger the synth may treat as a second
  voice), a note-off of a silent note (harmless: a rescue sweep) and what is left
  sounding at the end (a stuck note) are counted apart.
- `clock_runs`: the F8 ticks between each Start/Continue and the Stop after it.
- `match_ticks`: which planned tick each received F8 is (a lost tick or an extra
  one does not shift the rest), then `grid_fit` over the matched pairs.
- `grid_fit`: how far each tick of a run is from an ideal grid (least-squares line
  through tick index → frame): the rate of the dummy driver is not exactly its
  nominal rate, so the line is fitted, and a burst, a gap or a tick off the grid
  shows as a residual in frames.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rig.midi.wire import CLOCK, CONTINUE, NOTE_OFF, NOTE_ON, START, STATUS_MASK, STOP

__all__ = [
    "NotePairs",
    "ClockRun",
    "TickMatch",
    "note_pairs",
    "clock_runs",
    "grid_fit",
    "match_ticks",
    "gaps",
]

Events = Sequence[tuple[int, bytes]]


@dataclass
class NotePairs:
    """How the note messages of a stream pair up."""

    ons: int = 0
    offs: int = 0
    retriggers: int = 0  # note-on of a note already sounding
    stray_offs: int = 0  # note-off of a note not sounding
    sounding: list[tuple[int, int]] = field(default_factory=list)  # (channel, note) at the end

    @property
    def stuck(self) -> int:
        return len(self.sounding)


def note_pairs(events: Events) -> NotePairs:
    """Pair note-ons and note-offs per (channel, note); see the module doc."""
    state: dict[tuple[int, int], bool] = defaultdict(bool)
    out = NotePairs()
    for _, data in events:
        if len(data) < 3:
            continue
        kind, key = data[0] & STATUS_MASK, (data[0] & 0x0F, data[1])
        if kind == NOTE_ON and data[2]:
            out.ons += 1
            out.retriggers += state[key]
            state[key] = True
        elif kind == NOTE_OFF or (kind == NOTE_ON and not data[2]):
            out.offs += 1
            out.stray_offs += not state[key]
            state[key] = False
    out.sounding = sorted(k for k, v in state.items() if v)
    return out


@dataclass(frozen=True)
class ClockRun:
    """One stretch of clock from Start (or Continue) to Stop."""

    start_frame: int
    kind: bytes  # START or CONTINUE
    ticks: tuple[int, ...]  # frames of the F8s inside
    stop_frame: int | None  # None: the stream ended first


def clock_runs(events: Events) -> list[ClockRun]:
    """The F8 ticks between each Start/Continue and the Stop after it (ticks while
    stopped, e.g. `clock_while_stopped`, belong to no run)."""
    runs: list[ClockRun] = []
    start: tuple[int, bytes] | None = None
    ticks: list[int] = []
    for frame, data in events:
        if data in (START, CONTINUE):
            if start is not None:
                runs.append(ClockRun(start[0], start[1], tuple(ticks), None))
            start, ticks = (frame, data), []
        elif data == CLOCK and start is not None:
            ticks.append(frame)
        elif data == STOP and start is not None:
            runs.append(ClockRun(start[0], start[1], tuple(ticks), frame))
            start, ticks = None, []
    if start is not None:
        runs.append(ClockRun(start[0], start[1], tuple(ticks), None))
    return runs


def grid_fit(frames: Sequence[int], times: Sequence[float]) -> tuple[float, float, list[float]]:
    """Fit frame = a + rate · time (least squares) over ticks at `times` seconds (their
    planned positions); (a, rate, residuals in frames)."""
    n = len(frames)
    if n == 0:
        return 0.0, 0.0, []
    if n == 1:
        return float(frames[0]), 0.0, [0.0]
    mt = sum(times) / n
    mf = sum(frames) / n
    sxx = sum((t - mt) ** 2 for t in times)
    sxy = sum((t - mt) * (f - mf) for t, f in zip(times, frames, strict=True))
    rate = sxy / sxx if sxx else 0.0
    a = mf - rate * mt
    return a, rate, [f - (a + rate * t) for t, f in zip(times, frames, strict=True)]


def gaps(frames: Sequence[int]) -> list[int]:
    """Frames between consecutive ticks."""
    return [b - a for a, b in zip(frames, frames[1:], strict=False)]


@dataclass(frozen=True)
class TickMatch:
    """Received ticks against planned ones."""

    received: int
    planned: int  # planned ticks before the run's Stop
    matched: int
    lost: int  # planned, never received
    extra: int  # received, no planned tick of their own (a burst, a doubled tick)
    max_offgrid: float  # frames, matched ticks against the fitted grid
    steps: tuple[float, ...] = ()  # |gap − planned gap| (frames) between consecutive ticks


def match_ticks(
    frames: Sequence[int], plan: Sequence[float], rate: float, stop_frame: int | None = None
) -> TickMatch:
    """Match received tick `frames` to `plan` (seconds from the run's Start) at the
    nominal `rate`, anchored on the last matched tick (so the driver's drift over a
    long run does not matter); count lost and extra ticks, and fit the grid over the
    matched ones. With `stop_frame`, planned ticks after the Stop are not expected."""
    pairs: list[tuple[int, int]] = []  # (plan index, frame)
    extra = 0
    last_k, last_f = 0, frames[0] if frames else 0
    for i, f in enumerate(frames):
        if i == 0:
            pairs.append((0, f))
            continue
        best, best_err = None, None
        k = last_k + 1
        while k < len(plan):
            err = f - (last_f + rate * (plan[k] - plan[last_k]))
            if best_err is None or abs(err) < abs(best_err):
                best, best_err = k, err
            if err < 0:
                break
            k += 1
        gap = rate * (plan[best] - plan[best - 1]) if best is not None else 0.0
        if best is None or best_err is None or abs(best_err) > gap / 2:
            extra += 1
            continue
        pairs.append((best, f))
        last_k, last_f = best, f
    a, r, res = grid_fit([f for _, f in pairs], [plan[k] for k, _ in pairs])
    steps = tuple(
        abs((f1 - f0) - rate * (plan[k1] - plan[k0]))
        for (k0, f0), (k1, f1) in zip(pairs, pairs[1:], strict=False)
        if k1 == k0 + 1
    )
    planned = len(plan)
    if stop_frame is not None and pairs:
        # By the fitted grid; a tick that arrived before the Stop was planned even when
        # the fit (off by up to a cycle where the server xrun) puts its slot just after.
        # One that arrived after the Stop stays unplanned: matched > planned shows it.
        # A tick due on the Stop's own frame went out before it (the Stop follows what
        # the sinks hold), and ticks land on the nearest frame: the fit may put it up
        # to half a frame after the Stop's frame.
        planned = max(
            sum(1 for t in plan if a + r * t < stop_frame + 0.5),
            sum(1 for _, f in pairs if f <= stop_frame),
        )
    return TickMatch(
        received=len(frames),
        planned=planned,
        matched=len(pairs),
        lost=max(0, planned - len(pairs)),
        extra=extra,
        max_offgrid=max((abs(x) for x in res), default=0.0),
        steps=steps,
    )

"""MIDI timecode out, in step with the engine's timeline.

While the transport runs, the timecode line is anchored at the downbeat the engine
started from: timecode ``base + song seconds of the start position`` falls at the
engine time of that tick. From the anchor every quarter frame's time is closed
form (`rig.timing.mtc.quarter_frames`), so nothing accumulates: over ten minutes
the line drifts from the engine's clock by nothing but ns rounding. A locate (a
new anchor off the running line by more than a frame), a Start or a Continue sends
a full-frame message first, so a video player or DAW jumps there; Stop ends the
quarter frames (followers stop when they cease).

The engine loop calls `pump(now_ns)` after `Engine.pump`; quarter frames are handed
to the sink `lookahead_ns` ahead with their deadlines, like every other event.
"""

from __future__ import annotations

from fractions import Fraction

from rig.engine.transport import Engine
from rig.timing.mtc import Timecode, full_frame, quarter_frames
from rig.timing.scheduler import Output

__all__ = ["MtcSender"]

DEFAULT_BASE_S = 3600  # 01:00:00:00, the usual start of programme timecode


class MtcSender:
    """Quarter frames and full frames for `engine`'s transport, on `sink`."""

    def __init__(
        self,
        engine: Engine,
        sink: Output,
        fps: int = 25,
        *,
        base_s: float = DEFAULT_BASE_S,
        lookahead_ns: int = 15_000_000,
    ):
        self.engine = engine
        self.sink = sink
        self.fps = fps
        self.base = Fraction(base_s)
        self.lookahead_ns = lookahead_ns
        self._anchor: tuple[int, Fraction] | None = None  # (engine ns, timecode s)
        self._sent_to: Fraction | None = None  # quarter frames before this are handed over
        self._starts = -1  # the clock's start count at the anchor
        self._cue = -1  # the view's cue at the anchor
        self.full_frames = 0

    def _tc_at(self, ns: int) -> Fraction:
        assert self._anchor is not None
        at, tc = self._anchor
        return tc + Fraction(ns - at, 1_000_000_000)

    def _ns_of(self, tc: Fraction) -> int:
        assert self._anchor is not None
        at, tc0 = self._anchor
        return at + round((tc - tc0) * 1_000_000_000)

    def pump(self, now_ns: int) -> None:
        engine = self.engine
        scheduler = engine.scheduler
        if not scheduler.playing:
            self._anchor = None
            self._sent_to = None
            return
        starts = getattr(engine.clock, "starts", engine.clock.revision)
        if self._anchor is None or starts != self._starts:
            self._starts = starts
            self._reanchor(now_ns)
        assert self._sent_to is not None
        horizon = self._tc_at(now_ns + self.lookahead_ns)
        for tc, data in quarter_frames(self._sent_to, horizon, self.fps):
            self.sink.send(self._ns_of(tc), data)
        self._sent_to = max(self._sent_to, horizon)

    def _reanchor(self, now_ns: int) -> None:
        """The clock (re)started: a cue running on into the next keeps the timecode
        line; anything else (Start, Continue, a locate) is a jump with a full frame."""
        engine = self.engine
        tick = max(0, engine.scheduler.next_tick)
        at = int(engine.clock.ns_at(tick))
        run_on = self._anchor is not None and tick == 0 and engine.view.index != self._cue
        self._cue = engine.view.index
        if run_on:
            self._anchor = (at, self._tc_at(at))
            return
        cue = engine.cues[engine.view.index]
        tc = self.base + Fraction(cue.tempo.seconds_at(engine.view.offset + tick))
        self._anchor = (at, tc)
        self._sent_to = tc
        start = Timecode.from_seconds(tc, self.fps)
        self.sink.send(max(now_ns, at - 2_000_000), full_frame(start))
        self.full_frames += 1

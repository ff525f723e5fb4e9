"""`rig play --for`: a show that lasts so many seconds of the engine's timeline.

The seconds count from the first downbeat on the engine's own time line (JACK
frames / rate with the frame engine, monotonic ns without JACK), so the same command
plays the same music in real time and in JACK freewheel, where 10 s of frames pass
in a fraction of 10 wall seconds. The scheduler hands over no music at or after the
end (`Scheduler.until_ns`); once it has handed over everything before it, the
engine stops on that very ns (note-offs and Stop there) and its state is "ended".
"""

from __future__ import annotations

from typing import Any

__all__ = ["TimedStop"]


class TimedStop:
    """The end of a timed show, for one `rig.engine.transport.Engine`."""

    def __init__(self, play_for_ns: int) -> None:
        self.play_for_ns = play_for_ns
        self.stop_at_ns: int | None = None  # known from the first downbeat on
        self.done = False  # the timed stop happened: the show has ended

    def started(self, scheduler: Any, downbeat_ns: int) -> None:
        """The transport started with its downbeat at `downbeat_ns`: the first start
        counts; a start after a timed show ended begins a new one."""
        if self.done:
            self.done, self.stop_at_ns = False, None
        if self.stop_at_ns is None:
            self.stop_at_ns = downbeat_ns + self.play_for_ns
            scheduler.until_ns = self.stop_at_ns

    def due(self, scheduler: Any, now_ns: int) -> int | None:
        """The ns to stop on when everything before the end has been handed over; else None."""
        if self.stop_at_ns is None or self.done:
            return None
        horizon = now_ns + scheduler.lookahead_ns + scheduler.max_latency_ns
        if horizon < self.stop_at_ns - 1:
            return None
        self.done = True
        scheduler.until_ns = None
        return max(now_ns, self.stop_at_ns)

    def pump(self, engine: Any, now_ns: int) -> None:
        """Every engine pump: stop `engine` on the end once it is due (a set waiting
        at a "wait" transition ends too: the show's time is up)."""
        at = self.due(engine.scheduler, now_ns)
        if at is not None:
            engine.stop(at)
            engine.waiting = False

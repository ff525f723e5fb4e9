"""Time for the offline twins: a clock the test moves, never a sleep."""

from __future__ import annotations

__all__ = ["MS", "T0", "FakeSeconds", "FakeTime"]

MS = 1_000_000
T0 = 10**9  # FakeTime's default start: 1 s into its fake monotonic time


class FakeTime:
    """A `now_ns` / `sleep_until` pair whose sleep jumps time (optionally with stalls).

    `stalls` maps a time to a jump: the first sleep that reaches it moves time on by
    that much more, once — a late wake-up, as a busy machine gives one.
    """

    def __init__(self, start: int = T0) -> None:
        self.now = start
        self.stalls: dict[int, int] = {}

    def now_ns(self) -> int:
        return self.now

    def sleep_until(self, ns: int) -> None:
        self.now = max(self.now, ns)
        for at in sorted(self.stalls):
            if self.now >= at:
                self.now += self.stalls.pop(at)


class FakeSeconds:
    """A `now` / `sleep` pair in seconds (the host's Patches take these): sleep moves
    time on by exactly what it was asked."""

    def __init__(self, start: float) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds

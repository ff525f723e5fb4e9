"""Cycles the JACK server skipped, as one client sees them: pure counting, no JACK.

A cycle that does not start where the client's last one ended was skipped for that
client. In real time that is an xrun (late clients, a stalled machine), and the
engine handles it as one (issue 16, item 3). In JACK freewheel it must never happen:
there are no deadlines, the server waits for every client. Yet jack2 (1.9.21 here)
can run its frame counter ahead on its own there: its freewheel thread
(`JackFreewheelDriver::Process`) advances the frame timer at the top of every pass
(`CycleTakeBeginTime`), and when it finds the graph not finished it neither waits nor
runs the clients — it loops straight into the next pass, each ~2 us, until the graph
finishes or the server's client timeout (`jackd -t`) since the last good cycle runs
out. Seen on a loaded 2-core machine: 63.7 minutes of timeline in 5.6 s of wall time
with the recorder hearing nothing, and a 400-bar song played with every clock tick
missed. A frame-exact figure or test from such a run is wrong, whatever it shows:
this is how the tests and the benchmarks notice, and say so.

`CycleGaps.cycle(first_frame, nframes, freewheeling)` from a process callback (ints
only: cheap enough for a witness's real-time thread).
"""

from __future__ import annotations

__all__ = ["CycleGaps", "FreewheelSkipped", "skip_message"]

_WRAP = 1 << 32  # jack_nframes_t: the frame counter wraps (every ~10 min in freewheel)


class FreewheelSkipped(AssertionError):
    """The JACK server skipped cycles while it freewheeled: the run is not frame-exact."""


def skip_message(gaps: int, frames: int, rate: int, who: str = "the recorder") -> str:
    """One line for a failure or a benchmark's report."""
    return (
        f"JACK skipped cycles in freewheel: {gaps} jump(s), {frames} frames "
        f"({frames / max(rate, 1):.1f} s of timeline) that {who} never got — the server "
        f"ran its frame counter ahead without the clients (jack2's freewheel loop on a "
        f"starved machine; rig.probe.skips), so nothing measured in this run is frame-exact"
    )


class CycleGaps:
    """Counts the cycles that did not start where the last one ended, apart for the
    ones where the server freewheeled before and after the jump (those are the
    server's runaway; the rest are xruns)."""

    def __init__(self) -> None:
        self.cycles = 0  # cycles seen
        self.gaps = 0  # every jump
        self.frames = 0  # frames never seen (the sum of the jumps)
        self.freewheel_gaps = 0  # jumps between two freewheel cycles
        self.freewheel_frames = 0
        self.worst = 0  # frames of the largest jump
        self.repeats = 0  # cycles that started before the last one ended
        self._next: int | None = None
        self._was_freewheeling = False

    def cycle(self, first: int, nframes: int, freewheeling: bool) -> None:
        self.cycles += 1
        expected = self._next
        self._next = (first + nframes) % _WRAP
        if expected is not None and first != expected:
            missed = (first - expected) % _WRAP
            if missed >= _WRAP // 2:
                # Backwards: the same cycle's frame seen twice (an xrun in real time
                # was seen to do that), not frames lost.
                self.repeats += 1
                self._was_freewheeling = freewheeling
                return
            self.gaps += 1
            self.frames += missed
            self.worst = max(self.worst, missed)
            if freewheeling and self._was_freewheeling:
                self.freewheel_gaps += 1
                self.freewheel_frames += missed
        self._was_freewheeling = freewheeling

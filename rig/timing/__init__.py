"""rig.timing: clock sources, MIDI clock/transport bytes and the lookahead scheduler.

Nothing here opens a device or starts a thread; time is always passed in.
"""

from rig.timing.clock import ClockSource, InternalClock
from rig.timing.scheduler import Output, Scheduler, Stats, run

__all__ = ["ClockSource", "InternalClock", "Output", "Scheduler", "Stats", "run"]

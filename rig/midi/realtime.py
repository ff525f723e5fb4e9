"""Thread-level real-time tweaks for sender threads: timer slack and SCHED_FIFO.

Both apply to the *calling thread* only and both fail quietly: rig keeps
playing where the OS says no (no RLIMIT_RTPRIO, macOS, Windows), just with a
little more jitter. Measured on the target machine (DESIGN.md): sleep-then-spin
gives ~0.1 ms p99 without realtime priority and ~0.015 ms p99 with it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

__all__ = ["lower_timer_slack", "try_realtime"]

log = logging.getLogger(__name__)

_PR_SET_TIMERSLACK = 29  # linux/prctl.h


def lower_timer_slack(slack_ns: int = 1) -> bool:
    """Set this thread's timer slack (Linux default 50 µs) so sleeps wake on time."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_TIMERSLACK, ctypes.c_ulong(slack_ns), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def try_realtime(priority: int = 5) -> bool:
    """Put this thread under SCHED_FIFO at `priority`; False (quietly) where not permitted.

    Any SCHED_FIFO priority beats every normal thread, which is what the sender
    needs; the low default keeps it below JACK's own real-time threads (jackd -R
    runs at 10 here, up to ~80 elsewhere), so a spinning sender never delays audio.
    """
    if not hasattr(os, "sched_setscheduler"):
        return False
    try:
        low = os.sched_get_priority_min(os.SCHED_FIFO)
        high = os.sched_get_priority_max(os.SCHED_FIFO)
        # pid 0 = the calling thread on Linux.
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(max(low, min(high, priority))))
    except (OSError, AttributeError):
        log.debug("SCHED_FIFO not permitted; sending without realtime priority")
        return False
    return True

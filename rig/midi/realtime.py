"""Real-time tweaks: per thread (timer slack, SCHED_FIFO) and per process (GIL, GC).

The thread-level ones apply to the *calling thread* only and fail quietly: rig
keeps playing where the OS says no (no RLIMIT_RTPRIO, macOS, Windows), just
with a little more jitter. Measured on the target machine (DESIGN.md):
sleep-then-spin gives ~0.1 ms p99 without realtime priority and ~0.015 ms p99
with it.

The process-level ones are for a process that hosts a Python JACK process
callback (the engine, the test recorder). That callback runs in JACK's
real-time thread but needs the GIL every period (1.33 ms at 64 frames):

- `sys.setswitchinterval`: a thread that wants the GIL waits this long before
  asking the holder to drop it. The default 5 ms is four JACK periods: any
  Python work elsewhere in the process (start-up, a pump, an OSC command) made
  the callback miss cycles. Measured here on an idle machine: a client whose
  main thread computes for 0.5 s had hundreds of xruns at 5 ms and none at
  0.1 ms; the engine had 6-8 xruns at every start, none after.
- The cyclic garbage collector holds the GIL for a whole collection: a full
  one over a loaded set (58,000 events) took 59 ms here, in whichever thread
  happened to allocate — the JACK thread included. `gc.freeze()` once the
  engine is built moves every object alive then out of the collector's sight,
  so later collections only walk the few objects made while playing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import sys

__all__ = [
    "SWITCH_INTERVAL_S",
    "freeze_heap",
    "lower_timer_slack",
    "prepare_realtime_process",
    "try_realtime",
]

log = logging.getLogger(__name__)

_PR_SET_TIMERSLACK = 29  # linux/prctl.h

# GIL hand-over bound for a process with a Python JACK callback (see module doc):
# well under one 64-frame period (1333 µs), and contention-only (no cost when one
# thread runs alone).
SWITCH_INTERVAL_S = 100e-6


def prepare_realtime_process(switch_interval_s: float = SWITCH_INTERVAL_S) -> None:
    """Call first thing in a process that will host a JACK process callback.

    Shortens the GIL switch interval and pauses the cyclic GC until
    `freeze_heap()` (a start-up collection would stall the callback).
    """
    sys.setswitchinterval(switch_interval_s)
    gc.disable()


def freeze_heap() -> None:
    """Call once the long-lived objects exist (cues loaded, engine built).

    Freezes them out of the collector (no collection first: that alone would
    stall the JACK callback for tens of ms) and turns it back on for the
    short-lived objects made while playing.
    """
    gc.freeze()
    gc.enable()


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

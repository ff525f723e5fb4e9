"""The engine process ends even when a close hangs in a C library (rig.engine.ending).

Seen: an engine whose controller was SIGKILLed hung for good in libjack's
`jack_client_close`, an orphan holding its JACK clients. `end_within` hands the end
to the kernel (SIGALRM, default action), so no Python code has to run for it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

from rig.engine.ending import end_within

# A process stuck in a C call that never returns and ignores nothing: pause(2).
STUCK = """
import ctypes, sys
from rig.engine.ending import end_within
assert end_within(1)
print("armed", flush=True)
ctypes.CDLL(None).pause()
"""


def test_a_process_stuck_in_a_c_call_ends_at_its_deadline():
    began = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", STUCK], capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    took = time.monotonic() - began
    assert proc.stdout.strip() == "armed", proc.stderr
    assert proc.returncode == -signal.SIGALRM
    assert took < 25  # the deadline, not the 30 s timeout (which would raise)


def test_without_the_deadline_the_same_process_would_not_end():
    """The control: the same stuck process without `end_within` is still there."""
    code = STUCK.replace("assert end_within(1)", "pass")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "armed"
        time.sleep(2.5)
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_it_is_not_armed_outside_the_main_thread():
    armed = []
    worker = threading.Thread(target=lambda: armed.append(end_within(1)))
    worker.start()
    worker.join()
    assert armed == [False]
    # Not armed here either: pytest's own timeout (if any) is still what is pending.
    pending, _ = signal.getitimer(signal.ITIMER_REAL)
    assert pending == 0 or pending > 1.5

"""Link figures for `rig bench sync` and the tests: rig's Link adapter against an
independent peer process (`rig.probe.linkpeer`), both in a private network namespace.

`measure_in_netns()` re-runs this module under `unshare -rn` with loopback up, so
Link's multicast never leaves the machine; inside, `measure()` joins the session and
measures: time to see the peer, the beat-mapping difference to the peer at the same
host instants (ms), how long a tempo change takes to reach the other side either way,
start from the peer / stop from rig, and what a 999 BPM peer does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from rig.timing.link import LinkSession
from rig.timing.source import LinkSource

__all__ = ["measure", "measure_in_netns"]


class _Peer:
    def __init__(self, bpm: float):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rig.probe.linkpeer", str(bpm)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, line: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        try:
            self.ask("quit") if self.proc.poll() is None else None
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _until(check: Callable[[], bool], timeout_s: float) -> float | None:
    """Seconds until `check()` holds (polled every ms), None after `timeout_s`."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if check():
            return time.monotonic() - t0
        time.sleep(0.001)
    return None


def measure() -> dict[str, Any]:
    """Run inside a private network namespace: figures as a dict (JSON-able)."""
    session = LinkSession(120.0, 4)
    peer = _Peer(120.0)
    figures: dict[str, Any] = {}
    try:
        figures["join_s"] = _until(lambda: session.peers >= 1, 10.0)
        state = peer.ask("state")
        errors = []
        # The peer's host instants, put on our monotonic clock through an offset read
        # here independently of rig's HostClock (Link's Linux host clock is RAW).
        a = time.monotonic_ns()
        raw = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
        offset = raw - (a + time.monotonic_ns()) // 2
        for host_us, beat in state["samples"]:
            ours = session.beat_at(host_us * 1000 - offset)
            errors.append(abs(ours - beat) * 60_000 / state["bpm"])
        figures["phase_max_ms"] = max(errors)
        peer.ask("tempo 130")
        figures["follow_s"] = _until(lambda: abs(session.bpm - 130.0) < 1e-3, 5.0)
        session.propose_tempo(100.0, time.monotonic_ns())
        figures["propose_s"] = _until(lambda: abs(peer.ask("state")["bpm"] - 100.0) < 1e-3, 5.0)
        figures["bar_s_at_100"] = 4 * 60 / 100
        session.poll(time.monotonic_ns())
        peer.ask("start")
        events: list = []
        figures["start_s"] = _until(
            lambda: bool(events.extend(session.poll(time.monotonic_ns())) or events), 5.0
        )
        figures["start_kind"] = events[0].kind if events else ""
        figures["start_on_bar"] = bool(events) and events[0].beat % 4 == 0
        source = LinkSource(session)
        now = time.monotonic_ns()
        at = source.start_at(now)
        figures["origin_on_bar"] = source.origin % 4 == 0 and at >= now - 1_000
        figures["beat0_at_start_ms"] = abs(source.beat_at(at)) * 60_000 / session.bpm
        session.stop(time.monotonic_ns())
        figures.update(_engine_run(session, peer))
        session.stop(time.monotonic_ns())
        figures["stop_s"] = _until(lambda: not peer.ask("state")["playing"], 5.0)
        peer.ask("tempo 999")
        _until(lambda: abs(session.bpm - 999.0) < 1e-3, 5.0)
        session.poll(time.monotonic_ns())
        figures["error_at_999"] = session.error
    finally:
        peer.close()
        session.close()
    return figures


def _engine_run(session: LinkSession, peer: _Peer, seconds: float = 6.0) -> dict[str, Any]:
    """The engine on a LinkSource, played from rig (real time, a pump every ms): its
    note-on deadlines (16ths) against the peer's beat at the same instants."""
    import numpy as np

    from rig.commands.bench.sync_sim import song
    from rig.engine.sync import FollowClock, SyncDriver
    from rig.engine.transport import Engine
    from rig.midi.sink import RecordingSink

    sink = RecordingSink("mono", now=time.monotonic_ns)
    sink.open()
    cue = song(16)
    clock = FollowClock(cue.tempo)
    engine = Engine([cue], {"mono": sink}, clock_latency_ms={"mono": 0.0}, clock=clock)
    source = LinkSource(session)
    driver = SyncDriver(engine, clock, make_link=lambda bpm: source)
    engine.sync = driver
    driver.switch("link", time.monotonic_ns())
    driver.handle("play", time.monotonic_ns())
    origin = source.origin
    end = time.monotonic_ns() + int(seconds * 1e9)
    while (now := time.monotonic_ns()) < end:
        driver.pump(now)
        engine.pump(now)
        time.sleep(0.001)
    state = peer.ask("state")
    driver.handle("stop", time.monotonic_ns())
    host, beats = np.array(state["samples"], dtype=float).T
    slope, intercept = np.polyfit(host, beats, 1)  # the peer's beat line (constant tempo)
    a = time.monotonic_ns()
    offset = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW) - (a + time.monotonic_ns()) // 2
    notes = [t for t, d in sink.messages if len(d) == 3 and d[0] & 0xF0 == 0x90 and d[2]]
    ms_per_beat = 60_000 / state["bpm"]
    errors, downbeats = [], []
    for i, t in enumerate(notes):
        peer_beat = intercept + slope * ((t + offset) / 1000)
        err = (peer_beat - (origin + i / 4)) * ms_per_beat
        errors.append(abs(err))
        if i % 16 == 0:
            downbeats.append(abs(err))
    if not errors:
        return {"notes": None, "downbeat_max_ms": None, "engine_notes": 0}
    e = np.asarray(errors)
    stats = {"p50": float(np.percentile(e, 50)), "p99": float(np.percentile(e, 99))}
    stats["max"] = float(e.max())
    return {
        "notes": stats,
        "downbeat_max_ms": max(downbeats),
        "engine_notes": len(notes),
        "engine_late": engine.scheduler.stats.late,
    }


def measure_in_netns(timeout_s: float = 60.0) -> dict[str, Any]:
    """`measure()` under `unshare -rn` (loopback up); {"skipped": why} where it cannot."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return {"skipped": "needs unshare and ip (util-linux, iproute2)"}
    cmd = [
        "unshare",
        "-rn",
        "sh",
        "-c",
        'ip link set lo up && exec "$0" -m ' + __name__,
        sys.executable,
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"skipped": f"the Link measurement took over {timeout_s:.0f} s"}
    if done.returncode != 0:
        return {"skipped": f"unshare -rn failed: {done.stderr.strip()[-300:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(measure()))

"""Link on JACK's frames, measured in real time at an independent recorder: for
`rig bench sync` and tests/timing/test_link.py.

Everything runs inside one private network namespace (`unshare -rn`, loopback up; see
`rig.commands.bench.sync_link`): a private JACK dummy server, the independent
recorder (`rig.probe.recorder`), an independent Link peer (`rig.probe.linkpeer`, the
binding alone) and the engine process following Link on the frame timeline
(`sync: {source: link}`, its output on JACK). rig starts the session; its 16ths land
at the recorder, stamped by frame. The measurement maps those frames to Link's host
clock on its own — pairs of (JACK frame_time, CLOCK_MONOTONIC_RAW) read here every
5 ms, interpolated — and puts them on the peer's beat line (the peer's samples of
host time → beat): each note's distance from the peer's nearest 16th, and whether
rig's first note is on the peer's bar line. Real time on a shared machine, where the
dummy server xruns several times a second: an xrun can cost a note or move it (a
cycle run late, or the frame counter catching up under the host-clock line); the
count of notes more than 3 ms off says how many, next to the xruns.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from typing import Any

import numpy as np

__all__ = ["measure_frames", "measure_frames_in_netns"]


def _sample(client: Any) -> tuple[int, int] | None:
    """(JACK frame now, CLOCK_MONOTONIC_RAW ns) when the frame did not move meanwhile."""
    a = client.frame_time
    raw = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
    return (a, raw) if client.frame_time == a else None


def measure_frames(seconds: float = 6.0, frame_engine: bool = True) -> dict[str, Any]:
    """Inside the namespace: figures as a dict (JSON-able); ms against the peer's grid."""
    import jack

    from rig.commands.bench.sync_link import _Peer, _until
    from rig.commands.bench.sync_sim import song
    from rig.config.sync import SyncConfig
    from rig.control.protocol import ControlClient
    from rig.engine.process import EngineProcess
    from rig.engine.sinks import OutputSpec
    from rig.engine.spec import EngineSpec
    from rig.probe.jackd import private_jackd
    from rig.probe.recorder import Recorder

    out: dict[str, Any] = {}
    with private_jackd(period=256) as _:
        rec = Recorder.spawn(client_name="rig-link-rec")
        peer = _Peer(120.0)
        probe = jack.Client("rig-link-probe", no_start_server=True)
        engine = None
        pairs: list[tuple[int, int]] = []
        try:
            spec = EngineSpec(
                (song(16),),
                (OutputSpec("mono", rec.port, "jack"),),
                sync=SyncConfig("link", quantum=4),
                frame_engine=frame_engine,
            )
            engine = EngineProcess(spec).start(timeout=60)
            out["warnings"] = list(engine.warnings)
            with ControlClient(engine.port) as control:

                def peers() -> bool:
                    status = control.status()
                    return status is not None and status.sync_peers >= 1

                out["join_s"] = _until(peers, 10.0)
                control.send("/rig/play")
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    if (pair := _sample(probe)) is not None:
                        pairs.append(pair)
                    time.sleep(0.005)
                state = peer.ask("state")
                control.send("/rig/stop")
                time.sleep(0.3)
                status = control.status()
                out["frames"] = status is not None and status.sync_source == "link"
        finally:
            if engine is not None:
                engine.stop()
            peer.close()
            probe.close()
            events = rec.stop()
            out["xruns"] = rec.xruns
    out.update(_figures(events, pairs, state))
    return out


def _figures(
    events: list[tuple[int, bytes]], pairs: list[tuple[int, int]], state: dict[str, Any]
) -> dict[str, Any]:
    """Each note-on's distance (ms) from the peer's nearest 16th; the first's from a bar."""
    ons = [f for f, d in events if len(d) == 3 and d[0] & 0xF0 == 0x90 and d[2]]
    if not ons or len(pairs) < 2:
        return {"notes": 0}
    frame, raw = np.array(sorted(set(pairs)), dtype=float).T
    # JACK frames -> Link's host clock (ns), between the nearest pairs: a dummy server
    # that xruns counts fewer frames than the clock runs, so no one line holds.
    raw_of = np.interp(np.array(ons, dtype=float), frame, raw)
    host, beats = np.array(state["samples"], dtype=float).T
    to_beat = np.polyfit(host, beats, 1)  # the peer's host µs -> session beat
    ms_per_beat = 60_000 / state["bpm"]
    beat = np.polyval(to_beat, raw_of / 1000)
    err = (beat * 4 - np.round(beat * 4)) / 4 * ms_per_beat
    a = np.abs(err)
    # What the server's own frame clock explains: rig maps Link's host clock to frames
    # by a least-squares line over the last 2 s (`rig.timing.link`), which a dummy
    # driver whose frame rate wanders with the machine's load (measured: 47 070 frames
    # a second at 48 kHz) leaves behind by this much, whatever rig does. On an audio
    # interface's crystal the wander is ~0; on this VM it can reach milliseconds.
    wander = np.abs(_wander_ns(np.array(ons, dtype=float), frame, raw, raw_of)) / 1e6
    beyond = np.maximum(0.0, a - wander)
    return {
        "notes": len(ons),
        "expected": int(round((beat[-1] - beat[0]) * 4)) + 1,
        "p50": float(np.percentile(a, 50)),
        "p90": float(np.percentile(a, 90)),
        "p99": float(np.percentile(a, 99)),
        "max": float(a.max()),
        "over_3ms": int((a > 3.0).sum()),
        "wander_p90": float(np.percentile(wander, 90)),
        # Each note's distance beyond what the frame clock's wander explains.
        "p50_beyond": float(np.percentile(beyond, 50)),
        "p90_beyond": float(np.percentile(beyond, 90)),
        "over_3ms_beyond": int((beyond > 3.0).sum()),
        # rig's first note (song beat 0) on the peer's bar line: its nearest 16th is one
        "first_on_bar": int(round(beat[0] * 4)) % 16 == 0,
        "first_ms": float(a[0]),
    }


def _wander_ns(
    ons: np.ndarray, frame: np.ndarray, raw: np.ndarray, truth: np.ndarray
) -> np.ndarray:
    """Per note: a 2 s least-squares line of (frame, host ns) pairs before it, minus
    the host time interpolated between the nearest pairs (the truth)."""
    out = np.zeros(len(ons))
    for i, (f, t) in enumerate(zip(ons, truth, strict=True)):
        window = (raw <= t) & (raw >= t - 2e9)
        if window.sum() < 2:
            continue
        slope, icpt = np.polyfit(frame[window], raw[window], 1)
        out[i] = slope * f + icpt - t
    return out


def measure_frames_in_netns(timeout_s: float = 120.0, frame_engine: bool = True) -> dict[str, Any]:
    """`measure_frames()` under `unshare -rn` (loopback up); {"skipped": why} where it
    cannot run."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return {"skipped": "needs unshare and ip (util-linux, iproute2)"}
    cmd = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$0" -m ' + __name__
           + ("" if frame_engine else " deadline"), sys.executable]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"skipped": f"the Link measurement took over {timeout_s:.0f} s"}
    if done.returncode != 0:
        return {"skipped": f"unshare -rn failed: {done.stderr.strip()[-400:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(measure_frames(frame_engine="deadline" not in sys.argv[1:])))

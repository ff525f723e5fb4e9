"""The real engine process following an independent MIDI clock master on JACK, measured
at the independent recorder: for `rig bench sync` and tests/live/test_sync_jack.py.

On the JACK server the environment names (JACK_DEFAULT_SERVER): the master
(`rig.probe.clockmaster`, its own process) sends clock while stopped, Start, clock
with ±jitter on every F8, and Stop; the engine process reads it through its sync
input (`sync: {source: midi}`) and plays 16ths with its MIDI clock out
(pass-through) to the recorder (`rig.probe.recorder`). The master's jitter-free grid
and the recorder's stamps are frames of the same server: each clock out is paired
with the master's nearest clock.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np

from rig.commands.bench.sync_sim import song
from rig.config.sync import SyncConfig
from rig.engine.process import EngineProcess
from rig.engine.sinks import OutputSpec
from rig.engine.spec import EngineSpec
from rig.midi.notes import sounding_after

__all__ = ["follow_on_jack"]


def follow_on_jack(
    recorder_port: str, stop_recorder: Any, *, beats: int = 16, jitter_ms: float = 1.0
) -> dict[str, Any]:
    """Run it; `stop_recorder()` returns the recorder's [(frame, bytes)]. Figures in ms."""
    master = subprocess.Popen(
        [sys.executable, "-m", "rig.probe.clockmaster", "--beats", str(beats),
         "--jitter-ms", str(jitter_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    engine = None
    out: dict[str, Any] = {}
    try:
        assert master.stdout is not None and master.stdin is not None
        ready = json.loads(master.stdout.readline())
        spec = EngineSpec(
            (song(beats // 4 + 4),),
            (OutputSpec("mono", recorder_port, "jack", clock=True),),
            sync=SyncConfig("midi", port="rig-clockmaster"),
            sync_api="jack",
        )
        engine = EngineProcess(spec).start(timeout=60)
        out["warnings"] = list(engine.warnings)
        master.stdin.write("go\n")
        master.stdin.flush()
        info = json.loads(master.stdout.readline())
        from rig.control.protocol import ControlClient

        with ControlClient(engine.port) as control:
            out["status"] = control.status()
    finally:
        if engine is not None:
            engine.stop()
        if master.stdin is not None:
            master.stdin.close()
        master.wait(timeout=10)
    events = stop_recorder()
    data = [d for _, d in events]
    clocks = [f for f, d in events if d == b"\xf8"]
    rate, zero, period = ready["rate"], info["start_frame"], info["period_frames"]
    # Each clock out against the master's nearest clock (a first clock that came too
    # late to send is skipped, never sent as a burst: the pairing must not assume it).
    ks = [round((f - zero) / period) for f in clocks]
    err = np.array(
        [(f - (zero + k * period)) / rate * 1000 for k, f in zip(ks, clocks, strict=True)]
    )
    steady = err[[k >= 8 * 24 for k in ks]] if len(err) else err
    offset = float(np.median(steady)) if len(steady) else 0.0
    spread = np.abs(steady - offset) if len(steady) else np.zeros(1)
    gaps = np.diff(clocks) / rate * 1000 if len(clocks) > 1 else np.zeros(1)
    out.update(
        data=data,
        min_gap_ms=float(gaps.min()),
        period_ms=period / rate * 1000,
        clocks=len(clocks),
        notes=sum(1 for d in data if d[0] & 0xF0 == 0x90 and d[2]),
        sounding=sounding_after(data),
        offset_ms=offset,
        p50=float(np.percentile(spread, 50)),
        p99=float(np.percentile(spread, 99)),
        max=float(spread.max()),
    )
    return out

"""The real engine process follows an independent MIDI clock master on a private JACK
server: the master (`rig.probe.clockmaster`, its own process) sends clock while
stopped, Start, ±1 ms jittered clock and Stop; the engine reads it through its sync
input (`sync: {source: midi}`) and plays to the independent recorder.

Real time on a busy machine: asserted is robustness (it starts on the master's
Start, passes the clock on, plays, stops with no note left sounding); the timing
figures at the recorder are printed, and asserted exactly in the offline twin
(tests/live/test_sync.py) and `rig bench sync`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from rig.commands.bench.sync_sim import song
from rig.control.protocol import ControlClient
from rig.engine.process import EngineProcess
from rig.engine.sinks import OutputSpec
from rig.engine.spec import EngineSpec
from rig.midi.notes import sounding_after
from rig.song.events import PPQ
from rig.syncconfig import SyncConfig

pytestmark = [pytest.mark.jack, pytest.mark.slow]


def test_the_engine_follows_a_master_on_jack(jack_server, recorder):
    master = subprocess.Popen(
        [sys.executable, "-m", "rig.probe.clockmaster", "--beats", "16", "--jitter-ms", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    engine = None
    try:
        assert master.stdout is not None and master.stdin is not None
        ready = json.loads(master.stdout.readline())
        spec = EngineSpec(
            (song(8),),
            (OutputSpec("mono", recorder.port, "jack", clock=True),),
            sync=SyncConfig("midi", port="rig-clockmaster"),
            sync_api="jack",
        )
        engine = EngineProcess(spec).start(timeout=60)
        assert not [w for w in engine.warnings if "sync" in w], engine.warnings
        master.stdin.write("go\n")
        master.stdin.flush()
        info = json.loads(master.stdout.readline())
        with ControlClient(engine.port) as control:
            status = control.status()
        assert status is not None and status.sync_source == "midi"
        assert abs(status.sync_bpm - 120.0) < 0.5
    finally:
        if engine is not None:
            engine.stop()
        master.stdin.close() if master.stdin else None
        master.wait(timeout=10)
    events = recorder.stop()
    data = [d for _, d in events]
    assert b"\xfa" in data and data[-1] == b"\xfc"  # Start and Stop passed on
    clocks = [f for f, d in events if d == b"\xf8"]
    assert 16 * 24 - 3 <= len(clocks) <= 16 * 24 + 1
    ons = [f for f, d in events if d[0] & 0xF0 == 0x90 and d[2]]
    assert len(ons) >= 16 * 4 - 2  # the 16ths of 16 beats
    assert sounding_after(data) == []
    # Against the master's jitter-free grid (same JACK frame line): printed figures.
    rate, zero, period = ready["rate"], info["start_frame"], info["period_frames"]
    # Each clock out against the master's nearest clock (a first clock that came too late
    # to send is skipped, not a burst: the pairing must not assume it was sent).
    ks = [round((f - zero) / period) for f in clocks]
    err = np.array(
        [(f - (zero + k * period)) / rate * 1000 for k, f in zip(ks, clocks, strict=True)]
    )
    steady = err[[k >= 8 * 24 for k in ks]]
    offset = float(np.median(steady))
    spread = np.abs(steady - offset)
    print(
        f"clock out vs master grid: offset {offset:+.3f} ms, |jitter| p50 "
        f"{np.percentile(spread, 50):.3f} p99 {np.percentile(spread, 99):.3f} "
        f"max {spread.max():.3f} ms (period {PPQ // 24} ticks)"
    )

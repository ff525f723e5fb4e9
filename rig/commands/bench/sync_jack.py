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

import contextlib
import json
import subprocess
import sys
import time
from typing import Any

import numpy as np

from rig.commands.bench.sync_sim import song
from rig.config.sync import SyncConfig
from rig.engine.process import EngineProcess
from rig.engine.sinks import OutputSpec
from rig.engine.spec import EngineSpec
from rig.midi.notes import sounding_after
from rig.probe.clockmaster import Scenario

__all__ = ["after_stops", "follow_on_jack", "follow_scenario", "grid_errors", "master_args"]


def master_args(sc: Scenario, margin_ms: float = 100.0) -> list[str]:
    """The clock master's command line for scenario `sc`."""
    args = [sys.executable, "-m", "rig.probe.clockmaster", "--bpm", str(sc.bpm),
            "--beats", str(sc.beats), "--lead", str(sc.lead), "--jitter-ms",
            str(sc.jitter_ms), "--seed", str(sc.seed), "--margin-ms", str(margin_ms)]  # fmt: skip
    if sc.jump_at is not None:
        args += ["--jump-at", str(sc.jump_at), "--jump-to", str(sc.jump_to)]
    if sc.gap_at is not None:
        args += ["--gap-at", str(sc.gap_at), "--gap", str(sc.gap)]
    if sc.resume_at is not None:
        args += ["--resume-at", str(sc.resume_at), "--resume-beats", str(sc.resume_beats)]
    return args


def follow_scenario(
    recorder_port: str, stop_recorder: Any, sc: Scenario, *, freewheel: Any = None, bars: int = 16
) -> dict[str, Any]:
    """The engine process (song `song(bars)`, clock out on) follows the master playing
    `sc`; with `freewheel` (a context manager, tests' fixture) the master's run plays
    in JACK freewheel. Returns the recorder's events, the master's grid, the status
    after the run and the engine's warnings."""
    master = subprocess.Popen(
        master_args(sc, margin_ms=1000.0 if freewheel is not None else 100.0),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    engine = None
    out: dict[str, Any] = {}
    try:
        assert master.stdout is not None and master.stdin is not None
        ready = json.loads(master.stdout.readline())
        spec = EngineSpec(
            (song(bars),),
            (OutputSpec("mono", recorder_port, "jack", clock=True),),
            sync=SyncConfig("midi", port="rig-clockmaster"),
            sync_api="jack",
        )
        engine = EngineProcess(spec).start(timeout=60)
        out["warnings"] = list(engine.warnings)
        from rig.control.protocol import ControlClient

        with contextlib.nullcontext() if freewheel is None else freewheel:
            master.stdin.write("go\n")
            master.stdin.flush()
            info = json.loads(master.stdout.readline())
            with ControlClient(engine.port) as control:
                # The master's last Stop is on the wire: wait until the engine acted
                # on it (its FC goes out after what was handed over) before leaving.
                deadline = time.monotonic() + 60  # generous: a loaded machine
                status = control.status()
                while (status is None or status.state == "playing") and (
                    time.monotonic() < deadline
                ):
                    time.sleep(0.05)
                    status = control.status()
                out["status"] = status
    finally:
        if engine is not None:
            engine.stop()
        if master.stdin is not None:
            master.stdin.close()
        master.wait(timeout=10)
    out["events"] = stop_recorder()
    out["grid"] = [(int(k), float(f)) for k, f in info["grid"]]
    out["stops"] = [int(f) for f in info.get("stops", [])]
    out["rate"] = ready["rate"]
    return out


def grid_errors(
    events: list[tuple[int, bytes]], grid: list[tuple[int, float]], kind: str
) -> list[tuple[int, float]]:
    """(song clock, frames off) of each clock out (`kind` "clock") or note-on ("note")
    at the recorder, against the nearest point of the master's jitter-free grid."""
    frames = np.array([f for _, f in grid])
    order = np.argsort(frames)
    frames = frames[order]
    clocks = [grid[i][0] for i in order]
    out = []
    for f, d in events:
        if kind == "clock" and d != b"\xf8":
            continue
        if kind == "note" and not (d[0] & 0xF0 == 0x90 and len(d) > 2 and d[2]):
            continue
        i = int(np.searchsorted(frames, f))
        near = [j for j in (i - 1, i) if 0 <= j < len(frames)]
        j = min(near, key=lambda j: abs(frames[j] - f))
        out.append((clocks[j], f - frames[j]))
    return out


def after_stops(events: list[tuple[int, bytes]], stops: list[int]) -> list[tuple[int, bytes]]:
    """The F8s and note-ons at the recorder at or after one of the master's Stop
    frames `stops`, before the next Start/Continue the rig sends (there should be
    none: output ends at the Stop's frame)."""
    out = []
    for stop in stops:
        for frame, data in sorted(events, key=lambda e: e[0]):
            if frame < stop:
                continue
            if data in (b"\xfa", b"\xfb"):
                break
            if data == b"\xf8" or (data[0] & 0xF0 == 0x90 and len(data) > 2 and data[2]):
                out.append((frame, data))
    return out


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


# The scenario `rig bench sync` and tests/live/test_sync_frames.py play: ±1 ms jitter, a
# tempo jump at beat 8, two silent beats at 16, Stop at 24, SPP to beat 32 + Continue.
FRAME_SCENARIO = Scenario(
    bpm=120, beats=24, jitter_ms=1.0, jump_at=8, jump_to=132, gap_at=16, gap=2,
    resume_at=32, resume_beats=8,
)  # fmt: skip


def frame_figures(run: dict[str, Any], sc: Scenario = FRAME_SCENARIO) -> dict[str, Any]:
    """Figures (ms) of a `follow_scenario` run against the master's jitter-free grid:
    notes and clock out, p50/p99/max outside the beat after the tempo jump; the settle
    (beats from the jump until every event stays within 1 ms); the clock ticks and
    note-ons at the recorder at or after a master's Stop (`after_stops`: 0)."""
    rate = run["rate"]
    jump = round((sc.jump_at or 0) * 24)
    out: dict[str, Any] = {"after_stop": len(after_stops(run["events"], run["stops"]))}
    settle = 0.0
    for kind in ("note", "clock"):
        errs = grid_errors(run["events"], run["grid"], kind)
        late = [k for k, e in errs if k >= jump and abs(e) > rate / 1000]
        if late:
            settle = max(settle, (max(late) + 1 - jump) / 24)
        steady = np.abs([e for k, e in errs if not jump <= k < jump + 24]) / rate * 1000
        out[kind] = {
            "p50": float(np.percentile(steady, 50)),
            "p99": float(np.percentile(steady, 99)),
            "max": float(steady.max()),
        }
    out["settle_beats"] = settle
    out["sounding"] = sounding_after([d for _, d in run["events"]])
    return out


def frames_run(freewheel: bool, server: str | None = None) -> dict[str, Any]:
    """`FRAME_SCENARIO` on a JACK dummy server — a private one, or the running `server`
    (JACK's table of 8 servers per machine can be full on a shared machine) — in
    freewheel, or real time with the machine's load average noted; measured at an
    independent recorder."""
    import os

    from rig.probe.freewheel import Freewheel
    from rig.probe.jackd import on_server, private_jackd
    from rig.probe.recorder import Recorder

    with on_server(server) if server else private_jackd() as name:
        rec = Recorder.spawn(client_name="rig-bench-sync-rec")
        fw = Freewheel("rig-bench-freewheel", server=name) if freewheel else None
        try:
            load = os.getloadavg()[0]
            run = follow_scenario(rec.port, rec.stop, FRAME_SCENARIO, freewheel=fw)
        finally:
            if fw is not None:
                fw.close()
            rec.kill()
        figures = frame_figures(run)
        figures["xruns"] = rec.xruns
        figures["load"] = load
        return figures

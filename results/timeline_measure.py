"""Issue 16's figures at an independent recorder: `rig play songs/heartbeat-1.yaml
--from 13 --for 10` on a private JACK dummy server (-p 64), one other busy process.

Usage (rig's tree on PYTHONPATH; JACK_DEFAULT_SERVER names a running dummy server):
    python results/timeline_measure.py [runs]
Prints per run: xruns at the recorder, clock ticks and bass note-ons off the tempo
map (frames, max |off|), notes missing, notes left sounding at the recorder.
The monopoly (bass, with clock) is bound to the recorder; the other devices play on
their stand-in voices in the engine process, as on a laptop without them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rig.midi.notes import sounding_after
from rig.probe.recorder import Recorder
from rig.project import Project
from rig.song.events import NoteOn

REPO = Path(__file__).resolve().parents[1]
SONG = REPO / "songs/heartbeat-1.yaml"
FROM_BAR, SECONDS = 13, 10


def one_run() -> dict:
    rec = Recorder.spawn(dict(os.environ))
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(f"patches: {REPO / 'patches'}\n"
                          f"devices:\n  monopoly: {{port: '{rec.port}', clock: true}}\n")
        cmd = [sys.executable, "-m", "rig.cli", "play", str(SONG), "--from", str(FROM_BAR),
               "--for", str(SECONDS), "--config", str(config), "--osc-port", "0"]
        subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        events = rec.stop()
        arr = Project.load(config).arrangements(SONG)[0]
    tempo = arr.tempo
    t0 = arr.bar_tick(FROM_BAR)
    s0 = tempo.seconds_at(t0)
    rate = rec.rate

    def plan(tick: int) -> float:
        return (tempo.seconds_at(tick) - s0) * rate

    fb = next(i for i, (_, d) in enumerate(events) if d == b"\xfb")
    clocks = [f for f, d in events[fb:] if d == b"\xf8"]
    anchor = clocks[0]
    # Each F8 against the nearest tick of the planned clock grid (a tick dropped
    # after a stall is "missing", not an offset of every later one).
    clock_off, k, seen = [], 0, set()
    for f in clocks:
        while abs(anchor + plan(t0 + 80 * (k + 1)) - f) < abs(anchor + plan(t0 + 80 * k) - f):
            k += 1
        seen.add(k)
        clock_off.append(f - anchor - round(plan(t0 + 80 * k)))
    channel = next(t.channel for t in arr.tracks if t.name == "bass")
    last_tick = t0 + 80 * (len(clocks) - 1)
    want = sorted((e.tick, e.note) for e in arr.events
                  if isinstance(e, NoteOn) and e.track == "bass" and t0 <= e.tick < last_tick)
    got = [(f, d[1]) for f, d in events[fb:] if d[0] == 0x90 | channel and d[2] > 0]
    note_off = []
    pending = list(want)
    for frame, note in got:
        # the expected note-on nearest in time with this pitch
        best = min((p for p in pending if p[1] == note),
                   key=lambda p: abs(anchor + plan(p[0]) - frame), default=None)
        if best is None:
            continue
        pending.remove(best)
        note_off.append(frame - anchor - round(plan(best[0])))
    return {
        "xruns": rec.xruns,
        "clocks": len(clocks),
        "clocks_off": sum(1 for o in clock_off if o),
        "clock_max_off": max((abs(o) for o in clock_off), default=0),
        "clocks_missing": (max(seen) + 1 - len(seen)) if seen else 0,
        "notes": len(want),
        "notes_off": sum(1 for o in note_off if o),
        "note_max_off": max((abs(o) for o in note_off), default=0),
        "missing": len(pending),
        "left_sounding": len(sounding_after([d for _, d in events])),
    }


if __name__ == "__main__":
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        print(one_run(), flush=True)

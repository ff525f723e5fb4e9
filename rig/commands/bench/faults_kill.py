"""The SIGKILL fault of `rig bench faults`: the engine killed mid-chord, the live host's
rescue (`rig.stage.rescue`, used as it is) ending its notes.

As `rig live` runs a show: one `Rescue` for the whole show (its sounding-note map and
its own JACK client opened once), a fresh engine process per repetition writing into
that map, playing the faults cue (a three-note chord held every bar, 16th bass notes)
to the independent recorder. After a random 1-3 s of playing the engine gets SIGKILL
(the frame noted by a JACK client of this process), `rescue.release()` is called as the
host calls it, and the next engine starts 0.5 s later.

Counted per kill, at the recorder: the notes sounding there at the kill, how many of
them got a note-off before the next engine started, how long the last of those took
(ms after the kill, in JACK frames), and the notes left sounding when the next engine
starts; plus the note-offs the rescue says it sent. Over the whole show: note-ons,
note-offs and notes left sounding at the end.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

from rig.commands.bench.faultkit import Row, recorder, show_cue

__all__ = ["fault_kill"]

_AFTER_S = 0.5  # from the rescue to the next engine's start


def fault_kill(reps: int, rng: random.Random) -> list[Row]:
    """SIGKILL the engine mid-chord `reps` times; the rescue ends its notes. See module doc."""
    import tempfile

    import jack

    from rig.control.protocol import ControlClient
    from rig.engine.process import EngineProcess
    from rig.engine.sinks import OutputSpec
    from rig.engine.spec import EngineSpec
    from rig.midi.notes import sounding_after
    from rig.probe.stream import note_pairs
    from rig.stage.rescue import Rescue

    rec = recorder()
    outputs = (OutputSpec("synth", rec.port, "jack", clock=True),)
    folder = Path(tempfile.mkdtemp(prefix="rig-faults-kill-"))
    rescue = Rescue(outputs, folder / "show.notes").open()
    probe = jack.Client("rig-faults-kill-probe", no_start_server=True)
    probe.activate()
    kills: list[tuple[int, int, int]] = []  # (frame at the kill, next start frame, sent)
    alive_ms: list[float] = []
    try:
        for _ in range(reps):
            spec = EngineSpec((show_cue(),), outputs, soundmap=str(rescue.path), run_on=False)
            engine = EngineProcess(spec).start()
            with ControlClient(engine.port) as control:
                control.send("/rig/play")
                time.sleep(1.0 + 2.0 * rng.random())
            frame = probe.frame_time
            killed = time.monotonic()
            engine.kill()
            sent = rescue.release()
            alive_ms.append((time.monotonic() - killed) * 1000)
            time.sleep(_AFTER_S)
            kills.append((frame, probe.frame_time, sent))
    finally:
        probe.close()
        rescue.close()
        shutil.rmtree(folder, ignore_errors=True)
    events = rec.stop()
    rows = []
    for rep, ((kill, until, sent), release_ms) in enumerate(zip(kills, alive_ms, strict=True), 1):
        held = sounding_after(d for f, d in events if f < kill)
        offs = [(f, d) for f, d in events if kill <= f < until and d[0] & 0xF0 in (0x80, 0x90)
                and (d[0] & 0xF0 == 0x80 or d[2] == 0)]  # fmt: skip
        ended, last = 0, 0
        for channel, note in held:
            frame = next((f for f, d in offs if d[0] & 0x0F == channel and d[1] == note), None)
            if frame is not None:
                ended += 1
                last = max(last, frame - kill)
        left = sounding_after(d for f, d in events if f < until)
        rows.append(Row("kill", rep, {
            "held at the kill": len(held), "ended": ended,
            "last note-off ms": last / rec.rate * 1000 if ended else "-",
            "rescue sent": sent, "release() ms": release_ms,
            "left sounding": len(left),
        }))  # fmt: skip
    pairs = note_pairs(events)
    rows.append(Row("kill", 0, {"ons": pairs.ons, "offs": pairs.offs,
                                "left sounding": pairs.stuck, "xruns": rec.xruns},
                    "whole show"))  # fmt: skip
    return rows

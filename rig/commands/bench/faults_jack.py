"""The "jack" fault of `rig bench faults`: the JACK server dies mid-show and comes back.

Each repetition on a server of its own (`jackd -d dummy`, a private name): the
engine plays the faults cue to the recorder; the server is killed (SIGKILL, as a
crash); then measured: whether the engine ended by itself, how long it took, its
exit code and the reason in its goodbye (`rig.engine.process.JACK_GONE`). The
server is started again under the same name and a new engine plays on it: whether
notes reach a new recorder there (the show can go on with a restart).
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from rig.commands.bench.faultkit import Row, fault_engine, recorder, wait_connected

__all__ = ["fault_jack"]


def fault_jack(reps: int, rng: random.Random) -> list[Row]:
    from rig.control.protocol import ControlClient
    from rig.probe.jackd import start_jackd, stop_jackd

    rows = []
    name = f"rig-faults-jack-{os.getpid()}"
    saved = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    folder = Path(tempfile.mkdtemp(prefix="rig-faults-"))
    try:
        for rep in range(1, reps + 1):
            server = start_jackd(name, folder / "jackd.log")
            figures: dict[str, object] = {}
            try:
                with fault_engine() as engine, ControlClient(engine.port) as control:
                    rec = recorder()
                    wait_connected(control)
                    control.send("/rig/play")
                    time.sleep(0.8 + rng.random())
                    server.kill()
                    server.wait()
                    killed = time.monotonic()
                    while engine.alive() and time.monotonic() - killed < 10:
                        time.sleep(0.01)
                    figures["engine ended"] = not engine.alive()
                    figures["after ms"] = (time.monotonic() - killed) * 1000
                    code = engine.wait(5)
                    figures["exit code"] = code
                    figures["said"] = engine.exit_info[0] if engine.exit_info else "-"
                    rec.kill()
                server = start_jackd(name, folder / "jackd.log")
                with fault_engine() as engine, ControlClient(engine.port) as control:
                    rec = recorder()
                    wait_connected(control)
                    control.send("/rig/play")
                    time.sleep(1.0)
                    control.send("/rig/stop")
                    time.sleep(0.3)
                    events = rec.stop()
                figures["notes after restart"] = sum(1 for _, d in events if d[0] & 0xF0 == 0x90)
            finally:
                stop_jackd(server)
            rows.append(Row("jack", rep, figures))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if saved is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = saved
    return rows

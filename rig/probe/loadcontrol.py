"""A control for the live benchmark: the same JACK DSP load with no rig in it.

On a shared VM a JACK server xruns now and then by itself, and more often the more
its clients compute (a vCPU paused by the host mid-period is a missed period,
whoever was running). So "N xruns while a cue played" says little alone. The
control is a child process with a pyo server on the same JACK server computing
plain C oscillators and filters (no Python callback, no other thread, no events)
at the DSP load the cue's run showed; its xruns, counted right after the cue's
over the same time, are what this machine does with that much DSP load.
The cue's xruns above the control's are the ones rig's voices add.

Run as `python -m rig.probe.loadcontrol`: the parent writes a number of voices per
line on stdin (0 ends); the child answers ``ok N`` when they play.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

__all__ = ["LoadControl", "main"]

# Voices the child can switch on: more than any cue's load needs (each ~0.12 % of a
# 64-frame period here).
POOL = 400
_CLIENT = "rig-bench-control"


class LoadControl:
    """The control child process; `play(n)` sets how many of its voices compute."""

    def __init__(self, period: int) -> None:
        cmd = [sys.executable, "-m", "rig.probe.loadcontrol", str(period)]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.voices = 0
        line = self._proc.stdout.readline().strip() if self._proc.stdout else ""
        if line != "ok 0":
            self.close()
            raise RuntimeError(f"the load control did not start ({line or 'no answer'})")

    def play(self, voices: int) -> None:
        voices = max(1, min(POOL, voices))
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(f"{voices}\n")
        answer = self._proc.stdout.readline().strip()
        if answer != f"ok {voices}":
            raise RuntimeError(f"the load control did not answer ({answer or 'exited'})")
        self.voices = voices

    def match(self, target: float, load: Callable[[], float]) -> float:
        """Set the voices so that `load()` (JACK's DSP %, sampled) is near `target`;
        returns the load reached. A line through two measured points, then one
        correction (the server and pyo cost something with no voice playing)."""
        self.play(1)
        base = load()
        voices = 40
        reached = base
        for _ in range(5):
            self.play(voices)
            reached = load()
            if abs(reached - target) < 0.75:
                break
            per_voice = max((reached - base) / max(1, voices - 1), 1e-3)
            voices = 1 + round((target - base) / per_voice)
        return reached

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            try:
                if proc.stdin:
                    proc.stdin.write("0\n")
                    proc.stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()

    def __enter__(self) -> LoadControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    """The child: pyo on JACK, a pool of stopped voices, switched on as told."""
    import gc

    from rig.dsp.server import AudioUnavailable, import_pyo, jack_server

    args = sys.argv[1:] if argv is None else argv
    period = int(args[0]) if args else 64
    gc.disable()  # nothing in here makes cycles; a collection would be noise in the control
    pyo = import_pyo()
    try:
        server = jack_server(pyo, period, client_name=_CLIENT)
    except AudioUnavailable as exc:
        print(f"error {exc}", flush=True)
        return 3
    # What the stand-ins spend most of their time in (profiled): detuned saws through
    # a ladder filter, mixed to stereo.
    saws = [pyo.SuperSaw(55.0 * (1 + i % 24 / 12), detune=0.4) for i in range(POOL)]
    voices = [pyo.MoogLP(saw, freq=1800, res=0.4) for saw in saws]
    for saw, v in zip(saws, voices, strict=True):
        saw.stop()
        v.stop()
    mix = pyo.Mix(voices, voices=2, mul=0.002).out()
    server.start()
    print("ok 0", flush=True)
    playing = 0
    for line in sys.stdin:
        wanted = int(line.strip() or 0)
        if wanted <= 0:
            break
        for i in range(playing, wanted):
            saws[i].play()
            voices[i].play()
        for i in range(wanted, playing):
            saws[i].stop()
            voices[i].stop()
        playing = wanted
        time.sleep(0.05)
        print(f"ok {playing}", flush=True)
    server.stop()
    del mix, voices, saws
    gc.collect()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`rig bench render --live`: play cues on their stand-ins on JACK; count xruns, read DSP load.

For each cue: the real engine process (`rig.engine.process`) with every
device on its stand-in voice plays the cue (from `--from BAR`, for `--seconds`)
on a JACK server with 64-frame periods. A witness client in this process counts
the server's xruns and samples JACK's DSP load (`jack_cpu_load`: the share of
each period the whole graph takes) every 100 ms; the engine process reports its
own CPU time. By default a private dummy server is started (`jackd -R -d dummy`,
as in the tests), so the figures do not depend on a sound card.

Then the control (`rig.probe.loadcontrol`): plain pyo DSP at the same load, no rig,
for the same time on the same server. Its xruns are the machine's own at that
load; the cue's above them are the voices'.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LiveFigures", "measure_live", "densest_bar", "print_live"]

# The first xrun-free second after a client joins is not the show: JACK re-plans its
# graph when the engine's clients (pyo, MIDI) arrive.
_SETTLE_S = 1.0


@dataclass(frozen=True)
class LiveFigures:
    cue: str
    seconds: float  # played (measured part)
    xruns: int  # while playing, after the settle time
    dsp_mean: float  # JACK DSP load, % of the period
    dsp_max: float
    engine_cpu: float  # engine process CPU, % of one core, over the whole run
    instruments: int
    applied: int  # events applied on the audio thread
    late: int  # of which more than a block late
    callback_max_us: float  # longest event-applying callback (audio thread, GIL held)
    period: int
    rate: int
    control_xruns: int | None = None  # the same DSP load with no rig in it (None: not run)
    control_dsp: float = 0.0


class _Witness:
    """A JACK client counting xruns and sampling the DSP load (not in the graph's path)."""

    def __init__(self) -> None:
        import jack

        self.client = jack.Client("rig-bench-witness", no_start_server=True)
        self.xruns = 0
        self.client.set_xrun_callback(self._xrun)
        self.client.activate()
        self.loads: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rig-bench-load", daemon=True)

    def _xrun(self, delay: float) -> None:
        self.xruns += 1

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.loads.append(float(self.client.cpu_load()))

    def start(self) -> None:
        self.xruns = 0
        self.loads.clear()
        self._thread.start()

    def stop(self) -> tuple[int, list[float]]:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join()
        xruns = self.xruns
        self.client.deactivate()
        self.client.close()
        return xruns, list(self.loads)


def measure_live(
    project,
    song: Path,
    seconds: float,
    bar: int | None,
    *,
    show: Sequence | None = None,
    control: bool = True,
) -> LiveFigures:
    """Play `song` from `bar` for `seconds` on stand-ins on the current JACK server.

    `show` (the cues of a set, `song` among them): the engine holds every instrument
    of the set, as `rig play SET` does — the load of the real show, where the other
    cues' voices (and their effects) run too."""
    from rig.control.protocol import ControlClient
    from rig.engine.process import EngineProcess
    from rig.engine.spec import EngineSpec
    from rig.voices.settings import voice_settings

    cues = list(show) if show else [project.arrangement(song)]
    index = next((i for i, c in enumerate(cues) if c.source == str(song)), 0)
    arr = cues[index]
    if bar is None:
        bar = densest_bar(arr, seconds)
    settings = voice_settings(project, cues)
    spec = EngineSpec(tuple(cues), run_on=False, voices=settings)
    engine = EngineProcess(spec).start()
    witness = _Witness()
    try:
        from rig.midi.ports import load_jack

        jack = load_jack()
        probe = jack.Client("rig-bench-probe", no_start_server=True)
        period, rate = int(probe.blocksize), int(probe.samplerate)
        probe.close()
        with ControlClient(engine.port) as control:
            if index:
                control.send("/rig/cue", index)
            control.send("/rig/play", bar)
            time.sleep(_SETTLE_S)
            first = control.status()
            witness.start()
            started = time.monotonic()
            time.sleep(seconds)
            xruns, loads = witness.stop()
            wall = time.monotonic() - started
            last = control.status()
    finally:
        engine.stop()
    stats = (engine.exit_info or ("", 0.0, {}, {}))[3] if engine.exit_info else {}
    cpu = 0.0
    if first is not None and last is not None:
        cpu = 100 * (last.cpu_seconds - first.cpu_seconds) / wall
    dsp_mean = sum(loads) / len(loads) if loads else 0.0
    control_xruns, control_dsp = _control(period, dsp_mean, seconds) if control else (None, 0.0)
    return LiveFigures(
        cue=arr.name,
        seconds=wall,
        xruns=xruns,
        dsp_mean=dsp_mean,
        dsp_max=max(loads, default=0.0),
        engine_cpu=cpu,
        instruments=int(stats.get("instruments", 0)),
        applied=int(stats.get("applied", 0)),
        late=int(stats.get("late", 0)),
        callback_max_us=float(stats.get("callback_max_us", 0.0)),
        period=period,
        rate=rate,
        control_xruns=control_xruns,
        control_dsp=control_dsp,
    )


def _control(period: int, dsp_target: float, seconds: float) -> tuple[int, float]:
    """Xruns and DSP load of the load control at `dsp_target` for `seconds`."""
    from rig.probe.loadcontrol import LoadControl

    with LoadControl(period) as control:
        sampler = _Witness()
        try:
            control.match(dsp_target, lambda: _mean_load(sampler.client, 1.0))
        finally:
            sampler.stop()
        time.sleep(_SETTLE_S)
        witness = _Witness()
        witness.start()
        time.sleep(seconds)
        xruns, loads = witness.stop()
    return xruns, sum(loads) / len(loads) if loads else 0.0


def _mean_load(client, seconds: float) -> float:  # a jack.Client
    samples = []
    for _ in range(max(1, round(seconds / 0.1))):
        time.sleep(0.1)
        samples.append(float(client.cpu_load()))
    return sum(samples) / len(samples)


def densest_bar(arr, seconds: float) -> int:  # an Arrangement
    """The bar from which `seconds` of the cue hold the most note-ons."""
    from rig.song.events import NoteOn

    ons = sorted(e.tick for e in arr.events if isinstance(e, NoteOn))
    if not ons:
        return 1
    best, best_bar = -1, 1
    bars = max(1, arr.length_bars)
    for bar in range(1, bars + 1):
        start = arr.bar_tick(bar)
        t0 = arr.tempo.seconds_at(start)
        count = sum(1 for t in ons if start <= t and arr.tempo.seconds_at(t) < t0 + seconds)
        if count > best:
            best, best_bar = count, bar
    return best_bar


def print_live(figures: Sequence[LiveFigures]) -> None:
    header = (
        f"{'cue':<24} {'played s':>8} {'xruns':>5} {'DSP mean':>8} {'DSP max':>7} "
        f"{'engine CPU':>10} {'voices':>6} {'events':>6} {'late':>4} {'apply max':>9} "
        f"{'control xruns':>13} {'at DSP':>6}"
    )
    print(header)
    print("-" * len(header))
    for f in figures:
        print(
            f"{f.cue[:24]:<24} {f.seconds:8.1f} {f.xruns:5d} {f.dsp_mean:7.1f}% "
            f"{f.dsp_max:6.1f}% {f.engine_cpu:9.1f}% {f.instruments:6d} {f.applied:6d} "
            f"{f.late:4d} {f.callback_max_us:6.0f} us "
            + (
                f"{f.control_xruns:13d} {f.control_dsp:5.1f}%"
                if f.control_xruns is not None
                else f"{'-':>13} {'-':>6}"
            ),
            flush=True,
        )
    ran = [f for f in figures if f.control_xruns is not None]
    if ran:
        ours = sum(f.xruns for f in ran)
        theirs = sum(f.control_xruns or 0 for f in ran)
        print(
            f"\nxruns: {ours} with the voices, {theirs} in the control (plain pyo DSP at the"
            f" same load, no rig) over the same {sum(f.seconds for f in ran):.0f} s"
        )

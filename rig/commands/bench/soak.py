"""`rig bench soak`: the whole set through the real engine for N minutes, witnessed.

The show as `rig play SET` plays it — the engine process, the set's transitions,
every software voice a track uses on JACK — on a private JACK dummy server, with
every outboard device bound to the independent recorder (`rig.probe.recorder`)
instead of hardware. The recorder is one MIDI input, so the devices get channels
of their own there (virus 1-3, juno60 4, monopoly 5, rytm 14) and only the
monopoly gets the MIDI clock (one tick stream to count). A "wait" in the set is
answered with `/rig/play` at once; after the last cue the set starts again.

Measured:
- RSS of the engine process (from /proc, every 10 s): first, last, max, growth;
- CPU of the engine process (its own CPU seconds over the wall time);
- late events, missed clock ticks and dropped notes as the engine counts them, and
  the JACK xruns the recorder saw;
- note pairing at the recorder: note-ons, note-offs, re-triggers, stray offs, and
  what is left sounding after the final Stop (must be 0);
- clock ticks exactly: for each Start..Stop run, the cues it played are known (the
  run's first cue and the set's `bar` transitions), so the tempo maps give every
  tick's planned time; the received F8s are compared one to one (count, and the
  largest distance from the fitted grid in frames). A run the soak itself stopped
  counts the planned ticks before the Stop's frame.

With `--freewheel` the server runs in JACK freewheel once the engine and the recorder
are up: cycle after cycle as fast as the CPU allows, no deadlines, so nothing can xrun
and every event lands on the frame its tempo map gives. `--minutes` then counts
minutes of the timeline (JACK's frame counter), not of the wall clock — an hour of
the set in a fraction of that — and the figures say how many times faster than real
time it ran. The engine's frame loop (internal clock) follows JACK's frames, so the
same code plays as on stage.

Nothing is asserted: figures are printed (and returned) for results/reliability.md.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rig.commands import EXIT_OK, EXIT_UNAVAILABLE, command_parser, parse_args

__all__ = ["main", "SUMMARY", "SoakFigures", "soak_project", "planned_ticks", "run_soak"]

SUMMARY = "play the set for N minutes through the real engine; RSS, CPU, notes, clock"

EPILOG = """examples:
  rig bench soak --minutes 10
  rig bench soak --minutes 80 songs/sets/heated-rivalry-night.yaml   # the set twice
  rig bench soak --freewheel --minutes 80   # the set twice in JACK freewheel (faster)

Needs jackd (Debian jackd2): starts a private dummy server. Prints figures, never a
pass/fail: RSS growth, CPU, late events, xruns, note pairing (left sounding), clock
ticks received against the tempo maps.

exit codes: 0 done, 2 usage, 3 jackd or JACK-Client not available
"""

# Each outboard device's base channel on the recorder's single input (0-based):
# apart, so that their notes pair up per device. Parts follow the base channel.
CHANNELS = {"virus": 0, "juno60": 3, "monopoly": 4, "rytm": 13}
CLOCK_DEVICE = "monopoly"
_RSS_EVERY_S = 10.0
FREEWHEEL_PERIOD = 256  # frames per JACK cycle in freewheel (5.3 ms at 48 kHz)
_POLL_S = 0.5


@dataclass
class SoakFigures:
    minutes: float = 0.0  # of the timeline (JACK frames in freewheel, else the wall clock)
    wall_minutes: float = 0.0
    freewheel: bool = False
    cues_played: list[str] = field(default_factory=list)
    rss_mib: list[tuple[float, float]] = field(default_factory=list)  # (s, MiB)
    cpu_percent: float = 0.0
    late: int = 0
    missed_clocks: int = 0
    dropped_notes: int = 0
    engine_xruns: int = 0
    recorder_xruns: int = 0
    ons: int = 0
    offs: int = 0
    retriggers: int = 0
    stray_offs: int = 0
    left_sounding: int = 0
    runs: list = field(default_factory=list)  # rig.probe.stream.TickMatch per Start..Stop
    events: int = 0
    exit: str = ""
    # Not "": JACK skipped cycles while it freewheeled (rig.probe.skips); every figure
    # above is then wrong, and the run says so instead of printing them as fine.
    skipped: str = ""
    recorded: list = field(default_factory=list, repr=False)  # the recorder's (frame, bytes)
    starts: list = field(default_factory=list, repr=False)  # the cue each Start began at

    def lines(self) -> list[str]:
        rss = [m for _, m in self.rss_mib]
        got = sum(r.received for r in self.runs)
        want = sum(r.planned for r in self.runs)
        lost = sum(r.lost for r in self.runs)
        extra = sum(r.extra for r in self.runs)
        worst = max((r.max_offgrid for r in self.runs), default=0.0)
        steps = sorted(x for r in self.runs for x in r.steps)
        p99 = steps[min(len(steps) - 1, round(0.99 * (len(steps) - 1)))] if steps else 0.0
        p50 = steps[len(steps) // 2] if steps else 0.0
        speed = self.minutes / self.wall_minutes if self.wall_minutes else 0.0
        warning = [f"NOT A VALID RUN: {self.skipped}"] if self.skipped else []
        return warning + [
            f"played {self.minutes:.1f} min: {', '.join(self.cues_played)}",
            f"in {self.wall_minutes:.1f} min of wall time ({speed:.1f}x real time"
            + (", JACK freewheel)" if self.freewheel else ")"),
            f"engine RSS MiB: first {rss[0]:.1f}, last {rss[-1]:.1f}, max {max(rss):.1f}, "
            f"growth {rss[-1] - rss[0]:+.1f} ({len(rss)} samples)"
            if rss
            else "engine RSS: no samples",
            f"engine CPU: {self.cpu_percent:.1f} % of one core",
            f"late events {self.late}, missed clock ticks {self.missed_clocks}, "
            f"dropped notes {self.dropped_notes}",
            f"JACK xruns: {self.engine_xruns} (engine), {self.recorder_xruns} (recorder)",
            f"notes at the recorder: {self.ons} on, {self.offs} off, {self.retriggers} "
            f"re-triggered, {self.stray_offs} stray offs, {self.left_sounding} left sounding",
            f"clock: {got} ticks received, {want} planned by the tempo maps, in "
            f"{len(self.runs)} runs: {lost} lost, {extra} extra",
            f"clock steps (gap to the next tick against the plan), frames: p50 {p50:.0f}, "
            f"p99 {p99:.0f}, max {steps[-1] if steps else 0:.0f}; largest distance from one "
            f"line fitted over the whole run {worst:.0f} (the dummy driver's frames drift "
            f"from wall time at each xrun)",
            f"engine ended: {self.exit}",
        ]


def soak_project(project, port: str):  # noqa: ANN001, ANN201 - Project in, Project out
    """`project` with every device of CHANNELS bound to the JACK port `port` (exact),
    on its own channel there, MIDI clock on CLOCK_DEVICE only, no latency offset."""
    from rig.config import DeviceBinding
    from rig.source.errors import Pos

    pos = Pos(str(project.config.path), 1, 1)
    pattern = "/^" + port.replace(".", "\\.") + "$/"
    bindings = {
        device: DeviceBinding(device, pattern, channel, device == CLOCK_DEVICE, 0.0, pos)
        for device, channel in CHANNELS.items()
        if device in project.devices
    }
    config = dataclasses.replace(project.config, bindings=bindings)
    return dataclasses.replace(project, config=config)


def planned_ticks(cues: Sequence, first: int, transitions: Sequence[str]) -> list[float]:
    """Seconds (from the run's Start) of every clock tick of a run that starts at cue
    `first` from bar 1 and goes on through the set's `bar` transitions until a cue
    that waits (or the last) has ended."""
    from rig.midi.wire import TICKS_PER_CLOCK

    out: list[float] = []
    offset = 0.0
    index = first
    while True:
        arr = cues[index]
        tempo = arr.tempo
        out += [offset + tempo.seconds_at(t) for t in range(0, arr.length_ticks, TICKS_PER_CLOCK)]
        offset += tempo.seconds_at(arr.length_ticks)
        how = transitions[index] if index < len(transitions) else "wait"
        if index + 1 >= len(cues) or how != "bar":
            return out
        index += 1


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def run_soak(
    config_path: Path | None,
    set_path: Path,
    minutes: float,
    *,
    say: Callable[[str], None] = print,
    now: Callable[[], float] = time.monotonic,
    freewheel: bool = False,
) -> SoakFigures:
    """Play the set for `minutes` on the current JACK server (see the module doc); in
    JACK freewheel with `freewheel`, `minutes` of the timeline."""
    from rig.control.protocol import ControlClient
    from rig.engine.process import EngineProcess
    from rig.engine.spec import engine_spec
    from rig.probe.recorder import Recorder
    from rig.probe.stream import clock_runs, match_ticks, note_pairs
    from rig.project import Project

    figures = SoakFigures()
    with Recorder.spawn(client_name=f"rig-soak-{os.getpid()}") as rec:
        project = soak_project(Project.load(config_path), rec.port)
        cues = project.arrangements(set_path)
        spec = engine_spec(project, set_path, cues)
        transitions = spec.transitions or ("bar",) * len(cues)
        engine = EngineProcess(spec).start()
        starts: list[int] = []  # the cue each Start began at, in order
        wheel = _Wheel(rec.rate) if freewheel else None
        wall_begun = now()
        try:
            with ControlClient(engine.port) as control:
                time.sleep(1.0)  # the engine's clients settle (see rig play)
                if wheel is not None:
                    now = wheel.on()  # every client is up: jack2 opens none while it freewheels
                control.send("/rig/play")
                starts.append(0)
                begun = now()
                wall_begun = time.monotonic()
                first = last = None
                next_rss = 0.0
                seen: list[int] = [0]
                while now() - begun < minutes * 60:
                    time.sleep(_POLL_S)
                    if not engine.alive():
                        break
                    status = control.status(timeout=1.0)
                    if status is None:
                        continue
                    first = first or status
                    last = status
                    if status.cue != seen[-1]:
                        seen.append(status.cue)
                    if now() - begun >= next_rss:
                        rss = _rss_mib(status.pid)
                        if rss is not None:
                            figures.rss_mib.append((now() - begun, rss))
                        next_rss += _RSS_EVERY_S
                        say(f"{(now() - begun) / 60:5.1f} min  {status.line()}  RSS {rss} MiB")
                    if status.state in ("waiting", "ended"):
                        index = status.cue if status.state == "waiting" else 0
                        if status.state == "ended":
                            control.send("/rig/cue", 0)
                        control.send("/rig/play")
                        starts.append(index)
                        seen.append(index)
                        # Wait for the engine to take it: one Start per launch.
                        deadline = now() + 5
                        while now() < deadline:
                            s = control.status(timeout=0.5)
                            if s is not None and s.state == "playing":
                                break
                wall = now() - begun
                figures.wall_minutes = (time.monotonic() - wall_begun) / 60
                if wheel is not None:
                    wheel.off()
                control.send("/rig/stop")
                time.sleep(0.5)
                final = control.status(timeout=1.0) or last
        finally:
            if wheel is not None:
                wheel.close()
            engine.stop()
        events = rec.stop()
    figures.minutes = wall / 60
    figures.freewheel = freewheel
    if not freewheel:
        figures.wall_minutes = figures.minutes
    names = [c.name for c in cues]
    figures.cues_played = [names[i] for i in _dedupe(seen)]
    if first is not None and final is not None:
        spent = final.cpu_seconds - first.cpu_seconds
        figures.cpu_percent = 100 * spent / max(figures.wall_minutes * 60, 1e-9)
        figures.late, figures.missed_clocks = final.late, final.missed_clocks
        figures.dropped_notes, figures.engine_xruns = final.dropped_notes, final.xruns
    figures.recorder_xruns = rec.xruns
    if wheel is not None:
        figures.skipped = wheel.fw.skipped() or rec.freewheel_skip()
    figures.events = len(events)
    figures.recorded, figures.starts = events, starts
    pairs = note_pairs(events)
    figures.ons, figures.offs, figures.retriggers = pairs.ons, pairs.offs, pairs.retriggers
    figures.stray_offs, figures.left_sounding = pairs.stray_offs, pairs.stuck
    for run, cue in zip(clock_runs(events), starts, strict=False):
        plan = planned_ticks(cues, cue, transitions)
        figures.runs.append(match_ticks(run.ticks, plan, rec.rate, run.stop_frame))
    figures.exit = str(engine.exit_info[0]) if engine.exit_info else "no bye"
    return figures


class _Wheel:
    """JACK freewheel on the current server, and the timeline's seconds (its frames)."""

    def __init__(self, rate: int) -> None:
        from rig.probe.freewheel import Freewheel

        self.rate = rate
        self.fw = Freewheel(f"rig-soak-wheel-{os.getpid()}", track_frames=True)
        self.start = 0

    def on(self) -> Callable[[], float]:
        time.sleep(0.2)  # a few cycles: `frame` is the server's
        self.start = self.fw.frame
        self.fw.set(True)
        return lambda: (self.fw.frame - self.start) / self.rate

    def off(self) -> None:
        if self.fw.on:
            self.fw.set(False)

    def close(self) -> None:
        self.fw.close()


def _dedupe(seq: list[int]) -> list[int]:
    return [v for i, v in enumerate(seq) if i == 0 or seq[i - 1] != v]


def main(argv: list[str]) -> int:
    parser = command_parser("rig bench soak", SUMMARY, EPILOG)
    parser.add_argument(
        "set", nargs="?", type=Path, default=Path("songs/sets/heated-rivalry-night.yaml"),
        help="the set to play (default: songs/sets/heated-rivalry-night.yaml)",
    )  # fmt: skip
    parser.add_argument("--minutes", type=float, default=10.0, help="how long (default 10)")
    parser.add_argument(
        "--freewheel", action="store_true",
        help="run in JACK freewheel, faster than real time; --minutes of the timeline",
    )  # fmt: skip
    args = parse_args(parser, argv)
    if isinstance(args, int):
        return args
    from rig.probe.jackd import private_jackd

    try:
        # Freewheel runs cycle after cycle: fewer, longer ones (still well inside the
        # scheduler's 15 ms lookahead) let the set run many times faster than real time.
        with private_jackd(period=FREEWHEEL_PERIOD if args.freewheel else 64):
            figures = run_soak(args.config, args.set, args.minutes, freewheel=args.freewheel)
    except RuntimeError as exc:
        print(f"rig bench soak: {exc}")
        return EXIT_UNAVAILABLE
    for line in figures.lines():
        print(line)
    return EXIT_UNAVAILABLE if figures.skipped else EXIT_OK

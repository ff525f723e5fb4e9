"""`rig bench clock`, engines part: the frame engine against the deadline engine and isobar.

One run plays the same music — Inferno's densest section (songs/inferno.yaml, from
bar 65, all tracks, its devices with clock as config.yaml says) — through:

- rig's frame engine: `FrameLoop` in the JACK process callback (rig/engine/cycle.py);
- rig's deadline engine: the engine loop pumping on `time.monotonic_ns()` deadlines,
  which JACK sinks map onto frames (what rtmidi outputs and sync sources still use;
  `EngineSpec(frame_engine=False)`, see rig/engine/wiring.py);
- isobar (PyPI), the peer a user would pick instead, in a venv of its own
  (`rig.commands.bench.isobar_peer`): its Timeline and clock, out through rtmidi's
  JACK API, the same notes at the section's tempo.

All on the same private dummy JACK server at 64 frames, each witnessed by the
independent frame-stamping recorder (`rig.probe.recorder`) — once in JACK freewheel
(no deadlines: a sequencer whose clock is JACK's frame counter plays every tick on
its frame; one that keeps wall-clock time cannot follow frames running faster than
real time) and once in real time.

Figures per row: MIDI clock ticks at the recorder, frames off the tempo map
(each tick's frame minus the tempo map's frame for it, start fitted as the median),
jitter (µs: residuals of a straight line fitted through tick frame against tempo-map
time, which removes a sender's drift against the dummy driver's frames), CPU of the
sequencer's process per JACK cycle and in % of one core, the engine's process
callback (mean and worst, from the engine's status), xruns, notes left sounding at
the end. Ratios are against the frame engine in real time, measured in the same run.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from rig.commands.bench.floor import (
    EMPTY_CLIENT,
    EMPTY_CONNECTED,
    MIDISEQ,
    NATIVE_CLIENT,
    empty_client,
    native_client,
)
from rig.midi.wire import CLOCK
from rig.probe.freewheel import Freewheel

__all__ = [
    "EngineRow",
    "run_engines",
    "engines_markdown",
    "tick_errors",
    "inferno_section",
    "machine_load",
]

INFERNO = Path("songs/inferno.yaml")
FROM_BAR = 65  # Inferno's "inferno" section: every track plays, 100 BPM, no ramp
FRAME, DEADLINE, ISOBAR = "rig frame engine", "rig deadline engine", "isobar"
FREEWHEEL, REALTIME, STOPPED = "freewheel", "real time", "stopped"  # stopped: the floor


@dataclass
class EngineRow:
    engine: str
    mode: str
    ticks: int = 0  # MIDI clock ticks at the recorder
    expected: int = 0  # ticks the section has
    frames_off: tuple[int, int] = (0, 0)  # p99, max |frame - tempo map frame|
    jitter_us: tuple[float, float, float] = (0.0, 0.0, 0.0)  # p50, p99, max
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    cycles: int = 0
    callback_us: tuple[float, float] | None = None  # mean, worst (rig only)
    xruns: int = 0
    sounding: int = 0  # notes left sounding at the recorders
    note_ons: int = 0
    note: str = ""
    errors_us: list[float] | None = None  # every tick's jitter (for the plot)
    # Not "": JACK skipped cycles while this freewheel row ran (rig.probe.skips): its
    # frame figures are wrong, and the table says so instead of printing them.
    skipped: str = ""

    @property
    def cpu_percent(self) -> float:
        return 100 * self.cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def cpu_per_cycle_us(self) -> float:
        return 1e6 * self.cpu_seconds / self.cycles if self.cycles else 0.0


# -- the music --------------------------------------------------------------------------
def inferno_section(root: Path, bars: int):
    """(Inferno cut after `bars` bars from FROM_BAR, its outputs as in config.yaml)."""
    from rig.engine.sinks import OutputSpec, outputs_from_project
    from rig.project import Project
    from rig.song.arrangement import Arrangement, SectionSpan

    config = root / "config.yaml"
    project = Project.load(config if config.exists() else None)
    arr = project.arrangement(root / INFERNO)
    end = arr.bar_tick(FROM_BAR + bars)
    sections = [
        SectionSpan(
            s.name,
            s.start_tick,
            min(s.end_tick, end),
            s.start_bar,
            (min(s.end_tick, end) - s.start_tick) // s.bar_ticks,
            s.numerator,
            s.denominator,
        )
        for s in arr.sections
        if s.start_tick < end
    ]
    cut = Arrangement(
        arr.name,
        [e for e in arr.events if e.tick < end],
        arr.tempo,
        sections,
        arr.tracks,
        end,
        key=arr.key,
    )
    devices = sorted({t.device for t in arr.tracks if t.device})
    bound = {o.device: o for o in outputs_from_project(project) if o.device in devices}
    # Every device of the song gets an output (the bench points them at its recorders),
    # and at least one sends clock, whatever this project's config says.
    outputs = [bound.get(d) or OutputSpec(d, d) for d in devices]
    if outputs and not any(o.clock for o in outputs):
        outputs[0] = replace(outputs[0], clock=True)
    return cut, outputs


def _isobar_job(arr, port: str) -> dict:
    """The section's notes for isobar: onset and length in beats from FROM_BAR."""
    from rig.commands.bench.isobar_peer import note_groups
    from rig.song.events import PPQ, NoteOff, NoteOn

    start = arr.bar_tick(FROM_BAR)
    open_: dict[tuple[int, int], tuple[int, int]] = {}
    notes = []
    for e in arr.events:
        if isinstance(e, NoteOn) and e.tick >= start:
            open_[(e.channel, e.note)] = (e.tick, e.velocity)
        elif isinstance(e, NoteOff) and (e.channel, e.note) in open_:
            on, velocity = open_.pop((e.channel, e.note))
            notes.append(((on - start) / PPQ, e.channel, e.note, velocity, (e.tick - on) / PPQ))
    bpm = arr.tempo.bpm_at(start)
    beats = (arr.length_ticks - start) / PPQ
    return {"port": port, "bpm": float(bpm), "beats": beats, "groups": note_groups(notes)}


def machine_load() -> str:
    """The machine's load average (uptime's figures) and core count, for the report."""
    try:
        one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return "unknown"
    return f"load average {one}, {five}, {fifteen} on {os.cpu_count()} cores"


# -- analysis ---------------------------------------------------------------------------
def tick_errors(frames: list[int], plan_s: list[float], rate: int):
    """(frames off, jitter µs) of clock ticks at `frames` against the tempo map's
    times `plan_s` (seconds from the first tick; one per tick of the section).

    Each received tick is matched to its nearest planned tick (a tick lost in an xrun
    costs that tick only); frames off = frame - (start + the map's frame), start the
    median; jitter = residuals of a least-squares line frame ~ time, in µs."""
    import numpy as np

    if len(frames) < 3 or not plan_s:
        return [], []
    plan = np.round(np.asarray(plan_s) * rate).astype(np.int64)
    f = np.asarray(frames, dtype=np.int64)
    ks = np.clip(np.searchsorted(plan, f - f[0]), 0, len(plan) - 1)
    lower = np.clip(ks - 1, 0, len(plan) - 1)
    nearer = np.abs(plan[lower] - (f - f[0])) < np.abs(plan[ks] - (f - f[0]))
    ks = np.where(nearer, lower, ks)
    start = int(np.median(f - plan[ks]))
    off = (f - plan[ks] - start).tolist()
    t = np.asarray(plan_s)[ks]
    slope, intercept = np.polyfit(t, f.astype(float), 1)
    jitter = ((f - (intercept + slope * t)) / slope * 1e6).tolist()
    return off, jitter


def _pct(values: list[float], p: float) -> float:
    s = sorted(abs(v) for v in values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))] if s else 0.0


def _fill(row: EngineRow, events, more, plan_s: list[float], rate: int) -> EngineRow:
    from rig.midi.notes import sounding_after

    frames = [f for f, d in events if d == CLOCK]
    off, jitter = tick_errors(frames, plan_s, rate)
    row.ticks = len(frames)
    row.expected = len(plan_s)
    row.frames_off = (round(_pct(off, 99)), round(_pct(off, 100)))
    row.jitter_us = (_pct(jitter, 50), _pct(jitter, 99), _pct(jitter, 100))
    row.errors_us = jitter
    row.note_ons = sum(1 for _, d in events + more if d[0] & 0xF0 == 0x90 and d[2:3] != b"\0")
    row.sounding = len(sounding_after([d for _, d in events])) + len(
        sounding_after([d for _, d in more])
    )
    return row


# -- the runs ---------------------------------------------------------------------------
def _wait_connected(control, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = control.status(timeout=1)
        if status is not None and all(s == "hw" for _, _, s in status.track_list()):
            return
        time.sleep(0.05)


def _rig(
    arr, outputs, frame_engine: bool, fw: Freewheel | None, timeout: float, idle: float = 0.0
) -> dict:
    """Play `arr` from FROM_BAR to its end (`idle` > 0: leave it stopped that long —
    the floor: what the engine costs while nothing plays); figures from its status."""
    from rig.control.protocol import ControlClient
    from rig.engine.process import EngineProcess
    from rig.engine.spec import EngineSpec

    spec = EngineSpec((arr,), tuple(outputs), run_on=False, frame_engine=frame_engine)
    engine = EngineProcess(spec).start()
    try:
        with ControlClient(engine.port) as control:
            _wait_connected(control)
            if fw is not None:
                fw.set(True)
            first = control.status(timeout=2)
            wall0 = time.monotonic()
            if idle > 0:
                time.sleep(idle)
            else:
                control.send("/rig/play", FROM_BAR)
            last = first
            give_up = wall0 + timeout
            while time.monotonic() < give_up:
                time.sleep(0.05 if fw is not None else 0.1)
                now = control.status(timeout=2)
                if now is not None:
                    last = now
                    if now.state == "ended" or idle > 0:
                        break
            wall = time.monotonic() - wall0
            if fw is not None:
                fw.set(False)
    finally:
        if fw is not None:
            fw.set(False)
        engine.stop()
    if first is None or last is None or last.state != ("stopped" if idle > 0 else "ended"):
        raise RuntimeError("the engine did not play the section to its end")
    cycles = last.cycles - first.cycles
    return {
        "cpu": last.cpu_seconds - first.cpu_seconds,
        "wall": wall,
        "cycles": cycles,
        "callback": ((last.callback_us - first.callback_us) / max(1, cycles), last.callback_max_us),
        "late": last.late,
        "realtime": engine.realtime,
    }


def _empty_row(
    seconds: float, name: str, timeout: float, targets: tuple[str, ...] = ()
) -> EngineRow:
    """A floor row: an empty Python JACK client for `seconds` (`rig.commands.bench.floor`),
    its ports connected to `targets` (none: one port, unconnected)."""
    got = empty_client(seconds, name, timeout, targets)
    row = EngineRow(EMPTY_CONNECTED if targets else EMPTY_CLIENT, REALTIME)
    row.cpu_seconds, row.wall_seconds = got["cpu_seconds"], got["wall_seconds"]
    row.cycles = round(row.wall_seconds * got["rate"] / got["period"])
    row.note = (
        f"{len(targets)} MIDI ports connected as the engine's, a callback that does nothing"
        if targets
        else "JACK-Client, one MIDI port, a callback that does nothing"
    )
    return row


def _native_row(
    seconds: float, name: str, timeout: float, targets: tuple[str, ...], tool: str = MIDISEQ
) -> EngineRow:
    """The native floor: `jack_midiseq` connected to `targets` (`floor.native_client`);
    when it is not installed, a row that says so and measures nothing."""
    row = EngineRow(NATIVE_CLIENT, REALTIME)
    got = native_client(seconds, name, timeout, targets, tool)
    if got is None:
        row.note = f"{tool} not installed (Debian: jackd2's example clients): not measured"
        return row
    row.cpu_seconds, row.wall_seconds = got["cpu_seconds"], got["wall_seconds"]
    row.cycles = round(row.wall_seconds * got["rate"] / got["period"])
    row.note = (
        f"{MIDISEQ} (C) looping one note, its port connected to the "
        f"{len(set(targets))} recorders the engine's ports feed"
    )
    return row


def run_engines(
    root: Path,
    seconds: float,
    isobar_python: Path | None,
    say,
    progress,
    idle_s: float | None = None,
) -> list:
    """Every row, freewheel then real time; `progress(fraction)` after each run.
    `idle_s`: how long the rows that play nothing (stopped, the floor) run; default as
    long as the section plays."""
    from rig.probe.recorder import Recorder
    from rig.song.events import PPQ

    bpm = 100.0
    bars = max(1, round(seconds * bpm / 240))
    arr, outputs = inferno_section(root, bars)
    start = arr.bar_tick(FROM_BAR)
    t0 = arr.tempo.seconds_at(start)
    plan_s = [arr.tempo.seconds_at(t) - t0 for t in range(start, arr.length_ticks, PPQ // 24)]
    clocked = [o for o in outputs if o.clock]
    runs = [(FRAME, FREEWHEEL), (DEADLINE, FREEWHEEL), (FRAME, REALTIME), (DEADLINE, REALTIME)]
    if isobar_python is not None:
        runs.append((ISOBAR, REALTIME))
    runs += [(FRAME, STOPPED), (DEADLINE, STOPPED), (EMPTY_CLIENT, REALTIME)]
    runs += [(EMPTY_CONNECTED, REALTIME), (NATIVE_CLIENT, REALTIME)]
    idle = plan_s[-1] + 60 / bpm / 24 if plan_s else 1.0  # as long as the section plays
    if idle_s is not None:
        idle = idle_s
    rows = []
    for i, (engine, mode) in enumerate(runs):
        say(f"-- {engine}, {mode}")
        if engine == EMPTY_CLIENT:  # no MIDI: no recorders
            rows.append(_empty_row(idle, f"rig-bench-empty{i}", timeout=60 + 3 * seconds))
            say(" | ".join(_cells(rows[-1], rows)))
            progress((i + 1) / len(runs))
            continue
        fw = Freewheel(f"rig-bench-fw-{os.getpid()}") if mode == FREEWHEEL else None
        try:
            with (
                Recorder.spawn(client_name=f"rig-bench-a{i}") as a,
                Recorder.spawn(client_name=f"rig-bench-b{i}") as b,
            ):
                # The first clocked device (name order) and every one without clock to
                # recorder a (its ticks are measured), the other clocked device(s) to b.
                port = {
                    o.device: (a.port if o is clocked[0] or not o.clock else b.port)
                    for o in outputs
                }
                row = EngineRow(engine, mode)
                if engine == EMPTY_CONNECTED:  # the floor with the engine's connections
                    targets = tuple(port[o.device] for o in outputs)
                    row = _empty_row(idle, f"rig-bench-empty{i}", 60 + 3 * seconds, targets)
                elif engine == NATIVE_CLIENT:  # the floor of a client written in C
                    targets = tuple(port[o.device] for o in outputs)
                    row = _native_row(idle, f"rig-bench-native{i}", 60 + 3 * seconds, targets)
                elif engine == ISOBAR:
                    from rig.commands.bench.isobar_peer import play

                    assert isobar_python is not None
                    got = play(
                        isobar_python,
                        _isobar_job(arr, a.port),
                        {"JACK_DEFAULT_SERVER": os.environ.get("JACK_DEFAULT_SERVER", "")},
                        timeout=60 + 3 * seconds,
                    )
                    row.cpu_seconds, row.wall_seconds = got["cpu_seconds"], got["wall_seconds"]
                    row.cycles = round(row.wall_seconds * a.rate / a.period)
                    row.note = "rtmidi JACK API, 480 PPQN clock thread"
                else:
                    specs = [
                        replace(
                            o, port=port[o.device], backend="jack", client_name=f"rig-bench-{i}"
                        )
                        for o in outputs
                    ]
                    got = _rig(
                        arr,
                        specs,
                        engine == FRAME,
                        fw,
                        timeout=60 + 3 * seconds,
                        idle=idle if mode == STOPPED else 0.0,
                    )
                    row.cpu_seconds, row.wall_seconds = got["cpu"], got["wall"]
                    row.cycles, row.callback_us = got["cycles"], got["callback"]
                    row.note = f"late {got['late']}" + (", SCHED_FIFO" if got["realtime"] else "")
                events, more = a.stop(), b.stop()
                row.xruns = max(a.xruns, b.xruns)
                row.skipped = a.freewheel_skip() or b.freewheel_skip()
                plays = mode != STOPPED and engine not in (EMPTY_CONNECTED, NATIVE_CLIENT)
                rows.append(_fill(row, events, more, plan_s if plays else [], a.rate))
        finally:
            if fw is not None:
                fw.close()
        say(" | ".join(_cells(rows[-1], rows)))
        progress((i + 1) / len(runs))
    return rows


# -- output -----------------------------------------------------------------------------
HEADER = [
    "engine",
    "mode",
    "clock ticks",
    "frames off map p99 / max",
    "jitter p50 / p99 / max µs",
    "CPU % one core",
    "CPU µs per cycle",
    "CPU × frame engine",
    "callback mean / worst µs",
    "xruns",
    "left sounding",
    "note",
]


def _baseline(rows: list[EngineRow]) -> EngineRow | None:
    return next((r for r in rows if r.engine == FRAME and r.mode == REALTIME), None)


def _cells(r: EngineRow, rows: list[EngineRow]) -> list[str]:
    base = _baseline(rows)
    real = r.mode != FREEWHEEL and r.cycles > 0  # a floor row not measured: no CPU
    ratio = "-"
    if base is not None and real and base.cpu_seconds > 0:
        ratio = f"{r.cpu_percent / base.cpu_percent:.2f}"
    callback = "-" if r.callback_us is None else f"{r.callback_us[0]:.0f} / {r.callback_us[1]:.0f}"
    bad = "NOT VALID" if r.skipped else ""
    return [
        r.engine,
        r.mode,
        bad or f"{r.ticks} of {r.expected}",
        bad or (f"{r.frames_off[0]} / {r.frames_off[1]}" if r.expected else "-"),
        bad or ("{:.1f} / {:.1f} / {:.1f}".format(*r.jitter_us) if r.expected else "-"),
        f"{r.cpu_percent:.1f}" if real else "-",
        f"{r.cpu_per_cycle_us:.1f}" if r.cycles else "-",
        ratio,
        callback,
        "-" if r.engine == EMPTY_CLIENT else str(r.xruns),  # no recorder: plays nothing
        "-" if r.engine in (EMPTY_CLIENT, NATIVE_CLIENT) else str(r.sounding),  # killed mid-loop
        r.skipped or r.note,
    ]


def engines_markdown(rows: list[EngineRow], seconds: float, load: str) -> str:
    lines = [
        f"## Frame engine, deadline engine, isobar — Inferno from bar {FROM_BAR}, "
        f"{seconds:g} s per run",
        "",
        f"Machine load: {load}",
        "",
        "Same run, same private dummy JACK server (48 kHz, 64 frames), same independent",
        "recorder. Frames off map: each MIDI clock tick's frame against the tempo map's",
        "frame for it (start fitted as the median). Jitter: residuals of a line fitted",
        "through tick frames against tempo-map time (a sender's drift against the dummy",
        "driver's frames removed). CPU: user + system time of the sequencer's process",
        "(the engine process for rig, isobar's process) while it played, per JACK cycle",
        "and in % of one core (real time only: freewheel runs cycles back to back).",
        "Callback: the engine's JACK process callback, mean (over all cycles) and worst",
        "while it ran; the frame engine's quiet cycles (a frame read and a few compares)",
        "are not timed, their cost is in the process's CPU.",
        "CPU × frame engine: % of one core against the frame engine in real time.",
        "Stopped: the engine open, its clients running, nothing playing, as long as the",
        "section plays — the floor each engine costs before it plays a note.",
        f"{EMPTY_CLIENT}: a process whose JACK process callback does nothing, as long",
        "as the section plays — what any Python JACK client pays per cycle (the server",
        "waking its thread, cffi taking the GIL), under the frame engine's own work.",
        f"{EMPTY_CONNECTED}: the same with one port per device, connected to the",
        "recorders as the engine's are — the engine's floor: a client whose ports feed",
        "another client also wakes that client at the end of each cycle.",
        f"{NATIVE_CLIENT}: `{MIDISEQ}` (jackd2's C example client looping a MIDI",
        "note), its port connected to the same recorders, as long as the section plays —",
        "what a JACK MIDI client costs on this machine with no Python in its cycle",
        "(CPU: its threads' run time from /proc/<pid>/task/*/schedstat).",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(_cells(r, rows)) + " |" for r in rows]
    return "\n".join(lines) + "\n"

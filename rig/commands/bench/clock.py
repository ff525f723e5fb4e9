"""`rig bench clock`: how well the MIDI clock keeps time here, in two parts.

Part "engines" (`rig.commands.bench.clock_engines`): the frame engine against the
deadline engine and isobar playing Inferno, in freewheel and in real time.

Part "sender": starts a private JACK dummy server and the frame-stamping recorder
(`rig.probe.recorder`), then sends a clock for N seconds in each configuration:

- naive: ``send(F8); sleep(interval)`` in this process (python-rtmidi, JACK API),
  measured at the send side — what a simple Python sequencer does;
- rig rtmidi: the engine process with an rtmidi sink (JACK API), measured at the
  send side (rtmidi's JACK client snaps to the next period, so the recorder would
  only see period boundaries);
- rig JACK: the engine process with a JACK sink, measured at the recorder.

each at idle, with one core busy (a spinning subprocess) and with a busy Python
thread in this, the controlling, process. It prints p50/p99/max error against
the ideal grid, drift (ppm) and the clock process's CPU %, and writes a markdown
table and a jitter plot (PNG, drawn with numpy + zlib) to the results folder.

Ideal grid: tick k at t0 + k·T (T = 60 / (bpm · 24)). At the send side t0 is the
first deadline (rig) or the loop start (naive) — a naive loop's drift therefore
shows as growing error. At the recorder, frames are converted to time with the
JACK server's measured frame rate against `time.monotonic_ns()` (the dummy
driver is not exactly 48 kHz) and t0 is fitted (median); drift is the fitted
slope. The JACK sink's row also gives the frame error against the sink's own
frame plan (its delivery log): the frame it meant is the frame that arrived.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import struct
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from rig.commands import EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, command_parser
from rig.midi.wire import CLOCK
from rig.source.files import atomic_write

__all__ = ["main", "SUMMARY", "Result", "grid_errors", "match_planned", "write_png"]

EXIT_FAILED = 4  # a run failed: an engine did not play its section to the end

SUMMARY = "benchmark the engines (frame, deadline, isobar) and the MIDI clock senders"

EPILOG = """examples:
  rig bench clock                          # both parts, 20 s per run, results/ folder
  rig bench clock --part engines --seconds 10 --out /tmp/bench
  rig bench clock --part engines --isobar-python ~/isobar/bin/python
  rig bench clock --part sender --seconds 5 --bpm 96

Needs jackd (Debian jackd2), run from the project folder (songs/inferno.yaml).
engines: the frame engine, the deadline engine (each in JACK freewheel and in real
time) and isobar (real time) play Inferno's densest section at one recorder: clock
ticks off the tempo map, jitter, CPU per cycle and % of one core, worst callback.
isobar is installed on first use into ~/.cache/rig-bench/isobar-venv (PyPI; not a
dependency of rig), or taken from --isobar-python. sender: nine runs of the clock
alone (naive sleep loop, rtmidi sink, JACK sink; idle, core busy, busy thread).
Writes results/clock-bench.md (and clock-jitter.png for the sender part); figures,
never a pass/fail test.

exit codes: 0 done, 2 usage, 3 jackd, a MIDI backend or isobar not available,
4 a run failed (an engine did not play to its end)
"""

LOADS = ("idle", "core busy", "thread busy")
METHODS = ("naive sleep loop", "rig rtmidi sink", "rig JACK sink")


@dataclass
class Result:
    method: str
    load: str
    where: str  # "send side" / "recorder"
    errors_us: list[float]  # signed error of each tick against the ideal grid
    drift_ppm: float
    cpu_percent: float
    frame_error: tuple[int, int] | None = None  # JACK: (max |frame - planned|, ticks)
    ticks: int = 0
    note: str = ""

    def row(self) -> list[str]:
        abs_err = sorted(abs(e) for e in self.errors_us)
        if not abs_err:
            return [self.method, self.load, self.where, "-", "-", "-", "-", "-", "-", self.note]
        frames = "-" if self.frame_error is None else f"{self.frame_error[0]}"
        return [
            self.method,
            self.load,
            self.where,
            f"{_pct(abs_err, 50):.1f}",
            f"{_pct(abs_err, 99):.1f}",
            f"{abs_err[-1]:.1f}",
            f"{self.drift_ppm:+.2f}",
            f"{self.cpu_percent:.2f}",
            frames,
            self.note or f"{self.ticks} ticks",
        ]


HEADER = [
    "method",
    "load",
    "measured at",
    "p50 µs",
    "p99 µs",
    "max µs",
    "drift ppm",
    "CPU % (clock process)",
    "frames off plan",
    "note",
]


def _pct(sorted_values: list[float], p: float) -> float:
    i = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[i]


def grid_errors(
    times_ns: list[float],
    period_ns: float,
    t0_ns: float | None = None,
    indices: list[int] | None = None,
):
    """(signed errors µs, drift ppm) of tick times against t0 + k·period.

    t0 None: fitted as the median offset. Drift: least-squares slope vs period.
    `indices`: each time's tick number k (default 0, 1, 2, ...; give them when
    ticks may be missing, so one lost tick does not shift all later ones).
    """
    n = len(times_ns)
    if n < 2:
        return [], 0.0
    ks = list(range(n)) if indices is None else list(indices)
    if t0_ns is None:
        offsets = sorted(t - k * period_ns for k, t in zip(ks, times_ns, strict=True))
        t0_ns = offsets[n // 2]
    errors = [(t - t0_ns - k * period_ns) / 1000 for k, t in zip(ks, times_ns, strict=True)]
    mean_k = sum(ks) / n
    mean_t = sum(times_ns) / n
    num = sum((k - mean_k) * (t - mean_t) for k, t in zip(ks, times_ns, strict=True))
    den = sum((k - mean_k) ** 2 for k in ks)
    return errors, (num / den / period_ns - 1) * 1e6 if den else 0.0


def match_planned(frames: list[int], planned: list[int]) -> tuple[list[int], int]:
    """(index of the nearest planned frame for each received frame, max |frame - plan|).

    A tick lost on the way (an xrun drops a cycle's MIDI) then costs one tick, not a
    shift of every later tick against its plan."""
    import bisect

    out, worst = [], 0
    for f in frames:
        i = bisect.bisect_left(planned, f)
        if i == len(planned) or (i > 0 and f - planned[i - 1] <= planned[i] - f):
            i -= 1
        out.append(max(0, i))
        if planned:
            worst = max(worst, abs(f - planned[max(0, i)]))
    return out, worst


# -- load generators ----------------------------------------------------------------
@contextlib.contextmanager
def _load(kind: str):
    if kind == "core busy":
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            yield
        finally:
            spinner.kill()
            spinner.wait()
    elif kind == "thread busy":
        stop = threading.Event()

        def spin() -> None:
            x = 0
            while not stop.is_set():
                x += 1  # pure Python: holds the GIL most of the time

        thread = threading.Thread(target=spin, name="bench-busy", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
    else:
        yield


# -- the runs -----------------------------------------------------------------------
def _naive(port_pattern: str, seconds: float, period_ns: int) -> tuple[list[int], float]:
    """send F8, sleep(interval): stamps taken right after each send; CPU of this loop."""
    import rtmidi

    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="rig-bench-naive")
    ports = out.get_ports()
    index = next(i for i, p in enumerate(ports) if port_pattern in p)
    out.open_port(index)
    stamps = []
    interval = period_ns / 1e9
    count = int(seconds * 1e9 / period_ns)
    cpu0 = time.thread_time()
    start = time.monotonic_ns()
    for _ in range(count):
        out.send_message(CLOCK)
        stamps.append(time.monotonic_ns())
        time.sleep(interval)
    wall = (time.monotonic_ns() - start) / 1e9
    cpu = time.thread_time() - cpu0
    out.close_port()
    out.delete()
    return [start, *stamps], 100 * cpu / wall


def _clock_song(seconds: float, bpm: float):
    from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
    from rig.song.events import PPQ
    from rig.song.tempomap import TempoMap

    bars = max(1, int(seconds * bpm / 60 / 4))
    length = bars * 4 * PPQ
    sections = [SectionSpan("bench", 0, length, 1, bars, 4, 4)]
    tracks = [TrackInfo("clock", "bench", None, 0)]
    return Arrangement("bench", [], TempoMap.constant(bpm), sections, tracks, length)


def _engine_run(backend: str, port: str, song, client: str):
    """Play `song` as clock only through the engine process; (logs, cpu %, late, exit)."""
    from rig.control.protocol import ControlClient
    from rig.engine.process import EngineProcess
    from rig.engine.sinks import OutputSpec
    from rig.engine.spec import EngineSpec

    output = OutputSpec("bench", port, backend, clock=True, rtmidi_api="jack", client_name=client)
    engine = EngineProcess(EngineSpec((song,), (output,), log_timing=True)).start()
    try:
        with ControlClient(engine.port) as control:
            first = control.status(timeout=2)
            control.send("/rig/play")
            started = time.monotonic()
            status = first
            while True:
                time.sleep(0.25)
                now = control.status(timeout=2)
                if now is not None:
                    status = now
                if status is not None and status.state == "ended":
                    break
            wall = time.monotonic() - started
    finally:
        engine.stop()
    cpu = 0.0
    if first is not None and status is not None:
        cpu = 100 * (status.cpu_seconds - first.cpu_seconds) / wall
    info = engine.exit_info or ("", 0.0, {})
    late = status.late if status is not None else 0
    return info[2].get("bench", []), cpu, late, engine.realtime


_RATE_PROBE = """
import sys, time, jack
client = jack.Client(sys.argv[1], no_start_server=True)
client.activate()

def sample():
    best = None
    for _ in range(200):
        a = time.monotonic_ns(); frame = client.frame_time; b = time.monotonic_ns()
        if best is None or b - a < best[2]:
            best = (frame, (a + b) // 2, b - a)
    return best

f0, t0, _ = sample()
print("ready", flush=True)
sys.stdin.readline()
f1, t1, _ = sample()
print((f1 - f0) / (t1 - t0), flush=True)
"""


class _FrameRate:
    """JACK frames per monotonic ns over a run, sampled in a process of its own (a busy
    thread here must not delay the samples)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _RATE_PROBE, f"rig-bench-rate-{os.getpid()}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.proc.stdout.readline()

    def finish(self) -> float:
        out, _ = self.proc.communicate("stop\n", timeout=10)
        return float(out.strip())


def _run_all(seconds: float, bpm: float, say) -> list[Result]:
    from rig.probe.recorder import Recorder

    period_ns = round(60e9 / (bpm * 24))
    song = _clock_song(seconds, bpm)
    results = []
    for load in LOADS:
        say(f"-- {load}")
        with _load(load):
            # naive loop, in this process
            with Recorder.spawn(client_name="rig-bench-rec-naive") as rec:
                stamps, cpu = _naive("rig-bench-rec-naive", seconds, period_ns)
                rec.stop()
            errors, drift = grid_errors([float(s) for s in stamps[1:]], period_ns, stamps[0])
            results.append(Result(METHODS[0], load, "send side", errors, drift, cpu,
                                  ticks=len(errors)))  # fmt: skip
            say(" | ".join(results[-1].row()))
            # rig rtmidi sink, engine process, send side
            with Recorder.spawn(client_name="rig-bench-rec-rt") as rec:
                log, cpu, late, rt = _engine_run("rtmidi", "rig-bench-rec-rt", song, "rig-bench-rt")
                rec.stop()
            log = log[1:-1]  # the sink logs every message: FA first, FC last, F8 between
            errors = [(s - w) / 1000 for w, s in log]
            _, drift = grid_errors([float(s) for _, s in log], period_ns)
            note = f"{len(log)} ticks, late {late}" + (", SCHED_FIFO" if rt else "")
            results.append(Result(METHODS[1], load, "send side", errors, drift, cpu,
                                  ticks=len(log), note=note))  # fmt: skip
            say(" | ".join(results[-1].row()))
            # rig JACK sink, engine process, at the recorder
            rate = _FrameRate()
            with Recorder.spawn(client_name="rig-bench-rec-jack") as rec:
                log, cpu, late, rt = _engine_run("jack", "rig-bench-rec-jack", song, "rig-bench")
                events = rec.stop()
            frames_per_ns = rate.finish()
            frames = [f for f, d in events if d == b"\xf8"]
            times = [f / frames_per_ns for f in frames]
            planned = [f for _, f in log[1:-1]]  # FA first, FC last, F8 between
            if frames and planned:  # the frame engine logs frames since its timeline's origin
                planned = [f + frames[0] - planned[0] for f in planned]
            ks, off = match_planned(frames, planned)
            errors, drift = grid_errors(times, period_ns, indices=ks)
            lost = len(planned) - len(frames)
            note = f"{len(frames)} ticks, late {late}, rate {frames_per_ns * 1e9:.1f} Hz"
            if rec.xruns or lost:
                note += f", {rec.xruns} xrun(s), {lost} tick(s) lost"
            result = Result(METHODS[2], load, "recorder", errors, drift, cpu, ticks=len(frames))
            result.frame_error = (off, len(frames))
            result.note = note
            results.append(result)
            say(" | ".join(results[-1].row()))
    return results


# -- output ----------------------------------------------------------------------------
def markdown(results: list[Result], seconds: float, bpm: float) -> str:
    lines = [
        f"# rig bench clock — {bpm:g} BPM, {seconds:g} s per run",
        "",
        "Error = |tick time − ideal grid|; drift = fitted tick period vs nominal (ppm).",
        "CPU % = user+system time of the process sending the clock (the engine process for",
        "rig, this loop's thread for the naive baseline) over the run, in % of one core.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
    ]
    lines += ["| " + " | ".join(r.row()) + " |" for r in results]
    lines += [
        "",
        "Plot `clock-jitter.png`: one strip per row above (top to bottom), error over",
        "time, ±500 µs full scale, grid lines every 100 µs, red = 0.",
        "",
    ]
    return "\n".join(lines)


def write_png(path: Path, series: list[list[float]], width: int = 900, strip: int = 60) -> None:
    """Strip charts of error (µs) over time, one per series, as an RGB PNG (numpy + zlib)."""
    import numpy as np

    height = strip * len(series)
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    full_scale = 500.0
    for i, errors in enumerate(series):
        top = i * strip
        mid = top + strip // 2
        for g in range(-400, 500, 100):
            y = mid - round(g / full_scale * (strip // 2 - 2))
            img[y, :, :] = (225, 225, 225)
        img[mid, :, :] = (230, 120, 120)
        img[top, :, :] = (0, 0, 0)
        if errors:
            xs = np.linspace(0, width - 1, num=len(errors)).round().astype(int)
            e = np.clip(np.asarray(errors, dtype=float), -full_scale, full_scale)
            ys = (mid - np.round(e / full_scale * (strip // 2 - 2))).astype(int)
            img[ys, xs, :] = (20, 40, 160)
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9))
    png += chunk(b"IEND", b"")
    path.write_bytes(png)


# -- the command -----------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = command_parser("rig bench clock", SUMMARY, EPILOG, config=False)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    parser.add_argument("--bpm", type=float, default=120.0, help="clock tempo (sender part)")
    parser.add_argument("--out", type=Path, default=Path("results"), help="results folder")
    parser.add_argument(
        "--part", choices=("all", "engines", "sender"), default="all", help="what to run"
    )
    parser.add_argument(
        "--isobar-python", type=Path, default=None, help="a Python with isobar installed"
    )
    parser.add_argument("--no-isobar", action="store_true", help="leave isobar's row out")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.seconds < 1 or not 20 <= args.bpm <= 300:
        print("rig bench: --seconds must be >= 1 and --bpm within 20..300", file=sys.stderr)
        return EXIT_USAGE
    from rig.commands.bench import clock_engines as eng
    from rig.commands.render import ProgressBar
    from rig.probe.jackd import private_jackd

    engines = args.part in ("all", "engines")
    if engines and not eng.INFERNO.exists():
        print(f"rig bench: {eng.INFERNO} not found: run it in the project folder", file=sys.stderr)
        return EXIT_USAGE
    isobar = None
    if engines and not args.no_isobar:
        from rig.commands.bench.isobar_peer import ensure_venv, isobar_version

        if args.isobar_python is not None:
            if not isobar_version(args.isobar_python):
                print(f"rig bench: isobar does not import in {args.isobar_python}",
                      file=sys.stderr)  # fmt: skip
                return EXIT_UNAVAILABLE
            isobar = args.isobar_python
        else:
            try:
                isobar = ensure_venv(lambda s: print(s, flush=True))
            except RuntimeError as exc:
                print(f"rig bench: {exc} (--no-isobar leaves it out)", file=sys.stderr)
                return EXIT_UNAVAILABLE
    load_before = eng.machine_load()
    rows, results = [], []
    try:
        with private_jackd():
            time.sleep(2.0)  # let JACK's DLL settle before anything is measured
            if engines:
                bar = ProgressBar("engines")
                rows = eng.run_engines(Path("."), args.seconds, isobar,
                                   lambda s: print(s, flush=True), bar)  # fmt: skip
                bar.done()
            if args.part in ("all", "sender"):
                print("method | load | measured at | " + " | ".join(HEADER[3:]))
                results = _run_all(args.seconds, args.bpm, lambda s: print(s, flush=True))
    except RuntimeError as exc:  # jackd missing or not starting, a run that failed
        print(f"rig bench: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE if "jackd" in str(exc) else EXIT_FAILED
    except KeyboardInterrupt:
        print("rig bench: interrupted", file=sys.stderr)
        return EXIT_OK
    load = f"{load_before} before, {eng.machine_load()} after (`uptime`)"
    args.out.mkdir(parents=True, exist_ok=True)
    parts = [f"# rig bench clock — {args.seconds:g} s per run", ""]
    if rows:
        parts.append(eng.engines_markdown(rows, args.seconds, load))
    if results:
        parts.append(markdown(results, args.seconds, args.bpm).replace("# rig", "## rig", 1))
        write_png(args.out / "clock-jitter.png", [r.errors_us for r in results])
    with atomic_write(args.out / "clock-bench.md") as tmp:
        tmp.write_text("\n".join(parts))
    print(f"wrote {args.out / 'clock-bench.md'}" + (" and clock-jitter.png" if results else ""))
    bad = [f"rig bench: {r.engine}, {r.mode}: {r.skipped}" for r in rows if r.skipped]
    if bad:  # JACK skipped cycles in freewheel: the rows say NOT VALID, the run fails
        print("\n".join(bad), file=sys.stderr)
    return EXIT_FAILED if bad else EXIT_OK

"""`rig bench render`: how much faster than real time each cue renders on the software voices.

Renders every cue given (default: every song in songs/) to a temporary WAV and
prints, per cue: audio length, wall time, the real-time factor (audio ÷ wall), the
CPU time of the render processes and the factor that CPU time allows on this
machine's cores (what an otherwise idle machine reaches), and the peak level. Then
each render's loudness metering, as `rig render` did it before (pyloudnorm, the cue
and every section filtered apart) against now (K-weighted once), CPU seconds and their
ratio in the same run, and the import each costs a fresh process.
A set is one row: `rig render SET` run as the musician runs it, in a fresh process
(start-up, every cue, joining and metering counted); with `--baseline DIR` (another
checkout of rig, e.g. `git worktree add /tmp/base main`) the same render by that code
runs first, taking turns with this code `--repeat` times, and the CPU and wall ratios
follow (other work on a shared machine moves both rows alike).
Figures, never a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from rig.commands import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, command_parser
from rig.source.errors import InputError

__all__ = ["main"]

EPILOG = """examples:
  rig bench render                         # every cue in songs/
  rig bench render songs/inferno.yaml songs/rivalry.yaml
  rig bench render --no-meter songs/utopie.yaml   # render speed only
  rig bench render songs/sets/heated-rivalry-night.yaml   # the whole night, start-up included
  rig bench render --baseline /tmp/base songs/sets/heated-rivalry-night.yaml  # against main
  rig bench render --live songs/inferno.yaml   # live on stand-ins: xruns, DSP load
  rig bench render --live songs/sets/heated-rivalry-night.yaml  # each cue, whole set loaded

--live plays each cue on its stand-in voices in the real engine process on a
private JACK dummy server (64-frame periods; --jack: the running server instead),
from its densest stretch (or --from BAR) for --seconds, and prints the xruns and
JACK's DSP load (the share of each period the graph takes). Then a control runs as
long: plain pyo oscillators at the same DSP load, no rig. A shared VM xruns by
itself, more the more it computes; the control's xruns are that, and the cue's
above them are what the voices add.

exit codes: 0 done, 1 errors in songs/config/voices, 2 usage, 3 pyo could not render
"""


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "rig bench render", "Render cues offline and print the real-time factor of each.", EPILOG
    )
    parser.add_argument(
        "songs",
        nargs="*",
        type=Path,
        help="cues, or sets (a whole set render, one row; --live: each cue inside the whole set) "
        "(default: songs/*.yaml)",
    )
    parser.add_argument("--live", action="store_true", help="play live on JACK: xruns, DSP load")
    parser.add_argument(
        "--no-meter",
        dest="meter",
        action="store_false",
        help="skip metering each render twice (pyloudnorm as before, rig's meter now)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="DIR",
        help="a set: also render it with the rig checked out in DIR, taking turns; ratios",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="--baseline: turns of each (default 1)"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="--live: seconds per cue")
    parser.add_argument("--from", dest="bar", type=int, default=None, help="--live: first bar")
    parser.add_argument("--jack", action="store_true", help="--live: use the running JACK server")
    parser.add_argument("--period", type=int, default=64, help="--live: frames per JACK period")
    parser.add_argument(
        "--no-control",
        dest="control",
        action="store_false",
        help="--live: skip the control run (plain pyo DSP at the same load, no rig)",
    )
    return parser


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    from rig.commands.bench.meter import meter_figures, print_meter
    from rig.dsp.render import RenderError, render
    from rig.dsp.wavfile import read_wav
    from rig.project import Project
    from rig.song.setlist import is_setlist

    songs = args.songs or sorted(Path("songs").glob("*.yaml"))
    if not songs:
        print("rig bench render: no songs given and none in songs/", file=sys.stderr)
        return EXIT_USAGE
    if args.baseline is not None and not (args.baseline / "rig" / "cli.py").is_file():
        print(
            f"rig bench render: --baseline {args.baseline}: no rig checkout there", file=sys.stderr
        )
        return EXIT_USAGE
    if args.live:
        return _live(args, songs)
    cores = os.cpu_count() or 1
    header = (
        f"{'cue':<24} {'audio s':>8} {'wall s':>7} {'factor':>7} {'cpu s':>7} "
        f"{'cpu factor':>10} {'peak dBFS':>9}"
    )
    print(header)
    print("-" * len(header))
    meters = []
    try:
        project = Project.load(args.config)
        with tempfile.TemporaryDirectory(prefix="rig-bench-") as tmp:
            for song in songs:
                if is_setlist(song):
                    _set_rows(song, args, Path(tmp), cores)
                    continue
                arr = project.arrangement(song)
                r = render(arr, project.config.voices_dir, Path(tmp) / "out.wav")
                if args.meter:
                    meters.append(meter_figures(*read_wav(Path(tmp) / "out.wav"), arr))
                cpu_factor = cores * r.duration / r.cpu_seconds if r.cpu_seconds else 0.0
                print(
                    f"{arr.name[:24]:<24} {r.duration:8.1f} {r.seconds:7.2f} "
                    f"{r.realtime_factor:6.1f}x {r.cpu_seconds:7.2f} {cpu_factor:9.1f}x "
                    f"{r.peak_dbfs:9.2f}",
                    flush=True,
                )
    except InputError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except RenderError as exc:
        print(f"rig bench render: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    print_meter(meters)
    load = os.getloadavg()[0]
    print(f"\n{cores} cores; load average {load:.2f} (other work slows the wall-clock factor)")
    return EXIT_OK


def _set_rows(setlist: Path, args: argparse.Namespace, tmp: Path, cores: int) -> None:
    """The set's row; with a baseline, its row and this code's in turns, then the ratios."""
    if args.baseline is None:
        print(_row(setlist, _whole_set(setlist, args.config, tmp), cores), flush=True)
        return
    base_root = args.baseline.resolve()
    runs: dict[str, list[tuple[float, float, float]]] = {"baseline": [], "this": []}
    for _ in range(max(1, args.repeat)):
        for label, root in (("baseline", base_root), ("this", None)):
            runs[label].append(_whole_set(setlist, args.config, tmp, root))
            print(_row(setlist, runs[label][-1], cores, label), flush=True)
    base_cpu = sum(r[2] for r in runs["baseline"])
    this_cpu = sum(r[2] for r in runs["this"])
    base_wall = sum(r[1] for r in runs["baseline"])
    this_wall = sum(r[1] for r in runs["this"])
    print(
        f"set: {setlist.stem}: CPU {base_cpu:.2f} -> {this_cpu:.2f} s "
        f"({base_cpu / this_cpu:.2f}x less), wall {base_wall:.2f} -> {this_wall:.2f} s "
        f"({base_wall / this_wall:.2f}x faster), {max(1, args.repeat)} turn(s) each",
        flush=True,
    )


def _row(setlist: Path, run: tuple[float, float, float], cores: int, label: str = "") -> str:
    audio, wall, cpu = run
    name = f"set: {setlist.stem}"[:24]
    if label:  # the label whole, the set's name shortened for it
        name = f"{name[: 24 - len(label) - 3]} ({label})"
    return (
        f"{name:<24} {audio:8.1f} {wall:7.2f} {audio / wall:6.1f}x {cpu:7.2f} "
        f"{cores * audio / cpu if cpu else 0.0:9.1f}x {'':>9}"
    )


def _whole_set(
    setlist: Path, config: Path | None, tmp: Path, root: Path | None = None
) -> tuple[float, float, float]:
    """The whole set as the musician renders it: `rig render SET` in a fresh process, so
    its start-up, every cue, the joining and the metering count; (audio, wall, CPU) s.
    `root`: the rig checkout to run (default: this one)."""
    import resource
    import subprocess
    import time
    import wave

    from rig.config import DEFAULT_CONFIG
    from rig.dsp.render import RenderError

    out = tmp / "set.wav"
    # -P: without it `python -m` puts the working directory first on sys.path, and a
    # baseline run from inside this checkout imported this code, not the baseline's (the
    # comparisons before this fix measured this code twice). The checkout to run comes
    # from PYTHONPATH alone: the baseline's, or this one's. And the render runs in `tmp`,
    # not here: a baseline's render workers (`python -m rig.dsp.worker`, without -P
    # before render26) would import a rig found in the working directory, this one.
    command = [
        sys.executable, "-P", "-m", "rig.cli", "render", str(setlist.resolve()), "-o", str(out)
    ]  # fmt: skip
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG  # what `rig render` here would have read
    if config is not None:
        command += ["--config", str(config.resolve())]
    env = dict(os.environ)
    here = Path(__file__).resolve().parents[3]  # rig/commands/bench/render.py → the checkout
    env["PYTHONPATH"] = str(root if root is not None else here)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RenderError(f"rig render {setlist}: {done.stderr.strip() or done.returncode}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    with wave.open(str(out)) as w:
        audio = w.getnframes() / w.getframerate()
    return audio, wall, cpu


def _live(args: argparse.Namespace, songs: list[Path]) -> int:
    import contextlib

    from rig.commands.bench.live import measure_live, print_live
    from rig.dsp.server import AudioUnavailable
    from rig.engine.process import EngineError
    from rig.probe.jackd import private_jackd
    from rig.project import Project
    from rig.song.setlist import is_setlist

    figures = []
    try:
        project = Project.load(args.config)
        server = contextlib.nullcontext() if args.jack else private_jackd(args.period)
        with server:
            for song in songs:
                if is_setlist(song):  # every cue inside the whole show's engine
                    show = project.arrangements(song)
                    for cue in show:
                        source = Path(cue.source)
                        figures.append(
                            measure_live(
                                project,
                                source,
                                args.seconds,
                                args.bar,
                                show=show,
                                control=args.control,
                            )
                        )
                else:
                    figures.append(
                        measure_live(project, song, args.seconds, args.bar, control=args.control)
                    )
    except InputError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except (RuntimeError, AudioUnavailable, EngineError) as exc:
        print(f"rig bench render --live: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    print_live(figures)
    if figures:
        f = figures[0]
        print(f"\nJACK {f.period} frames at {f.rate} Hz; load average {os.getloadavg()[0]:.2f}")
    return EXIT_OK

"""`rig bench render`: how much faster than real time each cue renders on the software voices.

Renders every cue given (default: every song in songs/) to a temporary WAV and
prints, per cue: audio length, wall time, the real-time factor (audio ÷ wall), the
CPU time of the render processes and the factor that CPU time allows on this
machine's cores (what an otherwise idle machine reaches), and the peak level.
Figures, never a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from rig.commands import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE
from rig.source.errors import InputError

__all__ = ["main"]

EPILOG = """examples:
  rig bench render                         # every cue in songs/
  rig bench render songs/inferno.yaml songs/rivalry.yaml

exit codes: 0 done, 1 errors in songs/config/voices, 2 usage, 3 pyo could not render
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rig bench render",
        description="Render cues offline and print the real-time factor of each.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("songs", nargs="*", type=Path, help="cues (default: songs/*.yaml)")
    parser.add_argument("--config", type=Path, default=Path("config.yaml"), help="the rig config")
    return parser


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    from rig.dsp.render import RenderError, render
    from rig.project import Project

    songs = args.songs or sorted(Path("songs").glob("*.yaml"))
    if not songs:
        print("rig bench render: no songs given and none in songs/", file=sys.stderr)
        return EXIT_USAGE
    cores = os.cpu_count() or 1
    header = (
        f"{'cue':<24} {'audio s':>8} {'wall s':>7} {'factor':>7} {'cpu s':>7} "
        f"{'cpu factor':>10} {'peak dBFS':>9}"
    )
    print(header)
    print("-" * len(header))
    try:
        project = Project.load(args.config)
        with tempfile.TemporaryDirectory(prefix="rig-bench-") as tmp:
            for song in songs:
                arr = project.arrangement(song)
                r = render(arr, project.config.voices_dir, Path(tmp) / "out.wav")
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
    load = os.getloadavg()[0]
    print(f"\n{cores} cores; load average {load:.2f} (other work slows the wall-clock factor)")
    return EXIT_OK

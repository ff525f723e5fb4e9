"""`rig render SONG|SET -o out.wav`: a cue (or a whole set) to WAV on the pyo stand-in voices.

The composition root for rendering: loads the project, builds the Arrangement(s)
and hands each to `rig.dsp.render`. A set is rendered cue by cue and joined with
two seconds of silence between cues; each cue is normalised on its own to −1 dBFS.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

from rig.commands import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    command_parser,
    load_or_report,
    parse_args,
    print_input_error,
)
from rig.source.errors import InputError

__all__ = ["main", "SUMMARY", "ProgressBar"]

SUMMARY = "render a cue or a set to a WAV file on the software voices (faster than real time)"

EPILOG = """examples:
  rig render songs/inferno.yaml -o inferno.wav
  rig render songs/inferno.yaml -o inferno.wav --stems stems/   # also one WAV per track
  rig render songs/sets/heated-rivalry-night.yaml -o night.wav   # every cue of the set

Every track plays on its software voice (patches/voices/): a device's stand-in, or
the track's own voice. Reverb and delay tails are kept; the file peaks at -1 dBFS.
Prints where the file went, its level and how much faster than real time it rendered.

exit codes: 0 written, 1 errors in the song/config/voices (file:line:col: message),
2 usage, 3 pyo could not render
"""

GAP_SECONDS = 2.0


class ProgressBar:
    """A one-line bar on stderr, redrawn in place (only when stderr is a terminal)."""

    def __init__(self, label: str, stream=sys.stderr, width: int = 30):
        self.label = label
        self.stream = stream
        self.width = width
        self.shown = -1
        self.live = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, fraction: float) -> None:
        percent = int(100 * min(1.0, max(0.0, fraction)))
        if percent == self.shown:
            return
        self.shown = percent
        if not self.live:
            return
        full = self.width * percent // 100
        bar = "#" * full + "-" * (self.width - full)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}%")
        self.stream.flush()

    def done(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "rig render", "Render a cue or a set to a WAV file on the pyo software voices.", EPILOG
    )
    parser.add_argument("song", type=Path, help="a cue (songs/NAME.yaml) or a set (songs/sets/)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .wav file to write")
    parser.add_argument("--stems", type=Path, default=None, help="folder for one WAV per track")
    parser.add_argument("--seed", type=int, default=None, help="seed for probability steps")
    return parser


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    from rig.dsp.render import RenderError, render
    from rig.dsp.server import AudioUnavailable
    from rig.project import Project

    def load():  # (Project, [Arrangement])
        project = Project.load(args.config)
        return project, project.arrangements(args.song, args.seed)

    loaded = load_or_report("render", load, path=args.song)
    if isinstance(loaded, int):
        return loaded
    project, arrangements = loaded
    voices_dir = project.config.voices_dir
    reports = []
    try:
        with tempfile.TemporaryDirectory(prefix="rig-set-") as tmp:
            parts = []
            for i, arr in enumerate(arrangements):
                out = args.output if len(arrangements) == 1 else Path(tmp) / f"cue{i:02d}.wav"
                stems = args.stems
                if stems is not None and len(arrangements) > 1:
                    stems = stems / f"{i + 1:02d}-{arr.name}"
                bar = ProgressBar(f"rendering {arr.name}")
                reports.append(
                    render(
                        arr,
                        voices_dir,
                        out,
                        stems=stems,
                        progress=bar,
                        sample_rate=project.config.sample_rate,
                    )
                )
                bar.done()
                parts.append(out)
            if len(arrangements) > 1:
                _join(parts, args.output)
    except InputError as exc:
        print_input_error(exc)
        return EXIT_BAD_INPUT
    except (RenderError, AudioUnavailable) as exc:
        print(f"rig render: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except OSError as exc:
        print(f"rig render: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for report, arr in zip(reports, arrangements, strict=True):
        print(
            f"{arr.name}: {report.duration:.1f} s, peak {report.peak_dbfs:.1f} dBFS "
            f"(gain {report.gain_db:+.1f} dB), rendered {report.realtime_factor:.1f}x real time"
        )
        for track, names in report.unmatched.items():
            print(f"  track '{track}': no voice parameter for CC {', '.join(names)}")
        if report.skipped:
            print(f"  no software voice for: {', '.join(report.skipped)}")
    print(f"wrote {args.output}")
    if args.stems is not None:
        print(f"stems in {args.stems}/")
    return EXIT_OK


def _join(parts: list[Path], output: Path) -> None:
    """Cues one after another with GAP_SECONDS of silence between them."""
    from rig.dsp.wavfile import WavWriter, read_wav
    from rig.source.files import atomic_write

    output.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(parts[0])) as first:  # every cue was rendered at the config's rate
        rate = first.getframerate()
    with atomic_write(output) as tmp, WavWriter(tmp, rate) as writer:
        for i, part in enumerate(parts):
            audio, _ = read_wav(part)
            if i:
                writer.write(np.zeros((int(GAP_SECONDS * rate), audio.shape[1])))
            writer.write(audio)

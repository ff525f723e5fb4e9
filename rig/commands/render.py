"""`rig render SONG|SET -o out.wav`: a cue (or a whole set) to WAV on the pyo stand-in voices.

The composition root for rendering: loads the project, builds the Arrangement(s)
and hands them to `rig.dsp.render` together (one set of worker processes renders
every cue). A set's cues are joined with two seconds of silence between them. By
default the whole set gets one gain (its loudest peak at −1 dBFS), so the night keeps
its quiet and loud cues; `--normalize cue` scales each cue to −1 dBFS on its own
(rehearsing one cue at a time). Every cue's integrated loudness (EBU R128, LUFS) and
each section's is printed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rig.commands import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    command_parser,
    load_or_report,
    parse_args,
    print_input_error,
    write_error,
)
from rig.source.errors import InputError

__all__ = ["main", "SUMMARY", "ProgressBar"]

SUMMARY = "render a cue or a set to a WAV file on the software voices (faster than real time)"

EPILOG = """examples:
  rig render songs/inferno.yaml -o inferno.wav
  rig render songs/inferno.yaml -o inferno.wav --stems stems/   # also one WAV per track
  rig render songs/sets/heated-rivalry-night.yaml -o night.wav   # every cue of the set
  rig render songs/sets/heated-rivalry-night.yaml -o night.wav --normalize cue

Every track plays on its software voice (patches/voices/): a device's stand-in, or
the track's own voice. Reverb and delay tails are kept; the file peaks at -1 dBFS.
A set gets one gain for the whole night (--normalize set, the default: quiet cues stay
quiet); --normalize cue scales every cue to -1 dBFS on its own.
Prints where the file went, each cue's peak, gain and integrated loudness (EBU R128,
LUFS) with each section's, and how much faster than real time it rendered.

exit codes: 0 written, 1 errors in the song/config/voices (file:line:col: message),
2 usage, 3 pyo could not render, 4 the file or a stem could not be written (disk full,
no permission: one line says so; the previous mix and stems are left as they were)
"""

GAP_SECONDS = 2.0
NORMALIZE = ("set", "cue")


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
    parser.add_argument(
        "--normalize",
        choices=NORMALIZE,
        default="set",
        help="set: one gain for the whole set, its loudest peak at -1 dBFS (default); "
        "cue: every cue to -1 dBFS on its own. A single cue is scaled to -1 dBFS either way",
    )
    return parser


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    from rig.dsp.render import Cue, RenderError, render_cues
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
    try:
        with tempfile.TemporaryDirectory(prefix="rig-set-") as tmp:
            cues = []
            joined = len(arrangements) > 1
            for i, arr in enumerate(arrangements):
                # A set's cues wait in float32 RAW to be joined (no 24-bit round trip).
                out = Path(tmp) / f"cue{i:02d}.raw" if joined else args.output
                stems = args.stems
                if stems is not None and joined:
                    stems = stems / f"{i + 1:02d}-{arr.name}"
                cues.append(Cue(arr, out, stems, raw=joined))
            # Every cue of a set on the same two workers (no core idles at a cue's end).
            label = arrangements[0].name if len(arrangements) == 1 else args.song.stem
            bar = ProgressBar(f"rendering {label}")
            reports = render_cues(
                cues, voices_dir, progress=bar, sample_rate=project.config.sample_rate
            )
            bar.done()
            parts = [cue.out for cue in cues]
            gains = _gains(reports, args.normalize)
            if joined:
                rate = project.config.sample_rate
                # Each cue's RAW is the mix before any gain: its own and the set's, in dB.
                applied = [r.gain_db + g for r, g in zip(reports, gains, strict=True)]
                _join(parts, args.output, applied, rate)
                loudness = [_metered(r, a) for r, a in zip(reports, applied, strict=True)]
            else:
                loudness = [_measure(args.output, arrangements[0])]
            _rescale_stems(reports, gains)
    except InputError as exc:
        print_input_error(exc)
        return EXIT_BAD_INPUT
    except (RenderError, AudioUnavailable) as exc:
        print(f"rig render: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except OSError as exc:
        return write_error("render", args.output, exc)
    from rig.dsp.loudness import format_lufs  # numpy: loaded by the verb that needs it

    for report, arr, gain, (lufs, sections) in zip(
        reports, arrangements, gains, loudness, strict=True
    ):
        applied = report.gain_db + gain
        print(
            f"{arr.name}: {report.duration:.1f} s, peak {report.peak_dbfs + gain:.1f} dBFS "
            f"(gain {applied:+.1f} dB), {format_lufs(lufs)}, "
            f"rendered {report.realtime_factor:.1f}x real time"
        )
        print("  sections: " + ", ".join(f"{s.name} {format_lufs(s.lufs)}" for s in sections))
        for track, names in report.unmatched.items():
            print(f"  track '{track}': no voice parameter for CC {', '.join(names)}")
        if report.skipped:
            print(f"  no software voice for: {', '.join(report.skipped)}")
    if len(arrangements) > 1:
        if args.normalize == "set":
            first = reports[0].gain_db + gains[0]
            print(f"set: one gain for every cue ({first:+.1f} dB), loudest peak -1.0 dBFS")
        else:
            print("set: every cue scaled to -1.0 dBFS on its own (--normalize cue)")
    print(f"wrote {args.output}")
    if args.stems is not None:
        print(f"stems in {args.stems}/")
    return EXIT_OK


def _gains(reports: list, normalize: str) -> list[float]:
    """dB to add to each rendered cue (each was scaled to -1 dBFS on its own): for one gain
    over the set, the difference between the set's gain and the cue's (never above 0)."""
    if normalize == "cue" or len(reports) < 2:
        return [0.0] * len(reports)
    from rig.dsp.loudness import set_gain_db
    from rig.dsp.render import TARGET_PEAK_DBFS

    raw_peaks = [r.peak_dbfs - r.gain_db for r in reports]
    night = set_gain_db(raw_peaks, TARGET_PEAK_DBFS)
    return [night - r.gain_db for r in reports]


def _measure(path: Path, arrangement):  # noqa: ANN001, ANN202 - (LUFS, [SectionLoudness])
    from rig.dsp.wavfile import read_wav

    audio, rate = read_wav(path)
    return _loudness(audio, rate, arrangement)


def _loudness(audio, rate: int, arrangement):  # noqa: ANN001, ANN202 - (LUFS, [SectionLoudness])
    """The cue's loudness and its sections', the audio K-weighted once for all of them."""
    from rig.dsp.loudness import Loudness

    meter = Loudness(audio, rate)
    return meter.lufs(), meter.sections(arrangement)


def _rescale_stems(reports: list, gains: list[float]) -> None:
    """Stems get the same gain as their cue in the set, so they still add up to it."""
    from rig.dsp.wavfile import WavWriter, read_wav
    from rig.source.files import atomic_write

    for report, gain in zip(reports, gains, strict=True):
        if gain == 0.0:
            continue
        for stem in report.stems:
            audio, rate = read_wav(stem)
            with atomic_write(stem) as tmp, WavWriter(tmp, rate) as writer:
                writer.write(audio * 10 ** (gain / 20))


def _metered(report, gain_db: float):  # noqa: ANN001, ANN202 - (LUFS, [SectionLoudness])
    """A `Cue.raw` cue's loudness and its sections' as heard under `gain_db` (metered by
    the render as each cue completed, before the set's gain was known)."""
    assert report.metered is not None, "raw cues are metered"
    return report.metered.lufs(gain_db), report.metered.sections(gain_db)


def _join(parts: list[Path], output: Path, gains: list[float], rate: int) -> None:
    """Cues (float32 RAW, `Cue.raw`, not scaled) one after another with GAP_SECONDS of
    silence between them, each scaled by its gain (dB)."""
    import numpy as np

    from rig.dsp.render import read_raw
    from rig.dsp.wavfile import WavWriter
    from rig.source.files import atomic_write

    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(output) as tmp, WavWriter(tmp, rate) as writer:
        for i, (part, gain) in enumerate(zip(parts, gains, strict=True)):
            audio = read_raw(part)
            if i:
                writer.write(np.zeros((int(GAP_SECONDS * rate), audio.shape[1])))
            writer.write(audio, 10 ** (gain / 20))

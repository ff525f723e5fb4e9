"""`rig bench render`'s loudness figures: rig's meter against the one it replaced, same run.

Every rendered cue is metered twice on the same audio: as `rig render` did before (the
`pyloudnorm` meter on the whole cue, then again on every section, each filtering its own
stretch) and as it does now (`rig.dsp.loudness.Loudness`: K-weighted once, numpy alone).
The import each needs is timed in fresh processes too (scipy, under pyloudnorm, is most
of a `rig render`'s start-up). CPU seconds, so other work on the machine barely moves them.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from rig.song.arrangement import Arrangement

__all__ = ["MeterFigures", "meter_figures", "import_seconds", "print_meter"]


@dataclass(frozen=True)
class MeterFigures:
    cue: str
    old: float  # CPU seconds: pyloudnorm, whole cue and each section
    new: float  # CPU seconds: rig.dsp.loudness, once
    worst_lu: float  # the largest difference between the two meters' figures


def _cpu() -> float:
    return time.process_time()


def meter_figures(audio: np.ndarray, rate: int, arrangement: Arrangement) -> MeterFigures:
    """Both meters on the same cue; the better of two runs of each."""
    import pyloudnorm

    from rig.dsp.loudness import Loudness

    seconds_at = arrangement.tempo.seconds_at
    spans = [
        (round(seconds_at(s.start_tick) * rate), round(seconds_at(s.end_tick) * rate))
        for s in arrangement.sections
    ]

    def old() -> list[float]:
        meter = pyloudnorm.Meter(rate)
        out = [meter.integrated_loudness(audio)]
        for a, b in spans:
            piece = audio[a:b]
            out.append(meter.integrated_loudness(piece) if b - a >= 0.4 * rate else -np.inf)
        return out

    def new() -> list[float]:
        meter = Loudness(audio, rate)
        return [meter.lufs()] + [meter.lufs(a, b) for a, b in spans]

    times = {}
    values = {}
    for name, run in (("old", old), ("new", new), ("old", old), ("new", new)):
        started = _cpu()
        values[name] = run()
        took = _cpu() - started
        times[name] = min(times.get(name, took), took)
    pairs = [
        abs(a - b) for a, b in zip(values["old"], values["new"], strict=True) if np.isfinite(a)
    ]
    return MeterFigures(arrangement.name, times["old"], times["new"], max(pairs, default=0.0))


def import_seconds(module: str) -> float:
    """CPU seconds a fresh Python spends importing `module`, beyond starting up."""

    def run(code: str) -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

    base = min(run("import numpy") for _ in range(2))
    return max(0.0, min(run(f"import numpy, {module}") for _ in range(2)) - base)


def print_meter(figures: list[MeterFigures]) -> None:
    if not figures:
        return
    print("\nloudness meter (CPU s, cue and its sections): before (pyloudnorm) -> now (rig)")
    for f in figures:
        ratio = f.old / f.new if f.new > 0 else float("inf")
        print(
            f"  {f.cue[:24]:<24} {f.old:6.2f} -> {f.new:5.2f}  {ratio:5.1f}x faster"
            f"  (figures within {f.worst_lu:.3f} LU)"
        )
    old, new = import_seconds("pyloudnorm"), import_seconds("rig.dsp.loudness")
    print(f"  import, once per rig render: pyloudnorm {old:.2f} s -> rig.dsp.loudness {new:.2f} s")

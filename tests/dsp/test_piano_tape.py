"""The piano's warped-tape program and its pedal, measured on real pyo renders.

Let's Make a Deal asks for a "warped piano": a piano played back from a worn tape, whose
pitch wows and flutters, and whose last, unresolved chord holds to the cue's end. The
pitch is read frame by frame with YIN (80 ms windows every 20 ms) off the rendered stem.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rig.song.events import PPQ, ControlChange, ProgramChange
from tests.support.audio import SR, rms, yin_f0
from tests.support.render import arrangement, note, render_arrays

pytestmark = [pytest.mark.audio, pytest.mark.slow]

GRAND, WARPED = 0, 1
HOP, WIN = int(0.02 * SR), int(0.08 * SR)


def _stem(events: list, bars: int, tmp_path: Path) -> np.ndarray:
    _, _, stems = render_arrays(arrangement(events, {"p": "piano"}, bars=bars), tmp_path, True)
    return stems["p"]


def _pitch_track(program: int, tmp_path: Path, seconds: float = 10.0) -> np.ndarray:
    """Cents off the median, every 20 ms of one held C4 (stops when it falls 40 dB)."""
    events = [ProgramChange(0, "p", 0, program), *note("p", 0, 60, seconds * 2)]  # 120 BPM
    x = _stem(events, int(seconds / 2) + 1, tmp_path)
    start = int(0.5 * SR)
    ref = rms(x[start : start + WIN])
    f0 = []
    for at in range(start, int((seconds - 0.5) * SR), HOP):
        seg = x[at : at + WIN]
        if rms(seg) < 0.01 * ref:
            break
        f0.append(yin_f0(seg, fmin=100, fmax=600))
    cents = 1200 * np.log2(np.array(f0) / np.median(f0))
    return (cents + 600) % 1200 - 600  # an octave slip of the detector folds back


def _strongest_rate(cents: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(cents - cents.mean(), 8192))
    freqs = np.fft.rfftfreq(8192, HOP / SR)
    band = freqs >= 0.1
    return float(freqs[band][np.argmax(spectrum[band])])


def test_the_warped_piano_wows_and_flutters_the_grand_does_not(tmp_path: Path) -> None:
    grand = _pitch_track(GRAND, tmp_path / "grand")
    warped = _pitch_track(WARPED, tmp_path / "warped")
    assert len(grand) >= 50 and len(warped) >= 300
    assert np.percentile(np.abs(grand), 95) < 2.0  # a steady pitch
    # tens of cents of drift, at a tape's wow rate (0.2-8 Hz)
    assert np.percentile(np.abs(warped), 95) >= 15.0, np.percentile(np.abs(warped), 95)
    assert 0.2 <= _strongest_rate(warped) <= 8.0
    # ...and a faster flutter on top: energy around 7 Hz well above the grand's
    assert _flutter(warped) > 10 * _flutter(grand), (_flutter(warped), _flutter(grand))


def _flutter(cents: np.ndarray) -> float:
    """Peak modulation amplitude between 5.5 and 8.5 Hz, cents."""
    spectrum = np.abs(np.fft.rfft(cents - cents.mean(), 8192)) * 2 / len(cents)
    freqs = np.fft.rfftfreq(8192, HOP / SR)
    return float(spectrum[(freqs > 5.5) & (freqs < 8.5)].max())


def _held_chord(program: int, tmp_path: Path, seconds: float = 13.7) -> tuple[float, float]:
    """dB of the first second and of the last second of a chord held `seconds`."""
    events = [ProgramChange(0, "p", 0, program)]
    for pitch in (48, 52, 55, 59, 66):  # Cmaj7#11, as Let's Make a Deal ends
        events += note("p", 0, pitch, seconds * 2)
    x = _stem(events, int(seconds / 2) + 1, tmp_path)

    def db(a: float, b: float) -> float:
        return 20 * np.log10(max(rms(x[int(a * SR) : int(b * SR)]), 1e-9))

    return db(0.2, 1.2), db(seconds - 1.0, seconds)


def test_a_held_chord_on_the_warped_piano_sounds_to_its_end(tmp_path: Path) -> None:
    start, end = _held_chord(WARPED, tmp_path / "warped")
    assert end > start - 30.0, (start, end)
    # the grand's struck strings die away instead (so the check can fail)
    start, end = _held_chord(GRAND, tmp_path / "grand")
    assert end < start - 60.0, (start, end)


def test_the_pedal_holds_released_keys_until_it_comes_up(tmp_path: Path) -> None:
    # A chord struck for a quarter second, with the pedal down (first run) or not.
    def level_after_release(pedal: bool, where: Path) -> float:
        events = [ControlChange(0, "p", 0, 64, 127 if pedal else 0, "sustain")]
        for pitch in (60, 64, 67):
            events += note("p", 0, pitch, 0.5)
        events.append(ControlChange(4 * PPQ, "p", 0, 64, 0, "sustain"))  # up at 2 s (120 BPM)
        x = _stem(events, 2, where)
        return rms(x[int(1.0 * SR) : int(1.8 * SR)]) / rms(x[int(0.02 * SR) : int(0.2 * SR)])

    held = level_after_release(True, tmp_path / "pedal")
    dry = level_after_release(False, tmp_path / "dry")
    assert held > 0.1, held
    assert held > 20 * dry, (held, dry)

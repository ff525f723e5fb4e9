"""The stand-ins' balance in a mix, measured on real pyo renders.

Found in the cues: Inferno's opening kick sat 5-9 dB under the Mono/Poly bass it should
lead, and 16-26 % of the stand-in mix's power sat above 6 kHz, nearly all of it hats,
cymbal and a white-noise snare (a record's share is a few per cent).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.audio import SR, rms
from tests.support.render import arrangement, note, render_arrays

pytestmark = pytest.mark.audio

BD, SD, CH, OH, CY = 0, 1, 8, 9, 10


def _bass_line(bars: int) -> list:
    """Inferno's pulse (E1 with a G1 accent), 16ths at 120 BPM."""
    events = []
    for bar in range(bars):
        for step, pitch, vel in ((0, 28, 127), (3, 28, 100), (6, 28, 100), (8, 31, 127),
                                 (11, 28, 100), (14, 26, 100)):  # fmt: skip
            events += note("bass", bar * 4 + step / 4, pitch, 0.2, vel)
    return events


def _db(x: np.ndarray) -> float:
    return float(20 * np.log10(max(rms(x), 1e-12)))


def _high_share(x: np.ndarray, cut: float = 6000.0) -> float:
    n = 1 << 15
    total = high = 0.0
    freqs = np.fft.rfftfreq(n, 1 / SR)
    for start in range(0, len(x) - n, n // 2):
        power = np.abs(np.fft.rfft(x[start : start + n] * np.hanning(n))) ** 2
        total += power.sum()
        high += power[freqs > cut].sum()
    return high / total


def test_the_kick_leads_the_bass(tmp_path):
    bars = 4
    events = _bass_line(bars)
    for beat in range(bars * 4):
        events += note("drums", beat, BD, 0.25, 127 if beat % 4 == 0 else 100)
    voices = {"bass": "monopoly-bass", "drums": "rytm-kit"}
    _, _, stems = render_arrays(arrangement(events, voices, bars=bars), tmp_path, stems=True)
    kick, bass = _db(stems["drums"][: bars * 2 * SR]), _db(stems["bass"][: bars * 2 * SR])
    assert kick >= bass, f"kick {kick - bass:+.1f} dB against the bass"


def test_hats_do_not_own_the_top_of_the_mix(tmp_path):
    bars = 4
    events = _bass_line(bars)
    for bar in range(bars):
        for pitch in (52, 55, 59, 62):  # Em7 held on the Juno
            events += note("keys", bar * 4, pitch, 3.8, 90)
        for beat in range(4):
            events += note("drums", bar * 4 + beat, BD, 0.25, 110)
            events += note("drums", bar * 4 + beat + 0.5, CH, 0.1, 100)
        events += note("drums", bar * 4 + 1, SD, 0.25, 110) + note("drums", bar * 4 + 3, SD, 0.25)
        events += note("drums", bar * 4 + 3.5, OH, 0.25, 100)
    events += note("drums", 0, CY, 0.25, 110)
    voices = {"bass": "monopoly-bass", "drums": "rytm-kit", "keys": "juno-poly"}
    mono, _, stems = render_arrays(arrangement(events, voices, bars=bars), tmp_path, stems=True)
    share = _high_share(mono)
    assert share <= 0.06, f"{100 * share:.1f} % of the mix's power above 6 kHz"
    # ...but the hats are still there: most of the kit's own top is theirs
    assert _high_share(stems["drums"]) >= 0.01

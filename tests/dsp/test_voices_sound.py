"""Rendered audio of each stand-in voice: pitch, silence, onsets, drum lanes, CC, programs."""

from __future__ import annotations

import numpy as np
import pytest

from rig.dsp.render import BUFFER_SIZE
from rig.song.events import PPQ, ControlChange, ProgramChange
from tests.support.audio import SR, centroid, midi_hz, rms, window, yin_f0
from tests.support.render import arrangement, note, render_arrays

pytestmark = pytest.mark.audio

PITCHED = [
    "virus-pad",
    "juno-poly",
    "monopoly-bass",
    "gm-piano",
    "piano",
    "guitar",
    "nylon-guitar",
    "lead-voice",
    "horns",
]
LANES = ["BD", "SD", "RS", "CP", "BT", "LT", "MT", "HT", "CH", "OH", "CY", "CB"]


@pytest.mark.parametrize("voice", PITCHED)
@pytest.mark.parametrize("pitch", [45, 57, 69])
def test_f0_of_a_rendered_note_is_within_one_percent(voice, pitch, tmp_path):
    # One note from beat 0 to beat 3 at 120 BPM: 0..1.5 s; measure 0.5..0.7 s (past the attack).
    arr = arrangement(note("t", 0, pitch, 3), {"t": voice}, bars=1)
    mono, _, _ = render_arrays(arr, tmp_path)
    f0 = yin_f0(window(mono, 0.5, 0.7))
    assert abs(f0 / midi_hz(pitch) - 1) < 0.01, f"{voice} note {pitch}: {f0:.2f} Hz"


def test_sound_where_notes_are_and_silence_where_the_song_is_silent(tmp_path):
    # Bars 1 and 3 play (2 s each at 120 BPM); bars 2 and 4 are rests.
    events = []
    for bar in (0, 2):
        events += note("keys", bar * 4, 60, 2) + note("bass", bar * 4, 36, 2)
        events += note("drums", bar * 4, 0, 0.5) + note("drums", bar * 4 + 1, 1, 0.5)
    voices = {"keys": "juno-poly", "bass": "monopoly-bass", "drums": "rytm-kit"}
    mono, report, _ = render_arrays(arrangement(events, voices, bars=4), tmp_path)
    loud = rms(window(mono, 0.1, 0.9))
    assert loud > 0.01
    assert rms(window(mono, 4.2, 5.0)) > 0.2 * loud  # bar 3 sounds again
    # Bar 2 from 1.5 s after the last release: the short releases and reverb have died away.
    assert rms(window(mono, 3.4, 4.0)) < 1e-3 * loud
    assert report.peak_dbfs <= -1.0 + 1e-6


@pytest.mark.parametrize("lane", range(12))
def test_every_drum_lane_produces_a_transient(lane, tmp_path):
    arr = arrangement(note("drums", 1, lane, 0.25, velocity=120), {"drums": "rytm-kit"}, bars=1)
    mono, _, _ = render_arrays(arr, tmp_path)
    hit = int(0.5 * SR)  # beat 1 at 120 BPM
    before = np.abs(mono[hit - 2400 : hit - 64]).max()
    attack = np.abs(mono[hit - 64 : hit + 960]).max()  # the first 20 ms
    later = rms(mono[hit + 24000 : hit + 48000])  # 0.5 .. 1 s after
    assert before == 0.0, LANES[lane]
    assert attack > 0.1, LANES[lane]  # the mix is normalised: the hit is the peak
    assert later < 0.2 * attack, LANES[lane]


def _octave_shares(x: np.ndarray) -> np.ndarray:
    """Each octave band's share of the power spectrum (dB), 40 Hz to 20 kHz."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SR)
    bands = [(freqs >= 40 * 2**k) & (freqs < 40 * 2 ** (k + 1)) for k in range(9)]
    return np.array([10 * np.log10(spectrum[b].sum() / spectrum.sum() + 1e-12) for b in bands])


def test_lanes_differ_from_each_other(tmp_path):
    """Twelve lanes, twelve sounds: no two share a spectrum.

    Not their centroids to 10 Hz, as this test asked before: the kick's and the low
    tom's lie within ~2 % of each other (~190 Hz), and the noise in the kick's click
    moves its centroid by a few Hz (pyo's own `Noise` under another global seed put
    both at 192.2 Hz). Their octave bands differ by dB (the closest pair of lanes by
    4-8 dB in some band, over several noise draws)."""
    events = []
    for lane in range(12):
        events += note("drums", lane * 2, lane, 0.25)
    mono, _, _ = render_arrays(arrangement(events, {"drums": "rytm-kit"}, bars=6), tmp_path)
    hits = [window(mono, lane + 0.002, lane + 0.15) for lane in range(12)]
    centroids = [centroid(hit) for hit in hits]
    bd, sd, ch = centroids[0], centroids[1], centroids[8]
    assert bd < sd < ch
    shares = [_octave_shares(hit) for hit in hits]
    for i in range(12):
        for j in range(i):
            assert np.max(np.abs(shares[i] - shares[j])) > 2.0, f"lanes {j} and {i} alike"


@pytest.mark.parametrize("voice, pitch", [("rytm-kit", 1), ("juno-poly", 60)])
def test_onsets_land_on_the_arrangement_sample_within_one_block(voice, pitch, tmp_path):
    # Onsets at odd tick positions, so they fall inside audio blocks, not on their edges.
    beats = [1.0, 3.0 + 7 / PPQ, 5.0 + 333 / PPQ, 7.0 + 1001 / PPQ]
    events = []
    for beat in beats:
        events += note("t", beat, pitch, 0.25)
    arr = arrangement(events, {"t": voice}, bars=2)
    mono, _, _ = render_arrays(arr, tmp_path, max_tail=2.0)
    for beat in beats:
        expected = round(arr.tempo.seconds_at_beat(beat) * SR)
        seg = np.abs(mono[expected - 400 : expected + 2000])
        onset = expected - 400 + int(np.argmax(seg > 0.05 * seg.max()))
        # ± one audio block for the event, + the 1 ms attack ramp to reach 5 %.
        assert -BUFFER_SIZE <= onset - expected <= BUFFER_SIZE + 48, (beat, onset - expected)


@pytest.mark.parametrize("voice, param", [("juno-poly", "cutoff"), ("virus-pad", "cutoff")])
def test_cutoff_cc_ramp_raises_the_spectral_centroid(voice, param, tmp_path):
    # A held chord over 4 bars; cutoff CC ramps 10 → 120 by the device's CC name.
    events = note("t", 0, 48, 16) + note("t", 0, 55, 16)
    for step in range(32):
        value = 10 + step * 110 // 31
        events.append(ControlChange(step * PPQ // 2, "t", 0, 0, value, param))
    mono, _, _ = render_arrays(arrangement(events, {"t": voice}, bars=4), tmp_path)
    early = centroid(window(mono, 1.5, 2.0))
    late = centroid(window(mono, 7.0, 7.5))
    assert late > 2 * early, (early, late)


def test_cc_by_number_and_unmatched_names_are_reported(tmp_path):
    events = note("t", 0, 60, 2)
    events.append(ControlChange(0, "t", 0, 17, 100, ""))  # juno-66: cutoff is CC 17
    events.append(ControlChange(0, "t", 0, 12, 100, "no_such_knob"))
    _, report, _ = render_arrays(arrangement(events, {"t": "juno-poly"}, bars=1), tmp_path)
    assert report.unmatched == {"t": ("no_such_knob",)}


def test_program_change_selects_a_preset(tmp_path):
    # Juno program 3 is a pluck (no sustain): a held note dies away; program 0 sustains.
    def held_level(program: int) -> float:
        events = [ProgramChange(0, "t", 0, program)] + note("t", 0, 60, 6)
        mono, _, _ = render_arrays(arrangement(events, {"t": "juno-poly"}, bars=2), tmp_path)
        return rms(window(mono, 2.0, 2.5)) / rms(window(mono, 0.05, 0.3))

    assert held_level(0) > 0.3
    assert held_level(3) < 0.01


def test_mono_voice_glides_legato_to_the_new_note(tmp_path):
    # Overlapping notes on the mono bass: one note, no retrigger, pitch ends on the second.
    events = note("b", 0, 45, 2.5) + note("b", 2, 52, 2)
    mono, _, _ = render_arrays(arrangement(events, {"b": "monopoly-bass"}, bars=1), tmp_path)
    assert abs(yin_f0(window(mono, 0.4, 0.6)) / midi_hz(45) - 1) < 0.01
    assert abs(yin_f0(window(mono, 1.6, 1.8)) / midi_hz(52) - 1) < 0.01


def test_poly_voice_plays_chords_and_steals_beyond_its_voices(tmp_path):
    # Juno has 6 voices: 8 notes at once still sound (the oldest two are stolen), no error.
    events = []
    for i, pitch in enumerate([48, 52, 55, 59, 62, 65, 69, 72]):
        events += note("t", i * 0.25, pitch, 4)
    mono, _, _ = render_arrays(arrangement(events, {"t": "juno-poly"}, bars=2), tmp_path)
    assert rms(window(mono, 1.5, 2.0)) > 0.01
    assert np.isfinite(mono).all()


def test_the_same_arrangement_renders_identically_twice(tmp_path):
    events = note("pad", 0, 57, 4) + note("drums", 0, 0, 0.5) + note("drums", 1, 8, 0.5)
    events += note("drums", 2, 3, 0.5) + note("gtr", 1, 52, 1)
    voices = {"pad": "virus-pad", "drums": "rytm-kit", "gtr": "guitar"}
    arr = arrangement(events, voices, bars=1)
    first, _, _ = render_arrays(arr, tmp_path / "a")
    second, _, _ = render_arrays(arr, tmp_path / "b")
    assert (tmp_path / "a" / "out.wav").read_bytes() == (tmp_path / "b" / "out.wav").read_bytes()
    assert np.array_equal(first, second)


def test_stems_add_up_to_the_mix_and_tails_are_kept(tmp_path):
    events = note("pad", 0, 57, 2) + note("drums", 0, 0, 0.5)
    voices = {"pad": "virus-pad", "drums": "rytm-kit"}
    arr = arrangement(events, voices, bars=1)
    mono, report, stems = render_arrays(arr, tmp_path, stems=True)
    assert sorted(stems) == ["drums", "pad"]
    total = stems["pad"] + stems["drums"]
    assert np.abs(total - mono).max() < 1e-4  # 24-bit rounding only
    # The pad's release and reverb ring past the 2 s arrangement, then the file ends quietly.
    assert report.duration > arr.duration_seconds + 1.0
    assert rms(window(mono, 2.2, 2.5)) > 1e-3
    assert np.abs(mono[-2400:]).max() < 1e-3
    assert report.peak_dbfs <= -1.0 + 1e-6
    assert report.realtime_factor > 0

"""fluidsynth stands in for a hardware synth: notes through JackSink must sound at their pitches.

fluidsynth (GM soundfont) listens on the private JACK server; `jack_capture`
records its audio; an FFT of each note's stretch must peak at that note's
fundamental. Flute (GM 74) has an almost pure fundamental, so the strongest
spectral peak is the pitch itself.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from rig.midi.jack_sink import JackSink
from rig.midi.notes import sounding_after
from tests.support.audio import midi_hz

pytestmark = [pytest.mark.jack, pytest.mark.audio, pytest.mark.slow]

MS = 1_000_000
NOTES = (69, 72, 76, 81)  # A4 C5 E5 A5
NOTE_S = 0.4
GAP_S = 0.2
LEAD_S = 0.3


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return data.reshape(-1, channels).mean(axis=1) / 32768.0, rate


def test_notes_sound_at_their_pitches(
    jack_server: object, fluidsynth: object, tmp_path: Path
) -> None:
    if shutil.which("jack_capture") is None:
        pytest.skip("jack_capture is not installed (Debian: apt-get install jack-capture)")
    import jack

    fs = fluidsynth
    wav = tmp_path / "fluidsynth.wav"
    total_s = LEAD_S + len(NOTES) * (NOTE_S + GAP_S) + 0.5
    cmd = ["jack_capture", "-d", f"{total_s + 1:.1f}", "-b", "16", "-f", "wav", "--daemon"]
    for port in fs.audio_out:  # type: ignore[attr-defined]
        cmd += ["-p", port]
    capture = subprocess.Popen(
        [*cmd, str(wav)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    probe = jack.Client("rigtest-fs-capture-probe", no_start_server=True)
    try:
        deadline = time.monotonic() + 10
        while not probe.get_all_connections(fs.audio_out[0]):  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "jack_capture did not connect"
            time.sleep(0.02)
    finally:
        probe.close()
    started = time.monotonic_ns()  # recording runs from (about) now
    with JackSink("fluid", fs.midi_in) as sink:  # type: ignore[attr-defined]
        assert sink.connected
        t0 = time.monotonic_ns() + 50 * MS
        sink.send(t0, bytes((0xC0, 73)))  # GM 74 Flute
        starts = []
        for i, note in enumerate(NOTES):
            on = t0 + round((LEAD_S + i * (NOTE_S + GAP_S)) * 1e9)
            sink.send(on, bytes((0x90, note, 110)))
            sink.send(on + round(NOTE_S * 1e9), bytes((0x80, note, 0)))
            starts.append((on - started) / 1e9)
        time.sleep((t0 - time.monotonic_ns()) / 1e9 + total_s)
        assert sink.late == 0
    capture.wait(timeout=30)
    audio, rate = read_wav(wav)
    assert np.abs(audio).max() > 0.01, "fluidsynth was silent"
    for note, start in zip(NOTES, starts, strict=True):
        # The middle of the note: clear of the attack and of the capture's start jitter.
        a = int((start + 0.1) * rate)
        b = int((start + NOTE_S - 0.05) * rate)
        chunk = audio[a:b] * np.hanning(b - a)
        spectrum = np.abs(np.fft.rfft(chunk, n=1 << 16))
        freqs = np.fft.rfftfreq(1 << 16, 1 / rate)
        band = (freqs > 100) & (freqs < 4000)
        peak = freqs[band][np.argmax(spectrum[band])]
        cents = 1200 * np.log2(peak / midi_hz(note))
        assert abs(cents) < 30, f"note {note}: peak {peak:.1f} Hz, {cents:+.0f} cents off"
        # ... and silence in the gap after it (the note-off worked).
        g = int((start + NOTE_S + 0.15) * rate)
        gap = audio[g : g + int(0.03 * rate)]
        # (a flute's release tail lasts ~0.1 s; a held note would stay at ~1x)
        assert np.sqrt(np.mean(gap**2)) < 0.3 * np.sqrt(np.mean(audio[a:b] ** 2))


def test_sink_close_silences_fluidsynth(
    jack_server: object, fluidsynth: object, recorder: object
) -> None:
    """Close with notes held: the explicit note-offs reach fluidsynth (and a recorder)."""
    import jack

    fs = fluidsynth
    with JackSink("fluid2", fs.midi_in) as sink:  # type: ignore[attr-defined]
        # Mirror the sink's port to the recorder, to count what fluidsynth got.
        client = jack.Client("rigtest-fs-tap", no_start_server=True)
        try:
            client.connect(sink.port, recorder.port)  # type: ignore[attr-defined]
        finally:
            client.close()
        t = time.monotonic_ns() + 20 * MS
        for n in (48, 55, 64):
            sink.send(t, bytes((0x90, n, 100)))
        time.sleep(0.1)
    got = [m for _, m in recorder.stop()]  # type: ignore[attr-defined]
    assert len(got) >= 6
    assert sounding_after(got) == []

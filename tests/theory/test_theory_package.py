"""The theory package is pure: its public names are there, and importing it pulls in
no yaml, audio, MIDI or threading modules (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import rig.theory

REPO = Path(__file__).resolve().parents[2]


def test_public_names() -> None:
    assert sorted(rig.theory.__all__) == sorted(
        [
            "MODES",
            "VOICINGS",
            "Chord",
            "Key",
            "TheoryError",
            "note_name",
            "parse_chord",
            "parse_key",
            "parse_note",
            "parse_pitch_class",
            "tonic_triad",
            "voice_chord",
        ]
    )
    for name in rig.theory.__all__:
        assert getattr(rig.theory, name) is not None


def test_import_is_pure() -> None:
    # -S: without site, whose .pth hooks import threading on their own.
    code = (
        "import sys, rig.theory\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('yaml', 'pyo', 'rtmidi', 'mido', 'jack', 'numpy', 'threading', '_thread_pool'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == ""

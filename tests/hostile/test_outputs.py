"""Output files are replaced whole or not at all; names reach files and terminals safely."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest

from rig.cli import main
from rig.dsp import render as dsp_render
from rig.dsp.wavfile import read_wav
from rig.source.files import atomic_write
from rig.source.text import printable

REPO = Path(__file__).resolve().parents[2]

UNICODE_SONG = """\
cue: "Café — 東京 🎹"
tempo: 120
tracks:
  "🎹 keys": {voice: piano}
patterns:
  p: {track: "🎹 keys", steps: "C4 . E4 ."}
sections:
  - {name: "間奏 ✨", bars: 2, play: [p]}
"""


def test_atomic_write_replaces_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    with atomic_write(target) as tmp:
        assert tmp != target and tmp.parent == target.parent
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # not replaced before the block ends
    assert target.read_bytes() == b"new"
    assert (target.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"last good")
    with pytest.raises(OSError), atomic_write(target) as tmp:
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")
    assert target.read_bytes() == b"last good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_export_unicode_names_as_utf8_meta_text(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    song = tmp_path / "u.yaml"
    song.write_text(UNICODE_SONG, encoding="utf-8")
    out = tmp_path / "u.mid"
    assert main(["export", str(song), "-o", str(out), "--config", str(REPO / "config.yaml")]) == 0
    midi = mido.MidiFile(str(out), charset="utf-8")
    texts = {m.text if m.type == "marker" else m.name for t in midi.tracks for m in t
             if m.type in ("track_name", "marker")}  # fmt: skip
    assert {"Café — 東京 🎹", "🎹 keys", "間奏 ✨"} <= texts
    raw = out.read_bytes()
    assert "東京".encode() in raw


def test_failed_export_leaves_the_last_good_file(tmp_path: Path) -> None:
    """A real write failure without root: a file-size limit (RLIMIT_FSIZE) smaller than
    the export makes the write fail with EFBIG, as a full disk fails with ENOSPC."""
    song = tmp_path / "u.yaml"
    song.write_text(UNICODE_SONG, encoding="utf-8")
    out = tmp_path / "u.mid"
    cmd = [sys.executable, "-m", "rig.cli", "export", str(song), "-o", str(out),
           "--config", str(REPO / "config.yaml")]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(REPO))
    assert subprocess.run(cmd, env=env, capture_output=True).returncode == 0
    good = out.read_bytes()
    out.write_bytes(good[:20])  # the "last good" file: shorter than the new export

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (40, 40))

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, preexec_fn=limit)
    assert done.returncode == 4, done.stderr  # EXIT_WRITE_FAILED
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"rig export: cannot write {out}: "), lines
    assert out.read_bytes() == good[:20]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.mid", "u.yaml"]


def test_failed_render_write_keeps_mix_and_stems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write failing mid-way (a full disk) leaves the previous mix and stems in place."""
    out = tmp_path / "mix.wav"
    stems = [tmp_path / "a.wav", tmp_path / "b.wav"]
    tracks = [np.full((48000, 2), 0.1, dtype=np.float32), np.full((48000, 2), 0.2, np.float32)]
    dsp_render._write(out, tracks[0] + tracks[1], stems, tracks, 48000, 1.0, 48000)
    before = {p: p.read_bytes() for p in [out, *stems]}
    calls = {"n": 0}
    real = dsp_render.WavWriter.write

    def fill_disk(self, block) -> None:  # noqa: ANN001
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError(28, "No space left on device")
        real(self, block)

    monkeypatch.setattr(dsp_render.WavWriter, "write", fill_disk)
    louder = [t * 3 for t in tracks]
    with pytest.raises(OSError):
        dsp_render._write(out, louder[0] + louder[1], stems, louder, 48000, 1.0, 48000)
    assert {p: p.read_bytes() for p in [out, *stems]} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav", "b.wav", "mix.wav"]
    audio, _ = read_wav(out)
    assert np.allclose(audio, 0.3, atol=1e-3)  # the old mix, complete


def test_show_escapes_control_characters(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    song = tmp_path / "e.yaml"
    song.write_text(
        'cue: "\\e[2J\\e[Hcleared"\ntempo: 120\ntracks:\n  "\\e]0;t\\a": {voice: piano}\n'
        'patterns:\n  p: {track: "\\e]0;t\\a", steps: C4}\n'
        'sections:\n  - {name: "\\x9b31m", bars: 1, play: [p]}\n',
        encoding="utf-8",
    )
    code = main(["show", str(song), "--no-color", "--width", "80",
                 "--config", str(REPO / "config.yaml")])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "\\x1b[2J\\x1b[Hcleared" in out


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain", "plain"),
        ("東京 🎹 —", "東京 🎹 —"),
        ("\x1b[31m", "\\x1b[31m"),
        ("a\nb\tc\r", "a\\nb\\tc\\r"),
        ("\x00\x7f\x85", "\\x00\\x7f\\x85"),
        ("\u202eevil", "\\u202eevil"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text) == shown

"""`rig import` on the hostile corpus (import_corpus.py): bounded time, no traceback, one
line naming the file when it fails, no raw control character on the terminal, and the
output either a song `rig check` accepts or not written at all."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from rig.cli import main

from .import_corpus import import_cases
from .test_corpus import _RAW_CONTROL, SECONDS, _alarm, build

CASES = import_cases()


def run(root: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        code = main(args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(cwd)
    out, err = capsys.readouterr()
    return code, out, err


def test_corpus_is_named_once() -> None:
    names = [c.name for c in CASES]
    assert len(names) >= 20 and len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_midi_file(case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    root = tmp_path / "project"
    root.mkdir()
    if case.files["take.mid"] is None:
        (root / "take.mid").mkdir()
        case = type(case)(case.name, {}, case.check, case.code, case.says)
    sockets = list(build(root, case))
    try:
        code, out, err = run(root, ["import", "take.mid", "-o", "song.yaml"], capsys)
    finally:
        for sock in sockets:
            sock.close()
    text = out + err
    assert "Traceback" not in text
    assert not _RAW_CONTROL.search(text), f"raw control character printed: {text[:300]!r}"
    assert case.says in text, text[-2000:]
    assert code == case.code, text[-2000:]
    if code:
        assert out == "" and not (root / "song.yaml").exists()
        assert len(err.splitlines()) == 1 and err.startswith("rig import: take.mid")
    else:  # what was written is a song rig accepts
        assert main(["check", str(root / "song.yaml")]) == 0, capsys.readouterr()
        assert re.search(r"^tracks:", (root / "song.yaml").read_text(encoding="utf-8"), re.M)

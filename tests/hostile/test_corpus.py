"""`rig check` on the hostile corpus: bounded time, positions, no traceback, no leak.

For every case of corpus.py: the exit code it must give, within a time bound
(SIGALRM ends a hang as a failure, not a stuck CI job), every line on stderr a
positioned error (``file:line:col: message``), a "skip" line or the summary, no
raw control character on the terminal, and no phrase of a foreign file.
"""

from __future__ import annotations

import os
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rig.cli import main

from .corpus import FIFO, SOCKET, Case, Link, cases

REPO = Path(__file__).resolve().parents[2]
SECONDS = 60  # per case; the slowest (9 999 sections) takes ~5 s on a busy 2-core machine
_LINE = re.compile(r"^(.+:\d+:\d+: .+|skip .+|rig check: .+|\d+ of \d+ files have errors)$")
_RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang(f"no answer within {SECONDS} s")


def build(root: Path, case: Case) -> Iterator[socket.socket]:
    """Write the case's files below `root`; yields the sockets it bound (to close)."""
    for name, content in case.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is FIFO:
            os.mkfifo(path)
        elif content is SOCKET:
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(str(path))
            yield sock
        elif isinstance(content, Link):
            path.symlink_to(content.target)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            assert isinstance(content, str)
            path.write_text(content, encoding="utf-8")
    patches = root / "patches"
    patches.mkdir(exist_ok=True)
    for sub in ("devices", "voices"):  # a config's default patches/ needs the device files
        if not (patches / sub).exists():
            (patches / sub).symlink_to(REPO / "patches" / sub)


def run_check(root: Path, case: Case, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    sockets = list(build(root, case))
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        try:
            code = main(["check", case.check])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(cwd)
        for sock in sockets:
            sock.close()
    out, err = capsys.readouterr()
    return code, out + "\n" + err


CASES = cases()


def test_corpus_is_large_and_named_once() -> None:
    names = [c.name for c in CASES]
    assert len(names) >= 150
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "project"
    root.mkdir()
    code, text = run_check(root, case, capsys)
    assert "Traceback" not in text
    assert not _RAW_CONTROL.search(text), f"raw control character printed: {text[:300]!r}"
    for phrase in case.never:
        assert phrase not in text, f"leaked {phrase!r}"
    assert case.says in text, text[-2000:]
    assert code == case.code, text[-2000:]
    stderr_lines = [line for line in text.splitlines() if line and not line.startswith("ok  ")]
    for line in stderr_lines:
        assert _LINE.match(line), f"not a positioned error: {line[:200]!r}"

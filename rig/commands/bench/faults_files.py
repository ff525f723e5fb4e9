"""File faults of `rig bench faults`: a full disk (`rig.commands.bench.faults_disk`), and
a song of the running set becoming unreadable.

- song: the engine plays a two-cue set (copied to a temporary folder) to the
  recorder; the hot-reload watcher's `Reloader` (as `rig live` runs it) is told
  that the playing song changed, after the file was made unreadable in one of ten
  ways (binary junk, invalid UTF-8, truncated, empty, deleted, a directory, a FIFO,
  a symlink loop, a list instead of a song, a NUL byte). Counted: whether the check
  returned within 5 s, raised, reported an error, sent a reload; whether the engine
  still plays the same cue, moving on, and at the end what the recorder heard; then the file is
  restored and checked again.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rig.commands.bench.faultkit import Row, recorder, wait_connected
from rig.commands.bench.faults_disk import fault_disk

__all__ = ["FILE_FAULTS", "fault_song", "SONG_BREAKERS"]

REPO = Path(__file__).resolve().parents[3]


def _junk(path: Path) -> None:
    path.write_bytes(bytes(random.Random(7).randrange(256) for _ in range(4096)))


def _bad_utf8(path: Path) -> None:
    path.write_bytes(b"cue: caf\xe9 \xff\xfe\n" + path.read_bytes()[:200])


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 5])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _deleted(path: Path) -> None:
    path.unlink()


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _loop(path: Path) -> None:
    path.unlink()
    os.symlink(path.name, path)


def _a_list(path: Path) -> None:
    path.write_text("- just\n- a\n- list\n")


def _nul(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\x00" + data[100:])


SONG_BREAKERS: dict[str, Callable[[Path], None]] = {
    "binary junk": _junk,
    "invalid UTF-8": _bad_utf8,
    "truncated": _truncated,
    "empty": _empty,
    "deleted": _deleted,
    "a directory": _directory,
    "a FIFO": _fifo,
    "a symlink loop": _loop,
    "a list": _a_list,
    "a NUL byte": _nul,
}


def _restore(path: Path, original: bytes) -> None:
    if path.is_symlink() or path.is_file() or path.exists() and not path.is_dir():
        path.unlink()
    elif path.is_dir():
        path.rmdir()
    path.write_bytes(original)


def _check(reloader, path: Path, timeout: float = 5.0) -> tuple[str, object]:  # noqa: ANN001
    """Run `reloader.check({path})` in a thread: ("returned", (message, is_error)),
    ("raised", exception) or ("hung", None) after `timeout` s."""
    box: list = []

    def run() -> None:
        try:
            box.append(("returned", reloader.check({path})))
        except BaseException as exc:  # noqa: BLE001 - reported as a figure
            box.append(("raised", exc))

    thread = threading.Thread(target=run, name="rig-faults-check", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        # A reader blocked on a FIFO: open its other end so the thread can finish.
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        thread.join(2.0)
        return "hung", None
    return box[0]


def fault_song(reps: int, rng: random.Random) -> list[Row]:
    """The playing song becomes unreadable in one of ten ways per rep; see module doc."""
    from rig.commands.bench.soak import soak_project
    from rig.control.protocol import ControlClient
    from rig.engine.process import EngineProcess
    from rig.engine.sinks import outputs_from_project
    from rig.engine.spec import EngineSpec
    from rig.project import Project
    from rig.stage.watch import Reloader

    rows = []
    work = Path(tempfile.mkdtemp(prefix="rig-faults-set-"))
    try:
        shutil.copytree(REPO / "songs", work / "songs")
        shutil.copytree(REPO / "patches", work / "patches")
        shutil.copy(REPO / "config.yaml", work / "config.yaml")
        set_path = work / "songs" / "sets" / "faults.yaml"
        set_path.write_text(
            "set: Faults\ncues:\n  - {song: ../rivalry.yaml, next: bar}\n"
            "  - {song: ../ciel.yaml, next: wait}\n"
        )
        song = work / "songs" / "rivalry.yaml"
        original = song.read_bytes()
        rec = recorder()
        config = work / "config.yaml"

        def load() -> object:
            return soak_project(Project.load(config), rec.port)

        project = load()
        cues = project.arrangements(set_path)  # type: ignore[attr-defined]
        spec = EngineSpec(tuple(cues), tuple(outputs_from_project(project)), run_on=True)
        engine = EngineProcess(spec).start()
        sent: list[tuple] = []
        try:
            with ControlClient(engine.port) as control:
                reloader = Reloader(
                    load, set_path, lambda *a: (sent.append(a), control.send(*a)),
                    work, cues=cues,
                )  # fmt: skip
                wait_connected(control)
                control.send("/rig/play")
                time.sleep(1.0)
                kinds = list(SONG_BREAKERS)
                for rep in range(1, reps + 1):
                    kind = kinds[(rep - 1) % len(kinds)]
                    before = control.status()
                    SONG_BREAKERS[kind](song)
                    sent.clear()
                    how, what = _check(reloader, song)
                    time.sleep(1.0)
                    after = control.status()
                    figures: dict[str, object] = {"check": how}
                    if how == "returned":
                        figures["error reported"] = bool(what[1])  # type: ignore[index]
                    elif how == "raised":
                        figures["exception"] = type(what).__name__
                    figures["reload sent"] = bool(sent)
                    figures["plays on"] = bool(
                        before and after and after.state == "playing" and after.cue == before.cue
                        and after.reloads == before.reloads
                    )  # fmt: skip
                    figures["moved on"] = bool(
                        before and after and (after.bar, after.beat) != (before.bar, before.beat)
                    )
                    _restore(song, original)
                    sent.clear()
                    how2, what2 = _check(reloader, song)
                    figures["restored"] = how2 == "returned" and not what2[1]  # type: ignore[index]
                    message = str(what[0]) if how == "returned" else str(what)  # type: ignore[index]
                    rows.append(Row("song", rep, {"kind": kind, **figures}, message[:100]))
                control.send("/rig/stop")
                time.sleep(0.5)
        finally:
            engine.stop()
        events = rec.stop()
        from rig.probe.stream import note_pairs

        pairs = note_pairs(events)
        rows.append(Row("song", 0, {"ons": pairs.ons, "left sounding": pairs.stuck},
                        "whole show"))  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


FILE_FAULTS: dict[str, Callable[..., list[Row]]] = {"disk": fault_disk, "song": fault_song}

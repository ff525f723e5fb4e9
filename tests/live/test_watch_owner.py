"""One watcher per show (issue 12): two UIs on one show sent every reload twice, and
a UI attached after an edit never sent it. The UI holding the show's watch lock
watches; another waits and takes over when it ends, first sending the set as its
files are now (the engine keeps only what differs: tests/live/test_landing.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rig.control.protocol import SetInfo
from rig.engine.bundle import load_bundle
from rig.project import Project
from rig.stage.watch import CAUGHT_UP, WAITING, Reloader
from rig.stage.watchlock import WatchLock
from tests.live.test_watch import SONG, project_files


def wait(test, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.05)


def test_the_lock_is_one_holder_at_a_time_and_free_when_released(tmp_path):
    path = tmp_path / "watch-9000.lock"
    first, second = WatchLock(path), WatchLock(path)
    assert first.take() and first.take()  # taking it again while holding: still held
    assert not second.take() and not second.held
    first.release()
    assert second.take() and not first.take()
    second.release()


def test_two_uis_one_watcher_one_reload(tmp_path):
    set_path, config = project_files(tmp_path)
    lock_path = tmp_path / "sessions" / "watch-9000.lock"
    sent_a: list[tuple] = []
    sent_b: list[tuple] = []
    reports_b: list[tuple[str, bool]] = []
    cues = Project.load(config).arrangements(set_path)
    a = Reloader(lambda: Project.load(config), set_path, lambda *m: sent_a.append(m),
                 tmp_path / "ba", cues=cues, lock=WatchLock(lock_path))  # fmt: skip
    b = Reloader(lambda: Project.load(config), set_path, lambda *m: sent_b.append(m),
                 tmp_path / "bb", lock=WatchLock(lock_path))  # fmt: skip
    ta = threading.Thread(target=a.watch, args=(lambda *r: None,))
    ta.start()
    wait(lambda: a.lock is not None and a.lock.held)
    tb = threading.Thread(target=b.watch, args=(lambda *r: reports_b.append(r),))
    tb.start()
    try:
        wait(lambda: reports_b == [(WAITING, False)])
        time.sleep(0.5)  # a's watcher is running
        (tmp_path / "songs" / "one.yaml").write_text(SONG.format(name="one", note="D2"))
        wait(lambda: len(sent_a) == 1)
        time.sleep(1.5)  # b tries the lock each second: it must not send meanwhile
        assert sent_b == [] and reports_b == [(WAITING, False)]
    finally:
        a.stop()
        b.stop()
        ta.join(10)
        tb.join(10)
    assert not ta.is_alive() and not tb.is_alive()
    assert not (a.lock and a.lock.held) and not (b.lock and b.lock.held)  # let go


def test_a_ui_takes_over_and_sends_what_was_saved_while_nobody_watched(tmp_path):
    set_path, config = project_files(tmp_path)
    lock_path = tmp_path / "watch-1.lock"
    holder = WatchLock(lock_path)  # a UI that holds the watch (then ends)
    assert holder.take()
    info = SetInfo("", ("one", "two"), ("bar", "wait"), ((), ()))  # the engine's set
    sent: list[tuple] = []
    reports: list[tuple[str, bool]] = []
    b = Reloader(lambda: Project.load(config), set_path, lambda *m: sent.append(m),
                 tmp_path / "bb", lock=WatchLock(lock_path), engine_set=lambda: info)  # fmt: skip
    tb = threading.Thread(target=b.watch, args=(lambda *r: reports.append(r),))
    tb.start()
    try:
        wait(lambda: reports == [(WAITING, False)])
        (tmp_path / "songs" / "one.yaml").write_text(SONG.format(name="one", note="F2"))
        time.sleep(1.5)
        assert sent == [] and reports == [(WAITING, False)]  # not its turn
        holder.release()  # the watching UI ends (the kernel frees the lock even on kill -9)
        wait(lambda: len(reports) == 2)
        assert reports[1] == (CAUGHT_UP, False)
        # The set is the engine's (names, transitions): every cue as a new version, no
        # whole set; the engine keeps only the ones that differ (test_landing.py).
        assert len(sent) == 1 and sent[0][0] == "/rig/reload"
        bundle = load_bundle(Path(sent[0][1]))
        assert not bundle.full_set and [c.name for _, c, _ in bundle.cues] == ["one", "two"]
        assert 41 in {e.note for e in bundle.cues[0][1].events if hasattr(e, "note")}  # F2
        assert b.sent == Path(sent[0][1]).name  # the UI follows it in the status
    finally:
        b.stop()
        tb.join(10)
    assert not tb.is_alive() and not (b.lock and b.lock.held)


def test_catch_up_sends_the_whole_set_first_when_the_engine_has_another(tmp_path):
    """The set file edited while no UI watched (here: the engine has the cues in
    another order): the whole set, then every cue (the playing one then swaps at the
    next boundary: the engine compares with the version that sounds)."""
    set_path, config = project_files(tmp_path)
    other = SetInfo("", ("two", "one"), ("bar", "wait"), ((), ()))
    sent: list[tuple] = []
    b = Reloader(lambda: Project.load(config), set_path, lambda *m: sent.append(m),
                 tmp_path / "bb", engine_set=lambda: other)  # fmt: skip
    assert b.catch_up() == (CAUGHT_UP, False)
    whole, each = (load_bundle(Path(m[1])) for m in sent)
    assert whole.full_set and whole.transitions == ("bar", "wait")
    assert not each.full_set and [a.name for _, a, _ in each.cues] == ["one", "two"]

"""Where a hot reload stands in the status (waiting, landed and where), the engine's
refusal to swap in a version it already plays, and the fill control's status
(issue 12: the UI said "takes effect at the next bar" long after it had, and `f`
showed nothing while a fill was queued or held)."""

from __future__ import annotations

from rig.control.protocol import Status
from rig.engine.bundle import write_bundle, write_voice
from rig.engine.dispatch import handle, run_loads
from tests.support.clock import MS, FakeTime
from tests.support.live import BAR_NS, advance, cue, make, ons


def status(engine, time) -> Status:
    _, args = handle(engine, "/rig/status", [], time.now)
    return Status.from_args(args)


def reload(engine, time, path) -> None:
    handle(engine, "/rig/reload", [str(path), "bar"], time.now)
    while engine.loads:
        run_loads(engine, lambda: time.now, budget_ns=0)


def test_a_reload_of_the_playing_cue_waits_then_says_the_bar_it_took_effect(tmp_path):
    time = FakeTime()
    engine, _ = make([cue("one", bars=8, base=36), cue("two", bars=8, base=50)], time)
    engine.bundle_dir = tmp_path
    handle(engine, "/rig/play", [], time.now)
    advance(engine, time, 50 * MS + BAR_NS + 300 * MS)  # into bar 2
    path = write_bundle(tmp_path, [(0, cue("one", bars=8, base=70))])
    handle(engine, "/rig/reload", [str(path), "bar"], time.now)
    s = status(engine, time)
    assert (s.reload_wait, s.reload_wait_bar, s.reload_done) == (path.name, 0, "")  # reading
    while engine.loads:
        run_loads(engine, lambda: time.now, budget_ns=0)
    s = status(engine, time)
    assert (s.reload_wait, s.reload_wait_bar) == (path.name, 3)
    assert s.reloads == 1 and s.reload_done == ""  # counted at once, but not in effect
    advance(engine, time, BAR_NS)
    s = status(engine, time)
    assert (s.reload_wait, s.reload_done, s.reload_done_bar) == ("", path.name, 3)
    assert s.reload_done_what == "one" and s.bar == 3


def test_a_reload_of_a_cue_not_playing_is_in_effect_at_once_with_no_bar(tmp_path):
    time = FakeTime()
    engine, _ = make([cue("one", bars=8, base=36), cue("two", bars=8, base=50)], time)
    engine.bundle_dir = tmp_path
    handle(engine, "/rig/play", [], time.now)
    advance(engine, time, 400 * MS)
    path = write_bundle(tmp_path, [(1, cue("two", bars=8, base=60))])
    reload(engine, time, path)
    s = status(engine, time)
    assert (s.reload_wait, s.reload_done, s.reload_done_bar, s.reload_done_what) == (
        "",
        path.name,
        0,
        "two",
    )


def test_the_same_music_again_is_not_swapped_in_and_the_held_notes_go_on(tmp_path):
    """What a UI attached to a running show sends (the whole set) and what a second UI
    saving the same edit sends: the engine already plays it, nothing is queued."""
    time = FakeTime()
    engine, sinks = make([cue("one", bars=8, base=36), cue("two", bars=8, base=50)], time)
    engine.bundle_dir = tmp_path
    handle(engine, "/rig/play", [], time.now)
    advance(engine, time, 400 * MS)
    same = write_bundle(
        tmp_path, [(0, cue("one", bars=8, base=36)), (1, cue("two", bars=8, base=50))]
    )
    reload(engine, time, same)
    assert engine.queued is None and engine.reloads == 0
    s = status(engine, time)
    assert (s.reload_done, s.reload_done_what, s.reload_done_bar) == (same.name, "", 0)
    # One cue of the two changed: only it is swapped in.
    one_new = write_bundle(
        tmp_path, [(0, cue("one", bars=8, base=70)), (1, cue("two", bars=8, base=50))]
    )
    reload(engine, time, one_new)
    assert engine.queued is not None and engine.queued.kind == "reload" and engine.reloads == 1
    advance(engine, time, 2 * BAR_NS)
    assert 71 in [n for _, n in ons(sinks["mono"], 0)]
    assert status(engine, time).reload_done_what == "one"


def test_a_bad_bundle_lands_as_failed(tmp_path):
    time = FakeTime()
    engine, _ = make([cue("one", bars=8)], time)
    engine.bundle_dir = tmp_path
    handle(engine, "/rig/play", [], time.now)
    bad = tmp_path / "bundle-junk.pickle"
    bad.write_bytes(b"not a pickle at all")
    reload(engine, time, bad)
    s = status(engine, time)
    assert (s.reload_wait, s.reload_done, s.reload_done_bar) == ("", bad.name, -1)
    assert "cannot read" in s.last_error


def test_a_voice_reload_waits_for_its_boundary(tmp_path):
    from tests.live.test_voice_reload import Swaps
    from tests.support.voices import sine_voice

    time = FakeTime()
    engine, _ = make([cue("one", bars=8)], time, dsp_hook=Swaps())
    engine.bundle_dir = tmp_path
    handle(engine, "/rig/play", [], time.now)
    advance(engine, time, 50 * MS + 300 * MS)
    path = write_voice(tmp_path, "test-sine", sine_voice(tmp_path))
    handle(engine, "/rig/voice", ["test-sine", str(path), "bar"], time.now)
    while engine.loads:
        run_loads(engine, lambda: time.now, budget_ns=0)
    s = status(engine, time)
    assert (s.reload_wait, s.reload_wait_bar) == (path.name, 2)
    advance(engine, time, BAR_NS)
    s = status(engine, time)
    assert (s.reload_done, s.reload_done_bar, s.reload_done_what) == (
        path.name,
        2,
        "voice test-sine",
    )


def test_the_fill_control_is_in_the_status_queued_on_and_held():
    from tests.live.test_fill_control import with_fill

    time = FakeTime()
    engine, _ = make([with_fill(cue("one", 8))], time)
    assert status(engine, time).fill == ""
    handle(engine, "/rig/play", [], time.now)
    advance(engine, time, 50 * MS + 300 * MS)  # bar 1
    handle(engine, "/rig/fill", [1, "bar"], time.now)
    s = status(engine, time)
    assert (s.fill, s.fill_bar) == ("queued", 2)
    advance(engine, time, BAR_NS)
    s = status(engine, time)
    assert (s.fill, s.fill_bar, s.bar) == ("on", 3, 2)  # on for bar 2, off from bar 3
    advance(engine, time, BAR_NS)
    assert status(engine, time).fill == ""
    handle(engine, "/rig/fill", ["on", "now"], time.now)
    advance(engine, time, 100 * MS)
    s = status(engine, time)
    assert (s.fill, s.fill_bar) == ("on", 0)  # held: no end
    handle(engine, "/rig/fill", ["off", "bar"], time.now)
    assert (status(engine, time).fill, status(engine, time).fill_bar) == ("on", 4)


def test_after_a_whole_set_the_playing_cue_is_compared_with_what_sounds(tmp_path):
    """An attached UI's catch-up when the set changed: the whole set (the playing view
    plays on), then every cue: the playing cue's new version differs from the version
    that sounds, so it swaps in at the next bar; the others are the same: skipped."""
    time = FakeTime()
    engine, sinks = make([cue("one", bars=8, base=36), cue("two", bars=8, base=50)], time)
    engine.bundle_dir = tmp_path
    handle(engine, "/rig/play", [], time.now)
    advance(engine, time, 400 * MS)
    new = [(0, cue("one", bars=8, base=70)), (1, cue("two", bars=8, base=50))]
    reload(engine, time, write_bundle(tmp_path, new, full_set=True, transitions=("bar", "bar")))
    assert engine.queued is None  # a whole set: the playing view plays on
    each = write_bundle(tmp_path, new)
    reload(engine, time, each)
    assert engine.queued is not None and engine.queued.kind == "reload"
    advance(engine, time, 2 * BAR_NS)
    s = status(engine, time)
    assert (s.reload_done, s.reload_done_what, s.reload_done_bar) == (each.name, "one", 2)
    assert 71 in [n for _, n in ons(sinks["mono"], 0)]

"""The OSC address space: dispatch in-process, bundles for hot reload, and a real
engine process driven by OSC from yet another process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rig.control.protocol import ADDRESSES, ControlClient, SetInfo, Status, decode, encode
from rig.engine.bundle import load_bundle, write_bundle
from rig.engine.dispatch import handle, run_loads
from rig.engine.process import EngineProcess
from rig.engine.spec import EngineSpec
from tests.support.clock import MS, FakeTime
from tests.support.live import BAR_NS, DOWNBEAT, advance, clean_pairs, cue, make, ons, wait_for

REPO = Path(__file__).resolve().parents[2]


def test_every_address_is_documented():
    import rig.control.protocol as control

    for address in ADDRESSES:
        assert address in control.__doc__, address


def test_encode_builds_the_bytes_python_osc_builds():
    """The engine's own OSC packing (a status reply at 10 Hz cost ~0.5 ms in
    python-osc's builder) gives python-osc's bytes for every type it packs."""
    from pythonosc.osc_message_builder import OscMessageBuilder

    cases = [
        (),
        ("",),
        ("abc", "abcd", "héllo", "x" * 61),
        (0, 1, -1, 2**31 - 1, -(2**31 - 1), -(2**31), 2**31, 2**40, -(2**40)),
        (0.0, 1.5, -2.25, 1e30, float("inf")),
        (True, False, None),
        (b"\x01\x02\x03",),  # a blob: python-osc's own path
        ("playing", 12, 3, 120.0, 0, True, "a:b:hw,c:d:hw"),
    ]
    for args in cases:
        builder = OscMessageBuilder("/rig/status")
        for arg in args:
            builder.add_arg(arg)
        assert encode("/rig/status", *args) == builder.build().dgram, args
        assert decode(encode("/rig/status", *args))[0] == "/rig/status"


def test_a_status_listed_from_its_fields_is_the_status_built_and_listed():
    import numpy as np

    given = {"state": "playing", "bar": 3, "beat": 2, "bpm": np.float64(96.5), "late": 0}
    given |= {"cue": 1, "section": "riff", "sync_bpm": 120.0, "fill_bar": 4}
    built = Status(**given).args()
    assert Status.args_of(given) == built and len(built) == len(Status.__slots__)
    assert list(map(type, Status.args_of(given))) == list(map(type, built))  # plain floats


def test_dispatch_converts_remote_values_and_reports_errors():
    time = FakeTime()
    engine, sinks = make([cue("one", base=36), cue("two", base=60)], time)
    handle(engine, "/rig/play", [], time.now)
    advance(engine, time, 600 * MS)
    handle(engine, "/rig/launch", [1.0, "bar"], time.now)  # TouchOSC sends floats
    handle(engine, "/rig/mute", ["keys", "bar"], time.now)
    _, args = handle(engine, "/rig/status", [], time.now)
    status = Status.from_args(args)
    assert (status.queued_cue, status.queued_kind, status.queued_bar) == (1, "cue", 2)
    assert status.queued_name == "two" and status.pending == "mute keys@2"
    assert status.track_list() == [("keys", "virus", "hw"), ("bass", "mono", "hw")]
    assert status.pending_list() == [("mute", "keys", 2)]
    handle(engine, "/rig/cancel", [0.0], time.now)  # a button's release: ignored
    assert engine.queued is not None
    handle(engine, "/rig/cancel", [1.0], time.now)
    assert engine.queued is None
    with pytest.raises(ValueError, match="unknown quantize 'bars'"):
        handle(engine, "/rig/launch", [1, "bars"], time.now)
    with pytest.raises(ValueError, match="no cue 7"):
        handle(engine, "/rig/launch", [7], time.now)
    with pytest.raises(ValueError, match="expected"):
        handle(engine, "/rig/mute", [], time.now)
    with pytest.raises(ValueError, match="unknown address"):
        handle(engine, "/rig/explode", [], time.now)
    assert engine.last_error == "unknown address /rig/explode"
    _, args = handle(engine, "/rig/setlist", [], time.now)
    info = SetInfo.from_args(decode(encode("/rig/setlist", *args))[1])
    assert info.cues == ("one", "two") and info.transitions == ("bar", "bar")
    assert info.sections == (("a",), ("a",))
    handle(engine, "/rig/section", ["0", "now"], time.now)
    handle(engine, "/rig/nudge", [2], time.now)
    handle(engine, "/rig/stop", [], time.now)
    for sink in sinks.values():
        clean_pairs(sink)


def test_a_bundle_round_trips_and_a_reload_lands_at_the_boundary(tmp_path):
    time = FakeTime()
    engine, sinks = make([cue("one", bars=8, base=36)], time)
    engine.bundle_dir = tmp_path  # the live session's folder
    new = cue("one", bars=8, base=70)
    path = write_bundle(tmp_path, [(0, new)])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    handle(engine, "/rig/play", [], time.now)
    advance(engine, time, 50 * MS + 300 * MS)
    handle(engine, "/rig/reload", [str(path), "bar"], time.now)
    steps = 0
    while engine.loads:
        run_loads(engine, lambda: time.now, budget_ns=0)  # one step per loop, as worst case
        steps += 1
    assert steps > 2 and not path.exists()  # read in steps, and consumed
    assert engine.queued is not None and engine.queued.kind == "reload"
    advance(engine, time, 2 * BAR_NS)
    bass = [n for t, n in ons(sinks["mono"], 0)]
    assert bass[:16] == [36] * 16 and bass[16:32] == [71] * 16  # bar 2 of the new version
    assert ons(sinks["mono"], 0)[16][0] == DOWNBEAT + BAR_NS
    back = load_bundle(write_bundle(tmp_path, [(0, new)]))
    (index, arr, pairs), *_ = back.cues
    assert (
        index == 0
        and arr.events == new.events
        and arr.query_ticks(0, 100) == new.query_ticks(0, 100)
    )
    assert len(pairs.notes) == 8 * (3 + 16)


def test_a_bad_bundle_is_an_error_in_the_status_and_the_music_goes_on(tmp_path):
    time = FakeTime()
    engine, _ = make([cue("one", bars=8)], time)
    engine.bundle_dir = tmp_path
    handle(engine, "/rig/play", [], time.now)
    bad = tmp_path / "bundle-junk.pickle"
    bad.write_bytes(b"not a pickle at all")
    handle(engine, "/rig/reload", [str(bad)], time.now)
    run_loads(engine, lambda: time.now)
    assert "cannot read reload bundle" in engine.last_error and engine.state == "playing"
    with pytest.raises(ValueError, match="no such file"):
        handle(engine, "/rig/reload", [str(tmp_path / "gone.pickle")], time.now)


def test_reload_and_voice_read_only_files_in_the_session_folder(tmp_path):
    """`/rig/reload` unpickles and `/rig/voice` deletes what it names: a remote (OSC
    may be open to the network) must not reach any other file."""
    time = FakeTime()
    engine, _ = make([cue("one", bars=8)], time)
    outside = tmp_path / "elsewhere.pickle"
    outside.write_bytes(b"x")
    with pytest.raises(ValueError, match="takes no files"):  # not a live session
        handle(engine, "/rig/reload", [str(outside)], time.now)
    session = tmp_path / "session"
    session.mkdir()
    engine.bundle_dir = session
    for address, args in (("/rig/reload", [str(outside)]),
                          ("/rig/voice", ["pad", str(outside)]),
                          ("/rig/reload", [str(session / ".." / "elsewhere.pickle")])):  # fmt: skip
        with pytest.raises(ValueError, match="not in the session folder"):
            handle(engine, address, args, time.now)
    (session / "link.pickle").symlink_to(outside)
    with pytest.raises(ValueError, match="not in the session folder"):
        handle(engine, "/rig/reload", [str(session / "link.pickle")], time.now)
    assert outside.exists() and not engine.loads


SENDER = """
import sys
from rig.control.protocol import ControlClient
with ControlClient(int(sys.argv[1])) as c:
    c.send(sys.argv[2], *[int(a) if a.isdigit() else a for a in sys.argv[3:]])
"""


def _send_from_another_process(port: int, *message: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-c", SENDER, str(port), *message], env=env, check=True)


def test_osc_from_another_process_reaches_a_real_engine_process():
    spec = EngineSpec((cue("one", bars=8, base=36), cue("two", bars=8, base=60)), ())
    engine = EngineProcess(spec).start()
    try:
        with ControlClient(engine.port) as control:
            _send_from_another_process(engine.port, "/rig/play")
            wait_for(control, lambda s: s.state == "playing", timeout=10.0)
            _send_from_another_process(engine.port, "/rig/launch", "1", "bar")
            status = wait_for(control, lambda s: s.queued_cue == 1 or s.cue == 1, timeout=10.0)
            _send_from_another_process(engine.port, "/rig/mute", "keys", "now")
            status = wait_for(control, lambda s: s.cue == 1 and "keys" in s.muted, timeout=10.0)
            assert status.cue_name == "two" and status.queued_cue == -1
            assert status.pid == engine.pid and status.late == 0
            _send_from_another_process(engine.port, "/rig/section", "0", "now")
            _send_from_another_process(engine.port, "/rig/nope")
            wait_for(control, lambda s: s.last_error == "unknown address /rig/nope", timeout=10.0)
    finally:
        engine.stop()


def test_xruns_are_counted_through_a_stand_in_wrapper():
    """Issue 12, item 6: a device with a stand-in reaches the scheduler wrapped
    (rig.voices.outputs.FallbackOutput, its sink in `.hardware`); the status still
    counts its JACK client's xruns."""
    from types import SimpleNamespace

    time = FakeTime()
    engine, sinks = make([cue("one", bars=2)], time)
    host = SimpleNamespace(xruns=7)
    sinks["virus"].host = host  # type: ignore[attr-defined]
    sinks["mono"].host = host  # type: ignore[attr-defined]  (one client, counted once)
    for device in ("virus", "mono"):
        engine.scheduler.outputs[device] = SimpleNamespace(hardware=sinks[device])
    _, args = handle(engine, "/rig/status", [], time.now)
    assert Status.from_args(args).xruns == 7


def test_the_status_reads_every_field_at_the_one_tick_it_works_out():
    """`status` works the tick out once (it used to be 7 times a reply, each on the
    engine's main thread while JACK's thread plays): every field it reads at that tick
    is what the engine's own per-field queries say, each working the tick out itself,
    stopped, playing (a launch and a mute queued), after a section jump and stopped
    again."""
    from rig.engine.dispatch import status, timing
    from rig.engine.landing import fill_fields

    time = FakeTime()
    parts = (("a", 2), ("b", 2))
    engine, _ = make([cue("one", sections=parts), cue("two", base=60, sections=parts)], time)
    ticks = []
    own_tick = engine.tick

    def counted(now_ns: int) -> int:
        ticks.append(now_ns)
        return own_tick(now_ns)

    def expected(now: int) -> dict:
        bar, beat, bpm = engine.position(now)
        mutes = engine.mute_state(now)
        pending = engine.pending_ops(now)
        return {
            "bar": bar,
            "beat": beat,
            "bpm": float(bpm),
            "muted": ",".join(sorted(mutes.muted)),
            "soloed": ",".join(sorted(mutes.soloed)),
            "section": engine.section_name(now),
            "pending": ";".join(f"{op} {track}@{b}" for b, op, track in pending),
            **timing(engine, now),
            **fill_fields(engine, now),
        }

    def check() -> Status:
        want = expected(time.now)
        ticks.clear()
        engine.tick = counted  # type: ignore[method-assign]
        try:
            got = status(engine, time.now)
        finally:
            del engine.tick
        assert ticks == [time.now]  # once
        assert {k: getattr(got, k) for k in want} == want
        # The reply is built without the object (`Status.args_of`): the same list.
        _, args = handle(engine, "/rig/status", [], time.now)
        assert args == got.args() and list(map(type, args)) == list(map(type, got.args()))
        return got

    assert check().state == "stopped"
    handle(engine, "/rig/play", [], time.now)
    seen = set()
    for step in range(16):
        advance(engine, time, 400 * MS)
        if step == 5:
            handle(engine, "/rig/launch", [1, "bar"], time.now)
            handle(engine, "/rig/mute", ["keys", "bar"], time.now)
        if step == 11:
            handle(engine, "/rig/section", ["b", "now"], time.now)
        got = check()
        seen.add((got.cue, got.bar, got.section, got.pending, got.queued_kind))
    assert {(c, b, s) for c, b, s, _, _ in seen} >= {(0, 1, "a"), (0, 2, "a"), (1, 1, "a")}
    assert any(c == 1 and s == "b" for c, _, s, _, _ in seen), seen  # the jump
    assert {"mute keys@3"} <= {p for *_, p, _ in seen} and {k for *_, k in seen} >= {"cue"}
    handle(engine, "/rig/stop", [], time.now)
    assert check().state in ("stopped", "ended")

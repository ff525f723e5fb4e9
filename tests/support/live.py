"""Shared helpers of the live tests: small cues with recognisable notes, a fake clock,
the engine on recording sinks, and checks on what went out."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from rig.control.protocol import ControlClient, Status
from rig.engine.transport import START_DELAY_NS, Engine
from rig.midi.sink import RecordingSink
from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, ControlChange, NoteOff, NoteOn, ProgramChange
from rig.song.tempomap import TempoMap
from tests.support.clock import MS, T0, FakeTime

BAR_NS = 2_000_000_000  # 4/4 at 120 BPM
BEAT_NS = 500_000_000
DOWNBEAT = T0 + START_DELAY_NS  # where bar 1 lands after play() at T0


def cue(
    name: str,
    bars: int = 4,
    *,
    base: int = 36,
    sections: tuple[tuple[str, int], ...] | None = None,
    bpm: float = 120.0,
    program: int | None = None,
    devices: tuple[str, str] = ("virus", "mono"),
) -> Arrangement:
    """Whole-bar chords on 'keys' (ch 1) and 16ths on 'bass' (ch 0).

    Bass pitches say where a note comes from: `base` + bar index (0-based), so a
    note on the wire tells which cue and bar produced it. Chord roots: 60 + bar % 4.
    """
    events: list = []
    if program is not None:
        events.append(ProgramChange(0, "keys", 1, program))
    for bar in range(bars):
        t = bar * 4 * PPQ
        events.append(ControlChange(t, "keys", 1, 74, (bar * 10) % 128, "cutoff"))
        root = 60 + bar % 4
        for n in (root, root + 4, root + 7):
            events += [NoteOn(t, "keys", 1, n, 90), NoteOff(t + 4 * PPQ - 10, "keys", 1, n)]
        for i in range(16):
            s = t + i * PPQ // 4
            note = base + bar
            events += [NoteOn(s, "bass", 0, note, 100), NoteOff(s + 200, "bass", 0, note)]
    tracks = [TrackInfo("keys", devices[0], None, 1), TrackInfo("bass", devices[1], None, 0)]
    spans = []
    start, bar1 = 0, 1
    for sec_name, sec_bars in sections or (("a", bars),):
        spans.append(SectionSpan(sec_name, start, start + sec_bars * 4 * PPQ, bar1, sec_bars, 4, 4))
        start += sec_bars * 4 * PPQ
        bar1 += sec_bars
    return Arrangement(
        name, events, TempoMap.constant(bpm), spans, tracks, bars * 4 * PPQ, source=f"{name}.yaml"
    )


def make(cues, time: FakeTime, **kw) -> tuple[Engine, dict[str, RecordingSink]]:
    sinks = {d: RecordingSink(d, now=time.now_ns) for d in ("virus", "mono")}
    for s in sinks.values():
        s.open()
    engine = Engine(cues, sinks, clock_latency_ms={"mono": 0.0}, **kw)
    return engine, sinks


def advance(engine: Engine, time: FakeTime, ns: int, step: int = 4 * MS) -> None:
    """Pump the engine every `step` for `ns` of fake time (the offline twin)."""
    end = time.now + ns
    while time.now < end:
        engine.pump(time.now)
        time.sleep_until(time.now + step)


def timeline(sink: RecordingSink) -> list[tuple[int, bytes]]:
    return sorted(sink.messages, key=lambda m: m[0])


def ons(sink: RecordingSink, channel: int | None = None) -> list[tuple[int, int]]:
    """(deadline, note) of every note-on."""
    return [
        (t, d[1])
        for t, d in timeline(sink)
        if d[0] & 0xF0 == 0x90 and d[2] and (channel is None or d[0] & 15 == channel)
    ]


def offs(sink: RecordingSink) -> list[tuple[int, int]]:
    return [(t, d[1]) for t, d in timeline(sink) if d[0] & 0xF0 == 0x80]


def clean_pairs(sink: RecordingSink) -> None:
    """Every note on the wire is one on, then one off: no double note-ons (a re-trigger
    would show as an extra off), no stray note-offs, nothing left sounding."""
    state: dict[tuple[int, int], bool] = defaultdict(bool)
    for when, data in timeline(sink):
        kind, key = data[0] & 0xF0, (data[0] & 15, data[1] if len(data) > 1 else 0)
        if kind == 0x90 and data[2]:
            assert not state[key], f"note-on of a sounding note {key} at {when}"
            state[key] = True
        elif kind == 0x80:
            assert state[key], f"note-off of a silent note {key} at {when}"
            state[key] = False
    assert not any(state.values()), f"left sounding: {[k for k, v in state.items() if v]}"


def wait_for(control: ControlClient, test, timeout: float = 60.0) -> Status:
    """Poll a real engine's status until `test(status)` holds; its status then.
    Generous: a loaded machine (or freewheel there, no faster than real time) takes
    its time, and a wait that ends when it holds costs nothing when it is fast."""
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = control.status(timeout=0.5)
        if status is not None and test(status):
            return status
        time.sleep(0.02)
    raise AssertionError(f"engine never got there; last status {status}")


def wait_state(control: ControlClient, state: str, timeout: float) -> None:
    wait_for(control, lambda s: s.state == state, timeout)


def wait_show_ended(sessions: Path, timeout: float = 60.0) -> bool:
    """Until the live host's session file in `sessions` is gone (the show ended),
    at most `timeout` (generous: a loaded machine, seen > 15 s); True if it is."""
    from rig.stage.session import find_sessions

    deadline = time.monotonic() + timeout
    while find_sessions(sessions) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not find_sessions(sessions)


def wait_restarted(sessions: Path, timeout: float = 30.0):  # -> rig.stage.session.Session
    """The session once the live host has restarted the engine (it writes the new
    engine's port then); AssertionError after `timeout`."""
    from rig.stage.session import find_sessions

    deadline = time.monotonic() + timeout
    while not ((found := find_sessions(sessions)) and found[0][1].restarts == 1):
        assert time.monotonic() < deadline, "the host did not restart the engine"
        time.sleep(0.02)
    return found[0][1]


def end_show(sessions: Path) -> None:
    """A failed run: end the host (and so the engine) it left behind."""
    import os
    import signal

    from rig.stage.session import find_sessions

    for _, left in find_sessions(sessions):
        os.kill(left.host_pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while left.alive() and time.monotonic() < deadline:
            time.sleep(0.05)


def launch_live(jack_server, song_path: Path, config: Path, sessions: Path):
    """`rig live SONG` (headless UI) in its own process; (ui process, its session) once
    the host has written the session file. (The UI itself may still be starting: see
    `wait_watching`.)"""
    import subprocess

    from rig.stage.session import find_sessions
    from tests.support.tmux import live_command

    cmd, env = live_command(song_path, config, sessions=sessions, server_env=jack_server.env,
                            headless=True, inherit=True)  # fmt: skip
    # What the UI, host and engine say goes to a file beside the sessions folder (a pipe
    # that nobody reads while the show runs would block them once 64 KiB of it filled).
    log = sessions.parent / f"{sessions.name}-live.log"
    with open(log, "ab") as err:
        ui = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    ui.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 120  # generous: a loaded machine takes its time
    while not (found := find_sessions(sessions)):
        if time.monotonic() > deadline or ui.poll() is not None:
            ui.kill()
            raise AssertionError("rig live did not start")
        time.sleep(0.05)
    return ui, found[0][1]


def wait_watching(ui, timeout: float = 120.0) -> None:
    """Until the UI process `ui` watches its files (an inotify watch: the hot-reload
    worker runs, started when the app mounted). An edit saved before that is never
    seen as a change; on a loaded machine the UI's imports alone take seconds."""
    fds = Path(f"/proc/{ui.pid}/fdinfo")
    deadline = time.monotonic() + timeout
    while True:
        try:
            if any("inotify wd:" in f.read_text() for f in fds.iterdir()):
                return
        except OSError:  # an fd closed while listed
            pass
        assert ui.poll() is None, "rig live ended while starting"
        assert time.monotonic() < deadline, "rig live never watched its files"
        time.sleep(0.05)


def wait_connected(port: str, timeout: float = 60.0) -> None:
    """Until something is connected to JACK `port` (generous: a loaded machine)."""
    import jack

    probe = jack.Client("rigtest-connected-probe", no_start_server=True)
    try:
        deadline = time.monotonic() + timeout
        while not probe.get_all_connections(port):
            assert time.monotonic() < deadline, f"nothing connected to {port}"
            time.sleep(0.02)
    finally:
        probe.close()

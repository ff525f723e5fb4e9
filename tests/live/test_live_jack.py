"""Quantized live actions on the real engine process, witnessed by the JACK recorder.

150 BPM: one MIDI clock tick (1/24 beat) is 800 frames at 48 kHz, a bar 96 ticks.
Every note the songs play on a 16th lies on a clock tick, so "exactly on the
boundary" is checked as "on the frame of the boundary's F8" — 0 frames of error.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rig.control.protocol import ControlClient
from rig.engine.process import EngineProcess
from rig.engine.sinks import OutputSpec
from rig.engine.spec import EngineSpec
from rig.midi.notes import sounding_after
from rig.midi.wire import TICKS_PER_CLOCK
from rig.song.events import PPQ
from tests.support.live import (
    cue,
    launch_live,
    wait_for,
    wait_restarted,
    wait_show_ended,
    wait_watching,
)

pytestmark = [pytest.mark.jack, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BPM = 150.0
BAR = 96  # clock ticks


def song(name: str, bars: int, base: int):
    return cue(name, bars, base=base, bpm=BPM, devices=("synth", "synth"))


def start(recorder, cues, **kw) -> EngineProcess:
    outputs = (OutputSpec("synth", recorder.port, "jack", clock=True),)
    return EngineProcess(EngineSpec(tuple(cues), outputs, **kw)).start()


def witness(jack_server, scenario, check) -> None:
    """Run `scenario(recorder)` once against a fresh recorder, then `check(events)`.

    Frame-exact scenarios play inside `with freewheel` (no deadlines, no xruns: the
    engine's clock is JACK's frame counter); the real-time ones assert robustness
    only, which xruns cannot spoil. Either way: one run, no retry, no skip."""
    from rig.probe.recorder import Recorder

    rec = Recorder.spawn(jack_server.env)
    try:
        scenario(rec)
        events = rec.stop()
    finally:
        rec.kill()
    check(events)


def clocks_of(events) -> list[int]:
    return [f for f, d in events if d == b"\xf8"]


def bass_ons(events) -> list[tuple[int, int]]:
    return [(f, d[1]) for f, d in events if d[0] == 0x90 and d[2]]


def assert_steady_clock(clocks: list[int]) -> None:
    """One F8 every 800 frames, exactly: no gap, no burst."""
    gaps = [b - a for a, b in zip(clocks, clocks[1:], strict=False)]
    assert set(gaps) == {800}, (min(gaps), max(gaps))


def test_a_launch_queued_mid_bar_starts_on_the_next_bars_first_frame(jack_server, freewheel):
    queued: dict = {}

    def scenario(recorder):
        engine = start(recorder, [song("one", 32, 36), song("two", 4, 60)])
        try:
            with freewheel, ControlClient(engine.port) as control:
                control.send("/rig/play")
                wait_for(control, lambda s: s.state == "playing" and s.beat >= 2)  # mid bar
                control.send("/rig/launch", 1, "bar")
                # When the launch arrives is up to the machine (freewheel on a busy core
                # may take more than a bar); where the engine queued it, it says: the
                # status asked right after the launch (handled in order, on one socket)
                # shows it waiting, with the bar it starts at and where the engine was.
                answer = control.status()
                assert answer is not None
                queued["answer"] = answer
                status = wait_for(control, lambda s: s.cue == 1)
                assert status.cue_name == "two" and status.late == 0
                wait_for(control, lambda s: s.bar >= 2)  # into cue two's second bar
                control.send("/rig/stop")
                wait_for(control, lambda s: s.state == "stopped")
        finally:
            engine.stop()

    witness(jack_server, scenario, lambda events: check_launch(events, queued["answer"]))


def check_launch(events, answer) -> None:
    clocks = clocks_of(events)
    notes = bass_ons(events)
    first_new = next(i for i, (_, n) in enumerate(notes) if n >= 60)
    frame, note = notes[first_new]
    # On the first frame of a bar line, exactly.
    assert note == 60 and frame in clocks and clocks.index(frame) % BAR == 0
    at = clocks.index(frame)
    bar = at // BAR + 1  # cue one's bar where cue two started
    if answer.cue == 0:
        # The engine's word: the launch waits for `queued_bar`, the first bar line it
        # could still reach when it came (the lookahead, 15 ms, may already hold the
        # next downbeat: then the one after), and cue two starts there, no other bar.
        assert answer.queued_cue == 1 and answer.queued_kind == "cue", answer
        # (the status's position is a whole engine tick, floored: one more tick of reach)
        bar_s = 4 * 60 / BPM
        reach = EngineSpec.__dataclass_fields__["lookahead_ms"].default / 1000 + 60 / BPM / PPQ
        assert (answer.queued_bar - 1) * bar_s >= answer.cue_elapsed_s, answer
        assert (answer.queued_bar - 2) * bar_s < answer.cue_elapsed_s + reach, answer
        assert bar == answer.queued_bar, (bar, answer)
    else:
        # The bar line passed between the launch and the status (both handled in the
        # same moment): the engine answered from cue two, at its very start.
        assert answer.cue == 1 and (answer.bar, answer.beat) == (1, 1), answer
    assert bar >= 2 and first_new == 16 * (bar - 1)  # every 16th before it, no cut
    # cue one's pitch says its bar (36 + bar index): each bar before the switch, whole
    assert [n for _, n in notes[:first_new]] == [36 + b for b in range(bar - 1) for _ in range(16)]
    assert notes[first_new - 1][0] == clocks[at - 6]  # the last 16th before it: no gap
    assert notes[first_new + 1][0] == clocks[at + 6]
    assert_steady_clock(clocks)  # the clock ran through the switch
    assert [d for _, d in events].count(b"\xfa") == 1
    assert sounding_after([d for _, d in events]) == []


def test_a_set_transition_bar_starts_the_next_cue_exactly_on_the_boundary(
    jack_server, freewheel
):
    def scenario(recorder):
        cues = [song("one", 1, 36), song("two", 1, 60), song("three", 1, 80)]
        engine = start(recorder, cues, transitions=("bar", "wait"))
        try:
            with freewheel, ControlClient(engine.port) as control:
                control.send("/rig/play")
                status = wait_for(control, lambda s: s.state == "waiting")
                assert status.cue_name == "three"
        finally:
            engine.stop()

    witness(jack_server, scenario, check_transition)


def check_transition(events) -> None:
    clocks = clocks_of(events)
    notes = bass_ons(events)
    assert [n for _, n in notes] == [36] * 16 + [60] * 16
    assert notes[16][0] == clocks[BAR] and notes[15][0] == clocks[BAR - 6]
    assert len(clocks) == 2 * BAR and events[-1][1] == b"\xfc"
    assert_steady_clock(clocks)
    assert sounding_after([d for _, d in events]) == []


def test_quantized_mute_cuts_on_the_beat_and_unmute_comes_in_on_the_bar(jack_server, freewheel):
    def scenario(recorder):
        engine = start(recorder, [song("one", 64, 36)])
        try:
            with freewheel, ControlClient(engine.port) as control:
                control.send("/rig/play")
                wait_for(control, lambda s: s.state == "playing" and (s.bar, s.beat) >= (2, 2))
                control.send("/rig/mute", "keys", "beat")
                muted = wait_for(control, lambda s: "keys" in s.muted)
                wait_for(control, lambda s: s.bar >= muted.bar + 2)
                control.send("/rig/unmute", "keys", "bar")
                status = wait_for(control, lambda s: not s.muted)
                assert status.pending == ""
                control.send("/rig/stop")
                wait_for(control, lambda s: s.state == "stopped")
        finally:
            engine.stop()

    witness(jack_server, scenario, check_mutes)


def check_mutes(events) -> None:
    clocks = clocks_of(events)
    keys = [(f, d) for f, d in events if d[0] & 0x0F == 1 and d[0] & 0xE0 == 0x80]
    chord_ons = sorted({f for f, d in keys if d[0] == 0x91 and d[2]})
    bars = [clocks.index(f) // BAR for f in chord_ons]
    # Every chord on a bar's first frame; bars in a row, then muted bars, then back on.
    assert all(clocks.index(f) % BAR == 0 for f in chord_ons)
    gap = next(i for i in range(1, len(bars)) if bars[i] != bars[i - 1] + 1)
    assert bars[:gap] == list(range(gap)) and bars[gap] >= bars[gap - 1] + 2
    # The last chord before the mute ends on one frame: cut on a beat of its bar (the
    # first the engine could still reach when the command arrived), or, when that beat
    # was the next bar line (the command came after the bar's last beat was handed
    # over: freewheel on a busy core), at its own end, 10 ticks (100 frames) before the
    # line — not a clock frame (tests.live.test_mute_landing).
    last = clocks.index(chord_ons[gap - 1])
    cut = sorted({f for f, d in keys if d[0] == 0x81 and clocks[last] < f < clocks[last + BAR]})
    own_end = clocks[last] + (4 * PPQ - 10) * 800 // TICKS_PER_CLOCK
    assert len(cut) == 1, cut
    if cut[0] != own_end:
        assert cut[0] in clocks and (clocks.index(cut[0]) - last) % 24 == 0, (cut, own_end)
    assert len([1 for f, d in keys if d[0] == 0x81 and f == cut[0]]) == 3
    assert_steady_clock(clocks)
    assert sounding_after([d for _, d in events]) == []


SONG = """cue: Reload Test
tempo: 150
meter: 4/4
tracks:
  bass: {device: monopoly}
patterns:
  line: {track: bass, steps: "NOTE NOTE NOTE NOTE", rate: 1/4, gate: 50%}
sections:
  - {name: a, bars: 32, play: [line]}
"""


def stage(tmp_path, recorder_port: str, note: str = "C2"):
    """A song file and a config that sends it (with clock) to the recorder."""
    song_path = tmp_path / "song.yaml"
    song_path.write_text(SONG.replace("NOTE", note))
    config = tmp_path / "config.yaml"
    config.write_text(
        f"patches: {REPO / 'patches'}\n"
        f"devices:\n  monopoly: {{port: '{recorder_port}', clock: true}}\n"
    )
    return song_path, config


def test_hot_reload_a_bad_edit_keeps_the_old_events_a_good_one_lands_on_a_bar(
    jack_server, freewheel, tmp_path
):
    from rig.engine.sinks import outputs_from_project
    from rig.project import Project
    from rig.stage.watch import Reloader

    outcome: dict = {}

    def scenario(recorder):
        song_path, config = stage(tmp_path, recorder.port)
        project = Project.load(config)
        cues = project.arrangements(song_path)
        spec = EngineSpec(tuple(cues), tuple(outputs_from_project(project)),
                          bundle_dir=str(tmp_path))  # fmt: skip
        engine = EngineProcess(spec).start()
        try:
            with freewheel, ControlClient(engine.port) as control:
                reloader = Reloader(lambda: Project.load(config), song_path, control.send,
                                    tmp_path / "bundles", cues=cues)  # fmt: skip
                control.send("/rig/play")
                wait_for(control, lambda s: s.state == "playing" and s.bar >= 2)
                song_path.write_text(SONG.replace("NOTE", "H2"))  # no such note
                outcome["bad"] = reloader.check({song_path})
                song_path.write_text(SONG.replace("NOTE", "G2"))
                outcome["good"] = reloader.check({song_path})
                outcome["status"] = wait_for(control, lambda s: s.reloads == 1)
                wait_for(control, lambda s: s.bar >= outcome["status"].bar + 2)
                control.send("/rig/stop")
                wait_for(control, lambda s: s.state == "stopped")
        finally:
            engine.stop()

    def check(events):
        message, error = outcome["bad"]
        assert error and f"{tmp_path / 'song.yaml'}:7:" in message and "H2" in message
        assert outcome["good"] == ("reloaded Reload Test: takes effect at the next bar", False)
        clocks = clocks_of(events)
        notes = bass_ons(events)
        first = next(i for i, (_, n) in enumerate(notes) if n == 43)  # G2
        assert {n for _, n in notes[:first]} == {36} and {n for _, n in notes[first:]} == {43}
        frame = notes[first][0]
        assert frame in clocks  # on the frame of its clock tick, on a bar line
        assert clocks.index(frame) % BAR == 0 and clocks.index(frame) >= 2 * BAR
        assert frame - notes[first - 1][0] == 24 * 800  # the beat before: no gap
        assert_steady_clock(clocks)
        assert sounding_after([d for _, d in events]) == []

    witness(jack_server, scenario, check)


def test_sigkill_of_the_ui_leaves_the_music_playing_and_attach_reconnects(jack_server, tmp_path):
    import asyncio
    import os
    import signal

    from rig.control.link import EngineLink
    from rig.stage.session import find_sessions
    from rig.stage.ui.app import LiveApp

    xruns_before = [jack_server.xruns.count]
    played: list = []

    def scenario(recorder):
        song_path, config = stage(tmp_path, recorder.port)
        ui, session = launch_live(jack_server, song_path, config, tmp_path / "sessions")
        try:
            with ControlClient(session.port) as control:
                control.send("/rig/play")
                wait_for(control, lambda s: s.state == "playing" and s.bar == 2)
                ui.send_signal(signal.SIGKILL)
                ui.wait(5)
                before = control.status()
                # The music goes on without its UI: a wait until the engine has moved on
                # past bar 2's third beat (what the check below counts ticks up to), not
                # a fixed 1.5 s.
                after = wait_for(control, lambda s: s.state == "playing" and (s.bar, s.beat) > (
                    before.bar, before.beat) and ((s.bar - 1) * 4 + s.beat - 1) * 24 + 1 > (
                    BAR + 2 * 24))  # fmt: skip
                assert after.pid == session.engine_pid
                played.append(control.status())  # where the engine is before the stop

                async def attach() -> None:  # a new UI on the running show: stop from it
                    app = LiveApp(EngineLink(session.port), poll_s=0.05)
                    async with app.run_test() as pilot:
                        for _ in range(100):
                            if app.status is not None and "Reload Test" in str(
                                app.query_one("#top").render()
                            ):
                                break
                            await pilot.pause(0.05)
                        await pilot.press("s")
                        await pilot.pause(0.3)

                asyncio.run(attach())
                wait_for(control, lambda s: s.state == "stopped")
                control.send("/rig/quit")
            deadline = time.monotonic() + 60  # generous: a loaded machine
            while find_sessions(tmp_path / "sessions") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not find_sessions(tmp_path / "sessions"), "the host did not end"
        finally:
            if ui.poll() is None:
                ui.kill()
            if session is not None and session.alive():  # a failed run: end the show
                os.kill(session.host_pid, signal.SIGTERM)
                deadline = time.monotonic() + 10
                while session.alive() and time.monotonic() < deadline:
                    time.sleep(0.05)

    def check(events):
        # Real time (robustness): an xrun may write a tick late at a cycle's first
        # frame, but the UI's death costs no tick and leaves nothing sounding.
        clocks = clocks_of(events)
        xruns = jack_server.xruns.count - xruns_before[0]
        gaps = [b - a for a, b in zip(clocks, clocks[1:], strict=False)]
        # Not one tick missing when the UI died. An xrun cycle can lose its MIDI at the
        # recorder itself (measured): one 64-frame cycle holds at most one tick, so
        # each xrun of the server may account for at most one missing tick.
        missing = sum(round(g / 800) - 1 for g in gaps)
        assert max(gaps) < 1.5 * 800 or missing <= xruns, (missing, xruns)
        # Played on through the kill (in bar 2): every tick up to where the engine said
        # it was two beats and more later (waited for above) reached the recorder, lost
        # ones aside (bar 1 beat 1 is the first tick; the status may run a cycle and the
        # lookahead — one tick — ahead).
        last = played[0]
        reached = ((last.bar - 1) * 4 + last.beat - 1) * 24 + 1
        assert reached > BAR + 2 * 24 and len(clocks) + missing >= reached - 1, (
            len(clocks),
            reached,
        )
        data = [d for _, d in events]
        # One Start, a Stop, nothing sounding: exact unless the server xrun (a Start lost
        # in an xrun cycle cannot be sent again; the Stop and note-offs are, while the
        # engine runs, but it quits right after the stop here).
        xruns = jack_server.xruns.count - xruns_before[0]
        clean = data.count(b"\xfa") == 1 and b"\xfc" in data and sounding_after(data) == []
        assert clean or xruns > 0, xruns

    witness(jack_server, scenario, check)


HELD = """cue: Crash Test
tempo: 150
meter: 4/4
tracks:
  bass: {device: monopoly}
patterns:
  line: {track: bass, steps: "C2 ~ ~ ~", rate: 1/4, gate: 100%}
sections:
  - {name: a, bars: 64, play: [line]}
"""


def test_a_dead_engine_leaves_no_note_sounding_and_resumes_at_the_next_bar(jack_server, tmp_path):
    """Issue 5: the engine is SIGKILLed mid-note, after a hot reload. The host ends the
    held note (nobody else can: the engine's note tracking died with it), starts a new
    engine on the set as its files are now and resumes the cue with SPP + Continue at
    the bar line after where the music would be."""
    import os
    import signal

    from rig.stage.session import find_sessions

    seen: dict = {}

    def scenario(recorder):
        song_path, config = stage(tmp_path, recorder.port)
        song_path.write_text(HELD)
        sessions = tmp_path / "sessions"
        ui, session = launch_live(jack_server, song_path, config, sessions)
        try:
            # The engine's port met the recorder (else nothing of the first engine is
            # heard: seen once, JACK refusing its client, "server_error", on a machine
            # running many servers; the check below then said "no G2 before the SPP").
            assert session.warnings == (), session.warnings
            wait_watching(ui)  # else the edit below may come before the UI watches
            with ControlClient(session.port) as control:
                control.send("/rig/play")
                # Into bar 2 (a loaded machine's status poll may come in bar 3 first).
                wait_for(control, lambda s: s.state == "playing" and s.bar >= 2)
                song_path.write_text(HELD.replace("C2", "G2"))  # the UI hot-reloads it
                # Landed, not only swapped in (`reloads` counts swaps): a swap within the
                # scheduler's reach of a bar line lands at the bar after, and a kill at
                # beat 3 of the bar after the swap's would find C2 still held, no G2
                # played (read from the code: the likely cause of a "no G2 before the
                # SPP" seen once in 60 runs; not reproduced in this session's runs).
                landed = wait_for(control, lambda s: s.reloads == 1 and s.reload_done_bar > 0)
                at = landed.reload_done_bar  # the bar G2 started on
                status = wait_for(control, lambda s: (s.bar, s.beat) >= (at, 3))
                os.kill(session.engine_pid, signal.SIGKILL)
                seen["killed_in_bar"] = status.bar
            restarted = wait_restarted(sessions, 30)
            # For a failure: the new engine says there whether its port met the
            # recorder at its start ("no MIDI port matches ..." else), and where it resumed.
            seen["restarted"] = (restarted.warnings, restarted.note)
            assert restarted.engine_pid != session.engine_pid
            with ControlClient(restarted.port) as control:
                status = wait_for(control, lambda s: s.state == "playing")
                wait_for(control, lambda s: s.bar >= status.bar + 2)
                control.send("/rig/stop")
                wait_for(control, lambda s: s.state == "stopped")
                control.send("/rig/quit")
            wait_show_ended(sessions)
        finally:
            ui.kill()
            ui.wait(5)
            for _, left in find_sessions(sessions):  # a failed run: end the show
                os.kill(left.host_pid, signal.SIGTERM)
            seen["log"] = ui.log.read_text(errors="replace")[-3000:]  # host, engine said

    def check(events) -> None:
        # Nothing here is frame-exact: the kill and the new engine's start always cost
        # JACK xruns (measured: 2-3 bursts; the host resumes once they are over,
        # `Patches.settle`, and the SPP goes twice: an xrun cycle loses its MIDI).
        data = [d for _, d in events]
        # The engine died holding G2 (43); the host ended exactly that note.
        spp = next((i for i, d in enumerate(data) if d[0] == 0xF2), None)
        said = [(f, d.hex()) for f, d in events if d != b"\xf8"][-40:]  # for a failure
        # For a failure: when the recorder heard of xruns (frames), and its clock gaps.
        clocks = clocks_of(events)
        gaps = [(a, b - a) for a, b in zip(clocks, clocks[1:], strict=False) if b - a != 800]
        heard = f"recorder xruns at {recorder.xrun_frames}, clock gaps {gaps}"
        assert spp is not None, (
            f"no SPP: xruns {jack_server.xruns.count}, got {said}, {heard}, {seen}")
        ons = [i for i in range(spp) if data[i][0] == 0x90 and data[i][1] == 43]
        assert ons, f"no G2 before the SPP: {said}, {heard}, {seen}"
        held = ons[-1]
        assert sounding_after(data[: held + 1]) == [(0, 43)]
        between = [d for d in data[held + 1 : spp] if d[0] < 0xF0]  # not clock, Stop...
        # Note-offs and nothing else: no note starts there. Its own (the rescue repeats
        # it while JACK reports xruns: a cycle that xruns loses its MIDI), and, for notes
        # that do not sound (redundant, harmless by design), the engine's resend after
        # an xrun of every note-off of the last 100 ms (issue 16, item 3: here C2's, the
        # note the hot reload replaced). Its note-off may be missing only if the server
        # xrun (tests/live/test_rescue.py proves the rescue itself): at the end nothing
        # sounds either way (below).
        near = [(f, d.hex()) for f, d in events[max(0, held - 12) : spp + 2] if d != b"\xf8"]
        offs = [d for d in between if len(d) == 3 and d[0] & 0xF0 == 0x80]
        assert offs == between, (near, seen.get("log"))  # no note-on, no controller
        rescued = any(d[:2] == bytes((0x80, 43)) for d in offs)  # the others end nothing
        assert rescued or jack_server.xruns.count > 0, "no rescue note-off and no xrun"
        assert sounding_after(data[:spp]) == ([] if rescued else [(0, 43)])
        # The SPP (sent twice: an xrun may lose one), the Continue, then the clock from
        # the resumed bar.
        cont = data.index(b"\xfb", spp)
        assert set(data[spp:cont]) == {data[spp]} and cont - spp <= 2, data[spp : cont + 1]
        sixteenths = data[spp][1] | data[spp][2] << 7
        assert sixteenths % 16 == 0  # on a bar line
        bar = sixteenths // 16 + 1
        assert bar > seen["killed_in_bar"]
        # The next bar line after where the music would have been: the old timeline
        # (bar 1 on the first F8 after Start) puts that bar within a bar and a beat
        # after the resumed downbeat (the status polled every 0.25 s may be a beat old).
        start = data.index(b"\xfa")
        first_clock = next(f for f, d in events[start:] if d == b"\xf8")
        downbeat = next(f for f, d in events[spp:] if d == b"\xf8")
        bar_frames = BAR * 800
        ahead = first_clock + (bar - 1) * bar_frames - downbeat
        assert -0.3 * 48000 <= ahead <= 1.25 * bar_frames + 0.3 * 48000, ahead / bar_frames
        # The new engine plays the version hot reload had swapped in, not the first one.
        resumed = [(f, d) for f, d in events[spp:] if d[0] == 0x90 and d[2]]
        assert resumed and {d[1] for _, d in resumed} == {43}
        assert sounding_after(data) == []

    from rig.probe.recorder import Recorder

    recorder = Recorder.spawn(jack_server.env)
    try:
        scenario(recorder)
        events = recorder.stop()
    finally:
        recorder.kill()
    check(events)


@pytest.mark.parametrize("target", ["host", "ui", "host-sigkill"])
def test_sigterm_ends_the_show_with_note_offs(jack_server, tmp_path, target):
    """Issue 12, item 12: `kill` (SIGTERM: what a service manager or a shutdown
    sends) of the `rig live` process or of its host ends the show: the engine stops
    cleanly (note-offs, Stop), and the host and its session are gone.

    `kill -9` of the host too (found in a performer's trial: 3 of 3 times a held chord
    hung): its note-rescue JACK client, connected, died inside the graph and took the
    recorder along. Its ports now stay dormant until it rescues, and the engine sends
    its Stop again once that client has left the graph (rig.engine.ending). Nothing may
    be left sounding then, xruns or not."""
    import os
    import signal

    from rig.control.link import pid_alive
    from rig.probe.recorder import Recorder
    from rig.stage.session import find_sessions

    xruns = jack_server.xruns.count
    jackd_said = jack_server.log.stat().st_size if jack_server.log else 0
    recorder = Recorder.spawn(jack_server.env)
    sessions = tmp_path / "sessions"
    try:
        song_path, config = stage(tmp_path, recorder.port)
        song_path.write_text(HELD)
        ui, session = launch_live(jack_server, song_path, config, sessions)
        try:
            wait_watching(ui)  # the UI runs (its own SIGTERM handler is in place)
            with ControlClient(session.port) as control:
                wait_heard(control, jack_server, lambda: control.send("/rig/play"))
            if target == "host-sigkill":
                os.kill(session.host_pid, signal.SIGKILL)
            else:
                os.kill(session.host_pid if target == "host" else ui.pid, signal.SIGTERM)
            deadline = time.monotonic() + 60
            while session.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not session.alive(), "the host ignored SIGTERM"
            assert not find_sessions(sessions)
            # The engine ends on its own: nobody waits for it after a SIGKILL (its
            # controller is gone), so the recorder must, or it stops before the Stop.
            while pid_alive(session.engine_pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not pid_alive(session.engine_pid), "the engine outlived its host"
        finally:
            ui.kill()
            ui.wait(5)
            for _, left in find_sessions(sessions):  # a failed run: end the show
                os.kill(left.host_pid, signal.SIGKILL)
        events = recorder.stop()
    finally:
        recorder.kill()
    xruns = jack_server.xruns.count - xruns
    data = [d for _, d in events]
    assert any(d[0] == 0x90 and d[2] for d in data)  # it played
    # Stop, and nothing left sounding: the engine ends right after its stop, so a cycle
    # that xruns can lose them at the recorder with no repeat; only then missing.
    if target == "host-sigkill":
        said = _what_was_said(jack_server, jackd_said, sessions)
        assert sounding_after(data) == [], (xruns, data[-6:], said)
        assert b"\xfc" in data, (xruns, data[-6:], said)
        return
    assert (b"\xfc" in data and sounding_after(data) == []) or xruns > 0, xruns


def wait_heard(control: ControlClient, jack_server, play) -> None:
    """Call `play`, then wait until a note sounds that the recorder has surely got.

    HELD plays one note a bar, held to the next. A downbeat's note-on is lost to the
    recorder if the cycle that writes it xruns, or dropped as late (with its note-off)
    after a stall; the start of the show is where xruns cluster (seen: no note-on at
    all before a SIGTERM at beat 2, 122 xruns). The evidence here: a downbeat passed
    (and 0.1 s more: the server's xrun notification comes a few periods late) with the
    engine holding a note, no xrun of the server and no note dropped since before it.
    Otherwise the next downbeat, a bar later; a whole minute of xruns fails."""
    bar_s = 4 * 60 / BPM
    deadline = time.monotonic() + 60
    xruns, dropped = jack_server.xruns.count, 0
    play()
    downbeat = 0.0  # the first note: at the start
    while True:
        status = wait_for(
            control,
            lambda s, at=downbeat + 0.1: s.state == "playing" and s.cue_elapsed_s >= at,
            timeout=max(1.0, deadline - time.monotonic()),
        )
        if jack_server.xruns.count == xruns and status.dropped_notes == dropped:
            assert status.sounding > 0, status
            return
        assert time.monotonic() < deadline, ("no downbeat without an xrun", xruns)
        xruns, dropped = jack_server.xruns.count, status.dropped_notes
        downbeat = (int(status.cue_elapsed_s // bar_s) + 1) * bar_s


def _what_was_said(jack_server, jackd_from: int, sessions: Path) -> str:
    """For a failure message: what jackd logged since `jackd_from` (its log's size
    then) and what the show's host and engine wrote to their logs."""
    parts = []
    if jack_server.log is not None:
        with open(jack_server.log, "rb") as log:
            log.seek(jackd_from)
            lines = log.read().decode(errors="replace").splitlines()
        parts.append("jackd: " + " | ".join(line for line in lines if line.strip())[-3000:])
    for path in sorted(sessions.parent.glob("**/*.log")):
        parts.append(f"{path.name}: " + path.read_text(errors="replace")[-3000:])
    return "\n".join(parts)


def test_sigterm_while_the_ui_starts_ends_the_show(jack_server, tmp_path):
    """SIGTERM to `rig live` right after its host is up, while its UI still starts
    (imports, the first compile: seconds on a busy machine). That window had the
    default SIGTERM action: the UI died and left the host and engine playing."""
    import os
    import signal

    from rig.probe.recorder import Recorder
    from rig.stage.session import find_sessions

    recorder = Recorder.spawn(jack_server.env)
    sessions = tmp_path / "sessions"
    try:
        song_path, config = stage(tmp_path, recorder.port)
        ui, session = launch_live(jack_server, song_path, config, sessions)
        try:
            os.kill(ui.pid, signal.SIGTERM)
            assert ui.wait(60) == 0
            deadline = time.monotonic() + 60
            while session.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not session.alive(), "SIGTERM while the UI started left the show running"
            assert not find_sessions(sessions)
        finally:
            ui.kill()
            ui.wait(5)
            for _, left in find_sessions(sessions):  # a failed run: end the show
                os.kill(left.host_pid, signal.SIGKILL)
    finally:
        recorder.kill()

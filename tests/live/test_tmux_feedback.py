"""`rig live` in a real terminal at 80x24 (tmux), on a private JACK server, notes
witnessed by an independent JACK recorder: what the UI says back (issue 12's
trial). The "then" column whole, a track key's answer, the fill control on the
header, a hot reload's message from "takes effect" to "took effect at bar N" (and
the new version heard), and with a second UI attached: one watcher, one reload,
and the take-over when the first UI leaves."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.live.test_tmux import CUE as TMUX_CUE
from tests.live.test_tmux import set_files
from tests.support.live import end_show, wait_show_ended
from tests.support.tmux import TmuxShow, have_tmux, live_command

pytestmark = [
    pytest.mark.jack,
    pytest.mark.slow,
    pytest.mark.skipif(not have_tmux(), reason="tmux is not installed"),
]

# The tmux test's cue with a `{fill}` step: the fill control's G2.
CUE = TMUX_CUE.replace('"NOTE NOTE NOTE NOTE"', '"NOTE NOTE NOTE G2{fill}"')
NAMES = ("First Light", "A Cue With A Really Very Long Name", "Third Rail")


def show_files(tmp_path: Path, recorder_port: str) -> tuple[Path, Path]:
    return set_files(tmp_path, recorder_port, dict.fromkeys(NAMES, "C2"), cue=CUE)


def engine_reloads(sessions: Path) -> int:
    from rig.control.protocol import ControlClient
    from rig.stage.session import find_sessions

    ((_, session),) = find_sessions(sessions)
    with ControlClient(session.port) as control:
        status = control.status(timeout=5)
    assert status is not None
    return status.reloads


def test_the_ui_says_what_happened_at_80x24(jack_server, recorder, tmp_path):
    set_path, config = show_files(tmp_path, recorder.port)
    song = tmp_path / "c0.yaml"
    sessions = tmp_path / "sessions"
    cmd, env = live_command(set_path, config, sessions=sessions, server_env=jack_server.env)
    attach = [*cmd, "--attach"]
    try:
        with TmuxShow(cmd, width=80, height=24, env=env, cwd=tmp_path, name="rigfb") as a:
            screen = a.wait("STOPPED", "Third Rail")
            # The cue names give way, the "then" column stays whole (it was "ba", "wa").
            row = next(line for line in screen.splitlines() if re.match(r"\s*\S?2\s+A Cue", line))
            assert re.search(r"…\s+wait\b", row), screen
            assert all(len(line) <= 80 for line in screen.splitlines())
            a.keys("p")
            a.wait("PLAYING")
            a.keys("1")  # a track key answers (it said nothing)
            a.wait("track 1: bass (monopoly, hardware) · m mutes · o solos", "▸1")
            a.keys("f")  # the fill: queued, then playing, then gone
            screen = a.wait("FILL", timeout=30)
            assert re.search(r"FILL\s+until bar \d+", screen), screen
            deadline = time.monotonic() + 30
            while "FILL" in a.screen():
                assert time.monotonic() < deadline, a.screen()
                time.sleep(0.1)
            song.write_text(CUE.replace("NAME", NAMES[0]).replace("NOTE", "D2"))
            screen = a.wait("reloaded First Light: took effect at bar", timeout=60)
            landed = int(re.search(r"took effect at bar (\d+)", screen)[1])
            assert "next bar" not in screen and engine_reloads(sessions) == 1
            # A second UI on the show: it waits, the first one alone sends the next edit.
            with TmuxShow(attach, width=80, height=24, env=env, cwd=tmp_path, name="rigfb2") as b:
                b.wait("another UI of this show watches the files; this one waits", "PLAYING")
                song.write_text(CUE.replace("NAME", NAMES[0]).replace("NOTE", "E2"))
                deadline = time.monotonic() + 60
                while (got := re.search(r"took effect at bar (\d+)", a.screen())) is None or (
                    int(got[1]) == landed
                ):
                    assert time.monotonic() < deadline, a.screen()
                    time.sleep(0.1)
                time.sleep(2.0)  # a second sender would have sent by now
                assert engine_reloads(sessions) == 2
                assert "this one waits" in b.screen()
                a.keys("q")
                a.wait("quit the UI only")
                a.keys("d")  # the first UI leaves: the second takes over, and checks
                b.wait("hot reload on: the engine plays the files as they are", timeout=60)
                assert engine_reloads(sessions) == 2  # the same music: nothing swapped in
                b.keys("q")
                b.wait("stop it and quit", "quit the UI only")
                b.keys("y")
                assert wait_show_ended(sessions), "the show did not end"
    finally:
        end_show(sessions)
    heard = recorder.stop()
    ons = [d[1] for _, d in heard if d[0] & 0xF0 == 0x90 and d[2]]
    assert 43 in ons  # the fill's G2 (only with the fill control on)
    assert 38 in ons and 40 in ons  # both new versions were heard (D2, then E2)
    assert ons.index(38) > ons.index(43) and landed > 1

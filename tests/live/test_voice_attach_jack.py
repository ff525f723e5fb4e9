"""`rig live` end to end: a software voice saved while no UI watched (the UI was
killed) reaches the engine when a new UI attaches (rig.stage.voicerecord); before,
the old sound played on until the voice's next edit or a restart."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest

from rig.control.protocol import ControlClient
from tests.live.test_watch import REPO, VOICE
from tests.support.live import end_show, launch_live, wait_for, wait_show_ended, wait_watching
from tests.support.tmux import live_command

pytestmark = [pytest.mark.jack, pytest.mark.slow]

SONG = """cue: Sine
tempo: 150
meter: 4/4
tracks:
  lead: {voice: test-sine}
patterns:
  line: {track: lead, steps: "A4 . A4 .", rate: 1/4}
sections:
  - {name: a, bars: 64, play: [line]}
"""


def test_a_voice_saved_while_no_ui_watched_is_swapped_in_at_attach(jack_server, tmp_path):
    shutil.copytree(REPO / "patches", tmp_path / "patches")
    voice = tmp_path / "patches" / "voices" / "test-sine.yaml"
    voice.write_text(VOICE.format(octave=0))
    song_path = tmp_path / "song.yaml"
    song_path.write_text(SONG)
    config = tmp_path / "config.yaml"
    config.write_text("patches: patches\n")
    sessions = tmp_path / "sessions"
    ui, session = launch_live(jack_server, song_path, config, sessions)
    attached = None
    try:
        wait_watching(ui)
        with ControlClient(session.port) as control:
            control.send("/rig/play")
            wait_for(control, lambda s: s.state == "playing")
            os.kill(ui.pid, signal.SIGKILL)  # the UI is gone; the music plays on
            ui.wait(10)
            voice.write_text(VOICE.format(octave=1))  # saved while no UI watched
            cmd, env = live_command(song_path, config, sessions=sessions,
                                    server_env=jack_server.env, headless=True,
                                    inherit=True)  # fmt: skip
            with open(tmp_path / "attach.log", "wb") as err:
                attached = subprocess.Popen([*cmd, "--attach"], env=env,
                                            stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
            wait_watching(attached)
            # The engine built the new version and swapped it in at a bar.
            landed = wait_for(control, lambda s: s.reload_done_what == "voice test-sine", 60)
            assert landed.reload_done_bar > 0 and landed.state == "playing", landed
            control.send("/rig/quit")
        assert wait_show_ended(sessions)
    finally:
        for proc in (ui, attached):
            if proc is not None:
                proc.kill()
                proc.wait(5)
        end_show(sessions)

"""What is patched by hand to the engine's JACK ports is kept across an engine restart
and gets the rescue's note-offs also when JACK renamed the engine's clients: their
names were taken (another rig on the same server: `rig` -> `rig-01`), and by the
configured names the live host looked at the other rig's ports instead
(rig.stage.patches, rig.voices.jackname)."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from rig.control.protocol import ControlClient
from rig.midi.notes import sounding_after
from tests.live.test_live_jack import HELD, stage
from tests.support.live import (
    end_show,
    launch_live,
    wait_for,
    wait_restarted,
    wait_show_ended,
    wait_watching,
)

pytestmark = [pytest.mark.jack, pytest.mark.slow]


def _client(jack_server, name: str):
    import jack

    client = jack.Client(name, no_start_server=True, servername=jack_server.name)
    client.activate()
    return client


def _renamed(client, asked: str, short: str) -> str:
    """The one port `<asked>-NN:<short>` (the client JACK renamed), waited for."""
    deadline = time.monotonic() + 60
    pattern = re.compile(re.escape(asked) + r"-\d+:" + re.escape(short))
    while True:
        found = [p.name for p in client.get_ports() if pattern.fullmatch(p.name)]
        if len(found) == 1:
            return found[0]
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def test_renamed_clients_hand_patches_are_restored_and_rescued(jack_server, tmp_path):
    """Two clients named as the engine's (`rig` with a `monopoly` port, `rig-voices`
    with audio outputs) hold the names, so JACK gives `rig live`'s engine others. A
    monitor patched to the engine's MIDI port and a tape patched to its stand-ins'
    audio are patched again on the restarted engine's ports after a SIGKILL, and the
    monitor hears the rescue's note-off for the note the dead engine held. The other
    clients' ports are left alone, also by the stand-ins' connection to the speakers."""
    from rig.probe.recorder import Recorder

    squatter = _client(jack_server, "rig")
    squatter.midi_outports.register("monopoly")
    voices = _client(jack_server, "rig-voices")
    voices.outports.register("output_1")
    recorder = Recorder.spawn(jack_server.env)
    monitor = Recorder.spawn(jack_server.env, client_name="renamed-monitor")
    sessions = tmp_path / "sessions"
    patcher = _client(jack_server, "renamed-patcher")
    tape = patcher.inports.register("tape")
    try:
        song_path, config = stage(tmp_path, recorder.port)
        song_path.write_text(HELD)
        ui, session = launch_live(jack_server, song_path, config, sessions)
        try:
            wait_watching(ui)
            with ControlClient(session.port) as control:
                control.send("/rig/play")
                wait_for(control, lambda s: s.state == "playing")
                midi = _renamed(patcher, "rig", "monopoly")
                audio = _renamed(patcher, "rig-voices", "output_1")
                patcher.connect(midi, monitor.port)
                patcher.connect(audio, tape)
                time.sleep(2.5)  # the host looks once a second: give it a look
                wait_for(control, lambda s: s.state == "playing")
                os.kill(session.engine_pid, signal.SIGKILL)
            restarted = wait_restarted(sessions, 60)
            with ControlClient(restarted.port) as control:
                status = wait_for(control, lambda s: s.state == "playing")
                wait_for(control, lambda s: s.bar >= status.bar + 2)
                midi_after = _renamed(patcher, "rig", "monopoly")
                audio_after = _renamed(patcher, "rig-voices", "output_1")
                heard_midi = [p.name for p in patcher.get_all_connections(midi_after)]
                heard_audio = [p.name for p in patcher.get_all_connections(audio_after)]
                squatted = [p.name for p in patcher.get_all_connections("rig:monopoly")]
                squatted += [p.name for p in patcher.get_all_connections("rig-voices:output_1")]
                control.send("/rig/quit")
            wait_show_ended(sessions)
        finally:
            ui.kill()
            ui.wait(5)
            end_show(sessions)
        heard = monitor.stop()
        recorder.stop()
    finally:
        for client in (patcher, squatter, voices):
            client.deactivate()
            client.close()
        monitor.kill()
        recorder.kill()
    assert monitor.port in heard_midi, (midi_after, heard_midi)
    assert tape.name in heard_audio, (audio_after, heard_audio)
    # The stand-ins' outputs go to the speakers (config: auto), not the other client's.
    assert "system:playback_1" in heard_audio, (audio_after, heard_audio)
    assert squatted == [], squatted
    data = [d for _, d in heard]
    spp = [i for i, d in enumerate(data) if d[0] == 0xF2]
    assert spp, data[-10:]
    # The note the dead engine held at the monitor, ended by the host's rescue before
    # the new engine resumed.
    assert any(d[0] == 0x90 and d[2] for d in data[: spp[-1]])
    assert sounding_after(data[: spp[-1]]) == [], data[: spp[-1]][-8:]

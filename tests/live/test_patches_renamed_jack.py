"""What is patched by hand to the engine's JACK ports is kept across an engine restart
and gets the rescue's note-offs also when JACK renamed the engine's clients: their
names were taken (another rig on the same server: `rig` -> `rig-01`), and by the
configured names the live host looked at the other rig's ports instead
(rig.stage.patches, rig.voices.jackname)."""

from __future__ import annotations

import re
import time

import pytest

from tests.live.test_patches_jack import jack_client, play_through_a_crash, resume_spp

pytestmark = [pytest.mark.jack, pytest.mark.slow]


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

    squatter = jack_client(jack_server, "rig")
    squatter.midi_outports.register("monopoly")
    voices = jack_client(jack_server, "rig-voices")
    voices.outports.register("output_1")
    recorder = Recorder.spawn(jack_server.env)
    monitor = Recorder.spawn(jack_server.env, client_name="renamed-monitor")
    patcher = jack_client(jack_server, "renamed-patcher")
    tape = patcher.inports.register("tape")

    def patch() -> None:
        patcher.connect(_renamed(patcher, "rig", "monopoly"), monitor.port)
        patcher.connect(_renamed(patcher, "rig-voices", "output_1"), tape)

    def look() -> tuple[str, str, list[str], list[str], list[str]]:
        midi = _renamed(patcher, "rig", "monopoly")
        audio = _renamed(patcher, "rig-voices", "output_1")
        squatted = [p.name for p in patcher.get_all_connections("rig:monopoly")]
        squatted += [p.name for p in patcher.get_all_connections("rig-voices:output_1")]
        return (
            midi,
            audio,
            [p.name for p in patcher.get_all_connections(midi)],
            [p.name for p in patcher.get_all_connections(audio)],
            squatted,
        )

    try:
        midi_after, audio_after, heard_midi, heard_audio, squatted = play_through_a_crash(
            jack_server, tmp_path, recorder, patch, look
        )
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
    # The note the dead engine held at the monitor, ended by the host's rescue before
    # the new engine resumed.
    resume_spp([d for _, d in heard])

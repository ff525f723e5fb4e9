"""Connections patched by hand to the engine's JACK ports survive an engine restart
(rig.stage.patches; found in a performer's trial: a MIDI monitor patched to
`rig:virus` stayed silent after the engine was restarted), and what was patched gets
the rescue's note-offs for the notes the dead engine held there (the next trial)."""

from __future__ import annotations

import os
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


def jack_client(jack_server, name: str):
    """An active client on the test's server (the caller closes it)."""
    import jack

    client = jack.Client(name, no_start_server=True, servername=jack_server.name)
    client.activate()
    return client


def test_patches_made_again_on_a_new_client_with_the_same_port_names(jack_server):
    """A stand-in for the engine (a client with a MIDI out, a MIDI in and an audio out)
    goes away and comes back under the same names: what was patched to each port, in
    both directions, is made again; what its own pattern connects is left alone; a
    port whose other end has gone is skipped."""
    from rig.midi.jack_host import JackHost
    from rig.stage.patches import Patches

    host = JackHost("patches-host", server=jack_server.name)
    host.open()
    other = jack_client(jack_server, "patches-other")
    try:
        monitor = other.midi_inports.register("monitor")
        clock = other.midi_outports.register("clock")
        tape = other.inports.register("tape")
        gone = other.midi_inports.register("gone")

        def engine():
            client = jack_client(jack_server, "fake-engine")
            out = client.midi_outports.register("virus")
            sync = client.midi_inports.register("sync-in")
            audio = client.outports.register("out_1")
            return client, out, sync, audio

        client, out, sync, audio = engine()
        client.connect(out, monitor)
        client.connect(clock, sync)
        client.connect(audio, tape)
        client.connect(out, gone)
        patches = Patches(host, {"fake-engine": "fake-engine"})
        assert patches.look(force=True)
        assert set(patches.seen) == {"fake-engine:virus", "fake-engine:sync-in",
                                     "fake-engine:out_1"}  # fmt: skip
        client.deactivate()
        client.close()  # the engine died: JACK drops its connections with it
        assert not patches.look(force=True)  # no engine ports: the last seen is kept
        gone.unregister()
        client, out, sync, audio = engine()
        client.connect(audio, tape)  # the new engine makes its own connection itself
        assert patches.restore() == 2
        assert [p.name for p in client.get_all_connections(out)] == ["patches-other:monitor"]
        assert [p.name for p in client.get_all_connections(sync)] == ["patches-other:clock"]
        assert [p.name for p in client.get_all_connections(audio)] == ["patches-other:tape"]
        client.deactivate()
        client.close()
    finally:
        other.deactivate()
        other.close()
        host.close()


def test_patches_follow_the_names_jack_gave_and_list_the_ports_once(jack_server):
    """The engine's client got another name (`fake-engine` was taken: JACK named it
    `fake-engine-01`): its ports are looked at, not those of the client that holds the
    name, in one port listing per look; the restarted engine gets the asked name back
    and what was patched moves to it."""
    from rig.midi.jack_host import JackHost
    from rig.stage.patches import Patches

    host = JackHost("patches-host", server=jack_server.name)
    host.open()
    holder = jack_client(jack_server, "fake-engine")
    holder.midi_outports.register("virus")
    other = jack_client(jack_server, "patches-other")
    try:
        monitor = other.midi_inports.register("monitor")
        engine = jack_client(jack_server, "fake-engine")
        assert engine.name != "fake-engine"  # JACK renamed it
        out = engine.midi_outports.register("virus")
        engine.connect(out, monitor)
        holder.connect("fake-engine:virus", "patches-other:monitor")
        patches = Patches(host, {"fake-engine": engine.name})
        listings = []
        get_ports = host.client.get_ports
        host.client.get_ports = lambda *a, **k: listings.append(a) or get_ports(*a, **k)
        assert patches.look(force=True)
        assert len(listings) == 1, listings
        assert patches.seen == {f"{engine.name}:virus": (True, ("patches-other:monitor",))}
        assert patches.heard_by() == {"virus": ("patches-other:monitor",)}
        engine.deactivate()
        engine.close()
        holder.deactivate()
        holder.close()
        engine = jack_client(jack_server, "fake-engine")  # the name is free now
        out = engine.midi_outports.register("virus")
        assert patches.restore({"fake-engine": engine.name}) == 1
        assert [p.name for p in engine.get_all_connections(out)] == ["patches-other:monitor"]
        assert set(patches.seen) == {"fake-engine:virus"}
        engine.deactivate()
        engine.close()
    finally:
        other.deactivate()
        other.close()
        host.close()


def play_through_a_crash(jack_server, tmp_path, recorder, patch, look):
    """`rig live` plays HELD to `recorder`; `patch()` is called once it plays, the host
    is given a look at what it patched (it looks once a second), the engine is
    SIGKILLed; once the restarted engine has played two bars, `look()` is called and
    what it returns is returned, after the show was quit and ended."""
    sessions = tmp_path / "sessions"
    song_path, config = stage(tmp_path, recorder.port)
    song_path.write_text(HELD)
    ui, session = launch_live(jack_server, song_path, config, sessions)
    try:
        wait_watching(ui)
        with ControlClient(session.port) as control:
            control.send("/rig/play")
            wait_for(control, lambda s: s.state == "playing")
            patch()
            time.sleep(2.5)  # the host looks once a second: give it a look at the patch
            wait_for(control, lambda s: s.state == "playing")
            os.kill(session.engine_pid, signal.SIGKILL)
        restarted = wait_restarted(sessions, 60)
        with ControlClient(restarted.port) as control:
            status = wait_for(control, lambda s: s.state == "playing")
            wait_for(control, lambda s: s.bar >= status.bar + 2)
            looked = look()
            control.send("/rig/quit")
        wait_show_ended(sessions)
    finally:
        ui.kill()
        ui.wait(5)
        end_show(sessions)
    return looked


def resume_spp(data: list[bytes]) -> int:
    """Where in `data` (a patched monitor's messages) the restarted engine's resume
    (SPP + Continue) is; before it, the note the dead engine held there was heard and
    ended by the host's rescue (a trial found it held across each crash)."""
    spp = [i for i, d in enumerate(data) if d[0] == 0xF2]
    assert spp, data[-10:]
    assert any(d[0] == 0x90 and d[2] for d in data[: spp[-1]])
    assert sounding_after(data[: spp[-1]]) == [], data[: spp[-1]][-8:]
    return spp[-1]


def test_a_monitor_patched_by_hand_hears_the_restarted_engine(jack_server, tmp_path):
    """`rig live` end to end: a second recorder, patched by hand to the engine's port
    (the way a performer patches a MIDI monitor), hears the music again after the
    engine was SIGKILLed and restarted by the host."""
    from rig.probe.recorder import Recorder

    recorder = Recorder.spawn(jack_server.env)
    monitor = Recorder.spawn(jack_server.env, client_name="hand-monitor")
    patcher = jack_client(jack_server, "hand-patcher")
    try:
        connected = play_through_a_crash(
            jack_server,
            tmp_path,
            recorder,
            patch=lambda: patcher.connect("rig:monopoly", monitor.port),
            look=lambda: [p.name for p in patcher.get_all_connections("rig:monopoly")],
        )
        heard = monitor.stop()
        recorder.stop()
    finally:
        patcher.deactivate()
        patcher.close()
        monitor.kill()
        recorder.kill()
    assert monitor.port in connected, connected
    data = [d for _, d in heard]
    # The restarted engine resumes with SPP + Continue: the monitor hears it and the
    # notes after it.
    spp = resume_spp(data)
    assert any(d[0] == 0x90 and d[2] for d in data[spp:]), data[spp:][:10]

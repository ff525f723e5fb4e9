"""The MIDI controller: config mapping → OSC (pure), and a JACK MIDI port playing the
controller's part, whose notes and CCs reach a real engine loop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from rig.config import ControllerConfig, ControllerMapping
from rig.control.protocol import Status
from rig.engine.process import serve
from rig.engine.transport import Engine
from rig.midi.sink import RecordingSink
from rig.stage.controller import ControllerInput, ControllerMap
from tests.support.live import cue

MAPPINGS = (
    ControllerMapping("note", 36, "play"),
    ControllerMapping("note", 37, "stop"),
    ControllerMapping("note", 38, "launch", cue=1, quantize="bar"),
    ControllerMapping("cc", 20, "toggle_mute", track="keys", quantize="now"),
    ControllerMapping("note", 40, "nudge", bpm=-2.0),
    ControllerMapping("note", 41, "section", section="b"),
)


def test_the_map_turns_notes_and_cc_presses_into_osc():
    cmap = ControllerMap(ControllerConfig("pads", None, MAPPINGS))
    none = lambda: None  # noqa: E731
    assert cmap.messages(bytes((0x90, 36, 100)), none) == [("/rig/play", ())]
    assert cmap.messages(bytes((0x90, 36, 0)), none) == []  # note-on velocity 0 = off
    assert cmap.messages(bytes((0x80, 36, 0)), none) == []
    assert cmap.messages(bytes((0x99, 38, 1)), none) == [("/rig/launch", (1, "bar"))]
    muted = lambda: Status("playing", 1, 1, 120.0, 0, 0, muted="keys")  # noqa: E731
    assert cmap.messages(bytes((0xB0, 20, 127)), none) == [("/rig/mute", ("keys", "now"))]
    assert cmap.messages(bytes((0xB0, 20, 100)), muted) == []  # still held: once per press
    assert cmap.messages(bytes((0xB0, 20, 0)), muted) == []  # release
    assert cmap.messages(bytes((0xB0, 20, 127)), muted) == [("/rig/unmute", ("keys", "now"))]
    assert cmap.messages(bytes((0x90, 40, 9)), none) == [("/rig/nudge", (-2.0,))]
    assert cmap.messages(bytes((0x90, 41, 9)), none) == [("/rig/section", ("b",))]
    assert cmap.messages(bytes((0x90, 99, 9)), none) == []
    on_ch2 = ControllerMap(ControllerConfig("pads", 1, MAPPINGS))
    assert on_ch2.messages(bytes((0x90, 36, 100)), none) == []
    assert on_ch2.messages(bytes((0x91, 36, 100)), none) == [("/rig/play", ())]


PADS_SCRIPT = """
import queue, sys, threading, jack
client = jack.Client(sys.argv[1], no_start_server=True)
port = client.midi_outports.register("out")
pending = queue.Queue()

@client.set_process_callback
def process(frames):
    port.clear_buffer()
    while True:
        try:
            port.write_midi_event(0, pending.get_nowait())
        except queue.Empty:
            return

client.activate()
print("ready", flush=True)
for line in sys.stdin:
    pending.put(bytes(int(x) for x in line.split()))
client.deactivate()
client.close()
"""


class JackPads:
    """A JACK client with one MIDI output, in its own process: a stand-in for a hardware
    controller. Not in the test's process: rtmidi connects its JACK port while holding
    the GIL, and a JACK-Client process callback in the same process needs the GIL to
    finish the cycle the connection waits for — a deadlock that hung this test."""

    def __init__(self, name: str, env: dict):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", PADS_SCRIPT, name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def send(self, *data: int) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(" ".join(str(d) for d in data) + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.mark.jack
def test_a_controller_on_a_jack_midi_port_drives_the_engine(jack_server):
    sinks = {d: RecordingSink(d) for d in ("virus", "mono")}
    for s in sinks.values():
        s.open()
    engine = Engine(
        # Long enough to still play when the last press comes on a loaded machine (a
        # 4-bar cue once ended first: the unmute found nothing playing).
        [cue("one", bars=8, sections=(("a", 4), ("b", 4))), cue("two", bars=64)],
        sinks,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    thread = threading.Thread(target=serve, args=(engine, sock, None), daemon=True)
    thread.start()
    pads = JackPads("rigtest-pads", {**os.environ, **jack_server.env})
    config = ControllerConfig("rigtest-pads", None, MAPPINGS)
    controller = ControllerInput(config, sock.getsockname()[1], api="jack", retry_s=0.2)
    try:
        controller.start()
        deadline = time.monotonic() + 60  # generous: a loaded machine takes its time
        while controller.connected_to is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert controller.connected_to and "rigtest-pads" in controller.connected_to
        time.sleep(0.3)  # JACK applies a new connection from one of its next cycles

        def until(test) -> None:
            end = time.monotonic() + 60  # generous: ends as soon as it holds
            while not test():
                assert time.monotonic() < end, (
                    f"no effect: handled {controller.handled}, state {engine.state}, "
                    f"{engine.last_error}, connected to {controller.connected_to}"
                )
                time.sleep(0.02)

        def press(*messages: tuple[int, int, int]) -> None:
            """Play `messages` on the pads until the controller has handled one more:
            again only when it never arrived and the server xrun meanwhile (a cycle
            that xruns loses its MIDI on the way, as a press a performer repeats)."""
            handled = controller.handled
            while True:
                xruns = jack_server.xruns.count
                for msg in messages:
                    pads.send(*msg)
                end = time.monotonic() + 60
                while controller.handled == handled and time.monotonic() < end:
                    time.sleep(0.02)
                if controller.handled > handled:
                    return
                assert jack_server.xruns.count > xruns, f"press {messages} lost, no xrun"

        press((0x90, 36, 100))  # play
        until(lambda: engine.state == "playing")
        press((0x90, 38, 100))  # launch cue 2 at the next bar
        # (right after the start, bar 1's own line may still be ahead: then it is that one)
        until(lambda: (engine.queued and engine.queued.index == 1) or engine.view.index == 1)
        press((0xB0, 20, 127))  # toggle mute keys
        until(lambda: "keys" in engine.mute_state(time.monotonic_ns()).muted)
        press((0xB0, 20, 0), (0xB0, 20, 127))  # and back
        until(lambda: not engine.mute_state(time.monotonic_ns()).muted)
        press((0x90, 37, 100))  # stop
        until(lambda: engine.state == "stopped")
        assert controller.handled == 5  # each press handled once
    finally:
        controller.stop()
        pads.close()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"/rig/quit\x00\x00\x00,\x00\x00\x00", sock.getsockname())
        thread.join(5)
        sock.close()

"""The frame engine's process callback without JACK: µs per cycle (warm) and a hash of
every (frame, port, bytes) written, to compare two versions of the per-cycle code.

The JACK host's `_process` is driven cycle after cycle with a fake client (its
`last_frame_time` advanced by 64 frames) and fake ports that log their writes: Inferno
from bar 65 for 8 bars (config.yaml's devices, clock as bound), 3 000 cycles stopped,
then played to its end. Same hash in two trees = the same MIDI on the same frames.

Usage (from the project folder, the tree to measure on PYTHONPATH):
    python results/frame_cycle_measure.py [--profile]
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path


class Named:
    def __init__(self, name):
        self.name = name


class FakePort:
    def __init__(self, client, name):
        self.name = f"sim:{name}"
        self.client = client

    @property
    def connections(self):
        return [Named("rec:in")]

    def clear_buffer(self):
        pass

    def write_midi_event(self, offset, msg):
        self.client.log.append((self.client.last_frame_time + offset, self.name, bytes(msg)))

    def disconnect(self):
        pass

    def unregister(self):
        pass


class Ports:
    def __init__(self, client):
        self.client = client

    def register(self, name):
        return FakePort(self.client, name)


class FakeClient:
    def __init__(self):
        self.name = "sim"
        self.last_frame_time = 123456
        self.log = []
        self.midi_outports = Ports(self)
        self.samplerate = 48000
        self.blocksize = 64

    def deactivate(self):
        pass

    def close(self):
        pass


def build(bars):
    from rig.commands.bench.clock_engines import FROM_BAR, inferno_section
    from rig.engine.cycle import FrameLoop
    from rig.engine.sync import FollowClock, SyncDriver
    from rig.engine.transport import Engine
    from rig.midi.jack_sink import JackHost, JackSink
    from rig.timing.timeline import Timeline

    arr, outputs = inferno_section(Path("."), bars)
    host = JackHost("sim")
    client = FakeClient()
    host.client = client
    host.alive = True
    sinks = {o.device: JackSink(o.device, "rec:in", host=host) for o in outputs}
    for s in sinks.values():
        s.open()
    clock = FollowClock(arr.tempo)
    eng = Engine(
        [arr],
        sinks,
        clock_latency_ms={o.device: o.latency_ms for o in outputs if o.clock},
        lookahead_ns=15_000_000,
        late_note_ns=30_000_000,
        run_on=False,
        clock=clock,
    )
    eng.sync = SyncDriver(eng, clock)
    timeline = Timeline.behind(48000, client.last_frame_time)
    loop = FrameLoop(eng, timeline, first_frame=timeline.unwrap(client.last_frame_time) + 64)
    loop.host = host
    host.use_timeline(timeline, loop)
    return host, client, eng, loop, FROM_BAR


def run(bars=8, stopped_cycles=3000, profile=False):
    from rig.engine.dispatch import handle

    host, client, eng, loop, from_bar = build(bars)
    proc = host._process

    def cycles(n):
        t = time.perf_counter_ns()
        for _ in range(n):
            proc(64)
            client.last_frame_time += 64
        return time.perf_counter_ns() - t

    idle = cycles(stopped_cycles)
    with loop.lock:
        handle(eng, "/rig/play", [from_bar], loop.now_ns(), 0.0)
    n = 0
    t = 0
    if profile:
        import cProfile
        import pstats

        pr = cProfile.Profile()
        pr.enable()
    while eng.state != "ended" and n < 10_000_000:
        t += cycles(100)
        n += 100
    if profile:
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(30)
    t += cycles(200)
    n += 200
    h = hashlib.sha256(repr(client.log).encode()).hexdigest()[:16]
    return idle / stopped_cycles / 1e3, t / n / 1e3, n, len(client.log), h, loop.pumps


if __name__ == "__main__":
    prof = "--profile" in sys.argv
    for _ in range(1 if prof else 5):
        idle, play, n, writes, h, pumps = run(profile=prof)
        print(
            f"stopped {idle:.2f} us/cycle  playing {play:.2f} us/cycle  cycles {n} "
            f"writes {writes} pumps {pumps} hash {h}"
        )

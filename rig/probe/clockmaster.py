"""An independent MIDI clock master in its own process, on JACK, for tests and benches.

It writes F8 at exact JACK frames from its own process callback: `lead` beats of
clock while stopped, then Start (FA, half a clock before clock 0), `beats` beats of
clock with uniform ±`jitter_ms` on each F8, then Stop (FC). Its ideal grid (the
frames before jitter) is in the same JACK frame line as the recorder's, so the
rig's output can be compared with the master's grid frame for frame.

    python -m rig.probe.clockmaster --bpm 120 --beats 16 --jitter-ms 1
    -> {"port": "...:out", "rate": 48000}      (ready; waits for "go" on stdin)
    go
    -> {"start_frame": F, "period_frames": P, "done": true}   (after the Stop)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading

__all__ = ["main", "schedule"]


def schedule(
    start: int, rate: int, bpm: float, lead: int, beats: int, jitter_ms: float, seed: int
) -> list[tuple[int, bytes]]:
    """(frame, bytes) of the whole run; clock 0 (song beat 0) at `start + lead beats`."""
    rng = random.Random(seed)
    period = rate * 60 / (bpm * 24)
    zero = start + lead * 24 * period
    out = []
    for k in range(-lead * 24, beats * 24):
        jitter = rng.uniform(-jitter_ms, jitter_ms) * rate / 1000
        if k == 0:
            out.append((round(zero - period / 2), b"\xfa"))
        out.append((round(zero + k * period + jitter), b"\xf8"))
    out.append((round(zero + beats * 24 * period - period / 2), b"\xfc"))
    return sorted(out, key=lambda e: e[0])


def main(argv: list[str] | None = None) -> int:
    import jack

    p = argparse.ArgumentParser(prog="python -m rig.probe.clockmaster")
    p.add_argument("--bpm", type=float, default=120.0)
    p.add_argument("--beats", type=int, default=16)
    p.add_argument("--lead", type=int, default=4)
    p.add_argument("--jitter-ms", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--client", default="rig-clockmaster")
    args = p.parse_args(argv)
    client = jack.Client(args.client, no_start_server=True)
    port = client.midi_outports.register("out")
    plan: list[tuple[int, bytes]] = []
    done = threading.Event()
    cursor = [0]

    @client.set_process_callback
    def process(frames: int) -> None:
        port.clear_buffer()
        start = client.last_frame_time
        while cursor[0] < len(plan) and plan[cursor[0]][0] < start + frames:
            frame, data = plan[cursor[0]]
            port.write_midi_event(max(0, frame - start), data)  # a late one goes out first
            cursor[0] += 1
        if plan and cursor[0] >= len(plan):
            done.set()

    with client:
        print(json.dumps({"port": port.name, "rate": client.samplerate}), flush=True)
        for line in sys.stdin:
            if line.strip() == "go":
                break
        else:
            return 0
        start = client.frame_time + client.samplerate // 10
        events = schedule(
            start, client.samplerate, args.bpm, args.lead, args.beats, args.jitter_ms, args.seed
        )
        period = client.samplerate * 60 / (args.bpm * 24)
        cursor[0] = 0
        plan[:] = events  # the callback reads it from here on
        done.wait()
        zero = start + args.lead * 24 * period
        print(json.dumps({"start_frame": zero, "period_frames": period, "done": True}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""An independent MIDI clock master in its own process, on JACK, for tests and benches.

It writes F8 at exact JACK frames from its own process callback: `lead` beats of
clock while stopped, then Start (FA, half a clock before clock 0), `beats` beats of
clock with uniform ±`jitter_ms` on each F8, then Stop (FC). Optionally the tempo
jumps to `jump_to` at beat `jump_at`; the master falls silent for `gap` beats at
beat `gap_at` (its grid runs on: a follower's flywheel should stay on it); and after
the Stop it keeps clock running for two beats, sends Song Position Pointer to
`resume_at` (a beat, in 16ths on the wire) and Continue, and plays `resume_beats`
more beats before a second Stop. Its ideal grid (the frames before jitter) is in
the same JACK frame line as the recorder's, so the rig's output can be compared
with the master's grid frame for frame.

    python -m rig.probe.clockmaster --bpm 120 --beats 16 --jitter-ms 1
    -> {"port": "...:out", "rate": 48000}      (ready; waits for "go" on stdin)
    go
    -> {"start_frame": F, "period_frames": P, "grid": [[song clock, frame], ...],
        "stops": [frame of each FC], "done": true}   (after the last Stop)
    (stdin closed)                             (the client closes; the process ends)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
from dataclasses import dataclass

__all__ = ["main", "schedule", "Scenario"]


@dataclass(frozen=True)
class Scenario:
    bpm: float = 120.0
    beats: int = 16
    lead: int = 4
    jitter_ms: float = 1.0
    seed: int = 1
    jump_at: float | None = None  # beat of the tempo jump
    jump_to: float = 0.0
    gap_at: float | None = None  # beat where the master falls silent ...
    gap: float = 0.0  # ... for this many beats
    resume_at: float | None = None  # after the Stop: SPP to this beat (a 16th) + Continue
    resume_beats: int = 0


def schedule(
    start: int, rate: int, sc: Scenario
) -> tuple[list[tuple[int, bytes]], list[tuple[int, float]]]:
    """(frame, bytes) of the whole run, and the ideal grid while playing: (song clock,
    frame before jitter). Clock 0 (song beat 0) at `start + lead beats`."""
    rng = random.Random(sc.seed)
    out: list[tuple[int, bytes]] = []
    grid: list[tuple[int, float]] = []

    def period(beat: float) -> float:
        bpm = sc.jump_to if sc.jump_at is not None and beat >= sc.jump_at else sc.bpm
        return rate * 60 / (bpm * 24)

    def silent(beat: float) -> bool:
        return sc.gap_at is not None and sc.gap_at <= beat < sc.gap_at + sc.gap

    def jittered(t: float) -> int:
        return round(t + rng.uniform(-sc.jitter_ms, sc.jitter_ms) * rate / 1000)

    t = float(start)
    for _ in range(sc.lead * 24):  # clock while stopped
        out.append((jittered(t), b"\xf8"))
        t += period(0)
    out.append((round(t - period(0) / 2), b"\xfa"))
    for k in range(sc.beats * 24):
        beat = k / 24
        grid.append((k, t))
        if not silent(beat):
            out.append((jittered(t), b"\xf8"))
        t += period(beat)
    last = sc.beats
    out.append((round(t - period(last) / 2), b"\xfc"))
    if sc.resume_at is not None:
        for _ in range(2 * 24):
            out.append((jittered(t), b"\xf8"))
            t += period(last)
        sixteenths = round(sc.resume_at * 4)
        out.append(
            (round(t - period(last) * 0.75), bytes([0xF2, sixteenths & 0x7F, sixteenths >> 7]))
        )
        out.append((round(t - period(last) / 2), b"\xfb"))
        for j in range(sc.resume_beats * 24):
            grid.append((sixteenths * 6 + j, t))
            out.append((jittered(t), b"\xf8"))
            t += period(last)
        out.append((round(t - period(last) / 2), b"\xfc"))
    return sorted(out, key=lambda e: e[0]), grid


def main(argv: list[str] | None = None) -> int:
    import jack

    p = argparse.ArgumentParser(prog="python -m rig.probe.clockmaster")
    p.add_argument("--bpm", type=float, default=120.0)
    p.add_argument("--beats", type=int, default=16)
    p.add_argument("--lead", type=int, default=4)
    p.add_argument("--jitter-ms", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jump-at", type=float, default=None, help="beat of a tempo jump")
    p.add_argument("--jump-to", type=float, default=0.0, help="BPM after the jump")
    p.add_argument("--gap-at", type=float, default=None, help="beat where the clock stops")
    p.add_argument("--gap", type=float, default=0.0, help="beats of silence")
    p.add_argument("--resume-at", type=float, default=None, help="SPP beat after the Stop")
    p.add_argument("--resume-beats", type=int, default=0)
    p.add_argument("--margin-ms", type=float, default=100.0, help="from 'go' to the first F8")
    p.add_argument("--client", default="rig-clockmaster")
    args = p.parse_args(argv)
    sc = Scenario(
        args.bpm, args.beats, args.lead, args.jitter_ms, args.seed, args.jump_at,
        args.jump_to, args.gap_at, args.gap, args.resume_at, args.resume_beats,
    )  # fmt: skip
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
        rate = client.samplerate
        start = client.frame_time + round(args.margin_ms * rate / 1000)
        events, grid = schedule(start, rate, sc)
        period = rate * 60 / (sc.bpm * 24)
        cursor[0] = 0
        plan[:] = events  # the callback reads it from here on
        done.wait()
        zero = grid[0][1]
        stops = [f for f, d in events if d == b"\xfc"]
        info = {"start_frame": zero, "period_frames": period, "grid": grid, "stops": stops,
                "done": True}  # fmt: skip
        print(json.dumps(info), flush=True)
        # Keep the client until told (stdin closes): closing a JACK client while the
        # server freewheels left jack2 stuck for every later client (seen in the tests).
        for _ in sys.stdin:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

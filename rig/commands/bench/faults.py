"""`rig bench faults`: faults mid-show, each scripted and repeated, with figures.

Each fault runs against the real engine process on a JACK dummy server, witnessed
by the independent recorder (`rig.probe.recorder`): the engine plays a test cue —
whole-bar three-note chords (always a note sounding) over 16th bass notes, with
MIDI clock — to the recorder's port. What each run counts:

- port: the receiving port vanishes mid-note (the recorder leaves) and returns
  (a new recorder under the same name). Notes held when it left, released after it
  came back, and left sounding at the end over everything the port received.
- stop: SIGSTOP of the engine for 2 s, then SIGCONT (a laptop stall). At the
  recorder: the clock's gap, a burst after it (ticks closer than half a tick
  apart), and how far the first ticks after it are from the grid before it.
- jack: the JACK server is killed mid-show and started again. Whether the engine
  said so and ended with exit code 3 (or played on the new server).
- flood: 10 000 OSC packets/s for 10 s — status requests, malformed, oversized
  and wrong-typed packets, unknown addresses — while playing. The clock's largest
  distance from its grid during the flood against the same time before it, ticks
  lost, replies received, packets the kernel dropped, the engine alive after.
- kill: SIGKILL of the engine mid-chord, the live host's rescue ending its notes:
  see `rig.commands.bench.faults_kill`.
- disk, song: see `rig.commands.bench.faults_disk` and `rig.commands.bench.faults_files`.

Figures only, never pass/fail: a table per fault, one row per repetition.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rig.commands import EXIT_OK, EXIT_UNAVAILABLE, command_parser, parse_args
from rig.commands.bench.faultkit import CLOCK_GAP_S, Row, fault_engine, recorder, wait_connected

__all__ = ["main", "SUMMARY", "FAULTS", "fault_port", "fault_stop", "fault_flood"]

SUMMARY = "faults mid-show, each repeated: port vanishing, SIGSTOP, JACK dying, OSC flood..."

EPILOG = """examples:
  rig bench faults                       # every fault, 10 times each
  rig bench faults --only stop,flood --repeat 3
  rig bench faults --only flood --flood-seconds 2

Faults: port, stop, kill, jack, flood, disk, song. Needs jackd (Debian jackd2); disk
needs root (it mounts a small tmpfs and fills it). Prints one row of figures per repetition.

exit codes: 0 done, 2 usage, 3 jackd or JACK-Client not available
"""


# -- port vanishing mid-note ---------------------------------------------------------------
def fault_port(reps: int, rng: random.Random) -> list[Row]:
    """The receiving port leaves mid-note and returns, `reps` times in one show."""
    from rig.control.protocol import ControlClient
    from rig.probe.stream import note_pairs

    rows = []
    streams: list[list[tuple[int, bytes]]] = []
    with fault_engine() as engine, ControlClient(engine.port) as control:
        rec = recorder()
        wait_connected(control)
        control.send("/rig/play")
        for rep in range(1, reps + 1):
            time.sleep(0.6 + rng.random())
            events = rec.stop()  # the port vanishes now
            held = note_pairs([e for s in streams for e in s] + events).sounding
            streams.append(events)
            time.sleep(0.2 + rng.random() * 0.5)
            t0 = time.monotonic()
            rec = recorder()  # the port returns under the same name
            connected = wait_connected(control)
            back_ms = (time.monotonic() - t0) * 1000
            time.sleep(0.5)
            rows.append(Row("port", rep, {"held": len(held), "back ms": back_ms,
                                          "reconnected": connected}))  # fmt: skip
            rows[-1].figures["_held"] = held
        control.send("/rig/stop")
        time.sleep(0.5)
        streams.append(rec.stop())
    # Over everything the synth heard: each rep's held notes released after its return?
    for i, row in enumerate(rows):
        held = set(row.figures.pop("_held"))  # type: ignore[arg-type]
        after = streams[i + 1]
        offs = {(d[0] & 15, d[1]) for _, d in after[:64] if d[0] & 0xF0 == 0x80}
        row.figures["released"] = len(held & offs)
    pairs = note_pairs([e for s in streams for e in s])
    rows.append(Row("port", 0, {"ons": pairs.ons, "offs": pairs.offs,
                                "left sounding": pairs.stuck}, "whole show"))  # fmt: skip
    return rows


# -- SIGSTOP / SIGCONT ----------------------------------------------------------------------
def fault_stop(reps: int, rng: random.Random, stall_s: float = 2.0) -> list[Row]:
    """SIGSTOP the engine for `stall_s`, then SIGCONT, `reps` times in one show."""
    from rig.control.protocol import ControlClient
    from rig.probe.stream import note_pairs

    rows = []
    with fault_engine() as engine, ControlClient(engine.port) as control:
        rec = recorder()
        wait_connected(control)
        control.send("/rig/play")
        for rep in range(1, reps + 1):
            time.sleep(1.5 + rng.random())
            before = control.status()
            os.kill(engine.pid or 0, signal.SIGSTOP)
            time.sleep(stall_s)
            os.kill(engine.pid or 0, signal.SIGCONT)
            time.sleep(1.5)
            after = control.status()
            figures: dict[str, object] = {"alive": engine.alive()}
            if before is not None and after is not None:
                figures["missed clocks"] = after.missed_clocks - before.missed_clocks
                figures["dropped notes"] = after.dropped_notes - before.dropped_notes
            rows.append(Row("stop", rep, figures))
        control.send("/rig/stop")
        time.sleep(0.5)
        events = rec.stop()
    ticks = [f for f, d in events if d == b"\xf8"]
    gap = rec.rate * CLOCK_GAP_S
    stalls = [i for i in range(1, len(ticks)) if ticks[i] - ticks[i - 1] > rec.rate * stall_s / 2]
    for row, i in zip(rows, stalls, strict=False):
        anchor = ticks[i - 1]
        after = ticks[i : i + 24]
        burst = sum(1 for a, b in zip(after, after[1:], strict=False) if b - a < gap / 2)
        off = [abs(((f - anchor) / gap) - round((f - anchor) / gap)) * gap for f in after]
        steps = [b - a for a, b in zip(after, after[1:], strict=False)]
        row.figures.update({"gap s": (ticks[i] - anchor) / rec.rate, "burst": burst,
                            "off grid frames": max(off, default=0.0),
                            "next steps": f"{min(steps, default=0)}-{max(steps, default=0)}",
                            })  # fmt: skip
    if len(stalls) != len(rows):
        rows.append(Row("stop", 0, {"stalls seen": len(stalls)}, "gaps at the recorder"))
    pairs = note_pairs(events)
    rows.append(Row("stop", 0, {"ons": pairs.ons, "left sounding": pairs.stuck,
                                "xruns": rec.xruns}, "whole show"))  # fmt: skip
    return rows


# -- OSC flood -------------------------------------------------------------------------------
_FLOODER = r"""
import os, socket, sys, time
port, seconds, rate = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
from rig.control.protocol import encode
good = encode("/rig/status")
bad = [b"\x00garbage", b"/rig/play\x00\x00\x00,i\x00", encode("/rig/locate", "abc"),
       encode("/rig/tempo", "fast"), encode("/rig/nope", 1), encode("/rig/mute", 3),
       b"/" + b"x" * 60000, encode("/rig/section", "s" * 30000), os.urandom(200),
       encode("/rig/launch", 99999)]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 24)
s.setblocking(False)
s.bind(("127.0.0.1", 0))
sent = {"good": 0, "bad": 0}; replies = {"status": 0, "error": 0}; refused = 0
t0 = time.monotonic(); n = 0
def drain():
    while True:
        try:
            data = s.recv(65536)
        except (BlockingIOError, ConnectionRefusedError):
            return
        replies["error" if data.startswith(b"/rig/error") else "status"] += 1
while True:
    now = time.monotonic() - t0
    if now >= seconds:
        break
    due = int(now * rate)
    while n < due:
        pkt = bad[n % len(bad)] if n % 5 == 0 else good
        try:
            s.sendto(pkt, ("127.0.0.1", port))
            sent["bad" if n % 5 == 0 else "good"] += 1
        except (BlockingIOError, ConnectionRefusedError, OSError):
            refused += 1
        n += 1
    drain()
    time.sleep(0.001)
time.sleep(0.5)
drain()
mine = s.getsockname()[1]
drops = -1
for row in open("/proc/net/udp").read().splitlines()[1:]:
    cols = row.split()
    if int(cols[1].split(":")[1], 16) == mine:
        drops = int(cols[-1])
print(sent["good"], sent["bad"], replies["status"], replies["error"], refused, drops, flush=True)
"""


def _udp_drops(port: int) -> int:
    """The kernel's drop count of the UDP socket bound to `port` (/proc/net/udp)."""
    try:
        rows = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return -1
    for row in rows:
        cols = row.split()
        if int(cols[1].split(":")[1], 16) == port:
            return int(cols[-1])
    return -1


def fault_flood(
    reps: int, rng: random.Random, seconds: float = 10.0, rate: int = 10_000
) -> list[Row]:
    """`rate` OSC packets/s for `seconds` while playing (1 in 5 bad), `reps` times."""
    from rig.control.protocol import ControlClient

    rows = []
    windows: list[tuple[float, float, float]] = []  # (quiet from, flood from, flood to), wall
    with fault_engine() as engine, ControlClient(engine.port) as control:
        rec = recorder()
        wait_connected(control)
        control.send("/rig/play")
        time.sleep(1.0)
        t_ref = time.monotonic()
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
        for rep in range(1, reps + 1):
            quiet = time.monotonic()
            time.sleep(seconds / 2)
            before = control.status()
            drops = _udp_drops(engine.port)
            start = time.monotonic()
            out = subprocess.run(
                [sys.executable, "-c", _FLOODER, str(engine.port), str(seconds), str(rate)],
                capture_output=True, text=True, env=env, timeout=seconds + 30,
            )  # fmt: skip
            end = time.monotonic()
            after = control.status(timeout=2.0)
            windows.append((quiet - t_ref, start - t_ref, end - t_ref))
            good, bad, status_replies, errors, refused, own_drops = (
                int(v) for v in out.stdout.split()[:6]
            )
            figures: dict[str, object] = {
                "sent": good + bad, "bad": bad, "pkt/s": (good + bad) / (end - start),
                "status replies": status_replies, "error replies": errors,
                "dropped in": (dropped := _udp_drops(engine.port) - drops),
                "replies dropped": own_drops,
                "unaccounted": good + bad - status_replies - errors - dropped - own_drops,
                "alive": engine.alive() and after is not None,
            }  # fmt: skip
            if before is not None and after is not None:
                figures["missed clocks"] = after.missed_clocks - before.missed_clocks
            rows.append(Row("flood", rep, figures, out.stderr.strip()[-120:]))
        time.sleep(0.5)
        control.send("/rig/stop")
        time.sleep(0.5)
        events = rec.stop()
    _flood_timing(rows, events, windows, rec.rate)
    return rows


def _flood_timing(rows: list[Row], events, windows, rate: int) -> None:  # noqa: ANN001
    """Per rep, in the quiet time before the flood and during it: the largest
    |tick gap − planned gap| (frames) between ticks that both arrived, and the ticks
    missing at the recorder (a gap of n ticks: n − 1 lost in xrun cycles or never
    sent). Frames to wall time: the first tick is at t_ref − 1 s (play began 1 s
    before the reference)."""
    ticks = [f for f, d in events if d == b"\xf8"]
    if not ticks:
        return
    gap = rate * CLOCK_GAP_S
    origin = ticks[0]
    for row, (quiet, start, end) in zip(rows, windows, strict=False):

        def window(a: float, b: float) -> tuple[float, int]:
            lo, hi = origin + (a + 1.0) * rate, origin + (b + 1.0) * rate
            inside = [f for f in ticks if lo <= f < hi]
            steps = [y - x for x, y in zip(inside, inside[1:], strict=False)]
            kept = [abs(d - gap) for d in steps if d < 1.5 * gap]
            lost = sum(round(d / gap) - 1 for d in steps if d >= 1.5 * gap)
            return max(kept, default=-1.0), lost

        row.figures["jitter quiet"], row.figures["lost quiet"] = window(quiet, start)
        row.figures["jitter flood"], row.figures["lost flood"] = window(start, end)


FAULTS: dict[str, Callable[..., list[Row]]] = {
    "port": fault_port,
    "stop": fault_stop,
    "flood": fault_flood,
}


def main(argv: list[str]) -> int:
    parser = command_parser("rig bench faults", SUMMARY, EPILOG, config=False)
    parser.add_argument("--only", default="", help="comma-separated faults (default: all)")
    parser.add_argument("--repeat", type=int, default=10, help="repetitions of each (default 10)")
    parser.add_argument("--flood-seconds", type=float, default=10.0, help="flood length (10)")
    parser.add_argument("--seed", type=int, default=1, help="seed for the fault times")
    args = parse_args(parser, argv)
    if isinstance(args, int):
        return args
    from rig.commands.bench.faults_files import FILE_FAULTS
    from rig.commands.bench.faults_jack import fault_jack
    from rig.commands.bench.faults_kill import fault_kill
    from rig.probe.jackd import private_jackd

    every = {**FAULTS, "kill": fault_kill, "jack": fault_jack, **FILE_FAULTS}
    names = [n for n in args.only.split(",") if n] or list(every)
    unknown = [n for n in names if n not in every]
    if unknown:
        print(f"rig bench faults: unknown fault {unknown[0]!r} ({', '.join(every)})")
        return 2
    rng = random.Random(args.seed)
    try:
        # The disk fault runs commands on a full file system: no JACK server needed.
        server = private_jackd() if set(names) - {"disk"} else contextlib.nullcontext()
        with server:
            for name in names:
                kw = {"seconds": args.flood_seconds} if name == "flood" else {}
                started = time.monotonic()
                for row in every[name](args.repeat, rng, **kw):
                    print(row.line(), flush=True)
                print(f"{name}: {time.monotonic() - started:.0f} s", flush=True)
    except RuntimeError as exc:
        print(f"rig bench faults: {exc}")
        return EXIT_UNAVAILABLE
    return EXIT_OK

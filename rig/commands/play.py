"""`rig play SONG|SET`: play a cue or a whole set to the configured MIDI devices.

The composition root for playing: builds the project, spawns the engine process
(`rig.engine.process`) with one sink per bound device, starts it over OSC
and prints a status line per bar. This process only watches: if it is busy or
dies, the engine keeps time (and, if it dies, stops cleanly by itself).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rig.commands import (
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    command_parser,
    load_or_report,
    parse_args,
)

__all__ = ["main", "SUMMARY"]

SUMMARY = "play a cue or a set to the devices in config.yaml (Ctrl-C stops); offline: to a WAV file"

EPILOG = """examples:
  rig play songs/inferno.yaml                  # from bar 1, until the end or Ctrl-C
  rig play songs/inferno.yaml --from 17        # SPP + Continue: followers land on bar 17
  rig play songs/sets/friday.yaml --for 60     # a set, cue after cue; stop after a minute

The engine runs in its own process and listens for OSC on 127.0.0.1 (port from
config.yaml, osc.port): /rig/stop, /rig/locate BAR, /rig/mute TRACK, /rig/panic ...
(see rig/control/protocol.py). A device whose port is missing gives a one-line warning
and the show goes on without it.

With no JACK server (no sound card) and no configured device connected, nothing can
sound live: rig then rehearses offline and renders the cue or set on the software
stand-in voices to out/<name>.wav (as `rig render` does).

exit codes: 0 played (or stopped with Ctrl-C), 1 bad song/set/config, 2 usage,
3 the MIDI backend or the engine process is not available
"""

_POLL_S = 0.1
_SETTLE_S = 0.3


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("rig play", SUMMARY, EPILOG)
    parser.add_argument("path", type=Path, metavar="SONG|SET", help="a cue file or a set file")
    parser.add_argument(
        "--from",
        dest="bar",
        type=int,
        default=None,
        metavar="BAR",
        help="start at this bar (1-based) of the first cue",
    )
    parser.add_argument(
        "--for",
        dest="seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds of music from the first downbeat, counted "
        "on the engine's timeline (JACK frames / rate): the same music in freewheel",
    )
    parser.add_argument(
        "--osc-port",
        type=int,
        default=None,
        metavar="PORT",
        help="OSC control port (default: config.yaml osc.port; 0 = any)",
    )
    return parser


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    if args.bar is not None and args.bar < 1:
        print("rig play: --from: bars are numbered from 1", file=sys.stderr)
        return EXIT_USAGE
    if args.seconds is not None and args.seconds <= 0:
        print("rig play: --for: give a positive number of seconds", file=sys.stderr)
        return EXIT_USAGE

    from rig.engine.process import EngineError, EngineProcess
    from rig.engine.sinks import nothing_to_play_on
    from rig.engine.spec import engine_spec
    from rig.project import Project

    def load():  # (Project, [Arrangement], EngineSpec)
        project = Project.load(args.config)
        cues = project.arrangements(args.path)
        spec = engine_spec(
            project, args.path, cues, osc_port=args.osc_port, play_for_s=args.seconds
        )
        return project, cues, spec

    loaded = load_or_report("play", load, path=args.path)
    if isinstance(loaded, int):
        return loaded
    project, cues, spec = loaded
    if args.bar is not None and args.bar > max(1, cues[0].length_bars):
        print(
            f"rig play: --from {args.bar}: '{cues[0].name}' has {cues[0].length_bars} bars",
            file=sys.stderr,
        )
        return EXIT_USAGE

    reason = nothing_to_play_on(project.config)
    if reason is not None:
        return _rehearse_offline(args, reason)

    if not spec.outputs:
        print(
            "rig play: warning: no device is bound to a MIDI port in the config; "
            "nothing goes out over MIDI",
            file=sys.stderr,
        )
    engine = EngineProcess(spec)
    try:
        engine.start()
    except EngineError as exc:
        print(f"rig play: the engine did not start: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    for warning in engine.warnings:
        print(f"rig play: warning: {warning}", file=sys.stderr)
    try:
        return _watch(engine, args.bar, args.seconds)
    except KeyboardInterrupt:
        # The engine got the same SIGINT (same process group) and stops cleanly
        # by itself; stop() below waits for it.
        print("\nrig play: stopped", file=sys.stderr)
        return EXIT_OK
    finally:
        engine.stop()
        info = engine.exit_info
        if info is not None:
            print(f"rig play: engine CPU {info[1]:.2f} s", file=sys.stderr)


def _rehearse_offline(args: argparse.Namespace, reason: str) -> int:
    """Rehearse anywhere: render the cue/set on the stand-in voices to out/<name>.wav."""
    from rig.commands.render import main as render_main

    out = Path("out") / f"{args.path.stem}.wav"
    print(f"rig play: nothing can sound live here: {reason}", file=sys.stderr)
    print(f"rig play: rehearsing offline: rendering on the stand-in voices to {out}",
          file=sys.stderr)  # fmt: skip
    if args.bar is not None or args.seconds is not None:
        print("rig play: (--from and --for apply to live playing only)", file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    return render_main([str(args.path), "-o", str(out), "--config", str(args.config)])


def _watch(engine, bar: int | None, seconds: float | None) -> int:
    from rig.control.protocol import ControlClient

    with ControlClient(engine.port) as control:
        # Measured: the engine's JACK client often xruns once ~2 ms after its loop
        # first runs (a cycle's MIDI can be lost); start the show after that.
        time.sleep(_SETTLE_S)
        if bar is None or bar <= 1:
            control.send("/rig/play")
        else:
            control.send("/rig/play", bar)
        started: float | None = time.monotonic()
        shown = None
        while True:
            time.sleep(_POLL_S)
            if not engine.alive():
                print("rig play: the engine process ended", file=sys.stderr)
                return EXIT_UNAVAILABLE
            status = control.status(timeout=0.5)
            if status is not None:
                key = (status.state, status.cue, status.bar)
                if key != shown:
                    shown = key
                    print(status.line(), flush=True)
                    if status.state == "waiting":
                        print(
                            "rig play: the set waits here; send /rig/play to go on (Ctrl-C ends)",
                            flush=True,
                        )
                if status.state == "ended":
                    return EXIT_OK
            # The engine ends a --for show itself, on its timeline ("ended" above). A show
            # that never started playing (a sync source whose master never sent Start)
            # ends after as many wall seconds.
            if status is not None and status.state == "playing":
                started = None
            if seconds is not None and started is not None:
                if time.monotonic() - started >= seconds:
                    control.send("/rig/stop")
                    return EXIT_OK

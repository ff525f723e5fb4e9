"""`rig panic`: explicit note-offs for every note on every channel of every configured port."""

from __future__ import annotations

import argparse
import sys

from rig.commands import (
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    command_parser,
    load_or_report,
    parse_args,
)

__all__ = ["main", "SUMMARY"]

SUMMARY = "silence stuck notes: note-offs for all notes and channels, then CC 123/120"

EPILOG = """examples:
  rig panic                          # every device port in ./config.yaml
  rig panic --port juno --port /rytm/
  rig panic --all                    # every MIDI output port there is

Sends, per channel 1-16, a Note Off for each of the 128 notes, then All Notes Off
(CC 123) and All Sound Off (CC 120): explicit note-offs first, because many
synths ignore CC 123. Paced at DIN MIDI speed (~1000 messages/s, 2 s per port,
ports in parallel) so interfaces do not drop them; --rate changes that.
A running `rig play` has its own panic (its OSC /rig/panic).

exit codes: 0 sent (or nothing to send to), 1 bad config, 2 usage,
3 the MIDI backend cannot start (e.g. no JACK server running)
"""


def _parser() -> argparse.ArgumentParser:
    from rig.config import MIDI_BACKENDS, RTMIDI_APIS

    parser = command_parser("rig panic", SUMMARY, EPILOG)
    parser.add_argument(
        "--port",
        action="append",
        default=[],
        metavar="PATTERN",
        help="also this port (substring or /regex/); repeatable",
    )
    parser.add_argument("--all", action="store_true", help="every MIDI output port")
    parser.add_argument("--backend", choices=MIDI_BACKENDS, help="override midi.backend")
    parser.add_argument("--api", choices=RTMIDI_APIS, help="override midi.rtmidi_api")
    parser.add_argument(
        "--rate",
        type=float,
        default=1000.0,
        metavar="N",
        help="messages per second per port (default 1000; 0 = as fast as possible)",
    )
    return parser


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    import dataclasses

    from rig.midi.outputs import config_or_default, open_sink, panic_messages, send_paced
    from rig.midi.ports import BackendUnavailable, list_ports, match_port, quiet_stderr

    config = load_or_report("panic", config_or_default, args.config)
    if isinstance(config, int):
        return config
    config = dataclasses.replace(
        config,
        midi_backend=args.backend or config.midi_backend,
        rtmidi_api=args.api or config.rtmidi_api,
    )
    try:
        with quiet_stderr():
            ports = list_ports(
                config.midi_backend, config.rtmidi_api, client_name=f"{config.client_name}-panic"
            )
    except BackendUnavailable as exc:
        print(f"rig panic: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE

    # Target ports by exact name (a regex anchored on it), each once.
    targets: dict[str, str] = {}
    patterns = [(d, b.port) for d, b in config.bindings.items()] + [(p, p) for p in args.port]
    for label, pattern in patterns:
        try:
            port = match_port(pattern, ports.outputs)
        except ValueError as exc:
            print(f"rig panic: --port {pattern}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if port is None:
            print(f"rig panic: warning: {label}: no port matches '{pattern}'", file=sys.stderr)
        else:
            targets.setdefault(port, label)
    if args.all:
        for port in ports.outputs:
            targets.setdefault(port, port)
    if not targets:
        print("rig panic: no port to send to (bind devices in config.yaml, or use --port/--all)")
        return EXIT_OK

    import re

    host = None
    sinks = []
    try:
        with quiet_stderr():
            if config.midi_backend == "jack":
                from rig.midi.jack_sink import JackHost

                host = JackHost(f"{config.client_name}-panic")
                host.open()
            for i, port in enumerate(targets):
                exact = f"/^{re.escape(port)}$/"
                sinks.append(open_sink(config, f"panic{i}", exact, host))
        reached = [s.connected for s in sinks]
        messages = list(panic_messages())
        seconds = send_paced([s for s in sinks if s.connected], messages, args.rate)
    except BackendUnavailable as exc:
        print(f"rig panic: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    finally:
        for sink in sinks:
            sink.close()
        if host is not None:
            host.close()
    for ok, (port, label) in zip(reached, targets.items(), strict=True):
        what = port if label == port else f"{label} ({port})"
        state = "sent" if ok else "NOT reached"
        print(f"  {state}: {what}")
    print(f"rig panic: {len(messages)} messages per port in {seconds:.1f} s")
    return EXIT_OK

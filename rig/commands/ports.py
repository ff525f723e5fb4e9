"""`rig ports`: list the MIDI ports of the configured backend; mark the config's devices."""

from __future__ import annotations

import argparse
import sys

from rig.commands import EXIT_OK, EXIT_UNAVAILABLE, command_parser, load_or_report, parse_args

__all__ = ["main", "SUMMARY"]

SUMMARY = "list MIDI ports; show which devices in config.yaml are connected"

EPILOG = """examples:
  rig ports                          # the backend and devices of ./config.yaml
  rig ports --config stage.yaml
  rig ports --backend rtmidi --api alsa

Outputs are ports rig can send to (synths, interfaces); inputs are ports rig can
receive from (controllers, clock sources). A device's `port:` in config.yaml is a
case-insensitive substring of a port name, or /regex/ — never a number.

exit codes: 0 listed, 1 bad config, 2 usage, 3 the MIDI backend cannot start
(e.g. no JACK server running)
"""


def _parser() -> argparse.ArgumentParser:
    from rig.config import MIDI_BACKENDS, RTMIDI_APIS

    parser = command_parser("rig ports", SUMMARY, EPILOG)
    parser.add_argument("--backend", choices=MIDI_BACKENDS, help="override midi.backend")
    parser.add_argument("--api", choices=RTMIDI_APIS, help="override midi.rtmidi_api")
    return parser


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    from rig.midi.outputs import config_or_default
    from rig.midi.ports import BackendUnavailable, list_ports, match_port, quiet_stderr

    config = load_or_report("ports", config_or_default, args.config)
    if isinstance(config, int):
        return config
    backend = args.backend or config.midi_backend
    api = args.api or config.rtmidi_api
    try:
        with quiet_stderr():
            ports = list_ports(backend, api, client_name=f"{config.client_name}-ports")
    except BackendUnavailable as exc:
        print(f"rig ports: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE

    found = {}
    for device, binding in config.bindings.items():
        found[device] = match_port(binding.port, ports.outputs)
    users: dict[str, list[str]] = {}
    for device, port in found.items():
        if port is not None:
            users.setdefault(port, []).append(device)

    print(f"backend: {ports.backend}")
    print("outputs (rig sends here):")
    for name in ports.outputs or ["(none)"]:
        mark = f"   <- {', '.join(users[name])}" if name in users else ""
        print(f"  {name}{mark}")
    print("inputs (rig can receive from):")
    for name in ports.inputs or ["(none)"]:
        print(f"  {name}")
    if config.bindings:
        print(f"devices in {config.path}:")
        width = max(len(d) for d in config.bindings)
        for device, binding in config.bindings.items():
            port = found[device]
            state = f"found: {port}" if port else "MISSING (plays on its stand-in voice)"
            print(f"  {device:<{width}}  port '{binding.port}'  {state}")
    else:
        print(f"no devices bound to ports in {config.path}")
    return EXIT_OK

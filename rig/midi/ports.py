"""MIDI port discovery for a backend chosen by name, and port matching by pattern.

Backends (chosen in config.yaml, never hard-coded):

- ``"jack"``: JACK MIDI through JACK-Client (the server named by
  ``JACK_DEFAULT_SERVER``, or the default one);
- ``"rtmidi"`` with an API: ``auto`` (RtMidi's first working one), ``alsa``,
  ``jack``, ``coremidi``, ``windows``.

"Outputs" are the ports rig can send to (other programs' and devices' MIDI
inputs); "inputs" are the ports rig can receive from. Ports are matched by a
name pattern — a case-insensitive substring, or ``/regex/`` — never by index:
indexes move when a device is replugged or another one appears. The rule is
`rig.config.match_port` (re-exported here), so `rig check`, `rig ports` and the
sinks agree on what a pattern picks.

A backend that cannot start raises `BackendUnavailable` with a one-line reason;
commands turn it into exit code 3.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType

# One matching rule for the whole rig (config checks, `rig ports`, the sinks).
from rig.config import MIDI_BACKENDS, RTMIDI_APIS, match_port

__all__ = [
    "BACKENDS",
    "RTMIDI_APIS",
    "BackendUnavailable",
    "JackMissing",
    "load_jack",
    "PortList",
    "match_port",
    "matching_ports",
    "list_ports",
    "rtmidi_api",
    "quiet_stderr",
    "jack_unavailable_reason",
]

BACKENDS = MIDI_BACKENDS


class BackendUnavailable(Exception):
    """A MIDI backend could not start (no JACK server, no ALSA sequencer, ...)."""


class JackMissing(BackendUnavailable):
    """The JACK library (libjack) is not installed, so no JACK client can open."""


def load_jack() -> ModuleType:
    """The `jack` module; `JackMissing` (one line) where libjack is not installed.

    JACK-Client is a pip dependency, but it loads libjack at import time and raises
    `OSError('JACK library not found')` on a machine without it (a fresh laptop, a CI
    box, macOS without JACK). rig runs there too — it rehearses offline, or uses
    rtmidi — so every JACK import in rig goes through here.
    """
    try:
        import jack
    except (OSError, ImportError) as exc:
        raise JackMissing(
            f"the JACK library (libjack) is not installed here ({exc})"
        ) from None
    return jack


@dataclass(frozen=True)
class PortList:
    """What one backend offers right now."""

    backend: str  # "jack", or "rtmidi/<api>"
    outputs: tuple[str, ...]  # rig can send here
    inputs: tuple[str, ...]  # rig can receive from here


def matching_ports(pattern: str, names: Iterable[str]) -> list[str]:
    """Every name `pattern` matches, the one `match_port` picks first."""
    names = list(names)
    found = [n for n in names if match_port(pattern, [n]) is not None]
    first = match_port(pattern, names)
    return sorted(found, key=lambda n: n != first)


def rtmidi_api(name: str) -> int:
    """The `rtmidi.API_*` constant for an API name (``auto``, ``alsa``, ...)."""
    import rtmidi

    try:
        return int(getattr(rtmidi, RTMIDI_APIS[name.lower()]))
    except KeyError:
        raise ValueError(
            f"unknown rtmidi API '{name}' (choose from: {', '.join(RTMIDI_APIS)})"
        ) from None


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence C libraries' own stderr chatter (libjack, ALSA lib) for a moment.

    Backends print "Cannot connect to server socket" and the like straight to
    file descriptor 2; a command shows its own one-line error instead. Redirects
    the descriptor for the whole process, so use it only in commands, briefly.
    """
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def list_ports(
    backend: str = "jack", api: str = "auto", *, client_name: str = "rig-ports"
) -> PortList:
    """The MIDI ports `backend` offers; raises `BackendUnavailable` if it cannot start."""
    if backend == "jack":
        return _jack_ports(client_name)
    if backend == "rtmidi":
        return _rtmidi_ports(api, client_name)
    raise ValueError(f"unknown MIDI backend '{backend}' (choose from: {', '.join(BACKENDS)})")


def jack_unavailable_reason(exc: Exception) -> str:
    """One line saying why a JACK client could not open."""
    server = os.environ.get("JACK_DEFAULT_SERVER", "default")
    return f"JACK server '{server}' is not running or refused the client ({exc})"


def _jack_ports(client_name: str) -> PortList:
    jack = load_jack()

    try:
        client = jack.Client(client_name, no_start_server=True)
    except jack.JackError as exc:
        raise BackendUnavailable(jack_unavailable_reason(exc)) from None
    try:
        outputs = [p.name for p in client.get_ports(is_midi=True, is_input=True)]
        inputs = [p.name for p in client.get_ports(is_midi=True, is_output=True)]
    finally:
        client.close()
    return PortList("jack", tuple(outputs), tuple(inputs))


def _rtmidi_ports(api: str, client_name: str) -> PortList:
    import rtmidi

    api_id = rtmidi_api(api)

    def ports(kind: type) -> tuple[tuple[str, ...], str]:
        """The port names one rtmidi client of `kind` (MidiOut/MidiIn) sees, and its API."""
        try:
            client = kind(api_id, name=client_name)
        except rtmidi.RtMidiError as exc:
            raise BackendUnavailable(f"rtmidi ({api}) cannot start: {exc}") from None
        try:
            return tuple(client.get_ports()), rtmidi.get_api_name(client.get_current_api())
        finally:
            client.delete()

    outputs, used = ports(rtmidi.MidiOut)
    inputs, _ = ports(rtmidi.MidiIn)
    return PortList(f"rtmidi/{used}", outputs, inputs)

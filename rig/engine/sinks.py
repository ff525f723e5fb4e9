"""Building the engine's sinks from config: backend by name, ports by pattern.

`OutputSpec` is the plain, picklable form of one config binding (device → port
pattern, backend, clock on/off, latency) that crosses into the engine process;
`outputs_from_project` makes them from a `rig.project.Project`. `open_sinks` opens
one sink per device. A device whose port is missing at start is a one-line
warning and the show goes on, its sink kept: a JACK sink stays registered and
connects by itself when a matching port appears (port-registration callback),
an rtmidi sink polls the port list and opens the port when it appears; until
then its messages are dropped (counted). A backend that cannot start at all
leaves its devices out (their tracks are skipped; the DSP issue routes them to
stand-in voices).

Latency is applied by the scheduler (it schedules earlier), so sinks are opened
with no latency of their own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "OutputSpec",
    "open_sinks",
    "outputs_from_project",
    "timing_logs",
    "nothing_to_play_on",
    "sink_hosts",
    "close_sinks",
]


@dataclass(frozen=True)
class OutputSpec:
    device: str  # device id (patches/devices/<id>.yaml); tracks route by it
    port: str  # port name pattern (substring or /regex/), never an index
    backend: str = "jack"  # "jack" | "rtmidi"
    clock: bool = False  # MIDI clock + Start/Stop/Continue/SPP to this port
    latency_ms: float = 0.0
    rtmidi_api: str = "auto"
    client_name: str = "rig"
    spin_us: float | None = None  # rtmidi: spin margin before each deadline (None: default)
    clock_stopped: bool = False  # MIDI clock also while the transport is stopped


def outputs_from_project(project: Any) -> list[OutputSpec]:
    """One OutputSpec per device bound in config.yaml (duck-typed on rig.project.Project)."""
    config = project.config
    out = []
    for device_id, binding in config.bindings.items():
        device = project.devices.get(device_id)
        if device is None:
            continue
        out.append(
            OutputSpec(
                device=device_id,
                port=binding.port,
                backend=config.midi_backend,
                clock=bool(binding.clock_for(device)),
                latency_ms=float(binding.latency_for(device)),
                rtmidi_api=config.rtmidi_api,
                client_name=config.client_name,
                clock_stopped=bool(getattr(binding, "clock_while_stopped", False)),
            )
        )
    return out


def open_sinks(
    specs: tuple[OutputSpec, ...] | list[OutputSpec],
    *,
    log_timing: bool = False,
    stand_ins: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Open a sink per spec: (device → sink, one-line warnings).

    `log_timing` makes sinks keep their delivery log (`rig bench`): a JACK sink its
    (deadline, frame) pairs, an rtmidi sink its (deadline, sent) pairs.
    `stand_ins` (device → voice) are the software voices that play a device whose
    port is missing: its one warning line says so.
    """
    stand_ins = stand_ins or {}

    def meanwhile(device: str) -> str:
        voice = stand_ins.get(device)
        if voice:
            return f"its stand-in voice {voice} plays"
        return "playing on without it"

    from rig.midi.ports import BackendUnavailable

    sinks: dict[str, Any] = {}
    warnings: list[str] = []
    hosts: dict[str, Any] = {}
    midi_log = logging.getLogger("rig.midi")
    level = midi_log.level
    midi_log.setLevel(logging.ERROR)  # the warnings below say it once, in one line
    try:
        for spec in specs:
            try:
                sink = _make_sink(spec, hosts, log_timing)
                sink.open()
            except BackendUnavailable as exc:
                warnings.append(f"{spec.device}: {exc}; {meanwhile(spec.device)}")
                continue
            except Exception as exc:  # a port that cannot open must not stop the show
                warnings.append(
                    f"{spec.device}: cannot open MIDI output ({exc}); {meanwhile(spec.device)}"
                )
                continue
            if not getattr(sink, "connected", True):
                warnings.append(
                    f"{spec.device}: no MIDI port matches '{spec.port}'; "
                    f"{meanwhile(spec.device)} (connected when it appears)"
                )
            sinks[spec.device] = sink
    finally:
        midi_log.setLevel(level)
    return sinks, warnings


def _make_sink(spec: OutputSpec, hosts: dict[str, Any], log_timing: bool) -> Any:
    if spec.backend == "jack":
        from rig.midi.jack_sink import JackHost, JackSink

        host = hosts.get(spec.client_name)
        if host is None:
            host = hosts[spec.client_name] = JackHost(spec.client_name)
            host.open()  # BackendUnavailable if no server
        return JackSink(spec.device, spec.port, host=host, log_frames=log_timing)
    if spec.backend == "rtmidi":
        from rig.midi.rtmidi_sink import RtMidiSink

        kwargs = {} if spec.spin_us is None else {"spin_us": spec.spin_us}
        return RtMidiSink(
            spec.device,
            spec.port,
            api=spec.rtmidi_api,
            client_name=spec.client_name,
            log_sends=log_timing,
            **kwargs,
        )
    raise ValueError(f"unknown MIDI backend '{spec.backend}' (choose from: jack, rtmidi)")


def sink_hosts(sinks: Iterable[Any]) -> list[Any]:
    """The JACK clients behind `sinks` (JACK sinks share one), each once, in order."""
    found: dict[int, Any] = {}
    for sink in sinks:
        host = getattr(sink, "host", None)
        if host is not None:
            found.setdefault(id(host), host)
    return list(found.values())


def close_sinks(sinks: Iterable[Any]) -> None:
    """Close every sink (each ends what its tracker knows sounds), then each JACK
    client behind them once; a failing close does not stop the others."""
    sinks = list(sinks)
    for sink in sinks:
        with contextlib.suppress(Exception):
            sink.close()
    for host in sink_hosts(sinks):
        with contextlib.suppress(Exception):
            host.close()


def timing_logs(sinks: dict[str, Any]) -> dict[str, list[tuple[int, int]]]:
    """The delivery logs of sinks opened with `log_timing` (device → pairs)."""
    out = {}
    for device, sink in sinks.items():
        log = getattr(sink, "sent_log", None) or getattr(sink, "frame_log", None)
        if log:
            out[device] = list(log)
    return out


def _jack_down(client_name: str) -> str | None:
    """Why no JACK client can run here (no library, no server), or None when one can."""
    from rig.midi.ports import BackendUnavailable, JackMissing, list_ports, quiet_stderr

    try:
        with quiet_stderr():  # libjack prints several lines when no server runs
            list_ports("jack", client_name=f"{client_name}-probe")
    except JackMissing as exc:
        return str(exc)
    except BackendUnavailable:
        return "no JACK server is running (no sound card for live audio)"
    return None


def nothing_to_play_on(config: Any) -> str | None:
    """Why this machine can only rehearse offline, or None when something can sound live.

    Live needs a JACK server for the software voices (audio backend auto/jack) or, at
    least, one configured device present on its MIDI port (`config` a rig.config.Config).
    `rig play` rehearses offline then; `rig live` refuses (nothing would sound).
    """
    from rig.midi.ports import BackendUnavailable, list_ports, match_port, quiet_stderr

    if config.audio_backend == "offline":
        reason = "config.yaml asks for offline audio"
    else:
        down = _jack_down(config.client_name)
        if down is None:
            return None
        reason = down
    try:
        with quiet_stderr():
            ports = list_ports(
                config.midi_backend, config.rtmidi_api, client_name=f"{config.client_name}-probe"
            )
    except (BackendUnavailable, ValueError):
        return reason + "; no MIDI backend is available either"
    if any(match_port(b.port, ports.outputs) for b in config.bindings.values()):
        return None
    return reason + "; none of the configured MIDI devices is connected"

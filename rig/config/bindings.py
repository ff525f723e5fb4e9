"""config.yaml's `devices:` — which outboard device sits on which MIDI port and channel.

`read_bindings` checks what the file alone shows (a port and channel taken twice);
`check_bindings` what needs the device models too (channel ranges).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rig.config.model import Config, DeviceBinding
from rig.config.ports import port_regex
from rig.source import Node, Pos, Problems, SourceError, suggest
from rig.source.fields import MapReader, as_bool, as_int, as_map, as_number, as_str

if TYPE_CHECKING:
    from rig.devices import Device

__all__ = ["read_bindings", "check_bindings"]

_BINDING_KEYS = ("port", "channel", "clock", "latency_ms", "clock_while_stopped")


def read_bindings(
    node: Node, problems: Problems, known: list[str] | None
) -> dict[str, DeviceBinding]:
    items = as_map(node, problems, "devices")
    if items is None:
        return {}
    out: dict[str, DeviceBinding] = {}
    taken: dict[tuple[str, int], tuple[str, Pos]] = {}
    for name, value in items.items():
        key_pos = node.key_pos[name]
        if known is not None and name not in known:
            problems.add(
                key_pos, f"devices: unknown device '{name}'{suggest(name, known, 'devices')}"
            )
            continue
        what = f"device '{name}'"
        channel: int | None = None
        clock: bool | None = None
        latency: float | None = None
        always = False
        if value.is_scalar:
            port_node: Node | None = value  # shorthand `virus: "Virus TI"`
        else:
            b = MapReader(value, problems, what, _BINDING_KEYS)
            if not b.ok:
                continue
            port_node = b.get("port", required=True)
            sub = b.get("channel")
            if sub is not None:
                got = as_int(sub, problems, f"{what}: channel", 1, 16)
                channel = None if got is None else got - 1
            sub = b.get("clock")
            if sub is not None:
                clock = as_bool(sub, problems, f"{what}: clock")
            sub = b.get("latency_ms")
            if sub is not None:
                latency = as_number(sub, problems, f"{what}: latency_ms", 0, 1000)
            sub = b.get("clock_while_stopped")
            if sub is not None:
                always = bool(as_bool(sub, problems, f"{what}: clock_while_stopped"))
            b.finish()
        if port_node is None:
            continue
        port = as_str(port_node, problems, f"{what}: port")
        if port is None:
            continue
        try:
            port_regex(port)
        except ValueError as exc:
            problems.add(port_node.pos, f"{what}: port: {exc}")
            continue
        if channel is not None:
            # Two devices answering on one port and channel would play each other's notes.
            slot = (port.casefold(), channel)
            if slot in taken:
                other, other_pos = taken[slot]
                problems.add(
                    key_pos,
                    f"{what}: port '{port}' channel {channel + 1} is already used by "
                    f"'{other}' (line {other_pos.line})",
                )
                continue
            taken[slot] = (name, key_pos)
        out[name] = DeviceBinding(name, port, channel, clock, latency, key_pos, always)
    return out


def check_bindings(config: Config, devices: Mapping[str, Device]) -> list[SourceError]:
    """Problems only visible with the device models: parts running past channel 16, and
    two devices on one port whose channel ranges overlap (each would hear the other's
    notes). Exact same-channel clashes are already reported by load_config."""
    errors: list[SourceError] = []
    spans: list[tuple[DeviceBinding, int, int]] = []
    for name, binding in config.bindings.items():
        device = devices.get(name)
        if device is None:
            continue
        first = binding.channel_for(device)
        last = first + device.parts - 1
        if last > 15:
            errors.append(
                SourceError(
                    binding.source,
                    f"device '{name}': {device.parts} parts from channel {first + 1} would "
                    f"need channels up to {last + 1}; MIDI has 16",
                )
            )
        spans.append((binding, first, min(last, 15)))
    for i, (a, a_first, a_last) in enumerate(spans):
        for b, b_first, b_last in spans[:i]:
            same_port = a.port.casefold() == b.port.casefold()
            exact = a.channel is not None and a.channel == b.channel
            if same_port and not exact and a_first <= b_last and b_first <= a_last:
                errors.append(
                    SourceError(
                        a.source,
                        f"device '{a.device}': {_span(a_first, a_last)} on port '{a.port}' "
                        f"overlaps '{b.device}' ({_span(b_first, b_last)}, line {b.source.line})",
                    )
                )
    return errors


def _span(first: int, last: int) -> str:
    return f"channel {first + 1}" if first == last else f"channels {first + 1}..{last + 1}"

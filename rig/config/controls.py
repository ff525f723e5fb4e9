"""config.yaml's `keys:` (the live UI's keys) and `controller:` (a MIDI controller).

Both map input to the same live actions, named in `rig.config.actions.LIVE_ACTIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.config.actions import LIVE_ACTIONS
from rig.config.fields import choice
from rig.config.ports import port_regex
from rig.song.quantize import QUANTIZE
from rig.source import Node, Pos, Problems, suggest
from rig.source.fields import MapReader, as_int, as_list, as_map, as_number, as_str

__all__ = [
    "KEY_ACTIONS",
    "CONTROLLER_ACTIONS",
    "ControllerMapping",
    "ControllerConfig",
    "read_keys",
    "read_controller",
]

# The live UI's remappable keys (rig live): action → default key (textual key names,
# or a single character), and the MIDI controller's actions → the argument each needs
# (None: none). Both from the one table of live actions (rig.config.actions);
# config.yaml's `keys:` section documents the keys.
KEY_ACTIONS: dict[str, str] = {a.name: a.key for a in LIVE_ACTIONS if a.key is not None}
CONTROLLER_ACTIONS: dict[str, str | None] = {a.name: a.needs for a in LIVE_ACTIONS if a.controller}
_CONTROLLER_KEYS = ("port", "channel", "map")
_MAPPING_KEYS = (
    "note", "cc", "channel", "action", "cue", "section", "track", "bpm", "quantize", "bars",
)  # fmt: skip


@dataclass(frozen=True)
class ControllerMapping:
    """One note or CC of the controller → one live action.

    A note triggers on note-on; a CC on a value rising to 64 or more (a button's
    press; its release, below 64, does nothing)."""

    kind: str  # "note" | "cc"
    number: int  # 0..127
    action: str  # a key of CONTROLLER_ACTIONS
    channel: int | None = None  # 0-based; None: any (or the controller's channel)
    cue: int | None = None  # launch: 0-based cue index (written 1-based in config.yaml)
    section: str | int | None = None  # section name, or 0-based index (written 1-based)
    track: str | None = None
    bpm: float | None = None  # nudge: BPM up (+) or down (-)
    bars: int | None = None  # fill: for this many bars; None: while the pad is held
    quantize: str | None = None
    source: Pos | None = None


@dataclass(frozen=True)
class ControllerConfig:
    """A MIDI controller on an input port found by name pattern."""

    port: str
    channel: int | None  # 0-based; None: any
    mappings: tuple[ControllerMapping, ...]
    source: Pos | None = None


def read_keys(node: Node, problems: Problems) -> dict[str, str]:
    """`keys:` action → key; unknown actions and a key given to two actions are errors."""
    items = as_map(node, problems, "keys")
    if items is None:
        return {}
    out: dict[str, str] = {}
    for action, value in items.items():
        if action not in KEY_ACTIONS:
            problems.add(
                node.key_pos[action],
                f"keys: unknown action '{action}'{suggest(action, KEY_ACTIONS, 'actions')}",
            )
            continue
        key = "space" if value.value == " " else as_str(value, problems, f"keys: {action}")
        if key is not None:
            out[action] = key.strip()
    taken: dict[str, str] = {}
    for action in KEY_ACTIONS:  # the effective map: overrides plus the other defaults
        key = out.get(action, KEY_ACTIONS[action])
        if key in taken and (action in out or taken[key] in out):
            where = action if action in out else taken[key]
            problems.add(
                items[where].pos,
                f"keys: '{key}' is both '{taken[key]}' and '{action}'",
            )
        taken.setdefault(key, action)
    return out


def read_controller(node: Node, problems: Problems) -> ControllerConfig | None:
    """`controller:`; None when it has no usable port (the problems say why)."""
    c = MapReader(node, problems, "controller", _CONTROLLER_KEYS)
    if not c.ok:
        return None
    port_node = c.get("port", required=True)
    port = as_str(port_node, problems, "controller: port") if port_node is not None else None
    if port is not None:
        try:
            port_regex(port)
        except ValueError as exc:
            problems.add(port_node.pos, f"controller: port: {exc}")  # type: ignore[union-attr]
    channel = None
    sub = c.get("channel")
    if sub is not None:
        got = as_int(sub, problems, "controller: channel", 1, 16)
        channel = None if got is None else got - 1
    mappings: list[ControllerMapping] = []
    sub = c.get("map")
    seen: dict[tuple, int] = {}
    for index, item in enumerate((as_list(sub, problems, "controller: map") or []) if sub else []):
        mapping = _mapping(item, problems, f"controller: map {index + 1}")
        if mapping is None:
            continue
        key = (mapping.kind, mapping.number, mapping.channel)
        if key in seen:
            problems.add(
                item.pos,
                f"controller: map {index + 1}: {mapping.kind} {mapping.number} is already "
                f"mapped (map {seen[key]})",
            )
            continue
        seen[key] = index + 1
        mappings.append(mapping)
    c.finish()
    if port is None:
        return None
    return ControllerConfig(port, channel, tuple(mappings), node.pos)


def _mapping(item: Node, problems: Problems, what: str) -> ControllerMapping | None:
    m = MapReader(item, problems, what, _MAPPING_KEYS)
    if not m.ok:
        return None
    kinds = [k for k in ("note", "cc") if m.has(k)]
    if len(kinds) != 1:
        problems.add(item.pos, f"{what}: give exactly one of 'note' or 'cc'")
        m.finish()
        return None
    kind = kinds[0]
    number = as_int(m.get(kind), problems, f"{what}: {kind}", 0, 127)  # type: ignore[arg-type]
    action_node = m.get("action", required=True)
    action = as_str(action_node, problems, f"{what}: action") if action_node else None
    if action is not None and action not in CONTROLLER_ACTIONS:
        problems.add(
            action_node.pos,  # type: ignore[union-attr]
            f"{what}: unknown action '{action}'{suggest(action, CONTROLLER_ACTIONS, 'actions')}",
        )
        action = None
    channel = None
    if (sub := m.get("channel")) is not None:
        got = as_int(sub, problems, f"{what}: channel", 1, 16)
        channel = None if got is None else got - 1
    quantize = None
    if (sub := m.get("quantize")) is not None:
        quantize = choice(sub, problems, f"{what}: quantize", QUANTIZE, "") or None
    values: dict[str, object] = {}
    needs = CONTROLLER_ACTIONS.get(action or "", None)
    for arg in ("cue", "section", "track", "bpm", "bars"):
        sub = m.get(arg)
        if sub is None:
            continue
        if arg != needs:
            problems.add(m.key_pos(arg), f"{what}: '{action}' takes no '{arg}'")
            continue
        if arg == "cue":
            got = as_int(sub, problems, f"{what}: cue", 1, 999)
            values[arg] = None if got is None else got - 1
        elif arg == "section":
            if isinstance(sub.value, int) and not isinstance(sub.value, bool):
                got = as_int(sub, problems, f"{what}: section", 1, 999)
                values[arg] = None if got is None else got - 1
            else:
                values[arg] = as_str(sub, problems, f"{what}: section")
        elif arg == "track":
            values[arg] = as_str(sub, problems, f"{what}: track")
        elif arg == "bars":
            values[arg] = as_int(sub, problems, f"{what}: bars", 1, 64)
        else:
            values[arg] = as_number(sub, problems, f"{what}: bpm", -100, 100)
    optional = needs == "bars"  # fill: without bars, it lasts while the pad is held
    if action is not None and needs is not None and not optional and values.get(needs) is None:
        if not m.has(needs):
            problems.add(item.pos, f"{what}: '{action}' needs '{needs}'")
        action = None
    m.finish()
    if number is None or action is None:
        return None
    return ControllerMapping(
        kind,
        number,
        action,
        channel,
        quantize=quantize,
        source=item.pos,
        **values,  # type: ignore[arg-type]
    )

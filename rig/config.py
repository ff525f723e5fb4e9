"""The rig on stage: `config.yaml` → a frozen `Config`.

config.yaml says how this machine talks (MIDI backend, audio backend, OSC
address), where the patches live, and which outboard device sits on which MIDI
port. Ports are matched by a name pattern, never by index, so a replugged
interface that comes back as port 3 instead of port 1 is still found
(`match_port`). A device without a binding plays on its software stand-in.
Every key is documented in the comments of the repository's config.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from rig.song.quantize import QUANTIZE
from rig.source import Node, Pos, Problems, SourceError, load_yaml_file, suggest
from rig.source.fields import MapReader, as_bool, as_int, as_list, as_map, as_number, as_str
from rig.syncconfig import SyncConfig, sync_config

if TYPE_CHECKING:
    from rig.devices import Device

__all__ = [
    "KEY_ACTIONS",
    "CONTROLLER_ACTIONS",
    "QUANTIZE",
    "ControllerMapping",
    "ControllerConfig",
    "MIDI_BACKENDS",
    "DEFAULT_CONFIG",
    "config_or_default",
    "RTMIDI_APIS",
    "AUDIO_BACKENDS",
    "DeviceBinding",
    "Config",
    "load_config",
    "default_config",
    "default_patches_dir",
    "match_port",
    "check_bindings",
]

MIDI_BACKENDS = ("jack", "rtmidi")
# rtmidi API names accepted in config.yaml → the attribute of the `rtmidi` module.
RTMIDI_APIS: Mapping[str, str] = MappingProxyType({
    "auto": "API_UNSPECIFIED",
    "alsa": "API_LINUX_ALSA",
    "jack": "API_UNIX_JACK",
    "coremidi": "API_MACOSX_CORE",
    "windows": "API_WINDOWS_MM",
})  # fmt: skip
# Where every command looks for the config; absent there, the embedded default is used.
DEFAULT_CONFIG = Path("config.yaml")
AUDIO_BACKENDS = ("auto", "jack", "offline")

_DEFAULT_MIDI_BACKEND = "jack"
_DEFAULT_RTMIDI_API = "auto"
_DEFAULT_CLIENT_NAME = "rig"
_DEFAULT_AUDIO_BACKEND = "auto"
_DEFAULT_SAMPLE_RATE = 48000
_DEFAULT_BUFFER = 64
_DEFAULT_OSC_HOST = "127.0.0.1"
_DEFAULT_OSC_PORT = 9000

_TOP_KEYS = ("midi", "audio", "patches", "devices", "osc", "keys", "controller", "sync")
_MIDI_KEYS = ("backend", "rtmidi_api", "client_name")
_AUDIO_KEYS = ("backend", "sample_rate", "buffer")
_BINDING_KEYS = ("port", "channel", "clock", "latency_ms", "clock_while_stopped")
_OSC_KEYS = ("host", "port", "open")

# The live UI's remappable keys (rig live): action → default key (textual key names,
# or a single character). Documented in config.yaml's `keys:` section.
KEY_ACTIONS: dict[str, str] = {
    "play": "p",
    "stop": "s",
    "continue": "c",
    "next": "n",
    "launch": "enter",
    "cue_up": "up",
    "cue_down": "down",
    "cancel": "x",
    "section": "j",
    "section_prev": "left_square_bracket",
    "section_next": "right_square_bracket",
    "track_prev": "left",
    "track_next": "right",
    "mute": "m",
    "solo": "o",
    "quantize": "g",
    "nudge_up": "plus",
    "nudge_down": "minus",
    "tap": "t",
    "panic": "exclamation_mark",
    "keys": "question_mark",
    "quit": "q",
}
# MIDI controller actions → the argument each needs (None: none).
CONTROLLER_ACTIONS: dict[str, str | None] = {
    "play": None,
    "stop": None,
    "continue": None,
    "next": None,
    "cancel": None,
    "tap": None,
    "panic": None,
    "launch": "cue",
    "section": "section",
    "mute": "track",
    "unmute": "track",
    "solo": "track",
    "unsolo": "track",
    "toggle_mute": "track",
    "toggle_solo": "track",
    "nudge": "bpm",
}
_CONTROLLER_KEYS = ("port", "channel", "map")
_MAPPING_KEYS = ("note", "cc", "channel", "action", "cue", "section", "track", "bpm", "quantize")

# JACK limits client names to 64 bytes (jack_client_name_size() incl. the NUL).
_MAX_CLIENT_NAME = 63


@dataclass(frozen=True)
class DeviceBinding:
    """Where one outboard device is connected; None = use the device file's value."""

    device: str
    port: str  # a name pattern for match_port
    channel: int | None  # 0-based base channel override
    clock: bool | None  # send MIDI clock to this device
    latency_ms: float | None
    source: Pos
    # Clock also while the transport is stopped (Hapax "always send clock"): some
    # followers need it to settle their tempo before Start (hardware.md §1.7, §4).
    clock_while_stopped: bool = False

    def channel_for(self, device: Device) -> int:
        return device.channel if self.channel is None else self.channel

    def clock_for(self, device: Device) -> bool:
        return device.clock if self.clock is None else self.clock

    def latency_for(self, device: Device) -> float:
        return device.latency_ms if self.latency_ms is None else self.latency_ms


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
    quantize: str | None = None
    source: Pos | None = None


@dataclass(frozen=True)
class ControllerConfig:
    """A MIDI controller on an input port found by name pattern."""

    port: str
    channel: int | None  # 0-based; None: any
    mappings: tuple[ControllerMapping, ...]
    source: Pos | None = None


@dataclass(frozen=True)
class Config:
    """Everything config.yaml says; paths resolved against the config file's folder."""

    path: Path  # the config file (for the built-in default: a name in angle brackets)
    midi_backend: str  # one of MIDI_BACKENDS
    rtmidi_api: str  # one of RTMIDI_APIS
    client_name: str
    audio_backend: str  # one of AUDIO_BACKENDS
    sample_rate: int
    buffer: int
    patches_dir: Path  # resolved; holds devices/ and voices/
    bindings: Mapping[str, DeviceBinding]  # by device id
    osc_host: str
    osc_port: int
    # Bind osc_host (e.g. 0.0.0.0, for a phone) only when config.yaml says open: true;
    # otherwise the engine listens on 127.0.0.1 alone.
    osc_open: bool = False
    keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # overrides
    controller: ControllerConfig | None = None
    sync: SyncConfig = field(default_factory=SyncConfig)  # which clock rig follows; MTC out

    @property
    def osc_bind_host(self) -> str:
        return self.osc_host if self.osc_open else _DEFAULT_OSC_HOST

    @property
    def devices_dir(self) -> Path:
        return self.patches_dir / "devices"

    @property
    def voices_dir(self) -> Path:
        return self.patches_dir / "voices"


def match_port(pattern: str, names: Sequence[str]) -> str | None:
    """The port name in `names` that `pattern` picks, or None.

    Case-insensitive substring (``"virus"`` finds ``"a2j:Virus TI [20] (playback)"``);
    a pattern written ``/.../`` is a case-insensitive regular expression (re.search).
    An exact (case-insensitive) name wins over a substring match; otherwise the first
    match in `names` order. Raises ValueError for a bad regular expression (load_config
    reports those with their position, so a loaded config never has one).
    """
    regex = _regex(pattern)
    if regex is not None:
        return next((name for name in names if regex.search(name)), None)
    wanted = pattern.casefold()
    for name in names:
        if name.casefold() == wanted:
            return name
    return next((name for name in names if wanted in name.casefold()), None)


def _regex(pattern: str) -> re.Pattern[str] | None:
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        try:
            return re.compile(pattern[1:-1], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"bad regular expression {pattern}: {exc}") from None
    return None


def default_patches_dir() -> Path:
    """The repository's patches/ folder: next to the `rig` package directory."""
    return (Path(__file__).resolve().parent.parent / "patches").resolve()


def default_config() -> Config:
    """The rig used when there is no config.yaml: no bindings, every device on its stand-in."""
    return Config(
        path=Path("<built-in default config>"),
        midi_backend=_DEFAULT_MIDI_BACKEND,
        rtmidi_api=_DEFAULT_RTMIDI_API,
        client_name=_DEFAULT_CLIENT_NAME,
        audio_backend=_DEFAULT_AUDIO_BACKEND,
        sample_rate=_DEFAULT_SAMPLE_RATE,
        buffer=_DEFAULT_BUFFER,
        patches_dir=default_patches_dir(),
        bindings=MappingProxyType({}),
        osc_host=_DEFAULT_OSC_HOST,
        osc_port=_DEFAULT_OSC_PORT,
    )


def config_or_default(path: Path) -> Config:
    """config.yaml at `path`; the built-in default when the default path is absent.

    Raises InputError for a bad config, FileNotFoundError for a named one that is missing.
    """
    if path == DEFAULT_CONFIG and not path.exists():
        return default_config()
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    return load_config(path)


def load_config(path: Path, known_devices: Iterable[str] | None = None) -> Config:
    """Read config.yaml; InputError with every problem as file:line:col.

    With `known_devices` (the ids from patches/devices/), a binding to any other
    name is an error with a suggestion.
    """
    problems = Problems()
    root = load_yaml_file(path)
    r = MapReader(root, problems, "config", _TOP_KEYS)
    base = path.resolve().parent

    midi_backend, rtmidi_api = _DEFAULT_MIDI_BACKEND, _DEFAULT_RTMIDI_API
    client_name = _DEFAULT_CLIENT_NAME
    node = r.get("midi")
    if node is not None:
        m = MapReader(node, problems, "midi", _MIDI_KEYS)
        midi_backend = _choice(
            m.get("backend"), problems, "midi: backend", MIDI_BACKENDS, midi_backend
        )
        rtmidi_api = _choice(
            m.get("rtmidi_api"), problems, "midi: rtmidi_api", RTMIDI_APIS, rtmidi_api
        )
        client_name = _client_name(m.get("client_name"), problems) or client_name
        m.finish()

    audio_backend, sample_rate, buffer = (
        _DEFAULT_AUDIO_BACKEND,
        _DEFAULT_SAMPLE_RATE,
        _DEFAULT_BUFFER,
    )
    node = r.get("audio")
    if node is not None:
        a = MapReader(node, problems, "audio", _AUDIO_KEYS)
        audio_backend = _choice(
            a.get("backend"), problems, "audio: backend", AUDIO_BACKENDS, audio_backend
        )
        sub = a.get("sample_rate")
        if sub is not None:
            sample_rate = as_int(sub, problems, "audio: sample_rate", 8000, 384000) or sample_rate
        sub = a.get("buffer")
        if sub is not None:
            got = as_int(sub, problems, "audio: buffer", 16, 8192)
            if got is not None and got & (got - 1):
                # JACK periods and pyo buffers are powers of two.
                problems.add(sub.pos, f"audio: buffer {got} is not a power of two (e.g. 64, 128)")
            buffer = got or buffer
        a.finish()

    patches_dir = (base / "patches").resolve()
    node = r.get("patches")
    if node is not None:
        text = as_str(node, problems, "patches")
        if text is not None:
            patches_dir = (base / Path(text).expanduser()).resolve()
            if not patches_dir.is_dir():
                problems.add(node.pos, f"patches: folder '{text}' not found (looked in {base})")

    known = None if known_devices is None else sorted(set(known_devices))
    node = r.get("devices")
    bindings = _bindings(node, problems, known) if node is not None else {}

    osc_host, osc_port, osc_open = _DEFAULT_OSC_HOST, _DEFAULT_OSC_PORT, False
    node = r.get("osc")
    if node is not None:
        o = MapReader(node, problems, "osc", _OSC_KEYS)
        sub = o.get("host")
        if sub is not None:
            osc_host = as_str(sub, problems, "osc: host") or osc_host
        sub = o.get("port")
        if sub is not None:
            osc_port = as_int(sub, problems, "osc: port", 1, 65535) or osc_port
        sub = o.get("open")
        if sub is not None:
            osc_open = bool(as_bool(sub, problems, "osc: open"))
        o.finish()

    node = r.get("keys")
    keys = _keys(node, problems) if node is not None else {}
    node = r.get("controller")
    controller = _controller(node, problems) if node is not None else None
    node = r.get("sync")
    sync = sync_config(node, problems) if node is not None else SyncConfig()

    r.finish()
    problems.raise_if_any()
    return Config(
        path=path,
        midi_backend=midi_backend,
        rtmidi_api=rtmidi_api,
        client_name=client_name,
        audio_backend=audio_backend,
        sample_rate=sample_rate,
        buffer=buffer,
        patches_dir=patches_dir,
        bindings=MappingProxyType(bindings),
        osc_host=osc_host,
        osc_port=osc_port,
        osc_open=osc_open,
        keys=MappingProxyType(keys),
        controller=controller,
        sync=sync,
    )


def _keys(node: Node, problems: Problems) -> dict[str, str]:
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


def _controller(node: Node, problems: Problems) -> ControllerConfig | None:
    c = MapReader(node, problems, "controller", _CONTROLLER_KEYS)
    if not c.ok:
        return None
    port_node = c.get("port", required=True)
    port = as_str(port_node, problems, "controller: port") if port_node is not None else None
    if port is not None:
        try:
            _regex(port)
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
        quantize = _choice(sub, problems, f"{what}: quantize", QUANTIZE, "") or None
    values: dict[str, object] = {}
    needs = CONTROLLER_ACTIONS.get(action or "", None)
    for arg in ("cue", "section", "track", "bpm"):
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
        else:
            values[arg] = as_number(sub, problems, f"{what}: bpm", -100, 100)
    if action is not None and needs is not None and values.get(needs) is None:
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


def _choice(
    node: Node | None, problems: Problems, what: str, options: Sequence[str], default: str
) -> str:
    if node is None:
        return default
    text = as_str(node, problems, what)
    if text is None:
        return default
    if text not in options:
        problems.add(node.pos, f"{what}: unknown '{text}'{suggest(text, options)}")
        return default
    return text


def _client_name(node: Node | None, problems: Problems) -> str | None:
    if node is None:
        return None
    text = as_str(node, problems, "midi: client_name")
    if text is not None and (len(text.encode()) > _MAX_CLIENT_NAME or ":" in text):
        # ':' separates client and port in JACK's full port names.
        problems.add(
            node.pos,
            f"midi: client_name must be at most {_MAX_CLIENT_NAME} bytes without ':'",
        )
        return None
    return text


def _bindings(node: Node, problems: Problems, known: list[str] | None) -> dict[str, DeviceBinding]:
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
            _regex(port)
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

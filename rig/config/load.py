"""Read config.yaml into a `Config`, every problem as file:line:col."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType

from rig.config.bindings import read_bindings
from rig.config.controls import read_controller, read_keys
from rig.config.countin import CountIn, count_in_config
from rig.config.fields import choice
from rig.config.model import (
    AUDIO_BACKENDS,
    DEFAULT_AUDIO_BACKEND,
    DEFAULT_CLIENT_NAME,
    DEFAULT_CONFIG,
    DEFAULT_MIDI_BACKEND,
    DEFAULT_OSC_HOST,
    DEFAULT_OSC_PORT,
    DEFAULT_RTMIDI_API,
    DEFAULT_SAMPLE_RATE,
    MIDI_BACKENDS,
    RTMIDI_APIS,
    Config,
    default_config,
    default_patches_dir,
)
from rig.config.sync import SyncConfig, sync_config
from rig.source import Node, Problems, load_yaml_file
from rig.source.fields import MapReader, as_bool, as_int, as_str, as_str_list
from rig.source.files import is_within, resolve

__all__ = ["load_config", "config_or_default"]

CONFIG_KEYS = (  # the top-level keys of a config file
    "midi",
    "audio",
    "patches",
    "includes",
    "devices",
    "osc",
    "keys",
    "controller",
    "sync",
    "count_in",
)
_MIDI_KEYS = ("backend", "rtmidi_api", "client_name")
_AUDIO_KEYS = ("backend", "sample_rate")
_OSC_KEYS = ("host", "port", "open")

# JACK limits client names to 64 bytes (jack_client_name_size() incl. the NUL).
_MAX_CLIENT_NAME = 63


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
    r = MapReader(root, problems, "config", CONFIG_KEYS)
    base = path.resolve().parent

    midi_backend, rtmidi_api = DEFAULT_MIDI_BACKEND, DEFAULT_RTMIDI_API
    client_name = DEFAULT_CLIENT_NAME
    node = r.get("midi")
    if node is not None:
        m = MapReader(node, problems, "midi", _MIDI_KEYS)
        midi_backend = choice(
            m.get("backend"), problems, "midi: backend", MIDI_BACKENDS, midi_backend
        )
        rtmidi_api = choice(
            m.get("rtmidi_api"), problems, "midi: rtmidi_api", RTMIDI_APIS, rtmidi_api
        )
        client_name = _client_name(m.get("client_name"), problems) or client_name
        m.finish()

    audio_backend, sample_rate = DEFAULT_AUDIO_BACKEND, DEFAULT_SAMPLE_RATE
    node = r.get("audio")
    if node is not None:
        a = MapReader(node, problems, "audio", _AUDIO_KEYS)
        audio_backend = choice(
            a.get("backend"), problems, "audio: backend", AUDIO_BACKENDS, audio_backend
        )
        sub = a.get("sample_rate")
        if sub is not None:
            sample_rate = as_int(sub, problems, "audio: sample_rate", 8000, 384000) or sample_rate
        a.finish()

    include_dirs: list[Path] = []
    if (node := r.get("includes")) is not None:
        for text, item in as_str_list(node, problems, "includes") or []:
            folder = resolve(base / Path(text).expanduser())
            if not folder.is_dir():
                problems.add(item.pos, f"includes: folder '{text}' not found (looked in {base})")
            include_dirs.append(folder)

    patches_dir = resolve(base / "patches")
    node = r.get("patches")
    if node is not None:
        text = as_str(node, problems, "patches")
        if text is not None:
            patches_dir = _patches_dir(node, text, base, include_dirs, problems)

    known = None if known_devices is None else sorted(set(known_devices))
    node = r.get("devices")
    bindings = read_bindings(node, problems, known) if node is not None else {}

    osc_host, osc_port, osc_open = DEFAULT_OSC_HOST, DEFAULT_OSC_PORT, False
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
    keys = read_keys(node, problems) if node is not None else {}
    node = r.get("controller")
    controller = read_controller(node, problems) if node is not None else None
    node = r.get("sync")
    sync = sync_config(node, problems) if node is not None else SyncConfig()
    node = r.get("count_in")
    count_in = count_in_config(node, problems) if node is not None else CountIn()

    r.finish()
    problems.raise_if_any()
    return Config(
        path=path,
        midi_backend=midi_backend,
        rtmidi_api=rtmidi_api,
        client_name=client_name,
        audio_backend=audio_backend,
        sample_rate=sample_rate,
        patches_dir=patches_dir,
        bindings=MappingProxyType(bindings),
        osc_host=osc_host,
        osc_port=osc_port,
        osc_open=osc_open,
        keys=MappingProxyType(keys),
        controller=controller,
        include_roots=tuple(include_dirs),
        sync=sync,
        count_in=count_in,
    )


def _patches_dir(
    node: Node, text: str, base: Path, include_dirs: list[Path], problems: Problems
) -> Path:
    """The folder `patches: TEXT` names, confined like a song's `include:`.

    Device and voice files are read from it and quoted in errors, so it must lie in
    the project (the folder holding config.yaml), in rig's own patches, or in one of
    the `includes:` folders; anything else (`/etc`, `../..`, a symlink out) is refused
    at this line before the folder is read.
    """
    folder = resolve(base / Path(text).expanduser())
    roots = (base, default_patches_dir(), *include_dirs)
    if not is_within(folder, roots):
        problems.add(
            node.pos,
            f"patches: '{text}' is outside the project (may be a folder below {base}, "
            "rig's own patches or an 'includes:' folder; add it to 'includes:' to allow it)",
        )
    elif not folder.is_dir():
        problems.add(node.pos, f"patches: folder '{text}' not found (looked in {base})")
    return folder


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

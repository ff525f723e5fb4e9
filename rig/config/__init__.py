"""The rig on stage: `config.yaml` → a frozen `Config`.

config.yaml says how this machine talks (MIDI backend, audio backend, OSC
address), where the patches live, and which outboard device sits on which MIDI
port. Ports are matched by a name pattern, never by index, so a replugged
interface that comes back as port 3 instead of port 1 is still found
(`match_port`). A device without a binding plays on its software stand-in.
Every key is documented in the comments of the repository's config.yaml.

The rooms: `model` (the frozen `Config` and its defaults), `load` (config.yaml →
`Config`), `bindings` (`devices:`), `controls` (`keys:` and `controller:`),
`ports` (name patterns). Import from here; the rooms are the package's inside.
"""

from rig.config.bindings import check_bindings
from rig.config.controls import (
    CONTROLLER_ACTIONS,
    KEY_ACTIONS,
    ControllerConfig,
    ControllerMapping,
)
from rig.config.load import CONFIG_KEYS, config_or_default, load_config
from rig.config.model import (
    AUDIO_BACKENDS,
    DEFAULT_CONFIG,
    MIDI_BACKENDS,
    RTMIDI_APIS,
    Config,
    DeviceBinding,
    default_config,
    default_patches_dir,
)
from rig.config.ports import match_port
from rig.song.quantize import QUANTIZE

__all__ = [
    "CONFIG_KEYS",
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

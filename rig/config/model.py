"""The frozen models config.yaml becomes, its defaults, and the built-in config.

Every other module of `rig.config` reads YAML into these; the rest of the rig only
ever sees a `Config` (see `rig.config` for what config.yaml says).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from rig.config.controls import ControllerConfig
from rig.config.countin import CountIn
from rig.config.sync import SyncConfig
from rig.source import Pos

if TYPE_CHECKING:
    from rig.devices import Device

__all__ = [
    "MIDI_BACKENDS",
    "RTMIDI_APIS",
    "AUDIO_BACKENDS",
    "DEFAULT_CONFIG",
    "DeviceBinding",
    "Config",
    "default_config",
    "default_patches_dir",
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


# What config.yaml may leave out.
DEFAULT_MIDI_BACKEND = "jack"
DEFAULT_RTMIDI_API = "auto"
DEFAULT_CLIENT_NAME = "rig"
DEFAULT_AUDIO_BACKEND = "auto"
DEFAULT_SAMPLE_RATE = 48000
DEFAULT_OSC_HOST = "127.0.0.1"
DEFAULT_OSC_PORT = 9000


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
class Config:
    """Everything config.yaml says; paths resolved against the config file's folder."""

    path: Path  # the config file (for the built-in default: a name in angle brackets)
    midi_backend: str  # one of MIDI_BACKENDS
    rtmidi_api: str  # one of RTMIDI_APIS
    client_name: str
    audio_backend: str  # one of AUDIO_BACKENDS
    sample_rate: int  # of offline renders; live audio runs at the JACK server's rate
    patches_dir: Path  # resolved; holds devices/ and voices/
    bindings: Mapping[str, DeviceBinding]  # by device id
    osc_host: str
    osc_port: int
    # Bind osc_host (e.g. 0.0.0.0, for a phone) only when config.yaml says open: true;
    # otherwise the engine listens on 127.0.0.1 alone.
    osc_open: bool = False
    keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # overrides
    controller: ControllerConfig | None = None
    # Folders beyond songs/ and patches/ that a song's include: may read (resolved).
    include_roots: tuple[Path, ...] = ()
    sync: SyncConfig = field(default_factory=SyncConfig)  # which clock rig follows; MTC out
    count_in: CountIn = field(default_factory=CountIn)  # before `p` (bars 0: none)

    @property
    def osc_bind_host(self) -> str:
        return self.osc_host if self.osc_open else DEFAULT_OSC_HOST

    @property
    def devices_dir(self) -> Path:
        return self.patches_dir / "devices"

    @property
    def voices_dir(self) -> Path:
        return self.patches_dir / "voices"


def default_patches_dir() -> Path:
    """The repository's patches/ folder: next to the `rig` package directory."""
    return (Path(__file__).resolve().parents[2] / "patches").resolve()


def default_config() -> Config:
    """The rig used when there is no config.yaml: no bindings, every device on its stand-in."""
    return Config(
        path=Path("<built-in default config>"),
        midi_backend=DEFAULT_MIDI_BACKEND,
        rtmidi_api=DEFAULT_RTMIDI_API,
        client_name=DEFAULT_CLIENT_NAME,
        audio_backend=DEFAULT_AUDIO_BACKEND,
        sample_rate=DEFAULT_SAMPLE_RATE,
        patches_dir=default_patches_dir(),
        bindings=MappingProxyType({}),
        osc_host=DEFAULT_OSC_HOST,
        osc_port=DEFAULT_OSC_PORT,
    )

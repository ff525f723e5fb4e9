"""Outboard instruments' MIDI facts: device definitions loaded from patches/devices/*.yaml.

Songs name controllers and drum lanes (`cutoff`, `BD`); a `Device` turns those
names into numbers, says which channel each part listens on, how programs and
banks are picked, how late the device sounds and which software voice stands
in for it. Pure data: nothing here opens a port.
"""

from rig.devices.loader import DEVICE_KEYS, load_device, load_devices, read_device
from rig.devices.model import (
    BANK_SELECT_MODES,
    MODE_MESSAGES,
    ControlDef,
    Device,
    Lane,
    ProgramScheme,
)

__all__ = [
    "BANK_SELECT_MODES",
    "DEVICE_KEYS",
    "MODE_MESSAGES",
    "ControlDef",
    "Device",
    "Lane",
    "ProgramScheme",
    "load_device",
    "load_devices",
    "read_device",
]

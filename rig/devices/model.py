"""Frozen models of an outboard instrument's MIDI facts.

A `Device` is what `patches/devices/<id>.yaml` says about one synth or drum
machine: where it listens (base channel, parts), what its controllers are
called (`cutoff`, not 74), which notes trigger its drum lanes, how programs and
banks are selected, how late it sounds, and which software voice stands in for
it when it is not connected. Channels are 0-based here (the wire's view); the
YAML files count 1..16 as musicians do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rig.source import Pos, suggest

__all__ = [
    "BANK_SELECT_MODES",
    "MODE_MESSAGES",
    "ControlDef",
    "Lane",
    "ProgramScheme",
    "Device",
]

# How a device picks a bank before a Program Change: nothing, CC 0, CC 32, or both.
BANK_SELECT_MODES = ("none", "msb", "lsb", "msb+lsb")

# Controller numbers 120..127 are Channel Mode messages in the MIDI 1.0 spec, not
# controllers: a named "CC" there would reset, mute or re-mode the synth when
# automated. The output layer sends the ones it needs (all notes off) itself.
MODE_MESSAGES = {
    120: "All Sound Off",
    121: "Reset All Controllers",
    122: "Local Control",
    123: "All Notes Off",
    124: "Omni Off",
    125: "Omni On",
    126: "Mono On",
    127: "Poly On",
}


@dataclass(frozen=True)
class ControlDef:
    """A named Control Change: number and the value range the device accepts."""

    name: str
    number: int
    min: int = 0
    max: int = 127
    default: int | None = None

    def clamp(self, value: int) -> int:
        """The value limited to this controller's range."""
        return max(self.min, min(self.max, value))


@dataclass(frozen=True)
class Lane:
    """A drum lane: a named sound triggered by one note."""

    name: str
    note: int
    channel: int | None  # 0-based; None = the device's channel


@dataclass(frozen=True)
class ProgramScheme:
    """How many programs there are and how a bank is chosen before a Program Change."""

    count: int = 128  # 0 = the device has no program memories
    banks: int = 1
    bank_select: str = "none"  # one of BANK_SELECT_MODES


@dataclass(frozen=True)
class Device:
    """One instrument's MIDI facts, as loaded from patches/devices/<name>.yaml."""

    name: str  # the id, = file stem; what songs and config.yaml write
    title: str  # display name
    channel: int  # 0-based base channel; part N listens on channel + N - 1
    parts: int  # 1 unless multi-timbral
    voices: int  # polyphony
    ccs: Mapping[str, ControlDef]
    lanes: Mapping[str, Lane]
    programs: ProgramScheme
    latency_ms: float  # from receiving MIDI to sound; the scheduler sends this much early
    stand_in: str  # the software voice played when the device is not connected
    clock: bool  # follows MIDI clock by default
    note_low: int
    note_high: int
    source: Pos

    def cc(self, name: str) -> ControlDef:
        """The controller called `name`; KeyError (with a suggestion) if there is none."""
        try:
            return self.ccs[name]
        except KeyError:
            raise KeyError(
                f"device '{self.name}' has no CC '{name}'{suggest(name, self.ccs, 'CCs')}"
            ) from None

    def lane(self, name: str) -> Lane:
        """The drum lane called `name`; KeyError (with a suggestion) if there is none."""
        try:
            return self.lanes[name]
        except KeyError:
            raise KeyError(
                f"device '{self.name}' has no lane '{name}'{suggest(name, self.lanes, 'lanes')}"
            ) from None

    @property
    def is_drum(self) -> bool:
        return bool(self.lanes)

    def part_channel(self, part: int, base: int | None = None) -> int:
        """0-based channel of part `part` (1-based, as on the device's display).

        `base` is a 0-based base channel that overrides the device's own (config.yaml
        may move a device to another channel).
        """
        if not 1 <= part <= self.parts:
            raise ValueError(f"device '{self.name}' has parts 1..{self.parts}, not {part}")
        return (self.channel if base is None else base) + part - 1

    def lane_channel(self, lane: Lane, base: int | None = None) -> int:
        """0-based channel a lane's note goes out on; a lane without its own channel
        follows the device's channel (or `base`, when config.yaml overrides it)."""
        if lane.channel is not None:
            return lane.channel
        return self.channel if base is None else base

"""Build an instrument from a spec and apply arrangement events to it.

Shared by the offline renderer and the live player, so a track sounds the same in
both: the only difference is who decides *when* `apply` is called.
"""

from __future__ import annotations

from types import ModuleType

from rig.dsp.drums import DrumInstrument
from rig.dsp.instrument import Instrument
from rig.dsp.spec import VoiceSpec
from rig.dsp.synth import SynthInstrument
from rig.song.events import ControlChange, Event, NoteOff, NoteOn, ProgramChange

__all__ = ["build_instrument", "apply_event"]


def build_instrument(
    pyo: ModuleType, spec: VoiceSpec, moving: frozenset[str] | None = None
) -> Instrument:
    """The voice on the running (booted) pyo server; `.out` is its stereo output.
    `moving`: the parameters events will change (None: any, as live; see `Params`)."""
    if spec.mode == "drums":
        return DrumInstrument(pyo, spec, moving)
    return SynthInstrument(pyo, spec, moving)


def apply_event(instrument: Instrument, event: Event, at: float) -> None:
    """Play one event at stream time `at` (seconds); tempo/meter/section events are ignored."""
    if isinstance(event, NoteOn):
        instrument.note_on(event.note, event.velocity, at)
    elif isinstance(event, NoteOff):
        instrument.note_off(event.note, at)
    elif isinstance(event, ControlChange):
        instrument.control(event.name, event.control, event.value, at)
    elif isinstance(event, ProgramChange):
        instrument.program(event.program, at)

"""What every software voice shares: named parameters, CC/program handling, output stage.

An instrument is built once per track on a pyo server and then driven by events
(`note_on`, `note_off`, `control`, `program`) stamped with the stream time `at`
in seconds, which it uses to know when a voice slot has fallen silent: silent
slots are stopped, so pyo does not compute them (most of a pad's slots are idle
most of the time; this is what keeps offline renders well above real time).

The whole instrument rests too: once every slot is silent and its effects' tails
have rung out (`VoiceSpec.tail_seconds`), what runs whether or not a note plays —
effects, LFOs, noise, the mix of the slots — is stopped, and woken by the next
note-on on the block it plays. A show loads every instrument of the set while a
cue uses a few: the others then cost nothing (live, on JACK's real-time thread).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from rig.dsp.effects import build_effects
from rig.dsp.params import (
    CC_EXPRESSION,
    CC_VOLUME,
    EXPRESSION_NAMES,
    GAIN,
    VOLUME_NAMES,
    Params,
)
from rig.dsp.spec import VoiceSpec
from rig.dsp.switch import Switch
from rig.dsp.waves import WaveBank

__all__ = ["Instrument", "db_to_amp", "answers_cc", "PEDAL_NAMES", "VOLUME_NAMES"]

# Standard controllers a voice answers when it has no parameter of that name/number.
PEDAL_NAMES = ("sustain_pedal", "pedal", "hold", "damper")
CC_PEDAL = 64
CC_ALL_SOUND_OFF, CC_ALL_NOTES_OFF = 120, 123


def answers_cc(spec: VoiceSpec, name: str, number: int) -> bool:
    """Does a voice do anything with this CC? (What `Instrument.control` answers;
    `rig check` warns of the CCs a stand-in ignores.)"""
    return (
        spec.param_for_cc(name, number) is not None
        or name in VOLUME_NAMES + EXPRESSION_NAMES + PEDAL_NAMES
        or number in (CC_VOLUME, CC_EXPRESSION, CC_PEDAL, CC_ALL_SOUND_OFF, CC_ALL_NOTES_OFF)
    )


def db_to_amp(db: float) -> float:
    return 10.0 ** (db / 20.0)


class Instrument:
    """Base of synth and drum instruments: parameters, effects, level; subclasses play notes.

    Subclasses call `_finish(dry)` with their dry stereo signal at the end of `__init__`.
    """

    def __init__(self, pyo: ModuleType, spec: VoiceSpec, moving: frozenset[str] | None = None):
        """`moving`: the parameters events will change (None: any); see `Params`."""
        self.pyo = pyo
        self.spec = spec
        self.params = Params(pyo, spec, moving)
        self.unmatched: set[str] = set()  # CC names/numbers no parameter answered
        self.pedal = False
        self.out: Any = None
        # CC 7 and 11 scale the output; an offline render with neither has no stream for it.
        self._gain_moves = moving is None or GAIN in moving
        if self._gain_moves:
            self._volume = pyo.SigTo(1.0, time=0.02, init=1.0)
            self._expression = pyo.SigTo(1.0, time=0.02, init=1.0)
        self._resting_objects: list[Any] = []  # run only while the instrument sounds
        self._rest_switch: Switch | None = None
        self.resting = False
        self._quiet_since: float | None = None  # stream time every slot was found silent
        self.faulted = False  # live: its output went non-finite and was stopped
        self._tail = spec.tail_seconds()  # how long the effects may ring after the slots
        # Saw/square/triangle shapes from tables (rig.dsp.waves), shared by every oscillator.
        self.waves = WaveBank(pyo, 1.0 / pyo.sampsToSec(1))

    def rests(self, obj: Any) -> Any:
        """Register `obj` as one that only matters while the instrument sounds; returns it."""
        self._resting_objects.append(obj)
        return obj

    def _finish(self, dry: Any) -> None:
        wet = build_effects(
            self.pyo, dry, self.spec.effects, self.params, track=self.rests, waves=self.waves
        )
        pan = self.spec.pan
        gains = [min(1.0, 1.0 - pan), min(1.0, 1.0 + pan)]
        level = db_to_amp(self.spec.level)
        if self._gain_moves:
            gain = self._volume * self._expression
            self.out = self.pyo.Sig(wet, mul=[gain * (g * level) for g in gains])
        else:
            self.out = self.pyo.Sig(wet, mul=[g * level for g in gains])
        # Never played, nothing rings: rest from the start (a show's idle instruments cost
        # nothing). The switch is built here, not on the audio thread: collecting the
        # streams of a pad's effects and mixes is ~100 µs of Python.
        self._rest_switch = Switch(self._resting_objects)
        self._rest_switch.off()
        self.resting = True

    # -- events ----------------------------------------------------------------------

    def note_on(self, note: int, velocity: int, at: float) -> None:
        raise NotImplementedError

    def note_off(self, note: int, at: float) -> None:
        raise NotImplementedError

    def all_notes_off(self, at: float) -> None:
        raise NotImplementedError

    def housekeep(self, at: float) -> None:
        """Stop slots that have fallen silent by `at`; rest once the tails are over."""
        self._housekeep_slots(at)
        if self._sounding():
            self._quiet_since = None
        elif not self.resting:
            if self._quiet_since is None:
                self._quiet_since = at
            elif at - self._quiet_since >= self._tail:
                self._rest_switches().off()
                self.resting = True

    def wake(self) -> None:
        """Before a note: everything that rests runs again from this block."""
        if self.resting:
            self._rest_switches().on()
            self.resting = False
        self._quiet_since = None

    def _rest_switches(self) -> Switch:
        assert self._rest_switch is not None, "_finish() builds it"
        return self._rest_switch

    def _housekeep_slots(self, at: float) -> None:
        """Stop the slots (lanes) that have fallen silent by `at` (subclasses)."""

    def _sounding(self) -> bool:
        """True while a slot (lane) runs (subclasses)."""
        return True

    def _pedal_up(self, at: float) -> None:
        """Release notes the pedal was holding (synths override)."""

    def control(self, name: str, number: int, value: int, at: float) -> bool:
        """Apply a CC; False when nothing in this voice answers it."""
        spec = self.spec.param_for_cc(name, number)
        if spec is not None:
            self.params.set(spec, spec.from_cc(value))
            return True
        if name in VOLUME_NAMES + EXPRESSION_NAMES or (
            not name and number in (CC_VOLUME, CC_EXPRESSION)
        ):
            # Offline, the level streams exist when the track's events move them (`GAIN`).
            assert self._gain_moves, "moving_params saw no volume/expression CC"
        if name in VOLUME_NAMES or (not name and number == CC_VOLUME):
            # A squared curve as General MIDI recommends for CC 7; 127 is unity gain.
            self._volume.value = (value / 127.0) ** 2
            return True
        if name in EXPRESSION_NAMES or (not name and number == CC_EXPRESSION):
            self._expression.value = (value / 127.0) ** 2
            return True
        if name in PEDAL_NAMES or number == CC_PEDAL:
            down = value >= 64
            if self.pedal and not down:
                self.pedal = False
                self._pedal_up(at)
            self.pedal = down
            return True
        if number in (CC_ALL_SOUND_OFF, CC_ALL_NOTES_OFF):
            self.all_notes_off(at)
            return True
        self.unmatched.add(name or f"CC {number}")
        return False

    def program(self, number: int, at: float) -> bool:
        """Select a preset; False when the voice has no such program.

        A preset is complete: parameters it does not list go back to their defaults,
        so the sound after a program change never depends on earlier automation.
        """
        prog = self.spec.program(number)
        if prog is None:
            return False
        values = dict(prog.values)
        for spec in self.spec.params:
            self.params.set(spec, values.get(spec.name, spec.value))
        return True

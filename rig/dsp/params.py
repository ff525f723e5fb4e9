"""A voice's named parameters as smoothed pyo signals, with hooks for float-only settings.

Its own module because both the instrument (which owns one) and the effect chain
(which reads it) need it; in `rig.dsp.instrument` it tied the two in a circle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from rig.dsp.spec import ParamSpec, Value, VoiceSpec

__all__ = ["Params", "moving_params", "GAIN"]

# In `moving_params`' answer: CC 7 (volume) or 11 (expression) changes the voice's level.
GAIN = "@gain"
# The level controllers a voice answers when it has no parameter of that name/number
# (`Instrument.control`; here so `moving_params` knows them too).
VOLUME_NAMES = ("volume", "level")
EXPRESSION_NAMES = ("expression",)
CC_VOLUME, CC_EXPRESSION = 7, 11


class Params:
    """A voice's named parameters as smoothed pyo signals, plus hooks for float-only settings."""

    def __init__(self, pyo: ModuleType, spec: VoiceSpec, moving: frozenset[str] | None = None):
        """`moving`: the parameters events may change (None: any, as live). The others are
        plain numbers to pyo: a filter or reverb given a number computes its coefficients
        once a block, given a stream (even a constant one) once a sample (see
        `moving_params`; an offline render knows its events in advance)."""
        self.spec = spec
        self.pyo = pyo
        self.moving = moving
        self.values: dict[str, float] = {p.name: p.value for p in spec.params}
        # Made on first use: parameters only read by envelopes need no audio-rate stream.
        self.sigs: dict[str, Any] = {}
        self._setters: dict[str, Callable[[float], Any]] = {}
        self.hooks: dict[str, list[Callable[[float], None]]] = {}

    def signal(self, value: Value) -> Any:
        """A pyo signal (for a parameter) or the literal number."""
        if not isinstance(value, str):
            return float(value)
        if self.moving is not None and value not in self.moving:
            return float(self.values[value])
        if value not in self.sigs:
            # 20 ms smoothing: 7-bit CC steps would otherwise zipper audibly on cutoff sweeps.
            now = self.values[value]
            sig = self.pyo.SigTo(now, time=0.02, init=now)
            self.sigs[value] = sig
            # Its stream's C setter: `.value =` without pyo's Python checks (audio thread).
            (stream,) = sig._base_objs
            self._setters[value] = stream.setValue
        return self.sigs[value]

    def number(self, value: Value) -> float:
        return self.spec.resolve(value, self.values)

    def bind(self, value: Value, setter: Callable[[float], None]) -> None:
        """Call `setter` now, and whenever the parameter `value` names changes."""
        setter(self.number(value))
        if isinstance(value, str):
            self.hooks.setdefault(value, []).append(setter)

    def set(self, spec: ParamSpec, value: float) -> None:
        value = spec.clamp(value)
        if self.values.get(spec.name) == value:
            # Nothing moves: a program change re-sets every parameter, and each hook is
            # Python in the audio callback (live) — skip what would not change a sample.
            return
        self.values[spec.name] = value
        setter = self._setters.get(spec.name)
        if setter is not None:
            setter(value)
        for hook in self.hooks.get(spec.name, ()):
            hook(value)


def moving_params(
    spec: VoiceSpec, controls: Iterable[tuple[str, int, int] | int]
) -> frozenset[str]:
    """The parameters of `spec` whose value a track's events change, in order: each item a
    ControlChange as (name, number, value) or a ProgramChange's number. Replays what
    `Instrument.control`/`program` do to the values (a program sets every parameter, to
    its value or the default; setting a parameter to the value it has changes nothing),
    so the rest can be fixed numbers for the whole render. `GAIN` among them: a volume
    or expression CC changes the voice's level."""
    values = {p.name: p.value for p in spec.params}
    moving: set[str] = set()

    def put(name: str, value: float) -> None:
        if values[name] != value:
            values[name] = value
            moving.add(name)

    for item in controls:
        if isinstance(item, int):
            prog = spec.program(item)
            if prog is None:
                continue
            given = dict(prog.values)
            for p in spec.params:
                put(p.name, p.clamp(given.get(p.name, p.value)))
        else:
            name, number, value = item
            found = spec.param_for_cc(name, number)
            if found is not None:
                put(found.name, found.clamp(found.from_cc(value)))
            elif name in VOLUME_NAMES + EXPRESSION_NAMES or (
                not name and number in (CC_VOLUME, CC_EXPRESSION)
            ):
                moving.add(GAIN)
    return frozenset(moving)

"""A voice's named parameters as smoothed pyo signals, with hooks for float-only settings.

Its own module because both the instrument (which owns one) and the effect chain
(which reads it) need it; in `rig.dsp.instrument` it tied the two in a circle.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from rig.dsp.spec import ParamSpec, Value, VoiceSpec

__all__ = ["Params"]


class Params:
    """A voice's named parameters as smoothed pyo signals, plus hooks for float-only settings."""

    def __init__(self, pyo: ModuleType, spec: VoiceSpec):
        self.spec = spec
        self.pyo = pyo
        self.values: dict[str, float] = {p.name: p.value for p in spec.params}
        # Made on first use: parameters only read by envelopes need no audio-rate stream.
        self.sigs: dict[str, Any] = {}
        self._setters: dict[str, Callable[[float], Any]] = {}
        self.hooks: dict[str, list[Callable[[float], None]]] = {}

    def signal(self, value: Value) -> Any:
        """A pyo signal (for a parameter) or the literal number."""
        if not isinstance(value, str):
            return float(value)
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

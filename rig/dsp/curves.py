"""Curved envelopes and octave-scaled cutoffs without `powf` on every sample.

pyo's `Adsr.setExp(c)` bends an envelope by raising every sample to the power `c`
with libm's `powf`, in sustain as in the attack, and `Pow(2, x)` turns a filter's
cutoff modulation (envelope + LFO + key tracking, in octaves) into a factor the same
way: profiling the whole night's render put `powf` at ~8 % of the workers' CPU (13-16 %
of the drum kit's and the piano's, whose envelopes are curved). The same curves are
made here from cheaper operations: x³ as x·x·x, x^2.5 as x·x·√x (a product and a square
root per sample), 2^x as e^(x·ln 2) (`expf`, a few times cheaper than `powf`). They
differ from pyo's by float rounding (a few units in the last place); curves these
shortcuts do not cover keep pyo's `setExp`.

`Curves.exact = True` (class-wide) builds pyo's own `setExp` and `Pow` instead: the
reference `tests/dsp/test_render_cost.py` renders every voice against in the same run.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

__all__ = ["Curves", "Envelope", "octaves"]

LN2 = math.log(2.0)


class Curves:
    """How curves are computed: `exact` picks pyo's `powf` (the tests' reference)."""

    exact = False


def _split(curve: float) -> tuple[int, bool] | None:
    """`curve` as whole powers and a square root (3 → (3, False), 2.5 → (2, True)), or
    None when it is not a whole or half number from 1.5 to 4."""
    doubled = curve * 2.0
    if doubled != round(doubled) or not 3 <= doubled <= 8:
        return None
    return int(curve), doubled % 2 == 1


class Envelope:
    """`pyo.Adsr(attack, decay, sustain, release, dur=0)` bent by `curve` as `setExp(curve)`
    bends it, plus `add`.

    `adsr` is the envelope to trigger (`play`/`stop`) and set times on; `out` the signal
    to use; `parts` the pyo objects between them (run while the envelope is used). Its
    gain (`set_gain`, e.g. velocity) multiplies the curved envelope, as pyo's `mul` on a
    curved `Adsr` does: the linear one is given gain^(1/curve)."""

    def __init__(
        self, pyo: ModuleType, curve: float, attack: float, decay: float, sustain: float,
        release: float, add: float = 0.0,
    ):  # fmt: skip
        self.adsr = pyo.Adsr(attack, decay, sustain, release, dur=0)
        self.parts: list[Any] = []
        (stream,) = self.adsr._base_objs
        self._set_mul = stream.setMul  # the C setter: no pyo argument checks (audio thread)
        split = None if Curves.exact else _split(curve)
        if curve == 1.0 or split is None:
            self._power = 1.0
            if curve != 1.0:
                self.adsr.setExp(curve)
            if add != 0.0:
                self.adsr.add = add  # after the curve and the gain, as pyo's `add` is
            self.out = self.adsr
            return
        self._power = 1.0 / curve
        whole, root = split
        env = self.adsr
        factors = [env] * whole + ([self._part(pyo.Sqrt(env))] if root else [])
        product = factors[0]
        for factor in factors[1:-1]:
            product = self._part(pyo.Sig(product, mul=factor))
        self.out = self._part(pyo.Sig(product, mul=factors[-1], add=add))

    def _part(self, obj: Any) -> Any:
        self.parts.append(obj)
        return obj

    def set_gain(self, gain: float) -> None:
        self._set_mul(gain if self._power == 1.0 else gain**self._power)


def octaves(pyo: ModuleType, exponent: Any, base: Any) -> tuple[Any, list[Any]]:
    """`base · 2^exponent` (a cutoff moved by `exponent` octaves) and the pyo objects
    made for it."""
    if Curves.exact:
        power = pyo.Pow(2.0, exponent)
        scaled = power * base
        return scaled, [power, scaled]
    scaled = exponent * LN2
    power = pyo.Exp(scaled, mul=base)
    return power, [scaled, power]

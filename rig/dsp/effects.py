"""A voice's effect chain (drive, filter, chorus, delay, reverb) on a stereo pyo signal.

Effects run once per instrument, after the voices are summed, as on the hardware
(the Juno's chorus and the Virus's delay/reverb are per part, not per note).
Every setting may follow a named parameter, so CC automation reaches effects too.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from rig.dsp.spec import EffectSpec

if TYPE_CHECKING:
    from rig.dsp.instrument import Params

__all__ = ["build_effects"]


def build_effects(
    pyo: ModuleType, stereo: Any, effects: Sequence[EffectSpec], params: Params
) -> Any:
    """`stereo` (a 2-stream pyo object) through each effect in order."""
    signal = stereo
    for fx in effects:
        get = {key: params.signal(value) for key, value in fx.settings}
        if fx.kind == "drive":
            # Disto's drive near 1 is a hard clipper; keep it musical.
            wet = pyo.Disto(signal, drive=_scale(get["amount"], 0.9), slope=0.6, mul=0.7)
            signal = _blend(pyo, signal, wet, get["mix"])
        elif fx.kind == "filter":
            # A 12 dB state-variable lowpass on the whole part (the Rytm's filter, say).
            q = get["resonance"] * 9.3 + 0.7
            signal = pyo.SVF(signal, freq=get["cutoff"], q=q, type=0.0)
        elif fx.kind == "chorus":
            signal = _chorus(pyo, signal, get["rate"], get["depth"], get["mix"])
        elif fx.kind == "delay":
            # Left and right echo 8% apart: a little width without a ping-pong rhythm.
            time = get["time"]
            wet = pyo.Delay(
                signal, delay=[time, _scale(time, 1.08)], feedback=get["feedback"], maxdelay=2.2
            )
            signal = signal + wet * get["mix"]
        elif fx.kind == "reverb":
            # Freeverb above size 0.95 rings almost forever; cap it so tails end.
            size = _scale(get["size"], 0.95)
            signal = pyo.Freeverb(signal, size=size, damp=get["damp"], bal=get["mix"])
    return signal


def _scale(value: Any, factor: float) -> Any:
    return value * factor


def _blend(pyo: ModuleType, dry: Any, wet: Any, mix: Any) -> Any:
    return dry * (1.0 - mix) + wet * mix


def _chorus(pyo: ModuleType, signal: Any, rate: Any, depth: Any, mix: Any) -> Any:
    """Juno-style stereo chorus: one LFO sweeps the left delay up while the right goes down."""
    lfo = pyo.LFO(freq=rate, sharp=0.0, type=3)  # triangle, like the Juno's BBD clock
    swing = lfo * (depth * 0.0035)
    # 3.5 ms ± up to 3.5 ms: the bucket-brigade range of the Juno-60 chorus.
    delays = [swing + 0.0040, 0.0040 - swing]
    wet = pyo.Delay(signal, delay=delays, feedback=0.0, maxdelay=0.02)
    return signal * (1.0 - mix * 0.5) + wet * mix

"""A voice's effect chain (drive, filter, chorus, delay, reverb) on a stereo pyo signal.

Effects run once per instrument, after the voices are summed, as on the hardware
(the Juno's chorus and the Virus's delay/reverb are per part, not per note).
Every setting may follow a named parameter, so CC automation reaches effects too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from rig.dsp.params import Params
from rig.dsp.spec import EffectSpec
from rig.dsp.waves import Wave, WaveBank

__all__ = ["build_effects"]


def build_effects(
    pyo: ModuleType,
    stereo: Any,
    effects: Sequence[EffectSpec],
    params: Params,
    track: Callable[[Any], Any] = lambda obj: obj,
    waves: WaveBank | None = None,
) -> Any:
    """`stereo` (a 2-stream pyo object) through each effect in order. Every pyo
    object made here is passed to `track` (the instrument stops them while it rests);
    arithmetic on a parameter's number makes none. `waves`: the instrument's tables
    for the chorus's sweep (one is made when not given)."""
    t = track
    if waves is None:
        waves = WaveBank(pyo, 1.0 / pyo.sampsToSec(1))
    signal = stereo
    for fx in effects:
        get = {key: params.signal(value) for key, value in fx.settings}
        if fx.kind != "filter" and isinstance(get.get("mix"), float) and get["mix"] == 0.0:
            continue  # nothing of it is heard, and nothing will change that (see `Params`)
        if fx.kind == "drive":
            # Disto's drive near 1 is a hard clipper; keep it musical.
            drive = _scale(t, get["amount"], 0.9)
            wet = t(pyo.Disto(signal, drive=drive, slope=0.6, mul=0.7))
            signal = _blend(t, signal, wet, get["mix"])
        elif fx.kind == "filter":
            # A 12 dB state-variable lowpass on the whole part (the Rytm's filter, say).
            q = _op(t, _op(t, get["resonance"] * 9.3) + 0.7)
            signal = t(pyo.SVF(signal, freq=get["cutoff"], q=q, type=0.0))
        elif fx.kind == "chorus":
            rate = get["rate"]
            top = params.spec.upper(fx.get("rate", 0.5))
            sweep = t(Wave(waves, "triangle", rate, 0.0, nominal=top, align=False).out)
            signal = _chorus(pyo, t, signal, sweep, get["depth"], get["mix"])
        elif fx.kind == "delay":
            # Left and right echo 8% apart: a little width without a ping-pong rhythm.
            time = get["time"]
            wet = t(
                pyo.Delay(
                    signal,
                    delay=[time, _scale(t, time, 1.08)],
                    feedback=get["feedback"],
                    maxdelay=2.2,
                )
            )
            signal = t(signal + t(wet * get["mix"]))
        elif fx.kind == "reverb":
            # Freeverb above size 0.95 rings almost forever; cap it so tails end.
            size = _scale(t, get["size"], 0.95)
            signal = t(pyo.Freeverb(signal, size=size, damp=get["damp"], bal=get["mix"]))
        elif fx.kind == "formant":
            signal = _formant(pyo, t, signal, get)
    return signal


# Relative levels of the three formants (an open vowel: F2 and F3 weaker than F1) and their
# width: about a tenth of the centre frequency, as a sung vowel's.
_FORMANT_GAINS = (1.0, 0.6, 0.3)
_FORMANT_Q = 8.0


def _formant(pyo: ModuleType, track: Callable[[Any], Any], signal: Any, get: dict) -> Any:
    """Three band-passes in parallel (a vocal tract's resonances), blended with the dry sound."""
    t = track
    bands = [
        t(pyo.Biquadx(signal, freq=get[key], q=_FORMANT_Q, type=2, stages=2, mul=gain * 2.5))
        for key, gain in zip(("f1", "f2", "f3"), _FORMANT_GAINS, strict=True)
    ]
    wet = t(t(bands[0] + bands[1]) + bands[2])
    return _blend(t, signal, wet, get["mix"])


def _op(track: Callable[[Any], Any], result: Any) -> Any:
    """`result` of arithmetic: a pyo object (tracked) or a plain number."""
    return result if isinstance(result, int | float) else track(result)


def _scale(track: Callable[[Any], Any], value: Any, factor: float) -> Any:
    return _op(track, value * factor)


def _blend(track: Callable[[Any], Any], dry: Any, wet: Any, mix: Any) -> Any:
    t = track
    return t(t(dry * _op(t, 1.0 - mix)) + t(wet * mix))


def _chorus(
    pyo: ModuleType, track: Callable[[Any], Any], signal: Any, lfo: Any, depth: Any, mix: Any
) -> Any:
    """Juno-style stereo chorus: one LFO (`lfo`, a triangle like the Juno's BBD clock,
    pyo's LFO shape with sharpness 0 from a table) sweeps the left delay up while the
    right goes down."""
    t = track
    swing = t(lfo * _op(t, depth * 0.0035))
    # 3.5 ms ± up to 3.5 ms: the bucket-brigade range of the Juno-60 chorus.
    delays = [t(swing + 0.0040), t(0.0040 - swing)]
    wet = t(pyo.Delay(signal, delay=delays, feedback=0.0, maxdelay=0.02))
    dry_level = _op(t, 1.0 - _op(t, mix * 0.5))
    return t(t(signal * dry_level) + t(wet * mix))

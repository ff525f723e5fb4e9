"""The live master chain: the instruments' mix → a fast limiter → a clip, with a fader.

Live has no second pass to set the level as `rig render` has, so a limiter holds a
pile-up of voices near the threshold and a clip catches what its attack lets
through. The chain is rebuilt when a voice comes or goes (hot reload, the guard);
old and new are crossfaded by their faders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MasterChain", "build_master", "LIMIT_DBFS", "LIMIT_LOOKAHEAD_MS"]

# The live master never goes above this (render normalises its files to the same peak).
LIMIT_DBFS = -1.0
LIMIT_LOOKAHEAD_MS = 1.0
# The old and new chains carry the same signals while they cross (the voice that comes
# or goes is silent), so the crossfade only hides what their limiters' states differ by.
_REMIX_FADE_S = 0.005


@dataclass
class MasterChain:
    """The master chain: `mix` of the instruments → `limiter` → `out`, scaled by `fade`."""

    mix: Any
    limiter: Any
    out: Any
    fade: Any
    faulted: bool = False  # its output went non-finite and was stopped


def build_master(
    pyo: Any, instruments: Sequence[Any], level: float, gain: float, limit: bool
) -> MasterChain:
    """Mix → limiter → clip over `instruments` at `level` (a 0..1 fader), `gain` the
    master level; without `limit` (a test showing what it holds) mix → fader only."""
    outs = [inst.out for inst in instruments]
    fade = pyo.SigTo(level, time=_REMIX_FADE_S, init=level)
    if not outs:
        mix = pyo.Sig([0.0, 0.0])
        return MasterChain(mix, None, mix, fade)
    if not limit:
        mix = pyo.Mix(outs, voices=2, mul=fade * gain)
        return MasterChain(mix, None, mix, fade)
    mix = pyo.Mix(outs, voices=2, mul=gain)
    # Live has no second pass to set the level as `rig render` has. A fast
    # compressor holds a pile-up of voices near the threshold; the clip catches
    # what its attack lets through. Its look-ahead delays the voices (pyo's
    # shortest is 1 ms; asked for less it delays 25 ms, measured): events are
    # applied that much earlier (`_early_ns`), so the voices stay on the hardware's frame.
    limiter = pyo.Compress(
        mix, thresh=LIMIT_DBFS - 2, ratio=20, risetime=0.001, falltime=0.08,
        lookahead=LIMIT_LOOKAHEAD_MS, knee=0.2,
    )  # fmt: skip
    ceiling = 10 ** (LIMIT_DBFS / 20)
    out = pyo.Clip(limiter, min=-ceiling, max=ceiling, mul=fade)
    return MasterChain(mix, limiter, out, fade)

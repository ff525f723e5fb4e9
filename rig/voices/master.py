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

__all__ = ["MasterChain", "build_master", "limit_lookahead_frames", "LIMIT_DBFS"]

# The live master never goes above this (render normalises its files to the same peak).
LIMIT_DBFS = -1.0
# The limiter looks ahead one audio block (= one JACK period), so its delay is a whole
# block and the player applies events exactly one block early: a stand-in's onset
# lands on the first frame of the block its MIDI frame falls in. A 1 ms look-ahead
# (48 frames) could not be compensated on a 64-frame block grid: onsets came 41
# frames before the MIDI (measured in freewheel). Above this many frames a block of
# look-ahead (and applying a block early) would outrun the engine's 15 ms lookahead:
# there the look-ahead stays 1 ms, and onsets are within a block of the MIDI.
_BLOCK_LOOKAHEAD_MAX = 256
_SHORT_LOOKAHEAD_MS = 1.0
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


def limit_lookahead_frames(block: int, rate: int) -> int:
    """The limiter's look-ahead (its delay) in frames for pyo blocks of `block` frames."""
    if block <= _BLOCK_LOOKAHEAD_MAX:
        return block
    return int(_SHORT_LOOKAHEAD_MS * rate / 1000)


def build_master(
    pyo: Any,
    instruments: Sequence[Any],
    level: float,
    gain: float,
    limit: bool,
    lookahead_frames: int = 48,
    rate: int = 48000,
) -> MasterChain:
    """Mix → limiter → clip over `instruments` at `level` (a 0..1 fader), `gain` the
    master level; without `limit` (a test showing what it holds) mix → fader only.
    The limiter delays the voices by `lookahead_frames` at `rate`."""
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
    # what its attack lets through. Its look-ahead delays the voices by
    # int(ms * rate / 1000) frames (measured, pyo 1.0.5: 1 ms → 48, 64/48 ms → 64):
    # asked for half a frame more than `lookahead_frames`, it delays exactly that many.
    # The player applies events that much earlier (rig.voices.player).
    lookahead_ms = (lookahead_frames + 0.5) * 1000 / rate
    limiter = pyo.Compress(
        mix, thresh=LIMIT_DBFS - 2, ratio=20, risetime=0.001, falltime=0.08,
        lookahead=lookahead_ms, knee=0.2,
    )  # fmt: skip
    ceiling = 10 ** (LIMIT_DBFS / 20)
    out = pyo.Clip(limiter, min=-ceiling, max=ceiling, mul=fade)
    return MasterChain(mix, limiter, out, fade)

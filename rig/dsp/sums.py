"""Summing pyo signals without `pyo.Mix`'s per-block Python calls.

pyo's `Mix` asks each of its inputs for its stream by method name on every block
(`PyObject_CallMethod(input, "_getStream")` in `Mix_compute_next_data_frame`: a C
string decoded, hashed and looked up, a bound method made and freed, per input per
block). A drum kit mixes 12 lanes twice, and every synth slot its oscillators: `perf`
of Inferno's five tracks put 5.6 % of the render's CPU under those calls. `mix` sums
the same streams with pyo's arithmetic objects instead (`a + b` makes a C `Dummy`
that holds its inputs' streams), which compute in C only.

The result is the same sample for sample: `Mix` sums its inputs in list order into a
zeroed float buffer (0 + a, then + b, ...), the chain computes a + b, then + c, in the
same order and precision (`tests/dsp/test_sums.py`). Inputs are spread over `voices`
outputs as `Mix` spreads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = ["mix", "summed"]


def mix(pyo: ModuleType, inputs: Sequence[Any], voices: int = 1) -> tuple[Any, list[Any]]:
    """`pyo.Mix(inputs, voices=voices)` as sums: (the mixed object, the objects made
    for the partial sums, which the caller starts and stops with the result).

    Every stream of every input goes to output ``i % voices`` (`Mix`'s rule); with
    fewer streams than voices the streams repeat. An output of one stream is a copy
    of it (x × 1, exact), as `Mix` makes one: the result starts and stops on its own,
    never its input."""
    from pyo.lib._core import Dummy

    streams = [base for obj in inputs for base in obj.getBaseObjects()]
    if not streams:
        raise ValueError("nothing to mix")
    voices = max(1, voices)
    groups: list[list[Any]] = [[] for _ in range(voices)]
    for i in range(max(len(streams), voices)):
        groups[i % voices].append(streams[i % len(streams)])
    outs: list[Any] = []
    partial: list[Any] = []
    for group in groups:
        if len(group) == 1:
            outs.append(group[0] * 1.0)  # a C Dummy: its input's stream, mul 1
            continue
        total = group[0] + group[1]  # a C Dummy: the first stream, `add` the second's
        for stream in group[2:]:
            partial.append(total)
            total = total + stream
        outs.append(total)
    return Dummy(outs), [Dummy(partial)] if partial else []


def summed(
    pyo: ModuleType, inputs: Sequence[Any], voices: int, keep: Callable[[Any], object]
) -> Any:
    """`mix`, with every object it made (the partial sums, then the result) passed to
    `keep` (the instrument's list or rest switch, which starts and stops them with
    it); the result."""
    out, made = mix(pyo, inputs, voices)
    for obj in [*made, out]:
        keep(obj)
    return out

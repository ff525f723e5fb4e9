"""Bar arithmetic: bar.beat of a tick and back, and where a quantized live action lands
(the next beat, bar, section end or cue end).

Pure functions of a cue's sections (meters) and a tick. The engine asks for the
first boundary at or after the first tick the scheduler has not handed over yet,
so the change lands exactly on that boundary's tick (see `rig.engine.cueview`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rig.song.arrangement import SectionSpan
from rig.song.events import PPQ

__all__ = ["QUANTIZE", "boundary", "check_quantize", "bar_beat", "tick_of"]

# now: the first tick not yet scheduled (a lookahead, ~15 ms, from now)
QUANTIZE = ("now", "beat", "bar", "section", "cue")


def check_quantize(value: str) -> str:
    if value not in QUANTIZE:
        raise ValueError(f"unknown quantize '{value}' (choose from: {', '.join(QUANTIZE)})")
    return value


def _grid(span_start: int, step: int, tick: int) -> int:
    """The first tick of the grid span_start + k·step that is >= tick."""
    into = tick - span_start
    return span_start + -(-into // step) * step


def boundary(sections: Sequence[SectionSpan], length: int, tick: int, quantize: str) -> int:
    """The first `quantize` boundary at or after `tick`, never past `length` (the cue end).

    Beats and bars follow each section's meter, counted from the section's start;
    past the last section the last meter goes on; a cue without sections is 4/4.
    """
    check_quantize(quantize)
    tick = max(0, tick)
    if quantize == "now":
        return min(tick, length)
    if quantize == "cue" or tick >= length:
        return length
    if quantize == "section":
        starts = [s.start_tick for s in sections] + [s.end_tick for s in sections]
        later = [t for t in starts if t >= tick]
        return min([*later, length])
    span = next((s for s in sections if s.start_tick <= tick < s.end_tick), None)
    if span is None and sections and tick >= sections[-1].end_tick:
        span = sections[-1]
    if span is None:
        start, numerator, denominator, end = 0, 4, 4, length
    else:
        start, numerator, denominator = span.start_tick, span.numerator, span.denominator
        end = span.end_tick if tick < span.end_tick else length
    beat = PPQ * 4 // denominator
    step = beat if quantize == "beat" else beat * numerator
    return min(_grid(start, step, tick), end, length)


def bar_beat(arrangement: Any, tick: int) -> tuple[int, int]:
    """1-based (bar, beat) of `tick`, beats in the bar's meter (`arrangement`: an
    Arrangement, or anything with its `sections`, like the engine's cue view)."""
    for span in arrangement.sections:
        if span.start_tick <= tick < span.end_tick:
            into = tick - span.start_tick
            beat_ticks = PPQ * 4 // span.denominator
            bar = span.start_bar + into // span.bar_ticks
            return bar, (into % span.bar_ticks) // beat_ticks + 1
    if arrangement.sections:
        last = arrangement.sections[-1]
        into = tick - last.start_tick
        beat_ticks = PPQ * 4 // last.denominator
        return last.start_bar + into // last.bar_ticks, (into % last.bar_ticks) // beat_ticks + 1
    return tick // (4 * PPQ) + 1, (tick % (4 * PPQ)) // PPQ + 1


def tick_of(arrangement: Any, bar: int, beat: int = 1) -> int:
    """The tick where 1-based `beat` of 1-based `bar` starts (the inverse of `bar_beat`)."""
    start = arrangement.bar_tick(bar)
    denominator = 4
    for span in arrangement.sections:
        if span.start_tick <= start:
            denominator = span.denominator
    return start + (beat - 1) * (PPQ * 4 // denominator)

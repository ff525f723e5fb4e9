"""Set transitions on compiled cues: a tempo lead into the next cue and a count-in.

A set entry's `tempo: {to: 122, over: 4 bars}` makes the last 4 bars of its cue a
linear ramp (per beat, integrated exactly like a section ramp) from the tempo there
to 122, ending on the cue's last tick; `count_in: 1 bar` puts bars before its cue at
the cue's opening tempo and meter, silent or with a click on one of the cue's tracks.

Both are applied to the `Arrangement` itself (its events, tempo map and sections), so
everything that plays a set — `rig render`, `rig play`, `rig live`, hot reload, the
picture — hears the same transition, on exact integer ticks. The count-in is a section
named `count-in` whose bars are numbered up to 0: the cue's own bar 1 stays bar 1.
Pure: no I/O, nothing kept.
"""

from __future__ import annotations

import dataclasses

from rig.song.arrangement import Arrangement, ChordSpan, SectionSpan
from rig.song.events import (
    PPQ,
    Event,
    MeterChange,
    NoteOff,
    NoteOn,
    ProgramChange,
    SectionStart,
    TempoChange,
)
from rig.song.tempomap import TempoMap, TempoSegment
from rig.source.errors import InputError, Pos, SourceError

__all__ = ["lead_into", "count_in", "bar_starts", "COUNT_IN", "CLICK_VELOCITY"]

COUNT_IN = "count-in"  # the name of the count-in section
CLICK_VELOCITY = (120, 80)  # the first beat of a count-in bar, the others
CLICK_GATE = PPQ // 4  # a click lasts a 1/16 note


def bar_starts(arrangement: Arrangement) -> list[int]:
    """Tick of every bar line of the cue, in order (its sections' meters)."""
    out: list[int] = []
    for span in arrangement.sections:
        out += range(span.start_tick, span.end_tick, span.bar_ticks)
    return out


def _rebuild(
    base: Arrangement,
    events: list[Event],
    tempo: TempoMap,
    sections: tuple[SectionSpan, ...] | list[SectionSpan] | None = None,
    length_ticks: int | None = None,
    harmony: list[ChordSpan] | None = None,
) -> Arrangement:
    """A copy of `base` with new events and tempo (and sections, length, harmony if given)."""
    return Arrangement(
        base.name,
        events,
        tempo,
        base.sections if sections is None else sections,
        base.tracks,
        base.length_ticks if length_ticks is None else length_ticks,
        source=base.source,
        key=base.key,
        warnings=base.warnings,
        timecode=base.timecode,  # bar 1 stays spotted (a count-in runs before it)
        harmony=base.harmony if harmony is None else harmony,
    )


def lead_into(
    arrangement: Arrangement, to_bpm: float, over_bars: int, pos: Pos, warn: str = ""
) -> Arrangement:
    """The cue with its last `over_bars` bars ramping to `to_bpm` (InputError at `pos`
    when the cue is shorter); `warn`: a warning to add (a tempo step after the ramp)."""
    bars = bar_starts(arrangement)
    if over_bars > len(bars):
        raise InputError(
            [
                SourceError(
                    pos,
                    f"tempo: over {over_bars} bars, but '{arrangement.name}' has only "
                    f"{len(bars)} bars",
                )
            ]
        )
    start, end = bars[len(bars) - over_bars], arrangement.length_ticks
    out = _lead(arrangement, start, end, to_bpm)
    if arrangement.fill_variant is not None:
        out.fill_variant = _lead(arrangement.fill_variant, start, end, to_bpm)
    if warn:
        out.warnings = (*out.warnings, SourceError(pos, f"warning: {warn}"))
    return out


def _lead(arrangement: Arrangement, start: int, end: int, to_bpm: float) -> Arrangement:
    old = arrangement.tempo
    from_bpm = old.bpm_at(start)
    segments: list[TempoSegment] = []
    for seg in old.segments:
        if seg.start_tick >= start:
            break
        if seg.end_tick is not None and seg.end_tick > start:  # a ramp cut where the lead begins
            seg = TempoSegment(seg.start_tick, seg.bpm, seg.bpm_at(start), start)
        segments.append(seg)
    segments.append(TempoSegment(start, from_bpm, to_bpm, end))
    events: list[Event] = []
    for event in arrangement.events:
        if isinstance(event, TempoChange):
            if event.tick >= start:
                continue
            if event.until_tick is not None and event.until_tick > start:
                at = old.bpm_at(start)
                event = dataclasses.replace(event, to_bpm=at, until_tick=start)
        events.append(event)
    events.append(TempoChange(start, from_bpm, to_bpm, end))
    return _rebuild(arrangement, events, TempoMap(segments))


def count_in(
    arrangement: Arrangement, bars: int, click: tuple[str, int, int] | None = None
) -> Arrangement:
    """The cue with `bars` bars before it, at its opening tempo and meter; `click`:
    (track, channel, note) struck on every beat of them, the first of a bar louder."""
    out = _count_in(arrangement, bars, click)
    if arrangement.fill_variant is not None:
        out.fill_variant = _count_in(arrangement.fill_variant, bars, click)
    return out


def _count_in(
    arrangement: Arrangement, bars: int, click: tuple[str, int, int] | None
) -> Arrangement:
    first = arrangement.sections[0] if arrangement.sections else None
    numerator, denominator = (first.numerator, first.denominator) if first else (4, 4)
    bar_ticks = PPQ * 4 * numerator // denominator
    shift = bars * bar_ticks
    bpm = arrangement.tempo.bpm_at(0)
    events: list[Event] = [
        TempoChange(0, bpm),
        MeterChange(0, numerator, denominator),
        SectionStart(0, COUNT_IN, 1 - bars),
    ]
    for event in arrangement.events:
        if event.tick == 0 and isinstance(event, ProgramChange):
            events.append(event)  # the synths change patch during the count-in, not on the one
            continue
        moved = {"tick": event.tick + shift}
        if isinstance(event, TempoChange) and event.until_tick is not None:
            moved["until_tick"] = event.until_tick + shift
        events.append(dataclasses.replace(event, **moved))  # type: ignore[arg-type]
    if click is not None:
        track, channel, note = click
        beat = PPQ * 4 // denominator
        for n, tick in enumerate(range(0, shift, beat)):
            velocity = CLICK_VELOCITY[0 if n % numerator == 0 else 1]
            events.append(NoteOn(tick, track, channel, note, velocity))
            events.append(NoteOff(tick + min(CLICK_GATE, beat), track, channel, note))
    segments = [TempoSegment(0, bpm, bpm, None)] + [
        TempoSegment(s.start_tick + shift, s.bpm, s.end_bpm, _moved(s.end_tick, shift))
        for s in arrangement.tempo.segments
    ]
    spans = [SectionSpan(COUNT_IN, 0, shift, 1 - bars, bars, numerator, denominator)] + [
        dataclasses.replace(s, start_tick=s.start_tick + shift, end_tick=s.end_tick + shift)
        for s in arrangement.sections
    ]
    return _rebuild(
        arrangement,
        events,
        TempoMap(segments),
        sections=spans,
        length_ticks=arrangement.length_ticks + shift,
        harmony=[
            dataclasses.replace(c, start_tick=c.start_tick + shift, end_tick=c.end_tick + shift)
            for c in arrangement.harmony
        ],
    )


def _moved(tick: int | None, shift: int) -> int | None:
    return None if tick is None else tick + shift

"""`rig import`'s writing half: the parts of an SMF as a readable song in rig's language.

Each note lands on the nearest step of the chosen grid; what is left over is kept
as the step's micro-timing (`>0.35`, in 24ths of a step, decimals down to a tick),
its length as ties (`~`) plus, where the pattern's `gate` does not give it, the
step's own gate (`=97.92%`), its velocity as `:V` where it is not the pattern's
`velocity`. Notes struck together with one velocity, timing and length are one
chord step (`C4+E4+G4`); notes that cannot share a step string (two on one step
with different lengths, a note struck under a held one) go to a second layer: a
second pattern on the same track.

Every choice is the exact inverse of `rig.song.steps.nudge_ticks`/`held_ticks`,
so `rig export` of the written song gives back the same ticks: export → import →
export is the identity on notes (pitch, start, length, velocity, channel).

Sections follow the file: a section starts at every marker and time-signature
change (and at a tempo step on a bar line); a section's bars that repeat are
written once and loop (`rig.song.compile` restarts patterns at each section).
Tempo changes inside a section are written as a ramp from its first to its last
tempo (the notes' ticks are exact either way).
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from rig.midi.smfread import SmfError, SmfNote, SmfPart, SmfSong
from rig.midi.smfsteps import (
    DEFAULT_GATE,
    bars_text,
    decimal_text,
    grid_ticks,
    layers,
    pattern_gate,
    period,
    shortest_decimal,
    token,
)
from rig.song.context import MAX_BPM, MIN_BPM
from rig.song.events import PPQ

__all__ = ["ImportOptions", "song_yaml", "select_parts", "grid_ticks", "shortest_decimal"]

_US_PER_MINUTE = 60_000_000
_DEFAULT_VELOCITY = 100


@dataclass(frozen=True)
class ImportOptions:
    grid: Fraction = Fraction(1, 16)
    bars: tuple[int, int] | None = None  # 1-based, inclusive, the file's bars
    source: str = ""  # how the file was named, for the header comment


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _q(text: str) -> str:
    """A YAML scalar for `text`: plain when safe, else double-quoted (JSON is valid YAML)."""
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _bpm(us: int) -> str:
    bpm = Fraction(_US_PER_MINUTE, max(1, us))
    bpm = min(max(bpm, Fraction(MIN_BPM)), Fraction(MAX_BPM))
    return decimal_text(Fraction(round(bpm * 100), 100))


def _key(name: str | None) -> str | None:
    if not name:
        return None
    minor = name.endswith("m")
    return f"{name[:-1] if minor else name} {'minor' if minor else 'major'}"


def select_parts(song: SmfSong, track: str | None) -> list[SmfPart]:
    """All parts, or those of `--track N` (the N-th track with notes) / `--track NAME`."""
    if track is None:
        return song.parts
    numbers = sorted({p.track for p in song.parts})
    if track.isdigit():
        n = int(track)
        if not 1 <= n <= len(numbers):
            raise SmfError(f"--track {n}: the file has {len(numbers)} tracks with notes")
        return [p for p in song.parts if p.track == numbers[n - 1]]
    chosen = [p for p in song.parts if p.name == track or p.name.split(" ch")[0] == track]
    if not chosen:
        names = ", ".join(p.name for p in song.parts) or "none"
        raise SmfError(f"--track {track}: no track of that name (tracks with notes: {names})")
    return chosen


def _lines_inside(note: SmfNote, starts: list[int]) -> list[int]:
    """The bar lines a note sounds across (struck before, let go after); `starts` sorted."""
    return starts[bisect.bisect_right(starts, note.on) : bisect.bisect_left(starts, note.off)]


@dataclass
class _Section:
    start: int
    end: int
    first_bar: int  # the file's bar number
    bars: int
    meter: tuple[int, int]
    name: str


def _sections(song: SmfSong, first: int, last: int, held: set[int]) -> list[_Section]:
    """Sections of bars `first`..`last`: one from each meter change, and from each marker
    and tempo step on a bar line that no note in `held` (ticks) sounds across."""
    starts = song.bar_starts(song.end)
    _, num, den = song.meters[-1]
    while len(starts) <= last:  # bars past the file's end go on in its last meter
        starts.append(starts[-1] + PPQ * 4 * num // den)
    bar_of = {tick: n + 1 for n, tick in enumerate(starts)}
    marks = {tick: text for tick, text in song.markers}
    cuts = {first}
    for tick, *_ in song.meters:
        if tick in bar_of:
            cuts.add(bar_of[tick])
    cuts.update(bar_of[t] for t in marks if t in bar_of and t not in held)
    tempo_ticks = sorted(t for t, _ in song.tempi)
    for i, tick in enumerate(tempo_ticks):  # a step change on a bar line (not a ramp)
        if tick in bar_of and tick not in held:
            nxt_bar = starts[min(len(starts) - 1, bar_of[tick])]
            if i + 1 == len(tempo_ticks) or tempo_ticks[i + 1] >= nxt_bar:
                cuts.add(bar_of[tick])
    bars = sorted(b for b in cuts if first <= b <= last)
    out = []
    for n, bar in enumerate(bars):
        stop = bars[n + 1] if n + 1 < len(bars) else last + 1
        start = starts[bar - 1]
        meter = song.meter_at(start)
        name = marks.get(start) or f"bar {bar}"
        out.append(_Section(start, starts[stop - 1], bar, stop - bar, meter, name))
    return out


def _lanes_body(
    notes: list[SmfNote],
    section: _Section,
    per_bar: int,
    step: int,
    names: dict[int, str],
    mark: str,
) -> tuple[int, Fraction, str] | None:
    """A drum part as `lanes:` (velocity, gate, text), or None when a note has no lane or
    one lane would need two layers (a flam inside one step)."""
    if not names or any(n.pitch not in names for n in notes):
        return None
    steps = section.bars * per_bar
    by_pitch: dict[int, list] = {}
    for pitch in sorted({n.pitch for n in notes}):
        drawn = layers([n for n in notes if n.pitch == pitch], section.start, steps, step)
        if len(drawn) != 1:
            return None
        by_pitch[pitch] = drawn[0]
    hits = [h for layer in by_pitch.values() for h in {id(h): h for h in layer if h}.values()]
    velocity = Counter(h.velocity for h in hits).most_common(1)[0][0]
    gate = pattern_gate(hits, step)
    beat = PPQ // step if PPQ % step == 0 and PPQ // step > 1 else per_bar
    lanes = {}
    for pitch, layer in by_pitch.items():
        tokens = [token(h, i, velocity, gate, step, hit_only=True) for i, h in enumerate(layer)]
        lanes[names[pitch]] = [
            " ".join("".join(bar[i : i + beat]) for i in range(0, len(bar), beat))
            for bar in (tokens[b : b + per_bar] for b in range(0, steps, per_bar))
        ]
    text = "    lanes:\n"  # each lane loops on its own length (polymeter when they differ)
    for name, bars in lanes.items():
        lines = bars[: period(bars)]
        text += f"      {name}: >-\n" + "".join(f"        {b}{mark}\n" for b in lines)
    return velocity, gate, text


def song_yaml(
    song: SmfSong,
    parts: list[SmfPart],
    options: ImportOptions,
    tracks: dict[str, str],
    lanes: dict[str, dict[int, str]] | None = None,
) -> tuple[str, list[str]]:
    """The song text, and notes for the user (notes left out or cut).

    `tracks` maps a part name to its track line's inside (`device: gm, channel: 3`);
    `lanes` a drum part's name to its device's lanes (note → name) on its channel: a
    part whose every note has a lane is written as `lanes:` (`BD: "X... x..."`).
    """
    step = grid_ticks(options.grid)
    remarks: list[str] = []
    # A tempo that is no whole number of µs (174 bpm) is written as two alternating values
    # (rig.midi.smf): one tempo as written here, so not a tempo change.
    tempi: list[tuple[int, int]] = []
    for tick, us in song.tempi:
        if not tempi or _bpm(us) != _bpm(tempi[-1][1]):
            tempi.append((tick, us))
    song = dataclasses.replace(song, tempi=tempi)
    if not any(p.notes for p in parts):
        raise SmfError(f"{options.source}: no notes to import")
    ends = [n.off for p in parts for n in p.notes] + [song.end]  # the file's own length
    starts = song.bar_starts(max(max(ends), 1))
    last_bar = max(1, len(starts) - 1)
    first, last = options.bars or (1, last_bar)
    if first > last_bar:
        raise SmfError(f"--bars {first}-{last}: the file has {last_bar} bars")
    held = {t for p in parts for n in p.notes for t in _lines_inside(n, starts)}
    sections = _sections(song, first, last, held)
    lo, hi = sections[0].start, sections[-1].end
    for s in sections:
        bar = PPQ * 4 * s.meter[0] // s.meter[1]
        if bar % step:
            raise SmfError(
                f"grid {options.grid} does not fit a {s.meter[0]}/{s.meter[1]} bar "
                f"(bar {s.first_bar}): choose a grid that divides the bar"
            )
        if not (1 <= s.meter[0] <= 32 and s.meter[1] <= 32):
            raise SmfError(f"time signature {s.meter[0]}/{s.meter[1]} (bar {s.first_bar}) "
                           "is outside rig's meters (1..32 / 1..32)")  # fmt: skip

    patterns: dict[str, tuple[str, str]] = {}  # name -> (body, dedupe key)
    by_key: dict[str, str] = {}
    plays: list[list[str]] = [[] for _ in sections]
    left, cut = 0, 0
    for part in parts:
        slug = re.sub(r"[^\w\-]+", "-", part.name).strip("-") or "part"
        count = 0
        inside = [n for n in part.notes if lo <= n.on < hi]
        left += len(part.notes) - len(inside)
        for k, section in enumerate(sections):
            notes = []
            for n in inside:
                if section.start <= n.on < section.end:
                    if n.off > section.end:
                        cut += 1
                        n = SmfNote(n.on, section.end, n.pitch, n.velocity)
                    notes.append(n)
            if not notes:
                continue
            per_bar = PPQ * 4 * section.meter[0] // section.meter[1] // step
            # `|` is checked against the song's meter: only in sections of that meter
            mark = " |" if section.meter == sections[0].meter else ""
            lane_names = (lanes or {}).get(part.name, {})
            drawn = _lanes_body(notes, section, per_bar, step, lane_names, mark)
            bodies = [] if drawn is None else [drawn]
            steps = section.bars * per_bar
            for layer in [] if drawn else layers(notes, section.start, steps, step):
                hits = list({id(h): h for h in layer if h is not None}.values())
                velocity = Counter(h.velocity for h in hits).most_common(1)[0][0]
                gate = pattern_gate(hits, step)
                tokens = [token(h, i, velocity, gate, step) for i, h in enumerate(layer)]
                bars = bars_text(tokens, per_bar)
                bars = bars[: period(bars)]
                lines = "".join(f"      {b}{mark}\n" for b in bars)
                bodies.append((velocity, gate, "    steps: >-\n" + lines))
            for velocity, gate, text in bodies:
                head = f"    track: {_q(part.name)}\n    rate: {options.grid}\n"
                if velocity != _DEFAULT_VELOCITY:
                    head += f"    velocity: {velocity}\n"
                if gate != DEFAULT_GATE:
                    head += f"    gate: {decimal_text(gate * 100)}%\n"
                body = head + text
                key = body
                if key not in by_key:
                    count += 1
                    name = slug if count == 1 else f"{slug}-{count}"
                    while name in patterns:
                        name += "'"
                    by_key[key] = name
                    patterns[name] = (body, key)
                plays[k].append(by_key[key])
    if left:
        remarks.append(f"{left} notes outside the bars imported were left out")
    if cut:
        remarks.append(f"{cut} notes held past a section's end were cut there")
    text = _assemble(song, sections, parts, tracks, patterns, plays, options, remarks)
    return text, remarks


def _assemble(
    song: SmfSong,
    sections: list[_Section],
    parts: list[SmfPart],
    tracks: dict[str, str],
    patterns: dict[str, tuple[str, str]],
    plays: list[list[str]],
    options: ImportOptions,
    remarks: list[str],
) -> str:
    first = sections[0]
    lines = [
        f"# imported by `rig import {options.source}` (grid {options.grid}, "
        f"bars {first.first_bar}-{sections[-1].first_bar + sections[-1].bars - 1} of the file)",
        f"cue: {_q(song.name)}",
        f"tempo: {_bpm(song.tempo_at(first.start))}",
        f"meter: {first.meter[0]}/{first.meter[1]}",
    ]
    if (key := _key(song.key)) is not None:
        lines.append(f"key: {_q(key)}")
    lines += ["", "tracks:"]
    lines += [f"  {_q(p.name)}: {{{tracks[p.name]}}}" for p in parts]
    lines += ["", "patterns:"]
    for name, (body, _) in patterns.items():
        lines.append(f"  {_q(name)}:\n{body.rstrip()}")
    if not patterns:
        lines[-1] = "patterns: {}"
    lines += ["", "sections:"]
    tempo = song.tempo_at(first.start)
    meter = first.meter
    for k, s in enumerate(sections):
        items = [f"name: {_q(s.name)}", f"bars: {s.bars}"]
        if s.meter != meter:
            items.append(f'meter: "{s.meter[0]}/{s.meter[1]}"')
            meter = s.meter
        inner = [(t, us) for t, us in song.tempi if s.start < t < s.end]
        at_start = song.tempo_at(s.start)
        if 0 < len(inner) < 3:  # a tempo step under a held note: no section can start there
            bars = ", ".join(str(song.bar_of(t)) for t, _ in inner)
            remarks.append(f"tempo changes inside a held note (bar {bars}) were left out")
        elif inner:
            end_us = inner[-1][1]
            bar = PPQ * 4 * s.meter[0] // s.meter[1]
            over = min(s.bars, max(1, -(-(inner[-1][0] - s.start) // bar)))
            # The file's steps each hold a ramp's mean over 1/32 note: its start lies half
            # a step before the first one (linear), its end is the tempo it arrives at.
            bpms = [_US_PER_MINUTE / us for us in (at_start, *(us for _, us in inner))]
            ends = (bpms[0] - (bpms[1] - bpms[0]) / 2, bpms[-1] + (bpms[-1] - bpms[-2]) / 2)
            if inner[-1][0] + PPQ // 8 < s.end:  # the ramp ended inside: its last tempo holds
                ends = (ends[0], bpms[-1])
            start_us, end_us = (round(_US_PER_MINUTE / max(1.0, round(b, 1))) for b in ends)
            items.append(f"tempo: {{from: {_bpm(start_us)}, to: {_bpm(end_us)}, over: {over}}}")
            tempo = end_us
        elif _bpm(at_start) != _bpm(tempo):
            items.append(f"tempo: {_bpm(at_start)}")
            tempo = at_start
        if plays[k]:
            items.append(f"play: [{', '.join(_q(p) for p in plays[k])}]")
        lines.append(f"  - {{{', '.join(items)}}}")
    return "\n".join(lines) + "\n"

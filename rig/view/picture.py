"""A cue at a glance: tracks × bars in the terminal, with sections and tempo.

    Inferno
                       low     beat    riff
    bar                1       9       17      25
    tempo              96 ──────────────── 96↗100 ╱╱╱╱╱╱╱
    bass   monopoly  │▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃▃│
    drums  rytm      │        ▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓│
    hacker virus     │                ▅▆▇█▅▆▇█▅▆▇█▅▆▇█│

Each cell's glyph grows with the notes started there, relative to that track's
busiest cell, so a sparse bass and a busy arpeggio are each readable; drum
tracks use shades, a note held through a cell is `╌`, a cell with only CC or
program changes is `·`, and a silent (or muted) cell is blank. Pure: builds a
string, prints nothing.
"""

from __future__ import annotations

import math

from rig.song.arrangement import Arrangement, TrackInfo
from rig.song.events import MeterChange
from rig.source.text import printable
from rig.view.grid import Grid, bar_count, make_grid

__all__ = ["NOTE_GLYPHS", "DRUM_GLYPHS", "HELD", "CONTROL", "SECTION_MARK", "render_picture"]

NOTE_GLYPHS = "▁▂▃▄▅▆▇█"
# Shades for drums, never the full block, so a drum row never reads as notes.
DRUM_GLYPHS = "░▒▓"
HELD = "╌"
CONTROL = "·"
RAMP_UP, RAMP_DOWN, STEADY = "╱", "╲", "─"
SECTION_MARK = "▏"

_MAX_GUTTER = 28
_MIN_COLUMNS = 8
_PALETTE = ("36", "32", "33", "35", "34", "31")  # ANSI foreground colours, one per track
_BOLD, _DIM, _TEMPO = "1", "2", "33"


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color and text.strip() else text


def _bpm(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def _label(name: str, info: TrackInfo | None, name_width: int) -> tuple[str, str]:
    what = ""
    if info is not None:
        what = printable(info.device or (f"voice {info.voice}" if info.voice else ""))
    return printable(name).ljust(name_width), what


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _cell(grid: Grid, track: str, column: int, top: float, drums: bool) -> str:
    cell = grid.cells[track][column]
    if cell.onsets:
        glyphs = DRUM_GLYPHS if drums else NOTE_GLYPHS
        level = math.ceil(len(glyphs) * grid.density(track, column) / top)
        return glyphs[max(1, min(len(glyphs), level)) - 1]
    if cell.held:
        return HELD
    if cell.controls:
        return CONTROL
    return " "


def _sections_row(arrangement: Arrangement, grid: Grid, ncols: int) -> list[str]:
    row = [" "] * ncols
    spans = [(grid.column_of(s.start_tick), printable(s.name)) for s in arrangement.sections]
    for i, (col, name) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else ncols
        room = nxt - col
        if room <= 0:
            continue  # squeezed out by compression: a later section shares the column
        # Keep a space before the next name; a cut name ends in '…', and a section
        # too short for any letter still marks where it starts.
        if len(name) < room:
            text = name
        elif room >= 3:
            text = name[: room - 2] + "…"
        else:
            text = name[:1] if room == 2 else SECTION_MARK
        row[col : col + len(text)] = text
    return row


def _bars_row(grid: Grid, ncols: int) -> list[str]:
    bars = len(grid.bar_ticks) - 1
    cols = [grid.column_of(t) for t in grid.bar_ticks[:-1]]
    step = 1
    while step < bars:
        marks = list(range(0, bars, step))
        if all(
            cols[b2] - cols[b1] > len(str(b1 + 1)) for b1, b2 in zip(marks, marks[1:], strict=False)
        ):
            break
        step *= 2
    row = [" "] * ncols
    for b in range(0, bars, step):
        text = str(b + 1)
        if cols[b] + len(text) <= ncols:
            row[cols[b] : cols[b] + len(text)] = text
    return row


def _tempo_row(arrangement: Arrangement, grid: Grid, ncols: int) -> list[str]:
    row = [" "] * ncols
    end = grid.ends[-1]
    segments = [s for s in arrangement.tempo.segments if s.start_tick < end or s.start_tick == 0]
    labels: list[tuple[int, list[str]]] = []
    for i, seg in enumerate(segments):
        stop = segments[i + 1].start_tick if i + 1 < len(segments) else end
        first = grid.column_of(seg.start_tick)
        last = grid.column_of(max(seg.start_tick, min(stop, end) - 1))
        ramp = seg.end_tick is not None and seg.bpm != seg.end_bpm
        ramp_last = grid.column_of(max(seg.start_tick, min(seg.end_tick or 0, end) - 1))
        for col in range(first, last + 1):
            if ramp and col <= ramp_last:
                row[col] = RAMP_UP if seg.end_bpm > seg.bpm else RAMP_DOWN
            else:
                row[col] = STEADY
        if ramp:
            arrow = "↗" if seg.end_bpm > seg.bpm else "↘"
            b0, b1 = _bpm(seg.bpm), _bpm(seg.end_bpm)
            labels.append((first, [f"{b0}{arrow}{b1} ", f"{b0}{arrow}{b1}", f"{arrow}{b1}", arrow]))
        else:
            labels.append((first, [f"{_bpm(seg.bpm)} ", _bpm(seg.bpm)]))
    for i, (col, forms) in enumerate(labels):
        nxt = labels[i + 1][0] if i + 1 < len(labels) else ncols
        # The longest form that fits before the next label; else the shortest, cut.
        text = next((f for f in forms if len(f) <= nxt - col), forms[-1][: max(0, nxt - col)])
        row[col : col + len(text)] = text
    return row


def _meters(arrangement: Arrangement) -> str:
    changes: list[tuple[int, str]] = []
    if arrangement.sections:
        for s in arrangement.sections:
            changes.append((s.start_bar, f"{s.numerator}/{s.denominator}"))
    else:
        for e in arrangement.events:
            if isinstance(e, MeterChange):
                changes.append((e.tick, f"{e.numerator}/{e.denominator}"))
    shown: list[str] = []
    last = None
    for where, meter in changes:
        if meter == last:
            continue
        last = meter
        shown.append(
            meter if not shown or not arrangement.sections else f"{meter} from bar {where}"
        )
    return ", ".join(shown)


def _scale(grid: Grid) -> str:
    if grid.bars_per_column > 1:
        return f"1 column = {grid.bars_per_column} bars"
    if grid.chars_per_bar > 1:
        return f"1 column = 1/{grid.chars_per_bar} bar"
    return "1 column = 1 bar"


def _footer(
    arrangement: Arrangement, grid: Grid, bars: int, width: int | None, key: str | None
) -> list[str]:
    seconds = round(arrangement.duration_seconds)
    parts = [f"{bars} bars", f"{seconds // 60}:{seconds % 60:02d}"]
    meters = _meters(arrangement)
    if meters:
        parts.append(meters)
    if key:
        parts.append(f"key {printable(key)}")
    parts.append(_scale(grid))
    legend = [
        f"{NOTE_GLYPHS} notes (vs the track's busiest)",
        f"{DRUM_GLYPHS} drum hits",
        f"{HELD} held",
        f"{CONTROL} CC/program only",
        "blank: silent",
    ]
    return _wrap(parts, " · ", width) + _wrap(legend, "  ", width)


def _wrap(items: list[str], sep: str, width: int | None) -> list[str]:
    """Join items with `sep`, starting a new line rather than passing `width`."""
    lines = [items[0]]
    for item in items[1:]:
        if width is not None and len(lines[-1]) + len(sep) + len(item) > width:
            lines.append(item)
        else:
            lines[-1] += sep + item
    return lines


def render_picture(
    arrangement: Arrangement,
    width: int | None = None,
    color: bool = False,
    key: str | None = None,
) -> str:
    """The arrangement as lines of text, at most `width` wide (None: one column per bar).

    `key` is the cue's key for the footer when the arrangement does not carry one.
    """
    infos: dict[str, TrackInfo | None] = {t.name: t for t in arrangement.tracks}
    for event in arrangement.events:  # tracks with events but no declaration still show
        name = getattr(event, "track", None)
        if name is not None and name not in infos:
            infos[name] = None
    # Names come from the song file: escaped, so no escape sequence reaches the terminal.
    name_width = max((len(printable(n)) for n in infos), default=0)
    labels = [_label(name, info, name_width) for name, info in infos.items()]
    gutter = min(_MAX_GUTTER, max([len("tempo")] + [len(f"{n} {w}".rstrip()) for n, w in labels]))
    available = None if width is None else max(_MIN_COLUMNS, width - gutter - 3)
    grid = make_grid(arrangement, list(infos), available)
    ncols = len(grid.starts)
    bars = bar_count(arrangement)

    key = key or getattr(arrangement, "key", None)
    title = printable(arrangement.name)
    lines = [_paint(title if width is None else _fit(title, width), _BOLD, color)]
    if ncols == 0:
        lines.append("(empty: no bars)")
        return "\n".join(lines + _footer(arrangement, grid, bars, width, key)) + "\n"

    pad = " " * (gutter + 2)
    lines.append(
        pad + _paint("".join(_sections_row(arrangement, grid, ncols)).rstrip(), _BOLD, color)
    )
    lines.append("bar".ljust(gutter + 2) + "".join(_bars_row(grid, ncols)).rstrip())
    tempo = "".join(_tempo_row(arrangement, grid, ncols)).rstrip()
    lines.append("tempo".ljust(gutter + 2) + _paint(tempo, _TEMPO, color))
    for i, ((name, info), (shown, what)) in enumerate(zip(infos.items(), labels, strict=True)):
        cells = [grid.density(name, c) for c in range(ncols)]
        top = max(cells, default=0.0) or 1.0
        drums = bool(info and info.drums)
        row = "".join(_cell(grid, name, c, top, drums) for c in range(ncols))
        label = _fit(f"{shown} {what}".rstrip(), gutter)
        head = _paint(shown.rstrip()[:gutter], _PALETTE[i % len(_PALETTE)], color)
        rest = label[len(shown.rstrip()[:gutter]) :]
        gutter_text = head + _paint(rest, _DIM, color) + " " * (gutter - len(label))
        lines.append(f"{gutter_text} │{_paint(row, _PALETTE[i % len(_PALETTE)], color)}│")
    lines.extend(_footer(arrangement, grid, bars, width, key))
    return "\n".join(lines) + "\n"

"""The terminal picture's structure on hand-built arrangements."""

from __future__ import annotations

import re

import pytest

from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, ControlChange, NoteOff, NoteOn, ProgramChange
from rig.song.tempomap import TempoMap, TempoSegment
from rig.view import render_picture
from rig.view.picture import CONTROL, DRUM_GLYPHS, HELD, NOTE_GLYPHS

BAR = 4 * PPQ
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def note(events: list, track: str, channel: int, pitch: int, on: int, off: int) -> None:
    events += [NoteOn(on, track, channel, pitch, 100), NoteOff(off, track, channel, pitch)]


def section(name: str, first_bar: int, bars: int, num: int = 4, den: int = 4) -> SectionSpan:
    bar = PPQ * 4 * num // den
    start = (first_bar - 1) * BAR  # the tests' meter changes come last, so this holds
    return SectionSpan(name, start, start + bars * bar, first_bar, bars, num, den)


@pytest.fixture
def cue() -> Arrangement:
    """32 bars in 4 sections; layers enter one by one; 'gap' (bars 25-28) is silent."""
    events: list = []
    for t in range(0, 24 * BAR, PPQ):  # bass: 4 notes a bar, 16 in bars 9-16
        note(events, "bass", 0, 40, t, t + PPQ // 2)
    for t in range(8 * BAR, 16 * BAR, PPQ // 4):
        note(events, "bass", 0, 43, t, t + PPQ // 8)
    for t in range(8 * BAR, 24 * BAR, PPQ // 2):
        note(events, "drums", 9, 36, t, t + 60)
    note(events, "pad", 2, 52, 16 * BAR, 24 * BAR)  # one long note over 8 bars
    note(events, "bass", 0, 40, 28 * BAR, 32 * BAR)  # back after the gap
    events.append(ControlChange(2 * BAR, "pad", 2, 74, 30, "cutoff"))
    events.append(ProgramChange(4 * BAR, "pad", 2, 5))
    tempo = TempoMap([TempoSegment(0, 96, 96, None), TempoSegment(16 * BAR, 96, 100, 24 * BAR)])
    sections = [
        section("intro", 1, 8),
        section("beat", 9, 8),
        section("lift", 17, 8),
        section("gap", 25, 4),
        section("end", 29, 4),
    ]
    tracks = [
        TrackInfo("bass", "monopoly", None, 0),
        TrackInfo("drums", "rytm", None, 9, drums=True),
        TrackInfo("pad", None, "dark-pad", 2),
    ]
    return Arrangement("Layers", events, tempo, sections, tracks, 32 * BAR)


def rows(picture: str) -> dict[str, str]:
    """Track name → its cells (between the borders)."""
    out = {}
    for line in picture.splitlines():
        if "│" in line:
            label, cells = line.split("│", 1)
            out[label.split()[0]] = cells.rstrip("│")
    return out


def offset(picture: str) -> int:
    """Where the columns start on every line: bar 1's number."""
    line = next(line for line in picture.splitlines() if line.startswith("bar "))
    start = line.index("1")
    for track_line in (line for line in picture.splitlines() if "│" in line):
        assert track_line.index("│") + 1 == start  # rows and headers share columns
    return start


def header(picture: str, label: str) -> str:
    line = next(line for line in picture.splitlines() if line.startswith(label + " "))
    return line[offset(picture) :]


def test_one_row_per_track_named_with_what_plays_it(cue: Arrangement) -> None:
    picture = render_picture(cue)
    labelled = [line.split("│")[0].split() for line in picture.splitlines() if "│" in line]
    assert labelled == [["bass", "monopoly"], ["drums", "rytm"], ["pad", "voice", "dark-pad"]]
    assert picture.splitlines()[0] == "Layers"
    assert all(len(cells) == 32 for cells in rows(picture).values())  # one column per bar


def test_silent_cells_are_blank_and_layers_enter(cue: Arrangement) -> None:
    r = rows(render_picture(cue))
    assert r["drums"][:8] == " " * 8  # drums enter at bar 9
    assert r["drums"][8:24].strip() and " " not in r["drums"][8:24]
    for cells in r.values():
        assert cells[24:28] == "    "  # the silent section
    assert r["bass"][28] != " "  # and the bass comes back


def test_denser_glyph_where_more_notes(cue: Arrangement) -> None:
    bass = rows(render_picture(cue))["bass"]
    sparse, dense = bass[0], bass[8]
    assert sparse in NOTE_GLYPHS and dense in NOTE_GLYPHS
    assert NOTE_GLYPHS.index(dense) > NOTE_GLYPHS.index(sparse)
    assert dense == NOTE_GLYPHS[-1]  # the track's busiest bars get the full block
    assert set(bass[:8]) == {sparse}


def test_drums_held_notes_and_control_only_cells_are_distinct(cue: Arrangement) -> None:
    r = rows(render_picture(cue))
    assert set(r["drums"][8:24]) <= set(DRUM_GLYPHS)
    assert not set(r["drums"]) & set(NOTE_GLYPHS)
    pad = r["pad"]
    assert pad[2] == CONTROL and pad[4] == CONTROL  # CC, then a program change, no notes
    assert pad[16] in NOTE_GLYPHS
    assert pad[17:24] == HELD * 7  # the long note sounds on without new onsets
    assert pad[24] == " "


def test_section_names_start_at_their_columns(cue: Arrangement) -> None:
    picture = render_picture(cue)
    names = picture.splitlines()[1][offset(picture) :]
    for name, bar in (("intro", 1), ("beat", 9), ("lift", 17), ("gap", 25), ("end", 29)):
        assert names[bar - 1 : bar - 1 + len(name)] == name
    bars = header(picture, "bar")
    assert bars.startswith("1")
    assert bars[8:9] == "9" and bars[16:18] == "17"


def test_tempo_line_shows_steady_tempo_and_the_ramp(cue: Arrangement) -> None:
    tempo = header(render_picture(cue, width=160), "tempo")
    assert tempo.startswith("96 ─")
    ramp_col = tempo.index("96↗100")
    assert "╱" in tempo[ramp_col:]
    assert tempo.rstrip().endswith("─")  # steady again after the ramp
    # The ramp label sits where bar 17 is (4 columns a bar at this width).
    assert ramp_col == 16 * 4

    down = Arrangement(
        "Down", [], TempoMap([TempoSegment(0, 120, 80, 4 * BAR)]), [section("a", 1, 8)], [], 8 * BAR
    )
    assert header(render_picture(down), "tempo").startswith("120↘80")


def test_fits_the_width_by_compressing_bars(cue: Arrangement) -> None:
    for width in (40, 60, 100, 160):
        picture = render_picture(cue, width=width)
        assert max(len(line) for line in picture.splitlines()) <= width
    narrow = render_picture(cue, width=40)  # 19 columns for 32 bars
    assert "1 column = 2 bars" in narrow
    bass = rows(narrow)["bass"]
    assert len(bass) == 16
    assert bass[12:14] == "  "  # bars 25-28 are silent
    assert rows(narrow)["drums"][4] in DRUM_GLYPHS
    # 99 columns for 32 bars: split along beats only (2 per bar, not 3).
    assert "1 column = 1/2 bar" in render_picture(cue, width=120)
    wide = render_picture(cue, width=160)
    assert "1 column = 1/4 bar" in wide
    assert len(rows(wide)["bass"]) == 128


def test_footer_length_meter_key(cue: Arrangement) -> None:
    footer = render_picture(cue, key="E minor").splitlines()[-2]
    assert footer.startswith("32 bars · ")
    seconds = round(cue.duration_seconds)
    assert f"{seconds // 60}:{seconds % 60:02d}" in footer
    assert "4/4" in footer and "key E minor" in footer
    mixed = Arrangement(
        "Mixed",
        [],
        TempoMap.constant(120),
        [section("a", 1, 4), section("b", 5, 2, 7, 8)],
        [],
        4 * BAR + 2 * 7 * PPQ // 2,
    )
    assert "4/4, 7/8 from bar 5" in render_picture(mixed)


def test_color_is_only_escape_codes(cue: Arrangement) -> None:
    plain = render_picture(cue, width=100)
    colored = render_picture(cue, width=100, color=True)
    assert "\x1b[" in colored and "\x1b[" not in plain
    assert ANSI.sub("", colored) == plain


def test_undeclared_tracks_and_empty_cue() -> None:
    events: list = []
    note(events, "ghost", 0, 60, 0, PPQ)
    lone = Arrangement("Lone", events, TempoMap.constant(120), [], [], BAR)
    assert list(rows(render_picture(lone))) == ["ghost"]
    empty = Arrangement("Empty", [], TempoMap.constant(120), [], [], 0)
    assert "no bars" in render_picture(empty, width=60)


def test_short_sections_are_cut_but_still_marked() -> None:
    sections = [section("verse", 1, 4), section("fill", 5, 1), section("chorus", 6, 8)]
    short = Arrangement("Short", [], TempoMap.constant(120), sections, [], 13 * BAR)
    picture = render_picture(short)  # one column per bar
    names = picture.splitlines()[1][offset(picture) :]
    assert names == "ve… ▏chorus"

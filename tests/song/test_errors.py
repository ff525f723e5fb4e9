"""Bad song files: every mistake reported at once, as exact `file:line:col: message`.

Most songs here are `util.HEAD` (tracks bass/drums/keys/pad, lines 1-7) + `patterns:` on
line 8 with the first pattern on line 9 + `sections:` with the first section after them,
so each test reads like the file a musician would have written. Columns are counted by hand
in the comments where they point inside a string.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.project import Project
from rig.song.load import display_path
from rig.source import InputError

from .util import HEAD, errors_of, expected, song, write

NO_SECTIONS = "sections:\n  - {bars: 1}\n"


def check(project: Project, path: Path, *items: tuple[int, int, str]) -> None:
    assert errors_of(project, path) == expected(path, *items)


# -- YAML level --------------------------------------------------------------------------------


def test_duplicate_top_level_key(project: Project, tmp_path: Path) -> None:
    text = HEAD.replace("tempo: 120\n", "tempo: 120\ntempo: 130\n") + NO_SECTIONS
    path = write(tmp_path, text)
    check(project, path, (3, 1, "duplicate key 'tempo' (first at line 2)"))


def test_duplicate_nested_key(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song('  p:\n    track: drums\n    lanes:\n      BD: "x..."\n      BD: "..x."\n'),
    )
    check(project, path, (13, 7, "duplicate key 'BD' (first at line 12)"))


def test_empty_file(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "")
    check(project, path, (1, 1, "file is empty"))


def test_file_of_comments_only_is_empty(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "# a cue, one day\n\n")
    check(project, path, (1, 1, "file is empty"))


def test_non_utf8_file_points_at_the_bad_byte(project: Project, tmp_path: Path) -> None:
    # 'café' saved as Latin-1: byte 0xE9 is the 9th character of line 2.
    path = write(tmp_path, b"tempo: 120\ncue: Caf\xe9\n")
    check(project, path, (2, 9, "file is not UTF-8 text"))


def test_yaml_syntax_error(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "cue: Test\ntempo: [120\ntracks: {}\n")
    check(project, path, (3, 7, "YAML syntax error: expected ',' or ']', but got ':'"))


def test_yaml_bad_indentation(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "cue: Test\ntempo: 120\n  tracks: x\n")
    check(project, path, (3, 9, "YAML syntax error: mapping values are not allowed here"))


def test_tab_indentation_every_line(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path, "cue: Test\ntracks:\n\tbass: {device: monopoly}\n  \tdrums: {device: rytm}\n"
    )
    check(
        project,
        path,
        (3, 1, "tab used for indentation; use spaces"),
        (4, 3, "tab used for indentation; use spaces"),
    )


def test_root_must_be_a_mapping(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "- intro\n- verse\n")
    check(project, path, (1, 1, "song: expected a mapping (key: value), got a list"))


def test_merge_keys_are_refused(project: Project, tmp_path: Path) -> None:
    text = "cue: T\ntempo: 120\nx: &x {device: gm}\ntracks:\n  a: {<<: *x}\n" + NO_SECTIONS
    path = write(tmp_path, text)
    check(project, path, (5, 7, "merge keys '<<' are not supported"))


# -- song header -------------------------------------------------------------------------------


def test_unknown_key_with_suggestion(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2 C2', sweeng: 54%}\n"))
    check(project, path, (9, 36, "pattern 'p': unknown key 'sweeng' (did you mean 'swing'?)"))


def test_misspelled_required_key_reports_missing_and_unknown(
    project: Project, tmp_path: Path
) -> None:
    path = write(tmp_path, HEAD.replace("tempo: 120", "tmepo: 120") + NO_SECTIONS)
    check(
        project,
        path,
        (1, 1, "song: missing 'tempo'"),
        (2, 1, "song: unknown key 'tmepo' (did you mean 'tempo'?)"),
    )


def test_misspelled_material_key_gives_one_error(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, stpes: 'C2'}\n"))
    check(project, path, (9, 20, "pattern 'p': unknown key 'stpes' (did you mean 'steps'?)"))


@pytest.mark.parametrize(
    ("meter", "message"),
    [
        ("4/5", "meter: the lower number of 4/5 must be 1, 2, 4, 8, 16 or 32"),
        ("x/4", "meter: expected a meter like 4/4 or 7/8, got 'x/4'"),
        ("0/4", "meter: the upper number of 0/4 must be 1..32"),
        ("4", "meter: expected a meter like 4/4 or 7/8, got 4"),
    ],
)
def test_bad_meter(project: Project, tmp_path: Path, meter: str, message: str) -> None:
    path = write(
        tmp_path, HEAD.replace("tempo: 120\n", f"tempo: 120\nmeter: {meter}\n") + NO_SECTIONS
    )
    check(project, path, (3, 8, message))


def test_bad_section_meter(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: C2}\n", "  - {bars: 1, meter: 7/9}\n"))
    check(
        project,
        path,
        (11, 22, "section 1: meter: the lower number of 7/9 must be 1, 2, 4, 8, 16 or 32"),
    )


def test_tempo_out_of_range(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("tempo: 120", "tempo: 500") + NO_SECTIONS)
    check(project, path, (2, 8, "tempo: 500 is out of range 20..400"))


def test_tempo_not_a_number(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("tempo: 120", "tempo: fast") + NO_SECTIONS)
    check(project, path, (2, 8, "tempo: expected a number, got 'fast'"))


def test_section_tempo_step_and_ramp_out_of_range(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            "  p: {track: bass, steps: C2}\n",
            "  - {bars: 1, tempo: 10}\n  - {bars: 1, tempo: {to: 1000, over: 2 bars}}\n",
        ),
    )
    check(
        project,
        path,
        (11, 22, "section 1: tempo: 10 is out of range 20..400"),
        (12, 27, "section 2: tempo to: 1000 is out of range 20..400"),
    )


def test_tempo_ramp_over_is_not_bars(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            "  p: {track: bass, steps: C2}\n", "  - {bars: 4, tempo: {to: 100, over: eight bars}}\n"
        ),
    )
    check(
        project,
        path,
        (11, 38, "section 1: tempo over: expected a number of bars like 8 or '8 bars'"),
    )


def test_unknown_key_of_the_song(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("tempo: 120\n", "tempo: 120\nkey: H minor\n") + NO_SECTIONS)
    check(project, path, (3, 6, "key: unknown key 'H minor' (did you mean 'B minor'?)"))


def test_negative_seed(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("tempo: 120\n", "tempo: 120\nseed: -1\n") + NO_SECTIONS)
    check(project, path, (3, 7, "seed: -1 is out of range >= 0"))


# -- tracks ------------------------------------------------------------------------------------


def test_unknown_device_with_suggestion(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("{device: monopoly}", "{device: monopolly}") + NO_SECTIONS)
    check(
        project,
        path,
        (4, 18, "track 'bass': unknown device 'monopolly' (did you mean 'monopoly'?)"),
    )


def test_track_needs_device_or_voice(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("{device: monopoly}", "{transpose: 12}") + NO_SECTIONS)
    check(project, path, (4, 9, "track 'bass': needs a 'device' or a 'voice'"))


def test_part_beyond_the_devices_parts(project: Project, tmp_path: Path) -> None:
    text = HEAD.replace("{device: juno60}", "{device: juno60, part: 2}")
    text = text.replace("{device: virus, part: 2}", "{device: virus, part: 17}")
    path = write(tmp_path, text + NO_SECTIONS)
    check(
        project,
        path,
        (6, 32, "track 'keys': part: 2 is out of range 1..1"),
        (7, 30, "track 'pad': part: 17 is out of range 1..16"),
    )


# -- steps -------------------------------------------------------------------------------------


def test_unknown_note_with_suggestion(project: Project, tmp_path: Path) -> None:
    # '  p: {track: bass, steps: 'C2 . H2 .'}': the string opens at col 27, H2 is at col 33.
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2 . H2 .'}\n"))
    check(project, path, (9, 33, "pattern 'p': steps: unknown note 'H2' (did you mean 'B2'?)"))


@pytest.mark.parametrize(
    ("value", "col"),
    [
        ('"C2 . H2 ."', 18),  # double quotes: the text starts at col 13
        ("'C2 . H2 .'", 18),  # single quotes: the same
        ("C2 . H2 .", 17),  # plain value: the text starts at col 12
        ('"  C2   .  H2  ."', 23),  # runs of blanks count too
    ],
)
def test_column_points_at_the_step(project: Project, tmp_path: Path, value: str, col: int) -> None:
    # line 11 is '    steps: VALUE': the value starts at col 12.
    path = write(tmp_path, song(f"  p:\n    track: bass\n    steps: {value}\n"))
    check(project, path, (11, col, "pattern 'p': steps: unknown note 'H2' (did you mean 'B2'?)"))


def test_column_points_at_the_bad_suffix(project: Project, tmp_path: Path) -> None:
    # 'C2 D2:80?>3 E2:200': ':200' begins 16 characters after the string's start (col 28).
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2 D2:80?>3 E2:200'}\n"))
    check(project, path, (9, 42, "pattern 'p': steps: velocity 200 is out of range 1..127"))


def test_column_points_at_the_bad_note_of_a_stack(project: Project, tmp_path: Path) -> None:
    # 'C4+E4+Q4 C4': Q4 is 6 characters after the string's start (col 28).
    path = write(tmp_path, song("  p: {track: keys, steps: 'C4+E4+Q4 C4'}\n"))
    check(
        project,
        path,
        (9, 34, "pattern 'p': steps: unknown note 'Q4' (notes are A to G, e.g. 'C4')"),
    )


def test_unknown_chord(project: Project, tmp_path: Path) -> None:
    # 'Am | Cmaj8': Cmaj8 at col 33; the column points at the quality 'maj8' (col 34).
    path = write(tmp_path, song("  p: {track: keys, chords: 'Am | Cmaj8'}\n"))
    check(
        project,
        path,
        (9, 35, "pattern 'p': chords: unknown chord 'Cmaj8' (did you mean 'Cmaj9'?)"),
    )


def test_steps_dont_fit_the_length(project: Project, tmp_path: Path) -> None:
    # the 5th step (E2) is the first that does not fit: col 28 + 8.
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2 . . . E2', length: 4}\n"))
    check(project, path, (9, 37, "pattern 'p': 5 steps don't fit length 4"))


def test_lane_doesnt_fit_the_length(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: drums, lanes: {BD: 'x... x'}, length: 4}\n"))
    check(project, path, (9, 39, "pattern 'p': lane BD has 5 steps; they don't fit length 4"))


def test_tie_without_a_note(project: Project, tmp_path: Path) -> None:
    # '~ C2 . ~': the first tie holds nothing, the last follows a rest.
    path = write(tmp_path, song("  p: {track: bass, steps: '~ C2 . ~'}\n"))
    check(
        project,
        path,
        (9, 28, "pattern 'p': steps: tie '~' has no note before it to hold"),
        (9, 35, "pattern 'p': steps: tie '~' has no note before it to hold"),
    )


def test_chord_hold_without_a_chord(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: keys, chords: '~ | C'}\n"))
    check(project, path, (9, 29, "pattern 'p': chords: '~' has no chord before it to hold"))


def test_velocity_out_of_range(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2:200 .'}\n"))
    check(project, path, (9, 30, "pattern 'p': steps: velocity 200 is out of range 1..127"))


def test_chance_out_of_range(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2 D2@150%'}\n"))
    check(project, path, (9, 33, "pattern 'p': steps: chance 150% is out of range 0%..100%"))


def test_chance_out_of_range_in_a_lane(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: drums, lanes: {BD: 'x@150%...'}}\n"))
    check(project, path, (9, 35, "pattern 'p': lane BD: chance 150% is out of range 0%..100%"))


def test_unreadable_suffix_gives_one_error(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2@abc%'}\n"))
    check(project, path, (9, 30, "pattern 'p': steps: cannot read '@abc%' after 'C2'"))


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("C2>30", "nudge >30 is out of range (more than 0, less than 24: 24ths of a step)"),
        ("C2<24", "nudge <24 is out of range (more than 0, less than 24: 24ths of a step)"),
    ],
)
def test_nudge_out_of_range(project: Project, tmp_path: Path, step: str, message: str) -> None:
    path = write(tmp_path, song(f"  p: {{track: bass, steps: '{step} .'}}\n"))
    check(project, path, (9, 30, f"pattern 'p': steps: {message}"))


def test_drum_hit_in_a_note_pattern(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2 x'}\n"))
    check(project, path, (9, 31, "pattern 'p': steps: 'x' is a drum hit; give a note like 'E2'"))


def test_bad_character_in_a_lane(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: drums, lanes: {BD: 'x..o'}}\n"))
    check(project, path, (9, 37, "pattern 'p': lane BD: expected x, X, . or ~, got 'o'"))


@pytest.mark.parametrize(
    ("pattern", "col", "message"),
    [
        (
            "{track: bass, steps: 5}",
            27,
            "pattern 'p': steps: unknown note '5' (notes are A to G, e.g. 'C4')",
        ),
        (
            "{track: keys, chords: 7}",
            28,
            "pattern 'p': chords: unknown chord '7' "
            "(a chord starts with its root, A to G, e.g. 'Cm7')",
        ),
        (
            "{track: drums, lanes: {BD: 1}}",
            33,
            "pattern 'p': lane BD: expected x, X, . or ~, got '1'",
        ),
        (
            "{track: keys, chords: C, rhythm: 1}",
            39,
            "pattern 'p': rhythm: expected x, X, . or ~, got '1'",
        ),
    ],
)
def test_number_instead_of_a_step_string(
    project: Project, tmp_path: Path, pattern: str, col: int, message: str
) -> None:
    path = write(tmp_path, song(f"  p: {pattern}\n"))
    check(project, path, (9, col, message))


# -- patterns ----------------------------------------------------------------------------------


def test_unknown_lane(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: drums, lanes: {BD: 'x...', BX: 'x...'}}\n"))
    check(
        project,
        path,
        (
            9,
            41,
            "pattern 'p': unknown lane 'BX' for device rytm "
            "(known: BD, BT, CB, CH, CP, CY, HT, LT, …)",
        ),
    )


def test_lanes_on_a_track_without_drums(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, lanes: {BD: 'x...'}}\n"))
    check(
        project,
        path,
        (9, 20, "pattern 'p': track 'bass' has no drum lanes (its device defines none)"),
    )


def test_unknown_track_in_a_pattern(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bas, steps: 'C2'}\n"))
    check(project, path, (9, 14, "pattern 'p': unknown track 'bas' (did you mean 'bass'?)"))


def test_swing_out_of_range(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2 C2', swing: 80%}\n"))
    check(
        project, path, (9, 43, "pattern 'p': swing 80% is out of range 50%..75% (50% is straight)")
    )


def test_gate_zero(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2 C2', gate: 0%}\n"))
    check(project, path, (9, 42, "pattern 'p': gate 0% would make every note silent"))


def test_gate_not_a_percentage(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2', gate: half}\n"))
    check(project, path, (9, 39, "pattern 'p': gate: expected a percentage like 60%, got 'half'"))


def test_unknown_arp_mode(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: keys, arp: {chords: 'Am', mode: upp}}\n"))
    check(project, path, (9, 46, "pattern 'p': arp: unknown mode 'upp' (did you mean 'up'?)"))


def test_arp_without_chords(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: keys, arp: {mode: up}}\n"))
    check(project, path, (9, 6, "pattern 'p': 'arp' needs 'chords' (or 'use' a theme)"))


def test_arp_octaves_out_of_range(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: keys, arp: {chords: C, octaves: 5}}\n"))
    check(project, path, (9, 46, "pattern 'p': arp: octaves: 5 is out of range 1..4"))


def test_unknown_voicing(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: keys, chords: C, voicing: wide}\n"))
    check(
        project,
        path,
        (9, 40, "pattern 'p': unknown voicing 'wide' (known: close, open, spread)"),
    )


def test_bad_rate(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2', rate: 1/0}\n"))
    check(project, path, (9, 39, "pattern 'p': rate: expected a note value like 1/16, got '1/0'"))


def test_rate_off_the_tick_grid(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2', rate: 1/7}\n"))
    check(
        project,
        path,
        (
            9,
            39,
            "pattern 'p': rate: 1/7 does not fit the tick grid (1920 per beat); "
            "use a value like 1/16, 1/12 or 1/5",
        ),
    )


def test_chord_voiced_beyond_the_midi_range(project: Project, tmp_path: Path) -> None:
    # reported at the chord (col 34), not as a traceback from compile
    path = write(tmp_path, song("  p: {track: keys, chords: 'Am | Cm13', octave: 8}\n"))
    check(
        project,
        path,
        (
            9,
            34,
            "pattern 'p': chord 'Cm13' at octave 8 (close) reaches above G9 (127); "
            "choose another octave",
        ),
    )


# -- themes and includes -----------------------------------------------------------------------


def test_missing_include(project: Project, tmp_path: Path) -> None:
    text = HEAD.replace("tempo: 120\n", "tempo: 120\ninclude: [themes/nope.yaml]\n")
    path = write(tmp_path, text + NO_SECTIONS)
    check(project, path, (3, 11, "include: file 'themes/nope.yaml' not found"))


def test_include_cycle_between_two_files(project: Project, tmp_path: Path) -> None:
    a = write(tmp_path, "include: [b.yaml]\nthemes:\n  t1: {chords: C}\n", "a.yaml")
    b = write(tmp_path, "include: [a.yaml]\n", "b.yaml")
    text = HEAD.replace("tempo: 120\n", "tempo: 120\ninclude: [a.yaml]\n")
    path = write(tmp_path, text + NO_SECTIONS)
    loop = " → ".join(display_path(p) for p in (a, b, a))
    assert errors_of(project, path) == expected(b, (1, 11, f"include: cycle {loop}"))


def test_include_of_the_including_song(project: Project, tmp_path: Path) -> None:
    write(tmp_path, "include: [song.yaml]\n", "a.yaml")
    text = HEAD.replace("tempo: 120\n", "tempo: 120\ninclude: [a.yaml]\n")
    path = write(tmp_path, text + NO_SECTIONS)
    a = tmp_path / "a.yaml"
    loop = " → ".join(display_path(p) for p in (path, a, path))
    assert errors_of(project, path) == expected(a, (1, 11, f"include: cycle {loop}"))


def test_error_in_an_included_file_names_that_file(project: Project, tmp_path: Path) -> None:
    themes = write(tmp_path, "themes:\n  t1: {chords: 'C | Hm'}\n", "themes/t.yaml")
    text = HEAD.replace("tempo: 120\n", "tempo: 120\ninclude: [themes/t.yaml]\n")
    path = write(tmp_path, text + NO_SECTIONS)
    assert errors_of(project, path) == expected(
        themes, (2, 21, "theme 't1': chords: unknown chord 'Hm' (did you mean 'Bm'?)")
    )


def test_theme_defined_twice(project: Project, tmp_path: Path) -> None:
    other = write(tmp_path, "themes:\n  t1: {chords: C}\n", "a.yaml")
    text = HEAD.replace(
        "tempo: 120\n", "tempo: 120\ninclude: [a.yaml]\nthemes:\n  t1: {chords: Dm}\n"
    )
    path = write(tmp_path, text + NO_SECTIONS)
    first = f"{display_path(other)}:2"
    check(project, path, (5, 3, f"theme 't1' is defined twice (first at {first})"))


def test_theme_with_chords_and_steps(project: Project, tmp_path: Path) -> None:
    text = HEAD.replace("tempo: 120\n", "tempo: 120\nthemes:\n  t: {chords: C, steps: C4}\n")
    path = write(tmp_path, text + NO_SECTIONS)
    check(project, path, (4, 6, "theme 't': give either 'chords' or 'steps'"))


def test_unknown_theme(project: Project, tmp_path: Path) -> None:
    write(tmp_path, "themes:\n  heartbeat: {chords: Fm9}\n", "themes.yaml")
    text = HEAD.replace("tempo: 120\n", "tempo: 120\ninclude: [themes.yaml]\n")
    path = write(tmp_path, song("  p: {track: keys, use: heartbeet}\n", head=text))
    check(
        project,
        path,
        (10, 25, "pattern 'p': unknown theme 'heartbeet' (did you mean 'heartbeat'?)"),
    )


# -- sections ----------------------------------------------------------------------------------


def test_unknown_pattern_in_play(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song("  p: {track: bass, steps: 'C2'}\n", "  - {bars: 1, play: [q]}\n"))
    check(project, path, (11, 22, "section 1: unknown pattern 'q' (known: p)"))


def test_unknown_track_in_mute(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            "  p: {track: bass, steps: 'C2'}\n", "  - {name: a, bars: 1, play: [p], mute: [bas]}\n"
        ),
    )
    check(project, path, (11, 42, "section 'a': unknown track 'bas' (did you mean 'bass'?)"))


def test_bars_is_not_a_number(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path, song("  p: {track: bass, steps: 'C2'}\n", '  - {bars: "eight", play: [p]}\n')
    )
    check(project, path, (11, 12, "section 1: bars: expected a whole number, got 'eight'"))


def test_section_without_bars(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path, song("  p: {track: bass, steps: 'C2'}\n", "  - {name: intro, play: [p]}\n")
    )
    check(project, path, (11, 5, "section 'intro': missing 'bars'"))


def test_unknown_cc_for_the_device(project: Project, tmp_path: Path) -> None:
    # 'keys.cutof': the column points at the control name after 'keys.'.
    path = write(
        tmp_path,
        song(
            "  p: {track: keys, steps: C4}\n",
            "  - {bars: 1, play: [p], automate: {keys.cutof: 40}}\n",
        ),
    )
    check(project, path, (11, 42, "unknown CC 'cutof' for device juno60 (did you mean 'cutoff'?)"))


def test_unknown_cc_without_a_close_name_lists_the_known(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            "  p: {track: bass, steps: C2}\n",
            "  - {bars: 1, play: [p], automate: {bass.wobble: 40}}\n",
        ),
    )
    check(
        project,
        path,
        (11, 42, "unknown CC 'wobble' for device monopoly (known: cutoff, portamento)"),
    )


def test_automation_target_without_a_control(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path, song("  p: {track: bass, steps: C2}\n", "  - {bars: 1, automate: {pad: 3}}\n")
    )
    check(project, path, (11, 26, "section 1: automate: 'pad' should be track.control"))


def test_automation_value_out_of_range(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            "  p: {track: bass, steps: 'C2'}\n",
            "  - {bars: 1, automate: {pad.cutoff: 128}}\n"
            "  - {bars: 1, automate: {pad.cutoff: {from: -1, to: 200}}}\n",
        ),
    )
    check(
        project,
        path,
        (11, 38, "section 1: pad.cutoff: 128 is out of range 0..127"),
        (12, 45, "section 2: pad.cutoff from: -1 is out of range 0..127"),
        (12, 53, "section 2: pad.cutoff to: 200 is out of range 0..127"),
    )


def test_program_out_of_range(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            "  p: {track: bass, steps: 'C2'}\n",
            "  - {bars: 1, program: {pad: 128}}\n"
            "  - {bars: 1, program: {keys: 5}}\n"
            "  - {bars: 1, program: {pad: {program: 3, bank: 200}}}\n",
        ),
    )
    check(
        project,
        path,
        (11, 30, "section 1: program for 'pad': 128 is out of range 0..127"),
        (12, 31, "section 2: program for 'keys': 5 is out of range 0..4"),
        (13, 49, "section 3: program for 'pad': bank: 200 is out of range 0..127"),
    )


def test_program_on_a_device_without_programs(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path, song("  p: {track: bass, steps: 'C2'}\n", "  - {bars: 1, program: {bass: 0}}\n")
    )
    check(
        project,
        path,
        (11, 31, "section 1: program for 'bass': device monopoly has no programs"),
    )


def test_pattern_listed_twice(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path, song("  p: {track: bass, steps: 'C2'}\n", "  - {bars: 1, play: [p, p]}\n")
    )
    check(project, path, (11, 25, "section 1: pattern 'p' is listed twice"))


def test_song_without_sections(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "sections: []\n")
    check(project, path, (8, 11, "sections: a song needs at least one section"))


# -- all at once -------------------------------------------------------------------------------


def test_several_errors_in_one_file_are_reported_together(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            "  p: {track: bass, steps: 'C2 H2 . C2:0'}\n  q: {track: drums, lanes: {BX: 'x...'}}\n",
            "  - {bars: 0, play: [p, r]}\n  - {bars: 2, play: [q], tempo: 10}\n",
        ),
    )
    check(
        project,
        path,
        (9, 31, "pattern 'p': steps: unknown note 'H2' (did you mean 'B2'?)"),
        (9, 38, "pattern 'p': steps: velocity 0 is out of range 1..127"),
        (
            10,
            29,
            "pattern 'q': unknown lane 'BX' for device rytm "
            "(known: BD, BT, CB, CH, CP, CY, HT, LT, …)",
        ),
        (12, 12, "section 1: bars: 0 is out of range 1..9999"),
        (12, 25, "section 1: unknown pattern 'r' (known: p, q)"),
        (13, 33, "section 2: tempo: 10 is out of range 20..400"),
    )


def test_errors_in_header_tracks_patterns_and_sections_together(
    project: Project, tmp_path: Path
) -> None:
    text = (
        "cue: Test\n"
        "tempo: 999\n"
        "meter: 4/5\n"
        "tracks:\n"
        "  bass: {device: mono}\n"
        "  keys: {device: juno60}\n"
        "patterns:\n"
        "  p: {track: keys, chords: 'Cmaj8', voicing: wide}\n"
        "sections:\n"
        "  - {bars: 1, play: [p], automate: {keys.cutof: 1}, mute: [nobody]}\n"
    )
    path = write(tmp_path, text)
    check(
        project,
        path,
        (2, 8, "tempo: 999 is out of range 20..400"),
        (3, 8, "meter: the lower number of 4/5 must be 1, 2, 4, 8, 16 or 32"),
        (5, 18, "track 'bass': unknown device 'mono' (did you mean 'monopoly'?)"),
        (8, 30, "pattern 'p': chords: unknown chord 'Cmaj8' (did you mean 'Cmaj9'?)"),
        (8, 46, "pattern 'p': unknown voicing 'wide' (known: close, open, spread)"),
        (10, 42, "unknown CC 'cutof' for device juno60 (did you mean 'cutoff'?)"),
        (10, 60, "section 1: unknown track 'nobody' (known: bass, keys)"),
    )


# -- setlists ----------------------------------------------------------------------------------


def test_setlist_unknown_next_and_missing_song(project: Project, tmp_path: Path) -> None:
    write(tmp_path, song("  p: {track: bass, steps: C2}\n"), "cue.yaml")
    path = write(
        tmp_path,
        "set: Night\n"
        "cues:\n"
        "  - {song: cue.yaml, next: jump}\n"
        "  - {song: missing.yaml}\n"
        "  - cue.yaml\n"
        "  - {song: cue.yaml, nxt: bar}\n",
        "night.yaml",
    )
    with pytest.raises(InputError) as info:
        project.setlist(path)
    assert [str(e) for e in info.value.errors] == expected(
        path,
        (3, 28, "cue 1: next must be 'wait' or 'bar', got 'jump' (known: bar, wait)"),
        (4, 12, "cue 2: song file 'missing.yaml' not found"),
        (6, 22, "cue 4: unknown key 'nxt' (did you mean 'next'?)"),
    )


def test_setlist_reports_the_errors_of_its_songs(project: Project, tmp_path: Path) -> None:
    bad = write(tmp_path, song("  p: {track: bass, steps: 'C2 H2'}\n"), "bad.yaml")
    good = write(tmp_path, song("  p: {track: bass, steps: C2}\n"), "good.yaml")
    path = write(
        tmp_path,
        f"set: Night\ncues:\n  - {good.name}\n  - {{song: {bad.name}, next: bar}}\n",
        "n.yaml",
    )
    with pytest.raises(InputError) as info:
        project.arrangements(path)
    assert [str(e) for e in info.value.errors] == expected(
        bad, (9, 31, "pattern 'p': steps: unknown note 'H2' (did you mean 'B2'?)")
    )

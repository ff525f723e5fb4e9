"""`Arrangement.harmony`: the written chords where patterns play them, so notes can be read
against the chord under them (tests/songs/test_strong_beats.py does, for every cue)."""

from __future__ import annotations

from pathlib import Path

from rig.project import Project
from rig.song.events import PPQ

from .util import song, write

BAR = 4 * PPQ


def _harmony(project: Project, tmp_path: Path, patterns: str, sections: str) -> list[tuple]:
    arr = project.arrangement(write(tmp_path, song(patterns, sections)))
    return [(c.start_tick, c.end_tick, c.track, c.symbol, sorted(c.tones)) for c in arr.harmony]


def test_chords_holds_and_rests_loop_over_the_section(project: Project, tmp_path: Path) -> None:
    got = _harmony(
        project,
        tmp_path,
        "  p: {track: pad, chords: 'C | ~ | . | G/B'}\n",
        "  - {bars: 8, play: [p]}\n",
    )
    c, g_b = [0, 4, 7], [2, 7, 11]  # G/B: its slash bass B is a tone of G anyway
    assert got == [
        (0, 2 * BAR, "pad", "C", c),  # held over bar 2
        (3 * BAR, 4 * BAR, "pad", "G/B", g_b),  # bar 3 rests: no chord
        (4 * BAR, 6 * BAR, "pad", "C", c),
        (7 * BAR, 8 * BAR, "pad", "G/B", g_b),
    ]


def test_a_slash_bass_outside_the_chord_is_one_of_its_tones(
    project: Project, tmp_path: Path
) -> None:
    got = _harmony(
        project, tmp_path, "  p: {track: pad, chords: 'C/D'}\n", "  - {bars: 1, play: [p]}\n"
    )
    assert got == [(0, BAR, "pad", "C/D", [0, 2, 4, 7])]


def test_arps_and_degree_lines_give_their_chords_transposed_as_their_notes(
    project: Project, tmp_path: Path
) -> None:
    patterns = (
        "  a: {track: keys, chords: 'Am', arp: {mode: up, rate: 1/8}, transpose: 2}\n"
        "  b: {track: bass, harmony: 'F', steps: 'r 5', octave: 1}\n"
        "  n: {track: keys, steps: 'C4'}\n"  # notes only: no harmony
    )
    got = _harmony(
        project,
        tmp_path,
        patterns,
        "  - {bars: 1, play: [a, b, n]}\n  - {bars: 1, play: [b], transpose: -2}\n",
    )
    assert sorted(got) == [
        (0, BAR, "bass", "F", [0, 5, 9]),
        (0, BAR, "keys", "Am", [2, 6, 11]),  # Am up a tone: B minor's B D F#
        (BAR, 2 * BAR, "bass", "F", [3, 7, 10]),  # the section's transpose: Eb's Eb G Bb
    ]


def test_a_count_in_moves_the_harmony_with_the_cue(project: Project, tmp_path: Path) -> None:
    from rig.song.transitions import count_in

    arr = project.arrangement(
        write(tmp_path, song("  p: {track: pad, chords: 'C | G'}\n", "  - {bars: 2, play: [p]}\n"))
    )
    counted = count_in(arr, 1, None)
    assert [(c.start_tick, c.symbol) for c in counted.harmony] == [(BAR, "C"), (2 * BAR, "G")]
    assert [(c.start_tick, c.symbol) for c in arr.harmony] == [(0, "C"), (BAR, "G")]

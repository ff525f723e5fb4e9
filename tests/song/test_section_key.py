"""Per-section `transpose:` and `key:`: pitched parts move, drum notes stay; misuse is
positioned; a property: a section's shift moves every pitched note by exactly that much."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig.project import Project
from rig.song.events import NoteOn

from .util import HEAD, errors_of, expected, song, write

KEYED = HEAD.replace("tempo: 120\n", "tempo: 120\nkey: E minor\n")  # patterns from line 10
PATTERNS = (
    '  bass: {track: bass, steps: "E1 . G1 .", rate: 1/4}\n'
    '  beat: {track: drums, lanes: {BD: "x..."}}\n'
    '  keys: {track: keys, chords: "Em | C"}\n'
)


def pitches(project: Project, path: Path) -> list[tuple[int, str, int]]:
    arr = project.arrangement(path)
    return sorted(
        (e.tick * 4 // arr.sections[0].bar_ticks, e.track, e.note)
        for e in arr.events
        if isinstance(e, NoteOn)
    )


def test_section_key_and_transpose_move_pitched_parts_only(
    project: Project, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        song(
            PATTERNS,
            "  - {bars: 1, play: [bass, beat]}\n"
            "  - {bars: 1, play: [bass, beat], key: G minor}\n"  # E → G: +3
            "  - {bars: 1, play: [bass, beat], key: B minor}\n"  # E → B: -5 (nearest)
            "  - {bars: 1, play: [{pattern: bass, transpose: 12}, beat], transpose: -2}\n",
            KEYED,
        ),
    )
    got = pitches(project, path)
    bass = [n for _, t, n in got if t == "bass"]
    drums = {n for _, t, n in got if t == "drums"}
    assert bass == [28, 31, 31, 34, 23, 26, 38, 41]
    assert len(drums) == 1  # the kick stays the kick
    arr = project.arrangement(path)
    assert project.song(path).sections[1].key == "G minor"
    assert arr.key == "E minor"


def test_fill_patterns_follow_the_section_transpose(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(PATTERNS, "  - {bars: 2, play: [bass], fill: keys, transpose: 2}\n", KEYED),
    )
    keys = [n for _, t, n in pitches(project, path) if t == "keys"]
    assert keys
    plain = write(tmp_path, song(PATTERNS, "  - {bars: 2, play: [bass], fill: keys}\n", KEYED),
                  "plain.yaml")  # fmt: skip
    keys_plain = [n for _, t, n in pitches(project, plain) if t == "keys"]
    assert [n - 2 for n in keys] == keys_plain


def test_section_key_misuse_is_positioned(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            PATTERNS,
            "  - {bars: 1, play: [bass], key: G major}\n"
            "  - {bars: 1, play: [bass], key: H minor}\n"
            "  - {bars: 1, play: [bass], key: G minor, transpose: 3}\n"
            "  - {bars: 1, play: [bass], transpose: 60}\n",
            KEYED,
        ),
    )
    errors = errors_of(project, path)
    assert errors[0] == expected(path, (14, 34, "section 1: key: G major changes the mode of "
        "the song's E minor; a section key moves the tonic only (say G minor)"))[0]  # fmt: skip
    assert errors[1].startswith(expected(path, (15, 34, "section 2: key: "))[0])
    assert (
        errors[2]
        == expected(
            path, (16, 34, "section 3: give key: or transpose:, not both (key: sets the transpose)")
        )[0]
    )
    assert (
        errors[3] == expected(path, (17, 40, "section 4: transpose: 60 is out of range -48..48"))[0]
    )
    assert len(errors) == 4


def test_section_key_needs_a_song_key(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song(PATTERNS, "  - {bars: 1, play: [bass], key: G minor}\n"))
    assert errors_of(project, path) == expected(
        path, (13, 34, "section 1: key: the song has no key: to move from (add one at the top)")
    )


def test_a_transpose_past_the_midi_range_is_an_error(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song(PATTERNS, "  - {bars: 1, play: [bass], transpose: -30}\n"))
    (error,) = errors_of(project, path)
    assert "pattern 'bass'" in error and "outside MIDI's 0..127" in error


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shift=st.integers(-24, 24), tonic=st.sampled_from(["C", "D", "F#", "Ab", "B"]))
def test_a_section_shift_moves_every_pitched_note(
    project: Project, tmp_path: Path, shift: int, tonic: str
) -> None:
    base = write(tmp_path, song(PATTERNS, "  - {bars: 2, play: [bass, beat, keys]}\n", KEYED))
    moved = write(
        tmp_path,
        song(PATTERNS, f"  - {{bars: 2, play: [bass, beat, keys], transpose: {shift}}}\n", KEYED),
        "moved.yaml",
    )
    keyed = write(
        tmp_path,
        song(PATTERNS, f"  - {{bars: 2, play: [bass, beat, keys], key: {tonic} minor}}\n", KEYED),
        "keyed.yaml",
    )
    before, after = pitches(project, base), pitches(project, moved)
    assert [(b, t, n + (0 if t == "drums" else shift)) for b, t, n in before] == after
    by_key = pitches(project, keyed)
    moves = {n2 - n1 for (_, t, n1), (_, _, n2) in zip(before, by_key, strict=True) if t != "drums"}
    assert len(moves) == 1 and -5 <= moves.pop() <= 6

"""Song language 2: trig conditions, fills, dynamics, CC lanes and play overrides.

Exact ticks and velocities on small songs (PPQ 1920: a 1/16 step is 480 ticks, a bar 7680),
positioned errors for each misuse, and hypothesis properties (seeded determinism, query
split invariance with and without fill).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig.project import Project
from rig.song.arrangement import Arrangement
from rig.song.conditions import Condition, Situation
from rig.song.events import PPQ, ControlChange, NoteOn
from rig.source import InputError

from .util import HEAD, errors_of, expected, notes, song, write

STEP = PPQ // 4
BAR = PPQ * 4
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def arrange(project: Project, tmp_path: Path, patterns: str, sections: str) -> Arrangement:
    return project.arrangement(write(tmp_path, song(patterns, sections)))


def ons(arrangement: Arrangement, fill: bool = False) -> list[tuple[int, int, int]]:
    """(tick, note, velocity) of every note-on, as the query gives them."""
    return [
        (e.tick, e.note, e.velocity)
        for e in arrangement.query_ticks(0, arrangement.length_ticks, fill)
        if isinstance(e, NoteOn)
    ]


# -- conditions ------------------------------------------------------------------------------
def test_ratio_first_last_conditions_pick_loops(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  p: {track: bass, steps: "E1{1:4} F1{4:4} G1{first} A1{last} B1{!first}"}\n',
        "  - {bars: 1, play: [p]}\n",  # 16 steps: the 5-step loop runs 4 times (last cut)
    )
    got = [(t // STEP, n) for t, n, _ in ons(arr)]
    e1, f1, g1, a1, b1 = 28, 29, 31, 33, 35
    assert (0, e1) in got and (3 * 5 + 0, e1) not in got
    assert (3 * 5 + 1, f1) not in got  # the 4th loop is cut after its first step
    assert [s for s, n in got if n == g1] == [2]
    assert [s for s, n in got if n == a1] == []  # the last loop (4th) is cut before step 3
    assert [s for s, n in got if n == b1] == [9, 14]


def test_pre_follows_the_previous_condition(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  p: {track: bass, steps: "E1{1:2} F1{pre} G1{!pre} .", length: 4}\n',
        "  - {bars: 1, play: [p]}\n",
    )
    got = [(t // STEP, n) for t, n, _ in ons(arr)]
    assert got == [(0, 28), (1, 29), (6, 31), (8, 28), (9, 29), (14, 31)]


def test_every_and_on_filter_bars(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  crash: {track: bass, steps: "E1 . . .", every: 4}\n'
        '  hits: {track: keys, steps: "C4 . . .", every: 4, "on": [2, 4]}\n'
        '  once: {track: pad, steps: "C3 . . .", "on": [3]}\n',
        "  - {bars: 8, play: [crash, hits, once]}\n",
    )
    bars = lambda track: sorted({e.tick // BAR + 1 for e in arr.events  # noqa: E731
                                 if isinstance(e, NoteOn) and e.track == track})  # fmt: skip
    assert bars("bass") == [1, 5]
    assert bars("keys") == [2, 4, 6, 8]
    assert bars("pad") == [3]


def test_lane_conditions(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  d: {track: drums, lanes: {BD: "x...", CY: {steps: "x...", "if": "1:2"}}}\n',
        "  - {bars: 1, play: [d]}\n",
    )
    by_note: dict[int, list[int]] = {}
    for t, n, _ in ons(arr):
        by_note.setdefault(n, []).append(t // STEP)
    assert sorted(by_note.values(), key=len) == [[0, 8], [0, 4, 8, 12]]


# -- fills -----------------------------------------------------------------------------------
def test_fill_bars_replace_the_part_and_switch_fill_conditions(
    project: Project, tmp_path: Path
) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  groove: {track: bass, steps: "E1 . . ."}\n'
        '  roll: {track: bass, steps: "G1 G1 G1 G1"}\n'
        '  keys: {track: keys, steps: "C4{fill} . D4{!fill} ."}\n',
        "  - {bars: 4, play: [groove, keys], fill: {play: [roll], bars: 1}}\n",
    )
    bass = [(on // STEP, note) for on, _off, _c, note, _v in notes(arr, "bass")]
    assert [s for s, n in bass if n == 28] == list(range(0, 48, 4))  # groove: bars 1-3
    assert [s for s, n in bass if n == 31] == list(range(48, 64))  # the roll: bar 4
    keys = [(on // STEP, note) for on, _off, _c, note, _v in notes(arr, "keys")]
    assert [s for s, n in keys if n == 60] == [48, 52, 56, 60]
    assert [s for s, n in keys if n == 62] == [2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46]


def test_the_query_gives_the_fill_state(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  keys: {track: keys, steps: "C4{fill} . D4{!fill} ."}\n',
        "  - {bars: 1, play: [keys]}\n",
    )
    assert [n for _t, n, _v in ons(arr)] == [62] * 4
    assert [n for _t, n, _v in ons(arr, fill=True)] == [60] * 4
    assert arr.fill_variant is not None and arr.fill_variant.fill_variant is None


def test_no_fill_variant_without_fill_conditions(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project, tmp_path, '  p: {track: bass, steps: "E1"}\n', "  - {bars: 1, play: [p]}\n"
    )
    assert arr.fill_variant is None
    assert ons(arr, fill=True) == ons(arr)


# -- dynamics --------------------------------------------------------------------------------
def test_velocity_ramp_accent_and_section_scale(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  ramp: {track: bass, steps: "E1 E1 E1 E1", velocity: {from: 40, to: 100}}\n'
        '  acc: {track: keys, steps: "C4 C4 C4 C4", velocity: 80, accent: "X.xx"}\n',
        "  - {bars: 1, play: [ramp, acc]}\n"
        "  - {bars: 1, velocity: 50%, play: [{pattern: acc, velocity: 50%, transpose: 2}]}\n",
    )
    ramp = [v for _on, _off, _c, _n, v in notes(arr, "bass")]
    assert ramp[:4] == [40, 60, 80, 100]
    keys = notes(arr, "keys")
    assert [v for *_, v in keys[:4]] == [100, 60, 80, 80]
    assert [(n, v) for _on, _off, _c, n, v in keys[16:20]] == [
        (62, 25),
        (62, 15),
        (62, 20),
        (62, 20),
    ]


def test_section_ramp(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  p: {track: bass, steps: "E1 . . .", velocity: {from: 20, to: 120, over: section}}\n',
        "  - {bars: 2, play: [p]}\n",
    )
    velocities = [v for *_, v in notes(arr, "bass")]
    assert velocities == sorted(velocities) and velocities[0] == 20 and velocities[-1] < 120


def test_humanize_is_seeded_and_bounded(project: Project, tmp_path: Path) -> None:
    text = song(
        '  p: {track: bass, steps: "E1 E1 E1 E1", humanize: {velocity: 8, time: 3ms}}\n',
        "  - {bars: 2, play: [p]}\n",
    )
    path = write(tmp_path, text)
    one, two = project.arrangement(path, 1), project.arrangement(path, 1)
    other = project.arrangement(path, 2)
    assert one.events == two.events and one.events != other.events
    limit = round(3 / 1000 * 120 / 60 * PPQ)  # 3 ms at 120 BPM in ticks
    for on, _off, _c, _n, v in notes(one, "bass"):
        nearest = round(on / STEP) * STEP
        assert abs(on - nearest) <= limit and 92 <= v <= 108


# -- CC lanes --------------------------------------------------------------------------------
def test_sustain_pedal_lane(project: Project, tmp_path: Path) -> None:
    head = HEAD + "  piano: {voice: piano}\n"
    text = song(
        '  p: {track: piano, steps: "C4 . . . . . . .", rate: 1/8,'
        ' cc: {sustain: "x~~~ ~~~. x~~~ ~~~~"}}\n',
        "  - {bars: 2, play: [p]}\n",
        head=head,
    )
    arr = project.arrangement(write(tmp_path, text))
    ccs = [(e.tick // (PPQ // 2), e.name, e.value) for e in arr.events
           if isinstance(e, ControlChange)]  # fmt: skip
    # down at 0, up at step 7; down at 8 and still down at the end → let go at the end
    assert ccs == [(0, "sustain", 127), (7, "sustain", 0), (8, "sustain", 127), (16, "sustain", 0)]


def test_cc_value_lane(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  p: {track: bass, steps: "E1 . . .", cc: {cutoff: "40 . 60 . 60 . 90 ."}}\n',
        "  - {bars: 1, play: [p]}\n",
    )
    ccs = [(e.tick // STEP, e.value) for e in arr.events if isinstance(e, ControlChange)]
    assert ccs == [(0, 40), (2, 60), (6, 90), (8, 40), (10, 60), (14, 90)]


# -- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "col", "message"),
    [
        ('"E1{2:1}"', 31, "steps: condition 2:1: A must be 1..1 (A-th of every 1)"),
        (
            '"E1{fil}"',
            31,
            "steps: unknown condition 'fil' (did you mean 'fill'?) "
            "(use A:B, fill, first, last or pre, with ! to negate)",
        ),
        ('"E1", every: 0', 40, "every: expected a number of bars 1..256 like 8 or '8 bars'"),
        ('"E1", accent: "Xy"', 43, "accent: expected X (accent), x or . (soft)"),
        ('"E1", cc: {cutof: "1"}', 38,
         "unknown CC 'cutof' for device monopoly (did you mean 'cutoff'?)"),
        ('"E1", cc: {cutoff: "1 200"}', 49, "cc cutoff: 200 is out of range 0..127"),
        ('"E1", humanize: {time: 90ms}', 50, "humanize time: expected milliseconds 0..50 like 3ms"),
    ],
)  # fmt: skip
def test_misuse_is_a_positioned_error(
    project: Project, tmp_path: Path, pattern: str, col: int, message: str
) -> None:
    path = write(tmp_path, song(f"  p: {{track: bass, steps: {pattern}}}\n"))
    assert errors_of(project, path) == expected(path, (9, col, f"pattern 'p': {message}"))


def test_section_misuse_is_a_positioned_error(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            '  p: {track: bass, steps: "E1"}\n',
            "  - {bars: 2, play: [{pattern: p, velocity: 500%}], fill: {play: [q], bars: 3}}\n",
        ),
    )
    assert errors_of(project, path) == expected(
        path,
        (11, 45, "section 1: play: velocity: 500% is out of range 0%..400%"),
        (11, 67, "section 1: unknown pattern 'q' (known: p)"),
        (11, 77, "section 1: fill bars: 3 is out of range 1..2"),
    )


# -- properties ------------------------------------------------------------------------------
def test_situation_ratio_is_periodic() -> None:
    @given(st.integers(1, 8), st.integers(0, 64), st.booleans())
    def check(b: int, loop: int, negate: bool) -> None:
        for a in range(1, b + 1):
            cond = Condition("ratio", negate, a, b)
            assert Situation(loop, False, False).test(cond) == Situation(
                loop + b, False, False
            ).test(cond)
        hits = [
            Situation(loop, False, False).test(Condition("ratio", False, a, b))
            for a in range(1, b + 1)
        ]
        assert hits.count(True) == 1

    check()


STEP_TOKENS = st.sampled_from(
    ["E1", "G1", ".", "E1{1:2}", "G1{fill}", "A1{!fill}", "B1{pre}", "C2{first}", "D2{last}", "E1?"]
)


@SETTINGS
@given(
    steps=st.lists(STEP_TOKENS, min_size=1, max_size=12),
    bars=st.integers(1, 4),
    seed=st.integers(0, 1000),
    cuts=st.lists(st.integers(0, 4 * BAR), max_size=4),
)
def test_conditions_are_deterministic_and_split_invariant(
    project: Project, tmp_path_factory: pytest.TempPathFactory, steps: list[str], bars: int,
    seed: int, cuts: list[int],
) -> None:  # fmt: skip
    directory = tmp_path_factory.mktemp("cond")
    text = song(
        f'  p: {{track: bass, steps: "{" ".join(steps)}", humanize: {{velocity: 5}}}}\n',
        f"  - {{bars: {bars}, play: [p], fill: {{bars: 1}}}}\n",
    )
    path = write(directory, text)
    try:
        one = project.arrangement(path, seed)
    except InputError as exc:  # only a tie-less song can fail, and it must not
        raise AssertionError(exc) from exc
    assert one.events == project.arrangement(path, seed).events
    for fill in (False, True):
        whole = one.query_ticks(0, one.length_ticks, fill)
        edges = sorted({0, one.length_ticks, *(c for c in cuts if c < one.length_ticks)})
        parts = [
            e for a, b in zip(edges, edges[1:], strict=False) for e in one.query_ticks(a, b, fill)
        ]
        assert parts == whole
        assert all(1 <= e.velocity <= 127 for e in whole if isinstance(e, NoteOn))


# -- automation scope ------------------------------------------------------------------------
def test_automation_returns_to_the_default_unless_held(project: Project, tmp_path: Path) -> None:
    head = HEAD + "  piano: {voice: piano}\n"
    sections = (
        "  - {bars: 1, play: [p], automate: {piano.volume: 60, piano.cutoff: {from: 10, to: 50}}}\n"
        "  - {bars: 1, play: [p], automate: {piano.cutoff: {value: 70, hold: true}}}\n"
        "  - {bars: 1, play: [p]}\n"
    )
    text = song('  p: {track: piano, steps: "C4"}\n', sections, head=head)
    arr = project.arrangement(write(tmp_path, text))
    volume = [(e.tick // BAR, e.value) for e in arr.events
              if isinstance(e, ControlChange) and e.name == "volume"]  # fmt: skip
    cutoff = [(e.tick // BAR, e.value) for e in arr.events
              if isinstance(e, ControlChange) and e.name == "cutoff"]  # fmt: skip
    assert volume == [(0, 60), (1, 100)]  # back to GM's default 100 when the section ends
    assert cutoff[-1] == (1, 70)  # held: nothing after section 2
    # cutoff has no default: the ramp of section 1 would carry over, but section 2 sets it
    assert arr.warnings == ()


def test_a_carry_over_without_default_warns_at_the_automation(
    project: Project, tmp_path: Path
) -> None:
    text = song(
        '  p: {track: bass, steps: "E1"}\n',
        "  - {bars: 1, play: [p], automate: {bass.cutoff: 90}}\n  - {bars: 1, play: [p]}\n",
    )
    path = write(tmp_path, text)
    arr = project.arrangement(path)
    assert [str(w) for w in arr.warnings] == expected(
        path,
        (11, 37, "warning: bass.cutoff carries over from section 'section 1' into 'section 2' "
         "(no earlier value or device default to return to): set it there, or say hold: true"),
    )  # fmt: skip


def test_hold_misuse_is_positioned(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            '  p: {track: bass, steps: "E1"}\n',
            "  - {bars: 1, automate: {bass.cutoff: {value: 9, to: 3, hold: 1}}}\n",
        ),
    )
    assert errors_of(project, path) == expected(
        path,
        (11, 47, "section 1: bass.cutoff: give 'value' or 'from'/'to', not both"),
        (11, 63, "section 1: bass.cutoff hold: expected true or false, got the number 1"),
    )


# -- notes relative to the harmony -----------------------------------------------------------
def test_degrees_follow_the_chords(project: Project, tmp_path: Path) -> None:
    head = HEAD.replace("tracks:", 'themes:\n  changes: {chords: "Fm7 | Db"}\ntracks:')
    text = song(
        "  b: {track: bass, harmony: changes, octave: 2,"
        ' steps: "r . 5 . b7 . 8^ . 3 3v 9 . . . . ."}\n'
        '  k: {track: keys, harmony: "C | Am", steps: "r+3+5 . . ."}\n',
        "  - {bars: 2, play: [b, k]}\n",
        head=head,
    )
    arr = project.arrangement(write(tmp_path, text))
    bass = [n for _on, _off, _c, n, _v in notes(arr, "bass")]
    f2, db2 = 41, 37
    fm = [f2, f2 + 7, f2 + 10, f2 + 24, f2 + 3, f2 + 3 - 12, f2 + 14]
    db = [db2, db2 + 7, db2 + 10, db2 + 24, db2 + 4, db2 + 4 - 12, db2 + 14]
    assert bass == fm + db
    keys = {on // BAR: sorted(n for o, _f, _c, n, _v in notes(arr, "keys") if o == on)
            for on, *_ in notes(arr, "keys")}  # fmt: skip
    assert keys[0] == [60, 64, 67] and keys[1] == [69, 72, 76]


def test_harmony_misuse(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        song(
            '  p: {track: bass, harmony: "Fm | Hb", steps: "r 5"}\n'
            '  q: {track: keys, harmony: "C", chords: "C"}\n',
            "  - {bars: 1, play: [p, q]}\n",
        ),
    )
    assert errors_of(project, path) == expected(
        path,
        (9, 35, "pattern 'p': harmony: unknown chord 'Hb' (did you mean 'Bb'?)"),
        (10, 20, "pattern 'q': 'harmony' goes with 'steps'"),
    )  # fmt: skip


@SETTINGS
@given(
    root=st.sampled_from(["C", "Db", "F#", "A", "Bb"]),
    quality=st.sampled_from(["", "m", "7", "m7", "maj7", "dim", "9", "m7b5", "sus4"]),
    token=st.sampled_from(["r", "1", "3", "5", "7", "b7", "#4", "8", "9", "5^", "rv", "13"]),
)
def test_degree_is_a_chord_tone_or_scale_step(root: str, quality: str, token: str) -> None:
    from rig.song.harmony import degree_note, parse_degree
    from rig.theory.chords import parse_chord

    chord = parse_chord(root + quality)
    degree = parse_degree(token)
    assert degree is not None
    note = degree_note(degree, chord, 4)
    base = 60 + chord.root
    assert degree_note(parse_degree("r"), chord, 4) == base  # type: ignore[arg-type]
    if token in ("3", "5", "7") and any(
        (note - base) % 12 == i % 12 for i in chord.intervals if i < 12
    ):
        assert (note - base) % 12 in {i % 12 for i in chord.intervals}
    assert degree_note(degree, chord, 5) == note + 12  # octave invariance


# -- echo and offset -------------------------------------------------------------------------
def test_echo_and_offset(project: Project, tmp_path: Path) -> None:
    arr = arrange(
        project,
        tmp_path,
        '  p: {track: bass, steps: "E1 . . . . . . . . . . . . . . .", velocity: 100,'
        " offset: 2, echo: {repeats: 3, every: 3/16, decay: 50%}}\n",
        "  - {bars: 1, play: [p]}\n",
    )
    got = [(on // STEP, v) for on, _off, _c, _n, v in notes(arr, "bass")]
    assert got == [(2, 100), (5, 50), (8, 25), (11, 12)]


def test_echo_misuse(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, song('  p: {track: bass, steps: "E1", echo: {every: 1/7, decay: 2}}\n'))
    assert errors_of(project, path) == expected(
        path, (9, 47, "pattern 'p': echo every: 1/7 does not fit the tick grid")
    )

"""Properties of every arrangement (hypothesis), on the real songs and on generated ones.

- a window query splits exactly: query(a, b) + query(b, c) == query(a, c) for a < b < c;
- every note-on has a later note-off on the same track/channel/note, with no overlap;
- compiling twice gives the same events;
- the tempo map is monotone and tick_at inverts seconds_at.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rig.project import Project
from rig.song.arrangement import Arrangement
from rig.song.events import PPQ, NoteOff, NoteOn

from .util import HEAD, SONGS, write

REAL_SONGS = sorted(p.name for p in SONGS.glob("*.yaml"))

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def real(project: Project) -> dict[str, Arrangement]:
    return {name: project.arrangement(SONGS / name) for name in REAL_SONGS}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("generated")


# -- invariants --------------------------------------------------------------------------------


def assert_notes_pair(a: Arrangement) -> None:
    """Each NoteOn is followed by its NoteOff (strictly later) before the same note starts again."""
    sounding: dict[tuple[str, int, int], int] = {}
    for event in a.events:
        if isinstance(event, NoteOn | NoteOff):
            assert 0 <= event.tick <= a.length_ticks, event
            key = (event.track, event.channel, event.note)
        if isinstance(event, NoteOn):
            assert key not in sounding, f"{event} while the note sounds since {sounding.get(key)}"
            assert 1 <= event.velocity <= 127 and 0 <= event.note <= 127
            sounding[key] = event.tick
        elif isinstance(event, NoteOff):
            assert key in sounding, f"{event} without a note-on"
            assert event.tick > sounding.pop(key), event
    assert not sounding, f"notes never ended: {sorted(sounding)}"


def assert_split(a: Arrangement, x: Fraction, y: Fraction, z: Fraction) -> None:
    lo, mid, hi = sorted((x, y, z))
    assert a.query(lo, mid) + a.query(mid, hi) == a.query(lo, hi)


def assert_tempo_map(a: Arrangement, ticks: list[int]) -> None:
    tm = a.tempo
    ticks = sorted(set(ticks))
    seconds = [tm.seconds_at(t) for t in ticks]
    assert all(s1 < s2 for s1, s2 in zip(seconds, seconds[1:], strict=False))
    for t, s in zip(ticks, seconds, strict=True):
        assert tm.tick_at(s) == pytest.approx(t, rel=1e-9, abs=1e-6)


fractions = st.fractions(min_value=0, max_value=2000, max_denominator=PPQ * 3)


# -- the real songs ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", REAL_SONGS)
def test_real_song_notes_pair(real: dict[str, Arrangement], name: str) -> None:
    assert_notes_pair(real[name])


@pytest.mark.parametrize("name", REAL_SONGS)
def test_real_song_compiles_the_same_twice(
    project: Project, real: dict[str, Arrangement], name: str
) -> None:
    again = project.arrangement(SONGS / name)
    assert again.events == real[name].events
    assert again.tempo.segments == real[name].tempo.segments
    assert again.sections == real[name].sections


@pytest.mark.parametrize("name", REAL_SONGS)
def test_real_song_query_everything(real: dict[str, Arrangement], name: str) -> None:
    a = real[name]
    assert a.query(0, a.length_beats + 1) == list(a.events)
    assert a.query(0, 0) == []


@SETTINGS
@given(name=st.sampled_from(REAL_SONGS), cuts=st.lists(fractions, min_size=3, max_size=3))
def test_real_song_query_splits(real: dict[str, Arrangement], name: str, cuts: list) -> None:
    a = real[name]
    scale = a.length_beats / 2000 * Fraction(11, 10)  # spread the cuts over the song and past it
    assert_split(a, *(c * scale for c in cuts))


@SETTINGS
@given(
    name=st.sampled_from(REAL_SONGS),
    ticks=st.lists(st.integers(min_value=0, max_value=10**7), min_size=2, max_size=20),
)
def test_real_song_tempo_map(real: dict[str, Arrangement], name: str, ticks: list[int]) -> None:
    a = real[name]
    assert_tempo_map(a, [t % (a.length_ticks + 1) for t in ticks])


# -- generated songs ---------------------------------------------------------------------------

NOTE_NAMES = ["C2", "D#2", "F2", "G2", "Bb2", "C3", "E4", "G4", "C5", "Eb5"]
SUFFIXES = ["", "", "", "!", ":90", "?", "@30%", ">6", "<3", ":70?"]
CHORDS = ["C", "Am", "Fm9", "Eb/G", "Cmaj7/E", "G7", "Dm7^1", "Bbsus2", "E5"]
RATES = ["1/16", "1/8", "1/12", "1/4", "1/32"]


@st.composite
def step_string(draw: st.DrawFn) -> str:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["note", "note", "stack", "rest", "tie"]))
        if kind == "tie" and out and out[-1] != ".":
            out.append("~")
        elif kind in ("rest", "tie"):
            out.append(".")
        else:
            count = 1 if kind == "note" else draw(st.integers(2, 3))
            notes = draw(st.lists(st.sampled_from(NOTE_NAMES), min_size=count, max_size=count))
            out.append("+".join(notes) + draw(st.sampled_from(SUFFIXES)))
    return " ".join(out)


@st.composite
def lane_string(draw: st.DrawFn) -> str:
    out = []
    for _ in range(draw(st.integers(1, 16))):
        ch = draw(st.sampled_from("x.X..~"))
        if ch == "~" and (not out or out[-1] == "."):
            ch = "."
        out.append(
            ch + (draw(st.sampled_from(["", "", "?", "@60%", ">4", ":50"])) if ch in "xX" else "")
        )
    return "".join(out)


@st.composite
def progression(draw: st.DrawFn) -> str:
    bars = []
    for i in range(draw(st.integers(1, 3))):
        slots = draw(st.lists(st.sampled_from([*CHORDS, ".", "~"]), min_size=1, max_size=2))
        if i == 0 and slots[0] == "~":
            slots[0] = "C"
        bars.append(" ".join(slots))
    return " | ".join(bars)


@st.composite
def generated_song(draw: st.DrawFn) -> str:
    patterns = {
        "s": f"{{track: bass, steps: '{draw(step_string())}', "
        f"rate: {draw(st.sampled_from(RATES))}, "
        f"gate: {draw(st.sampled_from(['50%', '90%', '100%']))}, "
        f"swing: {draw(st.sampled_from(['50%', '54%', '66%']))}}}",
        "d": f"{{track: drums, lanes: {{BD: '{draw(lane_string())}', "
        f"CH: '{draw(lane_string())}'}}}}",
        "c": f"{{track: pad, chords: '{draw(progression())}', octave: 3, "
        f"voicing: {draw(st.sampled_from(['close', 'open', 'spread']))}"
        + (f", rhythm: '{draw(lane_string())}'" if draw(st.booleans()) else "")
        + "}",
        "a": f"{{track: keys, arp: {{chords: '{draw(progression())}', "
        f"mode: {draw(st.sampled_from(['up', 'down', 'updown', 'downup', 'order', 'random']))}, "
        f"rate: {draw(st.sampled_from(RATES))}, octaves: {draw(st.integers(1, 2))}}}}}",
    }
    sections = []
    for _ in range(draw(st.integers(1, 4))):
        play = draw(st.lists(st.sampled_from(sorted(patterns)), unique=True, max_size=4))
        parts = [f"bars: {draw(st.integers(1, 3))}", f"play: [{', '.join(play)}]"]
        if draw(st.booleans()):
            parts.append(f"mute: [{draw(st.sampled_from(['bass', 'drums', 'pad', 'keys']))}]")
        tempo = draw(
            st.sampled_from(["", "tempo: 90", "tempo: {to: 140}", "tempo: {to: 70, over: 1}"])
        )
        if tempo:
            parts.append(tempo)
        if draw(st.booleans()):
            parts.append("meter: 7/8")
        if draw(st.booleans()):
            lo, hi = draw(st.integers(0, 127)), draw(st.integers(0, 127))
            parts.append(f"automate: {{pad.cutoff: {{from: {lo}, to: {hi}}}}}")
        sections.append("  - {" + ", ".join(parts) + "}\n")
    seed = draw(st.integers(0, 3))
    body = "".join(f"  {n}: {p}\n" for n, p in patterns.items())
    return f"{HEAD}seed: {seed}\npatterns:\n{body}sections:\n{''.join(sections)}"


GENERATED = settings(SETTINGS, max_examples=80)


@GENERATED
@given(text=generated_song(), cuts=st.lists(fractions, min_size=3, max_size=3))
def test_generated_song_invariants(
    project: Project, scratch: Path, text: str, cuts: list[Fraction]
) -> None:
    path = write(scratch, text, "generated.yaml")
    a = project.arrangement(path)
    assert_notes_pair(a)
    assert_split(a, *(c * a.length_beats / 2000 for c in cuts))
    assert project.arrangement(path).events == a.events
    assert_tempo_map(
        a, [0, *(s.start_tick for s in a.sections), a.length_ticks, a.length_ticks // 3]
    )
    # nothing outlives the song, and every section's notes stay in it
    by_key: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for e in a.events:
        if isinstance(e, NoteOn | NoteOff):
            by_key[(e.track, e.channel, e.note)].append(e.tick)
    for ticks in by_key.values():
        for on, off in zip(ticks[::2], ticks[1::2], strict=True):
            section = a.section_at(on)
            assert section is not None and off <= section.end_tick


@GENERATED
@given(text=generated_song(), seed=st.integers(0, 2**31))
def test_generated_song_same_seed_same_events(
    project: Project, scratch: Path, text: str, seed: int
) -> None:
    path = write(scratch, text, "seeded.yaml")
    assert project.arrangement(path, seed).events == project.arrangement(path, seed).events

"""The live fill control on the offline twin (quantized, by bars or held, note-offs from
the version that struck each note), its OSC, key and controller ends, and the reload
bundle carrying a cue's fill variant. 120 BPM 4/4: a bar is 2 s, bar N starts at
DOWNBEAT + (N-1)·2 s; bass notes are `base + bar index`, the fill variant's 40 higher."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rig.config import ControllerConfig, ControllerMapping
from rig.engine.bundle import load_bundle, write_bundle
from rig.engine.cueview import CueView, NotePairs
from rig.engine.dispatch import handle
from rig.song.arrangement import Arrangement
from rig.song.events import PPQ, NoteOff, NoteOn
from rig.stage.controller import ControllerMap
from tests.support.clock import MS, FakeTime
from tests.support.live import BAR_NS, DOWNBEAT, advance, clean_pairs, cue, make, ons

FILL_UP = 40


def with_fill(arr: Arrangement) -> Arrangement:
    """`arr` with a fill variant: its bass notes 40 higher (keys the same)."""

    def up(e):  # noqa: ANN001, ANN202
        if isinstance(e, NoteOn | NoteOff) and e.track == "bass":
            return dataclasses.replace(e, note=e.note + FILL_UP)
        return e

    fill = Arrangement(arr.name, [up(e) for e in arr.events], arr.tempo, arr.sections,
                       arr.tracks, arr.length_ticks, arr.source)  # fmt: skip
    arr.fill_variant = fill
    return arr


def bars_of(sink, base: int = 36) -> dict[int, set[str]]:
    """bar (1-based) → {"plain", "fill"}: which version the bass notes of that bar came from."""
    out: dict[int, set[str]] = {}
    for t, n in ons(sink, 0):
        bar = (t - DOWNBEAT) // BAR_NS + 1
        out.setdefault(bar, set()).add("fill" if n >= base + FILL_UP else "plain")
    return out


def test_a_fill_for_n_bars_lands_on_the_next_bar_line() -> None:
    time = FakeTime()
    engine, sinks = make([with_fill(cue("one", 8))], time)
    engine.play(time.now)
    advance(engine, time, 50 * MS + 2 * BAR_NS + 700 * MS)  # bar 3, beat 2
    engine.fill(time.now, 2, "bar")
    advance(engine, time, 8 * BAR_NS)
    got = bars_of(sinks["mono"])
    assert got == {1: {"plain"}, 2: {"plain"}, 3: {"plain"}, 4: {"fill"}, 5: {"fill"},
                   6: {"plain"}, 7: {"plain"}, 8: {"plain"}}  # fmt: skip
    fill_ons = [t for t, n in ons(sinks["mono"], 0) if n >= 36 + FILL_UP]
    assert fill_ons[0] == DOWNBEAT + 3 * BAR_NS and len(fill_ons) == 32
    clean_pairs(sinks["mono"])
    clean_pairs(sinks["virus"])


def test_a_held_fill_until_let_go_and_into_the_next_cue() -> None:
    time = FakeTime()
    engine, sinks = make([with_fill(cue("one", 4)), with_fill(cue("two", 4, base=60))], time,
                         transitions=("bar",))  # fmt: skip
    engine.play(time.now)
    advance(engine, time, 50 * MS + 2 * BAR_NS + 300 * MS)  # bar 3
    engine.fill(time.now, None, "beat")
    advance(engine, time, 2 * BAR_NS)  # into the second cue, still held
    engine.release_fill(time.now, "bar")
    advance(engine, time, 4 * BAR_NS)
    bass = ons(sinks["mono"], 0)
    first_fill = min(t for t, n in bass if n >= 36 + FILL_UP)
    assert first_fill == DOWNBEAT + 2 * BAR_NS + 500 * MS  # the next beat
    two = [(t, n) for t, n in bass if t >= DOWNBEAT + 4 * BAR_NS]
    # the second cue's bar 1 under the held fill, its bar 2 on: let go at the bar line
    assert {n for t, n in two if t < DOWNBEAT + 5 * BAR_NS} == {60 + FILL_UP}
    assert {n for t, n in two if t >= DOWNBEAT + 5 * BAR_NS} == {61, 62, 63}
    clean_pairs(sinks["mono"])


def test_a_fill_across_long_notes_leaves_nothing_hanging() -> None:
    """Keys hold whole bars; their fill version differs (a fifth up), the switch lands mid-note
    with quantize now: every note-off still comes, from the version that struck it."""
    arr = cue("one", 4)
    fill = [dataclasses.replace(e, note=e.note + 7) if isinstance(e, NoteOn | NoteOff) else e
            for e in arr.events]  # fmt: skip
    arr.fill_variant = Arrangement(arr.name, fill, arr.tempo, arr.sections, arr.tracks,
                                   arr.length_ticks)  # fmt: skip
    time = FakeTime()
    engine, sinks = make([arr], time)
    engine.play(time.now)
    advance(engine, time, 50 * MS + BAR_NS + 900 * MS)
    engine.fill(time.now, None, "now")
    advance(engine, time, 600 * MS)
    engine.release_fill(time.now, "now")
    advance(engine, time, 4 * BAR_NS)
    clean_pairs(sinks["virus"])
    clean_pairs(sinks["mono"])


def test_osc_fill_arguments() -> None:
    time = FakeTime()
    engine, _ = make([with_fill(cue("one", 8))], time)
    with pytest.raises(ValueError, match="needs the transport playing"):
        handle(engine, "/rig/fill", [2], time.now)
    handle(engine, "/rig/fill", [], time.now)  # held, armed while stopped
    assert engine.fill_held
    handle(engine, "/rig/fill", ["off"], time.now)
    assert not engine.fill_held
    engine.play(time.now)
    advance(engine, time, 100 * MS)
    handle(engine, "/rig/fill", [1.0, "beat"], time.now)  # a button's press: one bar
    assert engine.view.fills and engine.view.fills[-1][1] is not None
    with pytest.raises(ValueError, match="expected a number of bars, on or off"):
        handle(engine, "/rig/fill", ["loud"], time.now)
    with pytest.raises(ValueError, match="unknown quantize"):
        handle(engine, "/rig/fill", [1, "soon"], time.now)


def test_a_fill_for_a_cue_without_fill_conditions_says_so() -> None:
    """Trial 24: no cue of the club night has `{fill}` conditions, so `f` changed nothing
    and the performer saw nothing. A fill for N bars of such a cue is answered with why
    (the UI shows it); a held fill still arms, as it carries into the next cue."""
    time = FakeTime()
    engine, _ = make([cue("plain", 8), with_fill(cue("filled", 8, base=60))], time)
    engine.play(time.now)
    advance(engine, time, 100 * MS)
    with pytest.raises(ValueError, match=r"plain has no \{fill\} conditions"):
        handle(engine, "/rig/fill", [1, "bar"], time.now)
    assert not engine.view.fills
    handle(engine, "/rig/fill", ["on"], time.now)
    assert engine.fill_held
    handle(engine, "/rig/fill", ["off"], time.now)
    handle(engine, "/rig/launch", [1, "now"], time.now)
    advance(engine, time, 100 * MS)
    handle(engine, "/rig/fill", [1, "bar"], time.now)  # a cue with {fill}: no complaint
    assert engine.view.fills


def test_controller_fill_held_while_the_pad_is_down() -> None:
    mappings = (
        ControllerMapping("note", 42, "fill"),
        ControllerMapping("note", 43, "fill", bars=2, quantize="beat"),
        ControllerMapping("cc", 20, "fill"),
    )
    cmap = ControllerMap(ControllerConfig("pads", None, mappings))
    none = lambda: None  # noqa: E731
    assert cmap.messages(bytes((0x90, 42, 100)), none) == [("/rig/fill", ("on",))]
    assert cmap.messages(bytes((0x80, 42, 0)), none) == [("/rig/fill", ("off",))]
    assert cmap.messages(bytes((0x90, 42, 0)), none) == [("/rig/fill", ("off",))]
    assert cmap.messages(bytes((0x90, 43, 100)), none) == [("/rig/fill", (2, "beat"))]
    assert cmap.messages(bytes((0x80, 43, 0)), none) == []  # a fill for bars runs its bars
    assert cmap.messages(bytes((0xB0, 20, 127)), none) == [("/rig/fill", ("on",))]
    assert cmap.messages(bytes((0xB0, 20, 100)), none) == []
    assert cmap.messages(bytes((0xB0, 20, 0)), none) == [("/rig/fill", ("off",))]
    assert cmap.messages(bytes((0xB0, 20, 0)), none) == []


def test_the_bundle_carries_the_fill_variant(tmp_path: Path) -> None:
    arr = with_fill(cue("one", 4))
    plain = cue("two", 2)
    bundle = load_bundle(write_bundle(tmp_path / "b", [(0, arr), (1, plain)]))
    (_, got, pairs), (_, got_plain, plain_pairs) = bundle.cues
    assert got.fill_variant is not None and got.fill_variant.events == arr.fill_variant.events
    assert got.query_ticks(0, got.length_ticks, True) == list(arr.fill_variant.events)
    assert pairs.fill is not None and pairs.fill.notes == NotePairs(arr.fill_variant).notes
    assert got_plain.fill_variant is None and plain_pairs.fill is None


# -- properties ------------------------------------------------------------------------------
spans = st.lists(
    st.tuples(st.integers(0, 8 * 4 * PPQ), st.one_of(st.none(), st.integers(1, 3 * 4 * PPQ))),
    max_size=3,
)


@settings(max_examples=60, deadline=None)
@given(fills=spans, splits=st.lists(st.integers(1, 8 * 4 * PPQ - 1), max_size=4))
def test_fill_spans_split_invariant_and_every_note_paired(fills, splits) -> None:
    arr = with_fill(cue("one", 8))
    view = CueView(arr)
    for start, length in fills:
        view.add_fill(start, None if length is None else start + length)
    end = arr.length_ticks
    whole = view.query_ticks(0, end)
    cuts = [0, *sorted(set(splits)), end]
    parts = [e for a, b in zip(cuts, cuts[1:], strict=False) for e in view.query_ticks(a, b)]
    assert parts == whole
    sounding: dict[tuple[int, int], int] = {}
    for e in whole:
        if isinstance(e, NoteOn):
            key = (e.channel, e.note)
            assert key not in sounding, f"struck twice: {e}"
            sounding[key] = e.tick
            if e.track == "bass":  # the version is the fill control's state at the note-on
                assert (e.note >= 36 + FILL_UP) == view.fill_at(e.tick)
        elif isinstance(e, NoteOff):
            assert sounding.pop((e.channel, e.note), None) is not None, f"stray {e}"
    assert sounding == {}

"""Decimal nudges (`>0.35`) and a step's own gate (`=75%`): the exact timing `rig import`
writes, compiled to the tick; their misuse is an error at the character."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rig.project import Project
from rig.song.events import PPQ
from rig.song.steps import held_ticks, nudge_ticks

from .util import errors_of, expected, notes, song, write

STEP = PPQ // 4  # 1/16: 480 ticks, 20 ticks a 24th


def one_bar(project: Project, tmp_path: Path, pattern: str):  # noqa: ANN201
    text = song(f"  p: {pattern}\n", "  - {bars: 1, play: [p]}\n")
    return project.arrangement(write(tmp_path, text))


def test_decimal_nudge_reaches_single_ticks(project: Project, tmp_path: Path) -> None:
    a = one_bar(project, tmp_path, "{track: bass, steps: 'C2>0.05 D2<0.35 E2>6 F2>11.95'}")
    ons = [n[0] for n in notes(a)[:4]]
    assert ons == [1, STEP - 7, 2 * STEP + 120, 3 * STEP + 239]


def test_step_gate_sets_one_notes_length(project: Project, tmp_path: Path) -> None:
    a = one_bar(project, tmp_path, "{track: bass, steps: 'C2=50% D2 E2=97.92% ~ F2=250% . . .'}")
    lengths = [off - on for on, off, *_ in notes(a)[:4]]
    # 50 % of a step; the pattern's 90 %; one tied step + 97.92 % (470.0016 → 470); 2.5 steps
    assert lengths == [240, 432, STEP + 470, 1200]


def test_step_gate_goes_with_every_other_suffix(project: Project, tmp_path: Path) -> None:
    a = one_bar(project, tmp_path, "{track: bass, steps: '. C2+E2:90<0.5=120% . .'}")
    # 0.5/24 of 480 ticks early = 10 ticks; 120 % of a step = 576 ticks long; every 4 steps
    assert notes(a)[:2] == [(470, 1046, 2, 36, 90), (470, 1046, 2, 40, 90)]


@pytest.mark.parametrize(
    ("step", "col", "message"),
    [
        ("C2>0.12345", 30, "nudge 0.12345 has more than 4 decimals"),
        ("C2<24.0", 30, "nudge <24.0 is out of range (more than 0, less than 24: 24ths of a step)"),
        ("C2>0.0", 30, "nudge >0.0 is out of range (more than 0, less than 24: 24ths of a step)"),
        ("C2=0%", 30, "gate =0% is out of range (more than 0%, up to 800%)"),
        ("C2=800.01%", 30, "gate =800.01% is out of range (more than 0%, up to 800%)"),
        ("C2:90=", 33, "cannot read '=' after 'C2:90'"),
        ("C2=50", 30, "cannot read '=50' after 'C2'"),
    ],
)
def test_misuse_is_positioned(
    project: Project, tmp_path: Path, step: str, col: int, message: str
) -> None:
    path = write(tmp_path, song(f"  p: {{track: bass, steps: '{step} .'}}\n"))
    assert errors_of(project, path) == expected(path, (9, col, f"pattern 'p': steps: {message}"))


@given(st.integers(1, 7680), st.integers(-23, 23))
def test_whole_24ths_move_as_before(step: int, n: int) -> None:
    assert nudge_ticks(n, step) == n * step // 24  # the old integer rule, unchanged


@given(st.integers(1, 8), st.integers(1, 100), st.integers(1, 7680))
def test_pattern_gate_path_unchanged(held: int, percent: int, step: int) -> None:
    gate = Fraction(percent, 100)
    old = max(1, round((held - 1 + gate) * step))
    if held > 1 and gate >= 1:
        old = held * step
    assert held_ticks(held, None, gate, step) == old

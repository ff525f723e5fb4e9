"""The compiler's integer arithmetic is the rational arithmetic it replaced: a ramp sample,
a velocity and a step's timing come out as the Fraction formulas gave them, to the unit."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from rig.song.automation import round_div
from rig.song.dynamics import ACCENT_STEP, ACCENT_VELOCITY, base_velocity
from rig.song.model import Dynamics, PatternDef
from rig.song.stepplay import hit_table
from rig.song.steps import Step, held_ticks, nudge_ticks

RATIOS = st.fractions(min_value=0, max_value=4, max_denominator=100)


@given(st.integers(-(10**6), 10**6), st.integers(1, 10**4))
def test_round_div_is_round_of_the_fraction(num: int, den: int) -> None:
    assert round_div(num, den) == round(Fraction(num, den))


def _old_velocity(p: PatternDef, step: Step, index: int, share: Fraction, scale: Fraction) -> int:
    """The Fraction formula before the compiler was tuned (humanize and bounds aside)."""
    d = p.dynamics
    value: Fraction | int
    if step.velocity is not None:
        value = step.velocity
    elif step.accent:
        value = ACCENT_VELOCITY
    elif d.ramp is not None:
        start, to = d.ramp
        value = start + (to - start) * (0 if share < 0 else 1 if share > 1 else share)
    else:
        value = p.velocity
    out = Fraction(value) * scale
    if d.accent:
        out *= ACCENT_STEP[d.accent[index % len(d.accent)]]
    return round(out)


@given(
    st.one_of(st.none(), st.tuples(st.integers(1, 127), st.integers(1, 127))),
    st.lists(st.sampled_from("Xx."), max_size=8),
    st.one_of(st.none(), st.integers(1, 127)),
    st.booleans(),
    st.integers(-50, 500),
    st.integers(1, 400),
    RATIOS,
    st.integers(0, 40),
)
def test_base_velocity_is_the_fraction_formula(
    ramp,
    accent,
    written,
    accented,
    part,
    whole,
    scale,
    index,  # noqa: ANN001
) -> None:
    p = PatternDef("p", "t", "steps", Fraction(1, 16), 16, 100, Fraction(9, 10), Fraction(1, 2),
                   0, 4, "close", dynamics=Dynamics(ramp=ramp, accent=tuple(accent)))  # fmt: skip
    step = Step("hit", (60,), velocity=written, accent=accented)
    got = base_velocity(p, step, index, part, whole, scale)
    assert got == _old_velocity(p, step, index, Fraction(part, whole), scale)


STEPS = st.lists(
    st.builds(
        Step,
        kind=st.sampled_from(["hit", "hit", "rest", "tie"]),
        chance=st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(1)]),
        nudge=st.one_of(st.integers(-23, 23), st.fractions(-23, 23, max_denominator=10000)),
        gate=st.one_of(st.none(), st.fractions(Fraction(1, 100), 8, max_denominator=10000)),
    ),
    max_size=24,
)


@given(STEPS, st.sampled_from([20, 160, 240, 480, 1920, 7680]), RATIOS, st.integers(-100, 100))
def test_the_hit_table_is_each_steps_own_timing(steps, step_ticks, gate, swing) -> None:  # noqa: ANN001
    steps = tuple(steps)
    table = hit_table(steps, step_ticks, gate, swing)
    assert [h.index for h in table] == [i for i, s in enumerate(steps) if s.kind == "hit"]
    for hit in table:
        held = 1
        while hit.index + held < len(steps) and steps[hit.index + held].kind == "tie":
            held += 1
        step = steps[hit.index]
        swung = swing if hit.index % 2 else 0
        assert hit.delay == swung + nudge_ticks(step.nudge, step_ticks)
        assert hit.sounding == held_ticks(held, step.gate, gate, step_ticks)
        assert hit.offset == hit.index * step_ticks
        assert hit.chance == (1 if step.chance >= 1 else 0 if step.chance <= 0 else -1)

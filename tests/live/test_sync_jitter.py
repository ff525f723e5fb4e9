"""A tempo step under Gaussian input jitter, offline twin, against the best possible.

The master: 120 → 132 BPM at beat 8, Gaussian arrival jitter of σ = 0.5 ms on every
F8 (not clipped: "±1 ms" as ±2σ; one stamp in 20 strays further). The rig's clock
out over beats 1-4 after the step is compared with the master's jitter-free grid,
and with the best any follower could do on the same stamps: the least-squares
broken line through every stamp so far, told the step's clock (three parameters:
the hinge's time, the old and the new period — the minimum-variance unbiased
estimate under Gaussian jitter). One beat of 24 stamps with σ = 0.5 ms cannot pin
the new tempo to 0.2 ms p99 for every seed; the follower must come close to what
can be done, keep the steady state within 0.2 ms p99 (the issue's target), and be
within 0.2 ms from the second beat after the step in most runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from rig.commands.bench.sync_sim import Master, clock_errors

MS = 1e6
SEEDS = range(20)
JUMP = 8 * 24  # the step's clock (song clocks)


def master(seed: int) -> Master:
    return Master(120.0, 132.0, 8, None, 2, 24, 1.0, seed, 4, jitter="gaussian")


def best_possible(m: Master) -> np.ndarray:
    """|ms| of the broken-line least-squares prediction of each song clock from the
    stamps before it (told the step's clock), against the jitter-free grid."""
    lead = m.lead_beats * 24
    ideal = m.ideal()
    t = np.array([at for at, data in m.stamps() if data == b"\xf8"], dtype=float)
    step = lead + JUMP
    errors = np.zeros(len(ideal))
    for i in range(step + 24, step + 96):
        ks = np.arange(i)
        basis = np.vstack([np.ones(i), np.minimum(ks, step) - step, np.maximum(ks - step, 0)]).T
        (hinge, _, period), *_ = np.linalg.lstsq(basis, t[:i] - ideal[step], rcond=None)
        errors[i - lead] = abs(hinge + period * (i - step) - (ideal[i] - ideal[step])) / MS
    return errors


def test_a_tempo_step_under_gaussian_jitter_comes_close_to_the_best_possible():
    rig, best, later, steady = [], [], [], []
    for seed in SEEDS:
        m = master(seed)
        e = np.array(clock_errors(m))
        rig.append(np.percentile(e[JUMP + 24 : JUMP + 96], 99))
        best.append(np.percentile(best_possible(m)[JUMP + 24 : JUMP + 96], 99))
        later.append(np.percentile(e[JUMP + 48 : JUMP + 96], 99))
        steady.append(np.percentile(e[4 * 24 : JUMP], 99))
    rig_a, best_a = np.array(rig), np.array(best)
    report = f"rig {np.round(rig_a, 2)}\nbest {np.round(best_a, 2)}"
    # Measured: the rig's median 0.253 ms against the best's 0.263, within 0.2 ms in
    # 6 of 20 against 5, worst 0.57 against 0.55 (before: 0.281 median, 3 of 20 —
    # a step whose clock was not clear at the first look kept a free line).
    assert np.median(rig_a) <= 1.05 * np.median(best_a), report
    assert rig_a.max() <= best_a.max() + 0.05, report
    assert (rig_a <= 0.2).sum() >= (best_a <= 0.2).sum(), report
    assert (rig_a - best_a).max() < 0.1, report  # no seed far from what it allows
    assert sum(p <= 0.2 for p in later) >= 12, later  # beats 2-4: 15 of 20 measured
    assert max(steady) < 0.2, steady  # before the step: the target holds


@pytest.mark.parametrize("jitter", ["uniform", "gaussian"])
def test_a_small_step_stands_out_of_the_noise(jitter):
    """120 → 121 BPM (0.17 ms a clock): the stamps drift away slowly. The noise bound a
    stamp must pass to count as a move is a multiple of the innovations' RMS, which
    the drift itself raises: at 4 × RMS on a mature line the drift never stood out
    and the rig ran on at 120 BPM, 12 ms off the master four beats later. Measured:
    at most 2.2 ms (uniform) and 1.6 ms (Gaussian) off from a beat after the step."""
    worst = 0.0
    for seed in range(10):
        e = np.array(clock_errors(Master(120.0, 121.0, 8, None, 2, 24, 1.0, seed, 4, jitter)))
        worst = max(worst, e[JUMP + 24 :].max())
    assert worst < 3.0, worst

"""Curved envelopes and octave cutoffs without `powf` (`rig.dsp.curves`) against pyo's own.

Each curve is rendered both ways on the same server in the same run — pyo's
`Adsr.setExp` / `Pow(2, x)` (`Curves.exact`) and the products, square roots and `expf`
that replace them — through a whole note (attack, decay, sustain, release) with a gain
and an offset, and held sample for sample to float rounding.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from rig.dsp.curves import Curves, Envelope, octaves
from rig.dsp.server import import_pyo, offline_server
from tests.support.audio import SR

pytestmark = pytest.mark.audio

BLOCK = 128


def _run(build, blocks: int, release_at: int) -> np.ndarray:
    """Blocks of the (mono) signal `build(pyo)` returns as (signal, envelope to trigger)."""
    pyo = import_pyo()
    server = offline_server(pyo, SR, BLOCK)
    made = [build(pyo)]
    signal, trigger = made[0]
    table = pyo.NewTable(blocks * BLOCK / SR)
    rec = pyo.TableRec(signal, table)
    rec.play()
    if trigger is not None:
        trigger.play()
    for block in range(blocks):
        if block == release_at and trigger is not None:
            trigger.stop()
        server._server.process()
    out = np.array(table.getTable(), dtype=np.float64)
    del made, signal, trigger, rec, table
    gc.collect()
    server.stop()
    server.shutdown()
    return out


def _both(build, monkeypatch, blocks: int = 400, release_at: int = 250):
    with monkeypatch.context() as patch:
        patch.setattr(Curves, "exact", True)
        exact = _run(build, blocks, release_at)
    return exact, _run(build, blocks, release_at)


@pytest.mark.parametrize("curve", [1.5, 2.0, 2.5, 3.0, 4.0])
def test_a_curved_envelope_is_pyos_setexp_envelope(curve, monkeypatch):
    def build(pyo):
        env = Envelope(pyo, curve, 0.05, 0.3, 0.4, 0.2, add=0.25)
        env.set_gain(0.7)
        return pyo.Sig(env.out), env.adsr  # the Sig holds the curve's parts

    exact, ours = _both(build, monkeypatch)
    assert np.ptp(exact) > 0.5, "the envelope moves"
    assert exact.min() == pytest.approx(0.25, abs=1e-6)  # the offset, before the attack
    assert np.max(np.abs(ours - exact)) < 2e-6


def test_curves_the_shortcuts_do_not_cover_keep_pyos_powf(monkeypatch):
    def build(pyo):
        env = Envelope(pyo, 1.7, 0.05, 0.3, 0.4, 0.2)
        assert env.out is env.adsr and not env.parts
        env.set_gain(0.5)
        return pyo.Sig(env.out), env.adsr

    exact, ours = _both(build, monkeypatch)
    assert np.array_equal(exact, ours)


def test_an_octave_scaled_cutoff_is_pows(monkeypatch):
    def build(pyo):
        sweep = pyo.Sine(3.0, mul=4.0, add=-1.0)  # -5 to +3 octaves
        moved, _ = octaves(pyo, sweep, 1200.0)
        return pyo.Sig(moved), None

    exact, ours = _both(build, monkeypatch)
    assert exact.max() > 1200 * 2**2.9 and exact.min() < 1200 * 2**-4.9
    assert np.max(np.abs(ours - exact) / exact) < 2e-6

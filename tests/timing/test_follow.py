"""ClockFollower: tempo, phase and transport from MIDI clock stamps (pure, time injected)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rig.timing.follow import ClockFollower, Transport

MS = 1_000_000


def period_ns(bpm: float) -> float:
    return 60e9 / (bpm * 24)


def stamps(bpm: float, n: int, t0: float = 1e9, jitter_ms: float = 0.0, seed: int = 1):
    """n clock times of a master at `bpm`, with uniform ±jitter_ms arrival jitter."""
    rng = np.random.default_rng(seed)
    ideal = t0 + np.arange(n) * period_ns(bpm)
    noise = rng.uniform(-jitter_ms, jitter_ms, n) * MS if jitter_ms else np.zeros(n)
    return ideal, (ideal + noise).round().astype(np.int64)


def test_steady_tempo_with_jitter_meets_the_output_target():
    """±1 ms input jitter: the fitted grid lies within 0.2 ms (p99) of the master's
    average grid once the window is full, and the tempo is right to 0.05%."""
    ideal, got = stamps(120.0, 24 * 40, jitter_ms=1.0)
    f = ClockFollower()
    errors = []
    for i, t in enumerate(got):
        f.clock(int(t))
        if i >= 24 * 16 and i + 1 < len(ideal):  # predict the next clock from here
            errors.append(abs(f._time_of(f._k + 1) - ideal[i + 1]) / MS)
    assert abs(f.bpm - 120.0) < 0.06
    assert np.percentile(errors, 99) < 0.2
    assert 0.4 < f.jitter_ms < 0.8  # uniform ±1 ms has an RMS of 0.577 ms


def test_a_tempo_jump_settles_within_a_beat():
    _, first = stamps(120.0, 24 * 8, jitter_ms=1.0, seed=2)
    t_jump = int(first[-1])
    _, second = stamps(130.0, 48, t0=t_jump + period_ns(130.0), jitter_ms=1.0, seed=3)
    f = ClockFollower()
    for t in first:
        f.clock(int(t))
    assert abs(f.bpm - 120.0) < 0.2
    for t in second[:24]:
        f.clock(int(t))
    assert f.relocks >= 1
    assert abs(f.bpm - 130.0) < 1.3  # within 1% one beat after the jump
    for t in second[24:]:
        f.clock(int(t))
    assert abs(f.bpm - 130.0) < 0.4


def test_start_with_the_clock_running_is_known_at_once():
    """A master sending clock while stopped: Start names the next F8's time right away,
    so the engine can be on time for beat 0."""
    _, got = stamps(100.0, 60)
    f = ClockFollower()
    for t in got[:24]:
        f.clock(int(t))  # clock while stopped: tempo only
    assert not f.playing and f.take() == [] and abs(f.bpm - 100.0) < 0.01
    f.feed(b"\xfa", int(got[23]) + 1000)
    assert f.playing
    [event] = f.take()
    assert event.kind == "start" and event.beat == 0.0
    assert abs(event.at_ns - got[24]) < 2_000  # the next F8, predicted
    for t in got[24:49]:
        f.clock(int(t))
    assert f.take() == []
    assert f.beat_at(got[48]) == pytest.approx(1.0, abs=1e-4)
    assert f.ns_at(2.0) == pytest.approx(got[24] + 48 * period_ns(100.0), abs=2000)


def test_start_without_clock_waits_for_the_first_f8():
    _, got = stamps(100.0, 30)
    f = ClockFollower()
    f.feed(b"\xfa", int(got[0]) - 1000)
    assert not f.playing and f.take() == []
    f.feed(b"\xf8", int(got[0]))
    assert f.playing and f.take() == [Transport("start", int(got[0]), 0.0)]
    for t in got[1:25]:
        f.clock(int(t))
    assert f.beat_at(got[24]) == pytest.approx(1.0, abs=1e-4)


def test_spp_and_continue_locate_then_stop_resumes_where_it_left():
    _, got = stamps(120.0, 100)
    f = ClockFollower()
    for t in got[:10]:
        f.clock(int(t))
    f.feed(bytes([0xF2, 32, 0]), int(got[9]) + 10)  # 32 sixteenths = beat 8 = bar 3
    assert f.take() == [Transport("locate", int(got[9]), 8.0)]
    f.feed(b"\xfb", int(got[9]) + 20)
    [event] = f.take()
    assert event.kind == "continue" and event.beat == 8.0 and abs(event.at_ns - got[10]) < 1000
    f.clock(int(got[10]))
    assert f.beat_at(got[10]) == pytest.approx(8.0, abs=1e-4)
    for t in got[11:22]:
        f.clock(int(t))  # 12 clocks played in all: beat 8.5 is next
    f.feed(b"\xfc", int(got[21]) + 5)
    assert not f.playing
    assert f.take() == [Transport("stop", int(got[21]) + 5, 8.5)]
    f.feed(b"\xfb", int(got[22]))
    [event] = f.take()
    assert event.kind == "continue" and event.beat == 8.5


def test_spp_split_across_reads_and_real_time_bytes_inside_it():
    f = ClockFollower()
    f.feed(bytes([0xF2, 4]), 100)
    f.feed(bytes([0xF8, 1]), 200)  # F8 may interleave a message; MSB 1 = 128 + 4
    assert f.take() == [Transport("locate", 200, (132 * 6) / 24)]


def test_master_lost_keeps_the_last_tempo_running():
    _, got = stamps(90.0, 48)
    f = ClockFollower()
    f.feed(b"\xfa", int(got[0]) - 1000)
    for t in got:
        f.clock(int(t))
    last = int(got[-1])
    p = period_ns(90.0)
    assert not f.lost(last + int(1.5 * p))
    assert f.lost(last + int(2.5 * p))
    assert f.playing  # the flywheel: still playing, on the fitted line
    assert f.beat_at(last + 240 * p) == pytest.approx(47 / 24 + 10.0, abs=1e-3)


def test_an_absurd_master_tempo_is_refused_and_the_old_one_holds():
    _, slow = stamps(120.0, 48)
    f = ClockFollower()
    for t in slow:
        f.clock(int(t))
    fast = int(slow[-1]) + np.arange(1, 30) * period_ns(999.0)
    for t in fast:
        f.clock(int(t))
    assert abs(f.bpm - 120.0) < 0.01
    assert "999 BPM is outside 20-400 BPM" in f.error


def test_garbage_is_counted_not_followed():
    f = ClockFollower()
    f.feed(bytes([0x90, 60, 100, 0xF9, 0x12, 0xFD]), 10)
    assert f.garbage == 6 and f.take() == [] and f.bpm == 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(min_size=1, max_size=6), st.integers(1, 50 * MS))))
def test_any_byte_stream_never_raises(chunks):
    f = ClockFollower()
    now = 0
    for data, gap in chunks:
        now += gap
        f.feed(data, now)
        f.beat_at(now)
        f.lost(now)
        assert f.bpm == 0.0 or 20.0 <= f.bpm <= 400.0


def test_a_burst_of_late_stamps_does_not_move_the_line():
    """A busy input thread: three stamps 5, 4, 3 ms late, then on time again."""
    ideal, got = stamps(120.0, 24 * 20, jitter_ms=0.5, seed=5)
    got = got.copy()
    got[300:303] += np.array([5, 4, 3]) * MS
    f = ClockFollower()
    errors = []
    for i, t in enumerate(got):
        f.clock(int(t))
        if i >= 24 * 8 and i + 1 < len(ideal):
            errors.append(abs(f._time_of(f._k + 1) - ideal[i + 1]) / MS)
    assert f.relocks == 0
    assert max(errors) < 0.3


def test_the_output_slews_onto_a_relocked_line_never_backwards_never_a_jump():
    """A tempo jump makes the follower relock; the source's output (what the engine
    plays by) stays continuous at every stamp, only ever moves forwards, and is on
    the new line a slew after the last correction (rig.timing.source.MidiSource)."""
    from rig.timing.source import MidiSource

    src = MidiSource()
    period_a = 60e9 / (120 * 24)
    period_b = 60e9 / (150 * 24)
    stamps = [round(i * period_a) for i in range(96)]
    t = stamps[-1]
    stamps += [round(t + (i + 1) * period_b) for i in range(96)]
    src.feed(b"\xfa", 0)
    jumps = []
    for at in stamps:
        before = src.beat_at(at) if src.follower.locked else None
        src.feed(b"\xf8", at)
        if before is not None:
            jumps.append(abs(src.beat_at(at) - before))
        # between stamps the output moves forwards, and ns_at inverts beat_at
        for frac in (0.25, 0.5, 0.75) if src.follower.locked else ():
            probe = at + frac * period_b
            assert src.ns_at(src.beat_at(probe)) == pytest.approx(probe, abs=1.0)
    assert src.follower.relocks >= 1
    assert max(jumps) < 1e-9  # continuous at every stamp, relocks included
    grid = [stamps[95] + i * 50_000 for i in range(40 * 24 * 20)]
    beats = [src.beat_at(g) for g in grid]
    assert all(b2 > b1 for b1, b2 in zip(beats, beats[1:], strict=False))
    # a slew after the last stamp's correction (a beat: the fit is full), output == line
    late = stamps[-1] + 25 * period_b
    assert src.beat_at(late) == pytest.approx(src.follower.beat_at(late), abs=1e-12)


def test_the_jitter_shape_is_judged_on_the_fits_residuals():
    """Uniform ±1 ms is bounded and Gaussian σ = 0.5 ms is not, in every seed: judged
    on the innovations (which carry the line's own moves) uniform jitter read
    max/RMS up to 2.11 and one seed in 20 was taken for Gaussian."""
    judged = {"uniform": [], "gaussian": []}
    for kind in judged:
        for seed in range(30):
            rng = np.random.default_rng(seed)
            ideal = 1e9 + np.arange(24 * 12) * period_ns(120.0)
            n = len(ideal)
            noise = rng.uniform(-1, 1, n) if kind == "uniform" else rng.normal(0, 0.5, n)
            f = ClockFollower()
            for t in ideal + noise * MS:
                f.clock(int(t))
            judged[kind].append(f.bounded)
    assert all(judged["uniform"]), judged["uniform"]
    assert not any(judged["gaussian"]), judged["gaussian"]


def test_a_step_clock_not_clear_at_first_is_found_a_few_stamps_later():
    """Gaussian jitter: three stamps after a 120 → 132 BPM step rarely tell at which
    clock it began; the young fit keeps looking, and anchors at the step's clock
    (measured: 30 of 30 within 12 stamps; before, a step not clear at the first look
    kept a free line: 28 of 30)."""
    anchored = 0
    for seed in range(30):
        rng = np.random.default_rng(seed)
        p0, p1 = period_ns(120.0), period_ns(132.0)
        ks = np.arange(24 * 14)
        step = 24 * 10
        ideal = 1e9 + np.where(ks <= step, ks * p0, step * p0 + (ks - step) * p1)
        f = ClockFollower()
        for t in ideal + rng.normal(0, 0.5, len(ks)) * MS:
            f.clock(int(t))
            if f._k == step + 20:
                fit = f._fit
                anchored += fit.anchor is not None and fit.k0 == step
    assert anchored == 30, anchored

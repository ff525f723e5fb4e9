"""The recorder-side checks of rig.probe.stream on hand-made streams."""

from __future__ import annotations

from rig.probe.stream import clock_runs, grid_fit, match_ticks, note_pairs

ON, OFF = 0x90, 0x80


def test_note_pairs_counts_retriggers_stray_offs_and_what_is_left():
    events = [
        (0, bytes([ON, 60, 100])),
        (1, bytes([ON, 60, 100])),  # re-trigger
        (2, bytes([OFF, 60, 0])),
        (3, bytes([OFF, 61, 0])),  # stray
        (4, bytes([ON | 1, 60, 90])),  # another channel: its own note
        (5, bytes([ON, 62, 0])),  # velocity 0: an off (stray)
        (6, b"\xf8"),
    ]
    pairs = note_pairs(events)
    assert (pairs.ons, pairs.offs, pairs.retriggers, pairs.stray_offs) == (3, 3, 1, 2)
    assert pairs.sounding == [(1, 60)] and pairs.stuck == 1


def test_clock_runs_split_at_start_and_stop():
    events = [(0, b"\xf8"), (10, b"\xfa"), (20, b"\xf8"), (30, b"\xf8"), (35, b"\xfc"),
              (40, b"\xf8"), (50, b"\xfb"), (60, b"\xf8")]  # fmt: skip
    runs = clock_runs(events)
    assert [(r.start_frame, r.ticks, r.stop_frame) for r in runs] == [
        (10, (20, 30), 35),
        (50, (60,), None),
    ]


def test_grid_fit_finds_the_line():
    a, rate, res = grid_fit([100, 1100, 2100, 3101], [0.0, 1.0, 2.0, 3.0])
    assert abs(rate - 1000.3) < 0.01 and max(abs(r) for r in res) < 1


def test_match_ticks_counts_lost_and_extra_ticks_without_shifting_the_rest():
    rate = 1000.0
    plan = [i * 0.5 for i in range(20)]  # a tick every 500 frames
    frames = [round(t * rate) + 7 for t in plan]
    del frames[5]  # lost
    frames.insert(9, frames[8] + 3)  # a doubled tick: extra
    m = match_ticks(frames, plan, rate)
    assert (m.received, m.planned, m.matched, m.lost, m.extra) == (20, 20, 19, 1, 1)
    assert m.max_offgrid < 1e-6 and max(m.steps) == 0


def test_match_ticks_expects_nothing_after_the_stop():
    plan = [i * 0.5 for i in range(20)]
    frames = [round(t * 1000) for t in plan[:8]]
    m = match_ticks(frames, plan, 1000.0, stop_frame=frames[-1] + 250)
    assert (m.planned, m.lost) == (8, 0)


def test_match_ticks_expects_a_tick_on_the_stops_own_frame():
    """The Stop follows what the sinks hold: a tick due on its frame went out first.
    Ticks land on the nearest frame, so the line through them may put that tick up
    to half a frame after the Stop (a soak counted 745 ticks matched of 744 planned)."""
    rate = 1000.0
    plan = [i * 0.5171 for i in range(20)]  # 517.1 frames apart: rounded, not exact
    frames = [round(t * rate) for t in plan[:9]]
    a, r, res = grid_fit(frames, plan[:9])
    assert a + r * plan[8] > frames[8]  # the fit puts the last tick after its frame
    m = match_ticks(frames, plan, rate, stop_frame=frames[8])
    assert (m.received, m.planned, m.matched, m.lost) == (9, 9, 9, 0)
    m = match_ticks(frames[:8], plan, rate, stop_frame=frames[8])  # not sent: lost
    assert (m.planned, m.lost) == (9, 1)


def test_a_tick_before_the_stop_is_planned_even_where_the_fit_puts_it_after():
    plan = [i * 0.5 for i in range(20)]
    frames = [round(t * 1000) for t in plan[:8]]
    frames[3] += 60  # an xrun cycle wrote one tick late: the fit leans late
    frames[7] -= 20  # the last tick just before the Stop, early of the fitted grid
    stop = frames[7] + 10
    m = match_ticks(frames, plan, 1000.0, stop_frame=stop)
    assert (m.planned, m.matched, m.lost) == (8, 8, 0)
    # A tick after the Stop is not made planned: matched > planned shows it.
    late = match_ticks(frames + [frames[7] + 500], plan, 1000.0, stop_frame=stop)
    assert (late.planned, late.matched) == (8, 9)

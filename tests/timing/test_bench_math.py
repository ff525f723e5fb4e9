"""`rig bench clock`'s arithmetic: grid errors, drift, and the PNG writer."""

from __future__ import annotations

import zlib

from rig.commands.bench.clock import grid_errors, write_png


def test_grid_errors_and_drift_of_a_known_series():
    period = 20_833_333.0
    exact = [1e9 + k * period for k in range(100)]
    errors, drift = grid_errors(exact, period, 1e9)
    assert max(abs(e) for e in errors) < 1e-6 and abs(drift) < 1e-6
    slow = [1e9 + k * period * (1 + 100e-6) for k in range(100)]  # 100 ppm slow
    errors, drift = grid_errors(slow, period, 1e9)
    assert abs(drift - 100) < 1e-6
    assert abs(errors[-1] - 99 * period * 100e-6 / 1000) < 1e-6  # grows to 206 µs
    jitter = [t + (5000 if k % 2 else -5000) for k, t in enumerate(exact)]
    errors, _ = grid_errors(jitter, period)  # t0 fitted
    assert sorted({round(abs(e)) for e in errors}) in ([0, 10], [5])


def test_png_is_a_valid_rgb_image(tmp_path):
    path = tmp_path / "j.png"
    write_png(path, [[0.0, 50.0, -700.0], []], width=40, strip=20)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR" and int.from_bytes(data[16:20], "big") == 40
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4 : idat], "big")
    raw = zlib.decompress(data[idat + 4 : idat + 4 + length])
    assert len(raw) == 40 * (1 + 40 * 3)


def test_a_lost_tick_costs_one_tick_not_a_shift_of_all_later_ones():
    from rig.commands.bench.clock import grid_errors, match_planned

    planned = [1000 * k for k in range(10)]
    received = [f for f in planned if f != 4000]  # one lost on the way
    ks, worst = match_planned(received, planned)
    assert ks == [0, 1, 2, 3, 5, 6, 7, 8, 9] and worst == 0
    errors, drift = grid_errors([float(f) for f in received], 1000.0, 0.0, indices=ks)
    assert errors == [0.0] * 9 and abs(drift) < 1e-9


def test_tick_errors_against_the_tempo_map():
    from rig.commands.bench.clock_engines import tick_errors

    plan = [k / 100 for k in range(50)]  # 100 ticks a second: 480 frames apart
    exact = [1000 + k * 480 for k in range(50)]
    off, jitter = tick_errors(exact, plan, 48000)
    assert off == [0] * 50 and max(abs(j) for j in jitter) < 1e-6
    # One tick lost, one 64 frames late: the lost one shifts nothing, the late one
    # is the only tick off (by 64 frames, 1333 µs less its share of the fitted line).
    moved = exact[:10] + exact[11:20] + [exact[20] + 64] + exact[21:]
    off, jitter = tick_errors(moved, plan, 48000)
    assert sorted(set(off)) == [0, 64] and off.count(64) == 1
    assert 1200 < max(jitter) < 1334
    # A sender drifting 100 ppm against the frames: off the map, but no jitter.
    drifting = [1000 + round(k * 480 * 1.0001) for k in range(50)]
    off, jitter = tick_errors(drifting, plan, 48000)
    assert max(abs(o) for o in off) >= 1 and max(abs(j) for j in jitter) < 21


def test_a_soak_whose_run_jack_skipped_cycles_in_says_so_first():
    from rig.commands.bench.soak import SoakFigures

    fine = SoakFigures(minutes=0.25, wall_minutes=0.05, freewheel=True)
    assert fine.lines()[0].startswith("played 0.2 min")
    bad = SoakFigures(minutes=63.7, wall_minutes=0.093, freewheel=True, skipped="JACK skipped")
    assert bad.lines()[0] == "NOT A VALID RUN: JACK skipped"
    assert bad.lines()[1:] == SoakFigures(minutes=63.7, wall_minutes=0.093, freewheel=True).lines()

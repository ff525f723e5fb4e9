"""`rig bench clock`, engines part, in a tiny configuration on the private JACK server:
one bar of Inferno through the frame engine and the deadline engine, in freewheel and
in real time, at the independent recorder (isobar's row needs its venv: left out).

Asserted is the report's structure and that its figures are measured, not constants:
the frame engine in freewheel puts every clock tick on the tempo map's frame (exact:
freewheel has no deadlines), every row counts its own cycles, CPU and callback time,
and no note is left sounding (in real time: unless the server xrun, which can cost
the recorder a cycle's MIDI). Speed itself is never asserted (a figure, not a test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.commands.bench.clock import main
from rig.commands.bench.clock_engines import (
    DEADLINE,
    EMPTY_CLIENT,
    EMPTY_CONNECTED,
    FRAME,
    FREEWHEEL,
    HEADER,
    NATIVE_CLIENT,
    REALTIME,
    STOPPED,
    EngineRow,
    _native_row,
    engines_markdown,
    run_engines,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.jack
@pytest.mark.slow
def test_engines_part_measures_every_row(jack_server):
    said: list[str] = []
    fractions: list[float] = []
    # The rows that play nothing (stopped, the floor) for 0.5 s, not the bar's 2.4 s:
    # what they measure is per cycle and per second.
    rows = run_engines(REPO, 1.0, None, said.append, fractions.append, idle_s=0.5)
    assert [(r.engine, r.mode) for r in rows] == [
        (FRAME, FREEWHEEL), (DEADLINE, FREEWHEEL), (FRAME, REALTIME), (DEADLINE, REALTIME),
        (FRAME, STOPPED), (DEADLINE, STOPPED), (EMPTY_CLIENT, REALTIME),
        (EMPTY_CONNECTED, REALTIME), (NATIVE_CLIENT, REALTIME),
    ]  # fmt: skip
    assert fractions == [n / 9 for n in range(1, 10)]  # the progress bar's steps
    frame_fw = rows[0]
    assert not frame_fw.skipped and not rows[1].skipped, frame_fw.skipped  # reason first
    assert frame_fw.expected == 4 * 24  # one bar of 4/4 at 24 PPQN
    assert frame_fw.ticks == frame_fw.expected
    assert frame_fw.frames_off == (0, 0)  # every tick on its tempo map frame
    *engines, floor, connected, native = rows
    # The floor: a process whose JACK callback does nothing, as long as a section plays
    # (connected: one port per device, to the recorders as the engine's).
    for f in (floor, connected):
        assert f.cycles > 0 and f.cpu_seconds > 0 and f.wall_seconds >= 0.5, f
        assert f.callback_us is None and f.expected == f.note_ons == 0, f
    assert "4 MIDI ports connected" in connected.note
    # The native floor: jack_midiseq (C) connected to the recorders, measured by its
    # threads' run time; what reached the recorders shows it was connected and playing.
    if "not installed" not in native.note:
        assert native.cycles > 0 and native.cpu_seconds > 0 and native.wall_seconds >= 0.5
        assert native.note_ons > 0 and native.expected == 0 and native.callback_us is None
        assert "connected to the 2 recorders" in native.note
    for r in engines:
        assert r.cycles > 0 and r.cpu_seconds > 0 and r.wall_seconds > 0, r
        assert r.callback_us is not None, r
        if r.engine == FRAME and r.mode == STOPPED:
            # Its cycles are quiet (a frame read and a few compares), and quiet cycles
            # are not timed: the callback figures may be 0 (its CPU is still measured).
            assert 0 <= r.callback_us[0] and 0 <= r.callback_us[1], r
        else:
            assert 0 < r.callback_us[0] <= r.callback_us[1], r
        # Nothing left sounding; in real time an xrun cycle can lose note-offs at the
        # recorder itself (measured), so there only a run without xruns is exact.
        assert r.sounding == 0 or (r.mode == REALTIME and r.xruns > 0), r
        if r.mode == STOPPED:  # the floor: open, nothing sent
            assert r.ticks == r.expected == r.note_ons == 0, r
        else:
            assert r.ticks > 0 and r.note_ons > 0, r
    # Measured, not constant: each row's own CPU, cycles and wall time.
    assert len({r.cpu_seconds for r in rows}) > 1 and len({r.cycles for r in rows}) > 1
    assert len({r.wall_seconds for r in rows}) == len(rows)
    text = engines_markdown(rows, 1.0, "load average 1.00, 1.00, 1.00 on 2 cores")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0] == "| " + " | ".join(HEADER) + " |"
    assert len(table) == 1 + len(rows)
    assert all(line.count(" | ") == len(HEADER) - 1 for line in table)
    assert "| rig frame engine | real time |" in text and "| 1.00 |" in text  # the baseline
    assert f"| {EMPTY_CLIENT} | real time | 0 of 0 | - | - |" in text
    assert f"| {EMPTY_CONNECTED} | real time | 0 of 0 | - | - |" in text
    assert f"| {NATIVE_CLIENT} | real time | 0 of 0 | - | - |" in text


def test_the_native_floor_row_says_when_its_tool_is_missing():
    row = _native_row(0.1, "rig-bench-native", 1.0, ("a:in",), tool="no-such-midiseq-tool")
    assert "no-such-midiseq-tool not installed" in row.note
    assert row.cycles == 0 and row.cpu_seconds == 0
    text = engines_markdown([row], 1.0, "load average 1.00, 1.00, 1.00 on 2 cores")
    line = next(x for x in text.splitlines() if x.startswith(f"| {NATIVE_CLIENT} |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[HEADER.index("CPU % one core")] == "-"
    assert cells[HEADER.index("CPU µs per cycle")] == "-"


def test_a_freewheel_row_whose_run_jack_skipped_cycles_in_is_not_printed_as_valid():
    # Its figures would look like an engine's fault (every tick late or missing) or, by
    # chance, fine: the table says the row is not valid, and why, instead.
    fine = EngineRow(FRAME, FREEWHEEL, ticks=96, expected=96, note="late 0")
    bad = EngineRow(DEADLINE, FREEWHEEL, ticks=3, expected=96, note="late 90")
    bad.skipped = "JACK skipped cycles in freewheel: 2 jump(s)"
    table = engines_markdown([fine, bad], 1.0, "load").splitlines()
    assert "| 96 of 96 | 0 / 0 |" in table[-2] and table[-2].endswith("| late 0 |")
    assert "| 3 of 96 |" not in table[-1] and "| NOT VALID | NOT VALID | NOT VALID |" in table[-1]
    assert table[-1].endswith("| JACK skipped cycles in freewheel: 2 jump(s) |")


def test_help_has_an_example_and_bad_options_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "rig bench clock --part engines" in capsys.readouterr().out
    assert main(["--seconds", "0"]) == 2


def test_no_isobar_or_no_project_folder_is_said_in_one_line(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "no-such-python"
    monkeypatch.chdir(REPO)
    assert main(["--part", "engines", "--isobar-python", str(missing)]) == 3
    assert capsys.readouterr().err.strip() == f"rig bench: isobar does not import in {missing}"
    monkeypatch.chdir(tmp_path)  # no songs/inferno.yaml here
    assert main(["--part", "engines", "--no-isobar"]) == 2
    assert "songs/inferno.yaml not found" in capsys.readouterr().err

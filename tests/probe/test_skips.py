"""Counting the cycles JACK skipped (`rig.probe.skips`), offline: a jump between two
freewheel cycles is the server's runaway; one in real time, or across the switch, is
an xrun; the counter wraps; a repeated frame is not frames lost."""

from __future__ import annotations

import pytest

from rig.probe.skips import CycleGaps, FreewheelSkipped, skip_message

P = 64


def feed(gaps: CycleGaps, frames: list[int], wheel: list[bool]) -> CycleGaps:
    for frame, on in zip(frames, wheel, strict=True):
        gaps.cycle(frame, P, on)
    return gaps


def test_back_to_back_cycles_skip_nothing():
    gaps = feed(CycleGaps(), [0, 64, 128, 192], [False, True, True, False])
    assert (gaps.gaps, gaps.frames, gaps.freewheel_gaps) == (0, 0, 0)


def test_a_jump_between_two_freewheel_cycles_is_the_servers():
    gaps = feed(CycleGaps(), [0, 64, 64 + 48000, 64 + 48064], [True] * 4)
    assert (gaps.freewheel_gaps, gaps.freewheel_frames) == (1, 48000 - 64)
    assert gaps.worst == 48000 - 64


def test_a_jump_in_real_time_or_across_the_switch_is_an_xrun():
    frames = [0, 64, 640, 2000, 2064, 3000]
    wheel = [False, False, False, True, True, False]
    gaps = feed(CycleGaps(), frames, wheel)
    assert gaps.gaps == 3 and gaps.freewheel_gaps == 0


def test_the_frame_counter_wraps():
    top = (1 << 32) - P
    gaps = feed(CycleGaps(), [top - P, top, 0, P, 3 * P], [True] * 5)
    assert (gaps.freewheel_gaps, gaps.freewheel_frames) == (1, P)


def test_a_frame_seen_twice_is_no_frames_lost():
    gaps = feed(CycleGaps(), [0, 64, 64, 128], [True] * 4)
    assert gaps.repeats == 1 and gaps.gaps == 0 and gaps.frames == 0


def test_the_message_says_what_and_that_the_run_is_not_frame_exact():
    text = skip_message(3, 96000, 48000)
    assert "3 jump(s)" in text and "2.0 s of timeline" in text and "frame-exact" in text
    with pytest.raises(AssertionError):
        raise FreewheelSkipped(text)


@pytest.mark.jack
def test_the_freewheel_fixture_watches_and_fails_saying_why(freewheel):
    import time

    with freewheel:
        time.sleep(0.3)
    assert freewheel.gaps is not None and freewheel.gaps.cycles > 0  # it watched
    assert freewheel.gaps.freewheel_gaps == 0  # a sound run (else it raised)
    # jack2's runaway cannot be made on purpose: its count is set by hand here.
    with pytest.raises(FreewheelSkipped, match=r"1 jump\(s\), 48000 frames \(1\.0 s"):
        with freewheel:
            freewheel.gaps.freewheel_gaps, freewheel.gaps.freewheel_frames = 1, 48000
    with pytest.raises(AssertionError, match="a frame-exact check") as failed:
        with freewheel:
            freewheel.gaps.freewheel_gaps = 2
            raise AssertionError("a frame-exact check")
    assert "JACK skipped cycles in freewheel: 2 jump(s)" in failed.value.__notes__[0]

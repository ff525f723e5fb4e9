"""MIDI timecode: timecodes (drop-frame too), quarter frames out, a reader that chases."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rig.timing.mtc import (
    MtcReader,
    Timecode,
    frame_seconds,
    full_frame,
    parse_timecode,
    quarter_frame,
    quarter_frames,
)

FPS = (24, 25, 2997, 30)


def test_parse_and_print():
    tc = parse_timecode("01:00:12:05")
    assert tc == Timecode(1, 0, 12, 5, 25) and str(tc) == "01:00:12:05"
    assert parse_timecode("00:01:00;02").fps == 2997
    assert str(parse_timecode("00:01:00;02")) == "00:01:00;02"
    with pytest.raises(ValueError, match="not HH:MM:SS:FF"):
        parse_timecode("1:2:3")
    with pytest.raises(ValueError, match="out of range"):
        parse_timecode("00:00:00:25", 25)
    with pytest.raises(ValueError, match="does not exist in drop-frame"):
        parse_timecode("00:01:00;00")


def test_drop_frame_numbers():
    """29.97 drop-frame skips frames 0 and 1 each minute except every tenth."""
    assert parse_timecode("00:01:00;02").frame_number == 1800
    assert parse_timecode("00:10:00;00").frame_number == 17982
    assert Timecode.from_frame(1799, 2997) == Timecode(0, 0, 59, 29, 2997)
    assert Timecode.from_frame(1800, 2997) == Timecode(0, 1, 0, 2, 2997)
    # an hour of drop-frame is an hour of wall clock to within 3.6 ms
    assert abs(float(parse_timecode("01:00:00;00").seconds_total) - 3600) < 0.004


@settings(max_examples=200)
@given(st.sampled_from(FPS), st.integers(0, 24 * 3600 * 25 - 1))
def test_frame_numbers_round_trip(fps, n):
    n %= 24 * 3600 * (30 if fps == 2997 else fps) - (2592 if fps == 2997 else 0)
    assert Timecode.from_frame(n, fps).frame_number == n


def test_full_frame_bytes():
    tc = Timecode(1, 2, 3, 4, 30)
    assert full_frame(tc) == bytes([0xF0, 0x7F, 0x7F, 0x01, 0x01, 0x61, 2, 3, 4, 0xF7])


def test_quarter_frame_pieces():
    # frame 2·(9 div 8) = 2 of 00:00:00:02 at 25 fps: piece 1 = frames high nibble = 0
    assert quarter_frame(8, 25) == bytes([0xF1, 0x02])
    assert quarter_frame(15, 25) == bytes([0xF1, 0x72])  # piece 7: rate 25 = code 1


@pytest.mark.parametrize("fps", FPS)
def test_ten_minutes_out_decoded_quarter_frame_by_quarter_frame(fps):
    """Every quarter frame of 10 minutes, decoded: the reader's position equals the
    sender's timeline at each one (no drift), one locate (the first lock), no errors."""
    start = Fraction(3600)  # from 01:00:00:00
    out = quarter_frames(start, start + 600, fps)
    quarter = frame_seconds(fps) / 4
    assert len(out) in (int(600 / quarter), int(600 / quarter) + 1)
    reader = MtcReader()
    worst = 0.0
    for seconds, data in out:
        at_ns = int((seconds - start) * 1_000_000_000)
        reader.feed(data, at_ns)
        if reader.locked:
            worst = max(worst, abs(reader.seconds_at(at_ns) - float(seconds)))
    assert reader.fps == fps
    assert reader.errors == 0
    assert len(reader.locates) == 1
    assert worst < 1e-6  # ns rounding only: nowhere near a quarter frame
    assert 0 < start + 600 - out[-1][0] <= quarter  # the last one, within a quarter frame


def test_a_jump_in_timecode_is_a_locate():
    reader = MtcReader()
    for seconds, data in quarter_frames(10, 11, 25):
        reader.feed(data, int(seconds * 1e9))
    for seconds, data in quarter_frames(3600, 3601, 25):
        reader.feed(data, int((seconds - 3589) * 1e9))
    assert [float(s) for s in reader.locates] == [pytest.approx(10.0, abs=0.2), 3600.0]


def test_full_frame_locates_and_stops_the_chase():
    reader = MtcReader()
    reader.feed(full_frame(parse_timecode("01:00:12:05")) + b"\xf8", 0)
    assert reader.locates == [Fraction(3612) + Fraction(5, 25)]
    assert not reader.locked and not reader.running(0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=12)))
def test_any_bytes_never_raise(chunks):
    reader = MtcReader()
    for i, data in enumerate(chunks):
        reader.feed(data, i * 1_000_000)
        reader.seconds_at(i * 1_000_000)

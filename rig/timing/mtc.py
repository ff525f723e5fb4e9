"""MIDI timecode (MTC): timecodes, quarter frames and full-frame messages, both ways.

Pure: no I/O, time passed in. `reference/hardware.md` §4 has the wire facts:
quarter frame ``F1 0nnndddd`` (piece nnn 0-7: frames LS/MS, seconds LS/MS, minutes
LS/MS, hours LS / hours MS + rate), 4 per frame, so 8 carry one whole time over two
frames; full frame ``F0 7F 7F 01 01 hh mm ss ff F7`` (hh = rate << 5 | hours) on
every locate.

Sending is closed-form and so cannot drift: quarter frame q of the timecode line
lies at ``q · frame / 4`` seconds after 00:00:00:00, its piece is ``q mod 8`` and
its time is the frame ``2 · (q div 8)`` — the frame at which piece 0 of its cycle
went out (a receiver adds two frames when the cycle is complete). 29.97 fps is
drop-frame: frame numbers 0 and 1 are skipped at the start of every minute except
each tenth, so the timecode stays with the clock on the wall (1001/30000 s a frame).

Receiving (`MtcReader`) collects the pieces, and once a forward cycle is complete
knows where the timecode line is at each quarter frame's arrival; a full frame or a
quarter frame that disagrees with the prediction by more than a frame is a locate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from rig.midi.wire import MTC_FULL_FRAME, MTC_QUARTER_FRAME, MTC_RATES, SYSEX_END

__all__ = [
    "Timecode",
    "RATES",
    "frame_seconds",
    "parse_timecode",
    "quarter_frame",
    "quarter_frames",
    "full_frame",
    "MtcReader",
]

# Frame rates by name, as a config or song writes them; the wire code is MTC_RATES'.
RATES = {"24": 24, "25": 25, "29.97": 2997, "30": 30}
_FPS_OF_CODE = {code: fps for fps, code in MTC_RATES.items()}
_NOMINAL = {24: 24, 25: 25, 2997: 30, 30: 30}  # frames counted per timecode second


def frame_seconds(fps: int) -> Fraction:
    """The length of one frame in seconds (exact)."""
    return Fraction(1001, 30000) if fps == 2997 else Fraction(1, fps)


@dataclass(frozen=True, slots=True, order=True)
class Timecode:
    """HH:MM:SS:FF at a frame rate (fps 24, 25, 2997 = 29.97 drop-frame, or 30)."""

    hours: int
    minutes: int
    seconds: int
    frames: int
    fps: int = 25

    def __str__(self) -> str:
        sep = ";" if self.fps == 2997 else ":"
        return f"{self.hours:02d}:{self.minutes:02d}:{self.seconds:02d}{sep}{self.frames:02d}"

    @property
    def frame_number(self) -> int:
        """Frames since 00:00:00:00 (drop-frame numbers skipped)."""
        nominal = _NOMINAL[self.fps]
        total_minutes = 60 * self.hours + self.minutes
        n = ((total_minutes * 60) + self.seconds) * nominal + self.frames
        if self.fps == 2997:
            n -= 2 * (total_minutes - total_minutes // 10)
        return n

    @property
    def seconds_total(self) -> Fraction:
        """Seconds on the wall clock since 00:00:00:00."""
        return self.frame_number * frame_seconds(self.fps)

    @classmethod
    def from_frame(cls, n: int, fps: int) -> Timecode:
        """The timecode of frame `n` (wraps at 24 hours, as MTC does)."""
        nominal = _NOMINAL[fps]
        if fps == 2997:  # put the dropped numbers back: 17982 frames per ten minutes
            tens, rest = divmod(n, 17982)
            n += 18 * tens + (2 * ((rest - 2) // 1798) if rest >= 2 else 0)
        n %= 24 * 3600 * nominal
        frames = n % nominal
        secs = n // nominal
        return cls(secs // 3600, secs // 60 % 60, secs % 60, frames, fps)

    @classmethod
    def from_seconds(cls, seconds: float | Fraction, fps: int) -> Timecode:
        """The frame that is showing at `seconds` after 00:00:00:00."""
        return cls.from_frame(int(Fraction(seconds) / frame_seconds(fps)), fps)


_TC = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.])(\d{2})$")


def parse_timecode(text: str, fps: int = 25) -> Timecode:
    """'01:00:12:05' (or 01:00:12;05 for drop-frame) -> Timecode; ValueError says why."""
    m = _TC.match(str(text).strip())
    if not m:
        raise ValueError(f"timecode '{text}' is not HH:MM:SS:FF (e.g. 01:00:12:05)")
    h, mi, s, sep, f = m.groups()
    tc = Timecode(int(h), int(mi), int(s), int(f), 2997 if sep == ";" else fps)
    nominal = _NOMINAL[tc.fps]
    if tc.hours > 23 or tc.minutes > 59 or tc.seconds > 59 or tc.frames >= nominal:
        raise ValueError(f"timecode '{text}' is out of range (frames 0-{nominal - 1})")
    if tc.fps == 2997 and tc.frames < 2 and tc.seconds == 0 and tc.minutes % 10:
        raise ValueError(f"timecode '{text}' does not exist in drop-frame (frames 0, 1 skipped)")
    return tc


def _rate_code(fps: int) -> int:
    return MTC_RATES[fps]


def quarter_frame(q: int, fps: int) -> bytes:
    """Quarter frame number `q` of the timecode line (q = 0 at 00:00:00:00)."""
    piece = q % 8
    tc = Timecode.from_frame(2 * (q // 8), fps)
    value = (tc.frames, tc.seconds, tc.minutes, tc.hours)[piece // 2]
    if piece % 2 == 0:
        nibble = value & 0x0F
    else:
        nibble = value >> 4
        if piece == 7:
            nibble = (nibble & 0x01) | (_rate_code(fps) << 1)
    return bytes((MTC_QUARTER_FRAME, (piece << 4) | nibble))


def quarter_frames(
    from_s: float | Fraction, to_s: float | Fraction, fps: int
) -> list[tuple[Fraction, bytes]]:
    """Every quarter frame whose time lies in [from_s, to_s) of the timecode line, with
    that time in seconds (exact): what an MTC output sends in that window."""
    quarter = frame_seconds(fps) / 4
    first = -(-Fraction(from_s) // quarter)  # ceil
    out = []
    q = int(first)
    while q * quarter < Fraction(to_s):
        out.append((q * quarter, quarter_frame(q, fps)))
        q += 1
    return out


def full_frame(tc: Timecode) -> bytes:
    """The 10-byte full-frame SysEx that locates a follower to `tc`."""
    hh = (_rate_code(tc.fps) << 5) | tc.hours
    return bytes((*MTC_FULL_FRAME, hh, tc.minutes, tc.seconds, tc.frames, SYSEX_END))


class MtcReader:
    """Chase incoming MTC: where the timecode line is, from quarter-frame stamps.

    `feed(data, at_ns)` takes bytes as they arrive; `seconds_at(ns)` answers the
    timecode position (seconds since 00:00:00:00) at `ns` once locked;
    `locates` collects the jumps (full frames, or quarter frames off the prediction
    by more than a frame) for the engine to act on.
    """

    def __init__(self) -> None:
        self.fps = 25
        self._pieces: list[int | None] = [None] * 8
        self._expect = 0  # the next piece in a forward run
        self._anchor: tuple[Fraction, int] | None = None  # (timecode s, ns) of a piece 0
        self._last_ns: int | None = None
        self._sysex: list[int] | None = None
        self.locates: list[Fraction] = []
        self.quarter_frames = 0
        self.errors = 0  # pieces out of order, bad SysEx
        self._piece0_ns = 0

    @property
    def locked(self) -> bool:
        return self._anchor is not None

    def running(self, now_ns: int) -> bool:
        """Quarter frames still arriving (within two frames)."""
        if self._last_ns is None or not self.locked:
            return False
        return now_ns - self._last_ns <= 2 * float(frame_seconds(self.fps)) * 1e9

    def seconds_at(self, ns: int) -> float:
        if self._anchor is None:
            return 0.0
        seconds, at = self._anchor
        return float(seconds) + (ns - at) / 1e9

    def ns_at(self, seconds: float) -> float:
        """When the timecode line reaches `seconds` (on the stamps' time line)."""
        if self._anchor is None:
            return 0.0
        anchor_s, at = self._anchor
        return at + (seconds - float(anchor_s)) * 1e9

    def feed(self, data: bytes, at_ns: int) -> None:
        i = 0
        while i < len(data):
            byte = data[i]
            if self._sysex is not None:
                if byte == SYSEX_END:
                    self._full_frame(self._sysex)
                    self._sysex = None
                elif byte < 0x80:
                    self._sysex.append(byte)
                elif byte < 0xF8:
                    self._sysex = None
                    self.errors += 1
                    continue  # reread this status byte
                i += 1
                continue
            if byte == 0xF0:
                self._sysex = [byte]
            elif byte == MTC_QUARTER_FRAME and i + 1 < len(data):
                self._quarter(data[i + 1], at_ns)
                i += 1
            i += 1

    def _quarter(self, value: int, at_ns: int) -> None:
        piece, nibble = value >> 4 & 0x07, value & 0x0F
        self.quarter_frames += 1
        self._last_ns = at_ns
        if piece != self._expect:
            if self._expect != 0:  # a run broke (joining mid-cycle is no error)
                self.errors += 1
            self._pieces = [None] * 8
            if piece != 0:
                self._expect = 0
                return
        self._pieces[piece] = nibble
        self._expect = (piece + 1) % 8
        if piece == 0:
            self._piece0_ns = at_ns
            if self._anchor is not None:  # predicted: two frames after the last piece 0
                self._advance(at_ns)
        if piece == 7 and None not in self._pieces:
            p = [int(x) for x in self._pieces if x is not None]
            rate = (p[7] >> 1) & 0x03
            self.fps = _FPS_OF_CODE[rate]
            tc = Timecode(
                p[6] | (p[7] & 1) << 4,
                p[4] | p[5] << 4,
                p[2] | p[3] << 4,
                p[0] | p[1] << 4,
                self.fps,
            )
            seconds = tc.seconds_total
            if self._anchor is None or abs(self.seconds_at(self._piece0_ns) - float(seconds)) > (
                float(frame_seconds(self.fps))
            ):
                self.locates.append(seconds)
            self._anchor = (seconds, self._piece0_ns)

    def _advance(self, at_ns: int) -> None:
        """A piece 0 moves the anchor on by two frames: the line advances with the stamps."""
        assert self._anchor is not None
        seconds, _ = self._anchor
        self._anchor = (seconds + 2 * frame_seconds(self.fps), at_ns)

    def _full_frame(self, body: list[int]) -> None:
        """F0 7F <device> 01 01 hh mm ss ff: a locate (any device id is accepted)."""
        if len(body) != 9 or body[1] != 0x7F or tuple(body[3:5]) != MTC_FULL_FRAME[3:]:
            if len(body) > 1 and body[1] == 0x7F:
                self.errors += 1  # a universal real-time SysEx that is no full frame
            return
        hh, mm, ss, ff = body[5:9]
        self.fps = _FPS_OF_CODE[(hh >> 5) & 0x03]
        self.locates.append(Timecode(hh & 0x1F, mm, ss, ff, self.fps).seconds_total)
        self._pieces = [None] * 8
        self._expect = 0
        self._anchor = None

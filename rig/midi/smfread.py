"""A Standard MIDI File read back into notes, bars and tempi on rig's own grid.

The reading half of `rig import` (the writing half is `rig.midi.smfimport`). A
file from any DAW is brought onto rig's grid (`PPQ` ticks per beat; a file at
480 or 960 PPQ scales exactly), its notes paired the way rig's compiler pairs
them (a note struck again while sounding ends at the new strike; two strikes on
one tick: the later one sounds), and its bars counted from its own time
signatures, so `--bars 9-16` means the bars the DAW shows.

Anything that is not a readable SMF raises `SmfError` with one line naming the
file: mido's own exceptions (EOFError on a truncated chunk, OSError on a missing
header, ValueError on a data byte over 127, ...) never reach the user.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import mido

from rig.song.events import PPQ
from rig.source.files import read_source

__all__ = ["SmfError", "SmfNote", "SmfPart", "SmfSong", "read_smf", "MAX_SMF_BYTES"]

MAX_SMF_BYTES = 16 << 20  # as songs (rig.source.limits): a 20-minute dense take is < 2 MiB
_MAX_TICKS = PPQ * 4 * 32 * 20_000  # 20 000 bars of 32/4: past it a file is damaged


class SmfError(Exception):
    """A file that cannot be imported; `str()` is the whole line to print."""


@dataclass(frozen=True, slots=True)
class SmfNote:
    """One note on rig's grid: on/off ticks, pitch 0..127, velocity 1..127."""

    on: int
    off: int
    pitch: int
    velocity: int


@dataclass(slots=True)
class SmfPart:
    """The notes of one channel of one track (a DAW region's worth of a part)."""

    name: str  # the track's name (or `track N`), made unique among the parts
    instrument: str  # the track's instrument name ('' when none)
    channel: int  # 0..15
    track: int  # the track's number in the file, counting from 1
    notes: list[SmfNote] = field(default_factory=list)


@dataclass(slots=True)
class SmfSong:
    """What `rig import` needs of a file, every tick on rig's grid."""

    name: str
    parts: list[SmfPart]
    tempi: list[tuple[int, int]]  # (tick, µs per beat), ascending, first at 0
    meters: list[tuple[int, int, int]]  # (tick, numerator, denominator) at bar lines, first at 0
    markers: list[tuple[int, str]]
    key: str | None  # mido's key name ('Em', 'F#')
    end: int  # the last tick of the file (its last event, or end of track)
    rescaled: bool = False  # the file's resolution did not divide rig's: ticks were rounded

    def bar_starts(self, upto: int) -> list[int]:
        """The ticks where bars 1, 2, ... start, until one at or past `upto` (inclusive)."""
        starts = [0]
        index = 0
        while starts[-1] < upto:
            tick = starts[-1]
            while index + 1 < len(self.meters) and self.meters[index + 1][0] <= tick:
                index += 1
            _, num, den = self.meters[index]
            starts.append(tick + PPQ * 4 * num // den)
        return starts

    def bar_of(self, tick: int) -> int:
        """The 1-based bar `tick` is in."""
        return len(self.bar_starts(tick + 1)) - 1

    def meter_at(self, tick: int) -> tuple[int, int]:
        current = self.meters[0]
        for meter in self.meters:
            if meter[0] <= tick:
                current = meter
        return current[1], current[2]

    def tempo_at(self, tick: int) -> int:
        current = self.tempi[0][1]
        for at, us in self.tempi:
            if at <= tick:
                current = us
        return current


def _parse(path: Path) -> mido.MidiFile:
    try:
        data = read_source(path, MAX_SMF_BYTES)
    except OSError as exc:
        raise SmfError(f"{path}: {exc.strerror or exc}") from None
    if not data.startswith(b"MThd"):
        raise SmfError(f"{path}: not a Standard MIDI File (no MThd header)")
    try:
        # clip: a DAW's stray data byte over 127 is clipped rather than refused
        return mido.MidiFile(file=io.BytesIO(data), clip=True, charset="utf-8")
    except EOFError:
        raise SmfError(f"{path}: truncated MIDI file (a chunk ends before its length)") from None
    except Exception as exc:  # noqa: BLE001 - mido raises many kinds on damaged data
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise SmfError(f"{path}: damaged MIDI file ({reason})") from None


def _text(msg: mido.MetaMessage, attr: str) -> str:
    value = getattr(msg, attr, "")
    return value if isinstance(value, str) else ""


def read_smf(path: Path) -> SmfSong:
    """The file at `path` on rig's grid. Raises SmfError (one line, naming the file)."""
    midi = _parse(path)
    if midi.type == 2:
        raise SmfError(f"{path}: a type 2 MIDI file (independent sequences) cannot be imported")
    division = midi.ticks_per_beat
    if division < 0 or division >= 0x8000:  # mido reads the SMPTE form as negative
        raise SmfError(f"{path}: SMPTE time division is not supported (ticks per beat needed)")
    if division == 0:
        raise SmfError(f"{path}: damaged MIDI file (0 ticks per beat)")

    def scale(tick: int) -> int:
        return round(Fraction(tick * PPQ, division))

    rescaled = PPQ % division != 0
    tempi: dict[int, int] = {}
    signatures: dict[int, tuple[int, int]] = {}
    markers: list[tuple[int, str]] = []
    key: str | None = None
    name = ""
    parts: dict[tuple[int, int], SmfPart] = {}
    end = 0
    for number, track in enumerate(midi.tracks, start=1):
        title = instrument = ""
        tick = 0
        sounding: dict[tuple[int, int], tuple[int, int]] = {}  # (channel, pitch) -> (on, vel)
        notes: dict[int, list[SmfNote]] = {}

        for msg in track:
            tick += msg.time
            if tick > _MAX_TICKS * division // PPQ:
                raise SmfError(f"{path}: track {number} runs past 20 000 bars (damaged?)")
            at = scale(tick)
            end = max(end, at)
            kind = msg.type
            if kind == "note_on" and msg.velocity > 0:
                if (msg.channel, msg.note) in sounding:
                    _close(sounding, notes, msg.channel, msg.note, at)
                sounding[(msg.channel, msg.note)] = (at, msg.velocity)
            elif kind in ("note_off", "note_on"):
                if (msg.channel, msg.note) in sounding:
                    _close(sounding, notes, msg.channel, msg.note, at)
            elif kind == "set_tempo":
                tempi[at] = msg.tempo
            elif kind == "time_signature":
                if not (1 <= msg.numerator <= 32 and msg.denominator <= 32):
                    raise SmfError(
                        f"{path}: time signature {msg.numerator}/{msg.denominator} (track "
                        f"{number}) is outside rig's meters (1..32 over 1..32)"
                    )
                signatures[at] = (msg.numerator, msg.denominator)
            elif kind == "marker":
                markers.append((at, _text(msg, "text")))
            elif kind == "key_signature" and key is None:
                key = msg.key
            elif kind == "track_name" and not title:
                title = _text(msg, "name").strip()
            elif kind == "instrument_name" and not instrument:
                instrument = _text(msg, "name").strip()
        for channel, pitch in list(sounding):  # never let go: held to the track's end
            _close(sounding, notes, channel, pitch, scale(tick))
        if number == 1 and title and not any(notes.values()):
            name = title  # a type-1 conductor's name is the song's
        for channel in sorted(notes):
            part = SmfPart(title or f"track {number}", instrument, channel, number)
            part.notes = sorted(notes[channel], key=lambda n: (n.on, n.pitch))
            parts[(number, channel)] = part
    _unique_names(list(parts.values()))
    return SmfSong(
        name=name or path.stem,
        parts=list(parts.values()),
        tempi=[(0, tempi.get(0, 500_000))] + sorted((t, us) for t, us in tempi.items() if t),
        meters=_meters(signatures),
        markers=sorted(markers),
        key=key,
        end=end,
        rescaled=rescaled,
    )


def _close(
    sounding: dict[tuple[int, int], tuple[int, int]],
    notes: dict[int, list[SmfNote]],
    channel: int,
    pitch: int,
    at: int,
) -> None:
    """End the sounding note (channel, pitch) at `at`; a zero-length one is dropped (two
    strikes on one tick: the later one sounds, as in rig's compiler)."""
    on, velocity = sounding.pop((channel, pitch))
    if at > on:
        notes.setdefault(channel, []).append(SmfNote(on, at, pitch, velocity))


def _meters(signatures: dict[int, tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Time signatures at bar lines: one off a bar line takes effect at the next bar line
    of the meter before it (rig's bars are whole; a DAW would cut the bar short)."""
    meters = [(0, *signatures.get(0, (4, 4)))]
    for tick in sorted(t for t in signatures if t):
        start, num, den = meters[-1]
        bar = PPQ * 4 * num // den
        at = start + -(-(tick - start) // bar) * bar
        if signatures[tick] == (num, den):
            continue
        if at == start:
            meters[-1] = (at, *signatures[tick])
        else:
            meters.append((at, *signatures[tick]))
    return meters


def _unique_names(parts: list[SmfPart]) -> None:
    """A track with notes on several channels gives a part per channel: `keys ch2`;
    two tracks of one name become `pad` and `pad 2`."""
    by_track: dict[int, int] = {}
    for part in parts:
        by_track[part.track] = by_track.get(part.track, 0) + 1
    seen: set[str] = set()
    for part in parts:
        base = part.name
        if by_track[part.track] > 1:
            base = f"{base} ch{part.channel + 1}"
        candidate, n = base, 2
        while candidate in seen:
            candidate, n = f"{base} {n}", n + 1
        seen.add(candidate)
        part.name = candidate

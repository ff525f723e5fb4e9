"""An Arrangement as a type-1 Standard MIDI File.

Track 0 (the conductor) holds the cue name, meters, section markers and the
tempo map; then one named track per arrangement track with its events on their
channels. The file's resolution is the arrangement's own grid (`PPQ` = 1920), so
every event tick is written as is.

MIDI tempo is a whole number of microseconds per beat and cannot ramp, so the
tempo map is written as steps whose durations are chosen against the exact
`TempoMap.seconds_at`, with error feedback (each step is sized from where the
file *is*, not where the previous step meant to be), so rounding never
accumulates:

- a ramp becomes a step every 1/32 note, each lasting the ramp's integral over
  it (rounded to the nearest µs/beat: ≤ 0.07 µs off at a step's end); in a
  steep ramp a step is also cut at an event its straight line would miss by more
  than `DRIFT_LIMIT_US`;
- a constant tempo is one set_tempo; when 60e6/bpm is not a whole number of
  microseconds (174 bpm = 344827.59 µs), the file alternates between the two
  neighbouring values at beat lines whenever the drift would pass
  `DRIFT_LIMIT_US`, instead of drifting by up to 0.5 µs per beat forever.
"""

from __future__ import annotations

import bisect
import math
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import mido
from mido.midifiles.meta import meta_charset

from rig.midi.wire import NOTE_OFF, SYSTEM, event_bytes
from rig.song.arrangement import Arrangement, TrackInfo
from rig.song.events import PPQ, Event, MeterChange, NoteOff, SectionStart
from rig.song.tempomap import TempoMap
from rig.source.files import atomic_write

__all__ = [
    "RAMP_STEP_TICKS",
    "DRIFT_LIMIT_US",
    "arrangement_to_midifile",
    "export_smf",
    "smf_bytes",
    "tempo_steps",
    "track_title",
]

# A ramp is written as one set_tempo per 1/32 note: fine enough that a DAW's tempo
# lane looks like a line, coarse enough to stay a few hundred events per ramp.
RAMP_STEP_TICKS = PPQ // 8

# How far (µs) an event's time in the file may be from the exact map: a constant
# tempo corrects its rounding drift, a ramp step is cut at an event, past this.
# Well under a tick (~180 µs at 174 bpm, 1920 PPQ); a ramp as gentle as 96→120
# over 8 bars (≤ 8 µs inside a 1/32 step) never needs a cut.
DRIFT_LIMIT_US = 10.0

_US_PER_MINUTE = 60_000_000
_MAX_TEMPO = 0xFFFFFF  # set_tempo carries 24 bits

CHARSET = "utf-8"  # meta text (names, markers): what the musician typed, any script
_END_OF_TRACK = b"\xff\x2f\x00"


def _clamp_tempo(us_per_beat: int) -> int:
    return max(1, min(_MAX_TEMPO, us_per_beat))


def _spans(tempo: TempoMap, end_tick: int) -> Iterator[tuple[int, int, float | None]]:
    """(start, stop, bpm) pieces of the map up to `end_tick`; bpm None marks a ramp."""
    segments = tempo.segments
    for i, seg in enumerate(segments):
        start = seg.start_tick
        if start >= end_tick and start > 0:
            return
        nxt = segments[i + 1].start_tick if i + 1 < len(segments) else end_tick
        stop = max(start, min(nxt, end_tick))
        if seg.end_tick is None or seg.bpm == seg.end_bpm:
            yield start, stop, seg.bpm
            continue
        ramp_stop = min(seg.end_tick, stop)
        yield start, ramp_stop, None
        if ramp_stop < stop:
            yield ramp_stop, stop, seg.end_bpm


def tempo_steps(tempo: TempoMap, end_tick: int, align: Iterable[int] = ()) -> list[tuple[int, int]]:
    """The set_tempo events (tick, µs per beat) that follow `tempo` up to `end_tick`.

    A ramp step's ends are exact but its inside is linear while the ramp's time
    curves, so in a steep ramp an event off the 1/32 grid could sit up to ~1 tick
    off: a tick in `align` (the events' ticks) that the step would miss by more
    than `DRIFT_LIMIT_US` cuts the step there.

    Time is kept in units of µs/PPQ, in which n ticks at tempo T last exactly
    n·T units, so the file's own clock is an integer and the only rounding is
    the choice of each step's T.
    """
    scale = 1e6 * PPQ

    def ideal(tick: int) -> float:
        return tempo.seconds_at(tick) * scale

    marks = sorted(set(align))
    limit = DRIFT_LIMIT_US * PPQ
    steps: list[tuple[int, int]] = []
    file_time = 0  # the file's time at `tick`, exact, in µs/PPQ

    def emit(tick: int, us: int) -> None:
        us = _clamp_tempo(us)
        if steps and steps[-1][1] == us:
            return
        if steps and steps[-1][0] == tick:
            steps[-1] = (tick, us)
            if len(steps) > 1 and steps[-2][1] == us:
                steps.pop()
            return
        steps.append((tick, us))

    for start, stop, bpm in _spans(tempo, end_tick):
        if stop <= start:
            emit(start, round(_US_PER_MINUTE / (bpm or tempo.bpm_at(start))))
            continue
        if bpm is None:
            # Ramp: steps on the absolute 1/32 grid, each sized to land on the exact
            # time of its end; a step is cut short at an event its straight line would
            # miss by more than DRIFT_LIMIT_US (only in steep ramps).
            tick = start
            while tick < stop:
                nxt = min(stop, (tick // RAMP_STEP_TICKS + 1) * RAMP_STEP_TICKS)
                while True:
                    us = _clamp_tempo(round((ideal(nxt) - file_time) / (nxt - tick)))
                    inside = marks[
                        bisect.bisect_right(marks, tick) : bisect.bisect_left(marks, nxt)
                    ]
                    missed = next(
                        (m for m in inside if abs(file_time + us * (m - tick) - ideal(m)) > limit),
                        None,
                    )
                    if missed is None:
                        break
                    nxt = missed
                emit(tick, us)
                file_time += us * (nxt - tick)
                tick = nxt
            continue
        exact = _US_PER_MINUTE / bpm
        lo, hi = math.floor(exact), math.ceil(exact)
        if lo == hi:  # a whole number of µs per beat never drifts
            emit(start, lo)
            file_time += lo * (stop - start)
            continue
        # Start on the nominal value (what a DAW shows); switch to the other neighbour
        # only at a beat line where the drift would otherwise pass the limit.
        current = round(exact)
        tick = start
        while tick < stop:
            nxt = min(stop, (tick // PPQ + 1) * PPQ)
            projected = file_time + current * (nxt - tick)
            if abs(projected - ideal(nxt)) > limit:
                current = lo if projected > ideal(nxt) else hi
            emit(tick, current)
            file_time += current * (nxt - tick)
            tick = nxt
    if not steps:
        emit(0, round(_US_PER_MINUTE / tempo.bpm_at(0)))
    return steps


def track_title(info: TrackInfo) -> tuple[str, str]:
    """(track name, instrument name) for a track: its name, and what plays it."""
    if info.device:
        return info.name, info.device
    if info.voice:
        return info.name, f"voice {info.voice}"
    return info.name, ""


_KEY_RE = re.compile(r"^\s*([A-Ga-g])\s*([#b♯♭]?)\s*(major|minor|maj|min|m)?\s*$", re.IGNORECASE)


def _key_signature(key: object) -> str | None:
    """mido's key name ('Em', 'F#', 'Bb') for 'E minor', 'F# major', 'Bbm'; None if unknown."""
    if not isinstance(key, str):
        return None
    match = _KEY_RE.match(key)
    if not match:
        return None
    letter, accidental, mode = match.groups()
    accidental = {"♯": "#", "♭": "b"}.get(accidental, accidental)
    minor = bool(mode) and mode.lower() in ("minor", "min", "m")
    name = letter.upper() + accidental + ("m" if minor else "")
    try:
        mido.MetaMessage("key_signature", key=name)
    except ValueError:
        return None  # a key with too many accidentals (e.g. 'Fb') has no signature
    return name


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _conductor(
    arrangement: Arrangement, end_tick: int, key: str | None
) -> list[tuple[int, int, mido.MetaMessage]]:
    """Timed meta messages of track 0: (tick, order within tick, message)."""
    out: list[tuple[int, int, mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("track_name", name=arrangement.name))
    ]
    meters = {
        e.tick: (e.numerator, e.denominator)
        for e in arrangement.events
        if isinstance(e, MeterChange)
    }
    if not meters:
        meters = {s.start_tick: (s.numerator, s.denominator) for s in arrangement.sections}
    previous = None
    for tick in sorted(meters):
        meter = meters[tick]
        if meter == previous or not _is_power_of_two(meter[1]) or tick > end_tick:
            continue
        previous = meter
        out.append(
            (tick, 1, mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1]))
        )
    signature = _key_signature(key or getattr(arrangement, "key", None))
    if signature:
        out.append((0, 2, mido.MetaMessage("key_signature", key=signature)))
    marks = [(e.tick, e.name) for e in arrangement.events if isinstance(e, SectionStart)]
    if not marks:
        marks = [(s.start_tick, s.name) for s in arrangement.sections]
    for tick, name in marks:
        if tick <= end_tick:
            out.append((tick, 3, mido.MetaMessage("marker", text=name)))
    for tick, us in tempo_steps(arrangement.tempo, end_tick, (e.tick for e in arrangement.events)):
        out.append((tick, 4, mido.MetaMessage("set_tempo", tempo=us)))
    return out


def _messages(event: Event) -> list[mido.Message]:
    """The file's messages of one event as mido objects (`arrangement_to_midifile`)."""
    return [mido.Message.from_bytes(data) for data in _event_bytes(event)]


def _event_bytes(event: Event) -> list[bytes]:
    """The file's channel messages of one event. As on the wire (`rig.midi.wire`), but a
    note-off carries velocity 0 in the file (what every export so far has written)."""
    if isinstance(event, NoteOff):
        return [bytes((NOTE_OFF | event.channel, event.note, 0))]
    return event_bytes(event)  # tempo, meter and sections live in the conductor track


def _track(timed: list[tuple[int, mido.Message]], end_tick: int) -> mido.MidiTrack:
    """Absolute-tick messages (already in order) as a track with delta times and its end."""
    track = mido.MidiTrack()
    now = 0
    for tick, msg in timed:
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end_tick - now)))
    return track


@dataclass
class _Layout:
    """What the file holds, before it is encoded: the conductor's metas and, per track,
    its head metas and its (tick, event) list, all in file order."""

    end_tick: int
    conductor: list[tuple[int, mido.MetaMessage]]
    tracks: list[tuple[list[mido.MetaMessage], list[tuple[int, Event]]]]


def _layout(arrangement: Arrangement, key: str | None) -> _Layout:
    last = max((e.tick for e in arrangement.events), default=0)
    # The end is the arrangement's length; a note-off exactly there stays inside.
    end_tick = max(arrangement.length_ticks, last)
    conductor = sorted(_conductor(arrangement, end_tick, key), key=lambda item: (item[0], item[1]))
    infos: dict[str, TrackInfo | None] = {info.name: info for info in arrangement.tracks}
    per_track: dict[str, list[tuple[int, Event]]] = {name: [] for name in infos}
    for event in arrangement.events:  # already in sort_key order
        name = getattr(event, "track", None)
        if name is None:
            continue
        if name not in per_track:
            infos[name] = None  # events for an undeclared track still get written
            per_track[name] = []
        per_track[name].append((event.tick, event))
    tracks = []
    for name, timed in per_track.items():
        info = infos[name]
        title, instrument = track_title(info) if info else (name, "")
        head = [mido.MetaMessage("track_name", name=title)]
        if instrument:
            head.append(mido.MetaMessage("instrument_name", name=instrument))
        tracks.append((head, timed))
    return _Layout(end_tick, [(tick, msg) for tick, _, msg in conductor], tracks)


def arrangement_to_midifile(arrangement: Arrangement, key: str | None = None) -> mido.MidiFile:
    """The arrangement as a type-1 `mido.MidiFile` at `PPQ` ticks per beat (to inspect
    or edit; `smf_bytes` encodes the same file directly, many times faster).

    `key` ('E minor') becomes a key signature when the arrangement carries none.
    """
    layout = _layout(arrangement, key)
    # Names are text the musician typed (em dashes, CJK, emoji): UTF-8 meta text, which
    # every current reader shows; mido's Latin-1 default would fail on them.
    midi = mido.MidiFile(type=1, ticks_per_beat=PPQ, charset=CHARSET)
    midi.tracks.append(_track(layout.conductor, layout.end_tick))
    for head, timed in layout.tracks:
        messages = [(0, msg) for msg in head]
        messages += [(tick, msg) for tick, event in timed for msg in _messages(event)]
        midi.tracks.append(_track(messages, layout.end_tick))
    return midi


def _vlq(value: int) -> bytes:
    """A variable-length quantity (SMF delta times and lengths): 7 bits a byte, high first."""
    if value < 0x80:
        return bytes((value,))
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _chunk(kind: bytes, data: bytes | bytearray) -> bytes:
    return kind + struct.pack(">L", len(data)) + bytes(data)


def _encode_track(metas: list[tuple[int, bytes]], timed: list[tuple[int, Event]],
                  end_tick: int) -> bytes:  # fmt: skip
    """One MTrk chunk: `metas` (tick, encoded meta) first, then the events' channel
    messages, with running status as mido writes it (a meta message breaks it)."""
    data = bytearray()
    now = 0
    running = -1
    for tick, meta in metas:
        data += _vlq(tick - now)
        data += meta
        now = tick
        running = -1
    for tick, event in timed:
        for msg in _event_bytes(event):
            if max(msg[1:], default=0) > 0x7F:
                raise ValueError(f"MIDI data byte out of range in {msg.hex()} at tick {tick}")
            data += _vlq(tick - now)
            now = tick
            status = msg[0]
            data += msg[1:] if status == running else msg
            running = status if status < SYSTEM else -1
    data += _vlq(max(0, end_tick - now))
    data += _END_OF_TRACK
    return _chunk(b"MTrk", data)


def smf_bytes(arrangement: Arrangement, key: str | None = None) -> tuple[bytes, int]:
    """The type-1 SMF of the arrangement, encoded directly (byte for byte what
    `arrangement_to_midifile(...).save()` writes, without a mido object per event: a
    20 000-bar song has over a million); and its number of tracks (conductor included)."""
    layout = _layout(arrangement, key)
    with meta_charset(CHARSET):
        conductor = [(tick, bytes(msg.bytes())) for tick, msg in layout.conductor]
        heads = [[(0, bytes(msg.bytes())) for msg in head] for head, _ in layout.tracks]
    count = 1 + len(layout.tracks)
    parts = [_chunk(b"MThd", struct.pack(">hhh", 1, count, PPQ)),
             _encode_track(conductor, [], layout.end_tick)]  # fmt: skip
    for head, (_, timed) in zip(heads, layout.tracks, strict=True):
        parts.append(_encode_track(head, timed, layout.end_tick))
    return b"".join(parts), count


def export_smf(arrangement: Arrangement, path: Path | str, key: str | None = None) -> int:
    """Write the arrangement to `path` as a type-1 SMF; returns its number of tracks
    (the conductor included).

    Written to a temporary file and renamed: a failure leaves the last good export.
    """
    data, count = smf_bytes(arrangement, key)
    with atomic_write(Path(path)) as tmp:
        tmp.write_bytes(data)
    return count

"""Notes read back from a MIDI file with plain mido, independent of rig's reader."""

from __future__ import annotations

from pathlib import Path

import mido

__all__ = ["notes_of", "track_notes"]

Note = tuple[int, int, int, int, int]  # on, off, channel, pitch, velocity


def _pairs(track: mido.MidiTrack) -> list[Note]:
    tick, sounding, out = 0, {}, []
    for msg in track:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity:
            sounding[(msg.channel, msg.note)] = (tick, msg.velocity)
        elif msg.type in ("note_on", "note_off") and (msg.channel, msg.note) in sounding:
            on, vel = sounding.pop((msg.channel, msg.note))
            out.append((on, tick, msg.channel, msg.note, vel))
    return out


def notes_of(path: Path) -> list[Note]:
    """Every note of the file (all tracks), sorted."""
    return sorted(n for track in mido.MidiFile(str(path)).tracks for n in _pairs(track))


def track_notes(path: Path) -> dict[str, list[Note]]:
    """Each named track's notes (tracks without notes left out)."""
    midi = mido.MidiFile(str(path), charset="utf-8")
    out = {}
    for n, track in enumerate(midi.tracks):
        name = next((m.name for m in track if m.type == "track_name"), str(n))
        if found := sorted(_pairs(track)):
            out[name] = found
    return out

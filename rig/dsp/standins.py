"""Warnings for what a software voice cannot play: CCs a device's stand-in (or a voice
track's own voice) ignores, and drum lanes its kit has no sound for.

A song may rightly use a CC or a lane its hardware has and the stand-in lacks — on
stage the device plays it — but rehearsing on the stand-ins (`rig render`, `rig live`
with the device unplugged) the part then sounds different or not at all. So these are
warnings (file:line:col: warning: …), printed by `rig check` (errors with `--strict`) and
shown by `rig live`, never errors. Pure: the voices come in as a lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rig.dsp.instrument import answers_cc
from rig.dsp.spec import VoiceSpec
from rig.song.arrangement import Arrangement
from rig.song.model import Song, TrackDef
from rig.source.errors import Pos, SourceError

__all__ = ["standin_warnings", "warnings_of"]

Voices = Callable[[str], VoiceSpec | None]


def _who(track: TrackDef) -> str:
    if track.device:
        return f"{track.device}'s stand-in voice '{track.voice}'"
    return f"voice '{track.voice}'"


def standin_warnings(song: Song, voices: Voices) -> list[SourceError]:
    """The warnings for `song`: each (track, CC) and (pattern, lane) once, at the first
    place that uses it; patterns no section plays are left out."""
    tracks = {t.name: t for t in song.tracks}
    played = (
        {e.pattern for s in song.sections for e in s.entries}
        | {name for s in song.sections if s.fill for name in s.fill.play}
        | {name for s in song.sections for name in s.play}
    )
    out: list[SourceError] = []
    seen: set[tuple[str, str]] = set()

    def cc(track: TrackDef, control: str, number: int, pos: Pos | None) -> None:
        spec = voices(track.voice) if track.voice else None
        if spec is None or (track.name, control) in seen or answers_cc(spec, control, number):
            return
        seen.add((track.name, control))
        out.append(
            SourceError(
                pos or track.pos,
                f"warning: {track.name}.{control} (CC {number}): {_who(track)} ignores it; "
                "it acts only when the device itself plays",
            )
        )

    for name in sorted(played, key=lambda n: _order(song, n)):
        pattern = song.patterns.get(name)
        if pattern is None:
            continue
        track = tracks[pattern.track]
        spec = voices(track.voice) if track.voice else None
        for lane in pattern.cc:
            cc(track, lane.control, lane.number, pattern.pos)
        if spec is None or pattern.kind != "lanes":
            continue
        kit = {lane.note for lane in spec.lanes} if spec.mode == "drums" else set()
        for lane in pattern.lanes:
            if lane.note in kit or (track.name, f"lane {lane.lane}") in seen:
                continue
            seen.add((track.name, f"lane {lane.lane}"))
            why = "has no sound for it" if spec.mode == "drums" else "is not a drum kit"
            out.append(
                SourceError(
                    pattern.pos or track.pos,
                    f"warning: pattern '{name}': lane {lane.lane} (note {lane.note}): "
                    f"{_who(track)} {why}; it sounds only when the device itself plays",
                )
            )
    for section in song.sections:
        for auto in section.automate:
            cc(tracks[auto.track], auto.control, auto.number, auto.pos)
    return out


def _order(song: Song, name: str) -> tuple[int, int, str]:
    """Patterns in file order (by position), so warnings read top to bottom."""
    pos = song.patterns[name].pos if name in song.patterns else None
    return (pos.line, pos.col, name) if pos is not None else (0, 0, name)


def warnings_of(
    voices_dir: Path,
    cues: Sequence[Arrangement],
    songs: Sequence[Song],
    cache: dict[str, VoiceSpec | None] | None = None,
) -> list[SourceError]:
    """Every warning of a cue or set: its arrangements' own (automation carried over, a
    tempo step after a set's lead) and the stand-in ones of its songs, each once.
    `cache`: voices already read (name → spec), shared by the files of one check."""
    from rig.dsp.loader import load_voice
    from rig.source.errors import InputError

    cache = {} if cache is None else cache

    def voice(name: str) -> VoiceSpec | None:  # a broken voice file is its own error
        if name not in cache:
            try:
                cache[name] = load_voice(Path(voices_dir) / f"{name}.yaml")
            except (InputError, OSError):
                cache[name] = None
        return cache[name]

    out: list[SourceError] = []
    for arrangement in cues:
        out += [w for w in arrangement.warnings if w not in out]
    for song in songs:
        out += [w for w in standin_warnings(song, voice) if w not in out]
    return out

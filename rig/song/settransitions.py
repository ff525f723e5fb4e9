"""A set's transitions applied to its compiled cues (`Project.arrangements`): each
entry's `tempo:` lead into the next cue and its `count_in:` (see rig.song.transitions).
A count-in's click names a track of the cue and a drum lane of its device or a note."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rig.devices import Device
from rig.song.arrangement import Arrangement
from rig.song.model import CountIn, SetList
from rig.song.transitions import count_in, lead_into
from rig.source.errors import InputError, SourceError, suggest
from rig.theory.errors import TheoryError
from rig.theory.pitch import parse_note

__all__ = ["with_transitions", "click_note"]


def with_transitions(
    devices: Mapping[str, Device], setlist: SetList, cues: Sequence[Arrangement]
) -> list[Arrangement]:
    """`cues` (the set's, in order) with their entries' leads and count-ins; every
    problem at once, at its place in the set file."""
    out: list[Arrangement] = []
    errors: list[SourceError] = []
    for i, (entry, cue) in enumerate(zip(setlist.entries, cues, strict=True)):
        try:
            if entry.lead is not None:
                lead = entry.lead
                warn = ""
                if i + 1 < len(cues) and entry.next == "bar":
                    opening = cues[i + 1].tempo.bpm_at(0)
                    if abs(opening - lead.to_bpm) > 1e-9:
                        warn = (
                            f"'{cue.name}' ramps to {lead.to_bpm:g} BPM but "
                            f"'{cues[i + 1].name}' opens at {opening:g}: the tempo steps there"
                        )
                cue = lead_into(cue, lead.to_bpm, lead.over_bars, lead.pos, warn)
            if entry.count_in is not None:
                spec = entry.count_in
                click = click_note(devices, cue, spec) if spec.click else None
                cue = count_in(cue, spec.bars, click)
        except InputError as exc:
            errors += [SourceError(e.pos, f"cue {i + 1}: {e.message}") for e in exc.errors]
        out.append(cue)
    if errors:
        raise InputError(errors)
    return out


def click_note(
    devices: Mapping[str, Device], cue: Arrangement, spec: CountIn
) -> tuple[str, int, int]:
    """(track, channel, note) of `drums.RS` or `keys.C6` in `cue`; InputError at the click."""
    assert spec.click is not None
    name, _, sound = spec.click.partition(".")
    tracks = {t.name: t for t in cue.tracks}
    if name not in tracks:
        raise InputError(
            [
                SourceError(
                    spec.pos,
                    f"count_in click: '{cue.name}' has no track '{name}'{suggest(name, tracks)}",
                )
            ]
        )
    track = tracks[name]
    device = devices.get(track.device) if track.device else None
    if device is not None and sound in device.lanes:
        lane = device.lanes[sound]
        return name, track.channel if lane.channel is None else lane.channel, lane.note
    try:
        return name, track.channel, parse_note(sound)
    except TheoryError:
        lanes = list(device.lanes) if device is not None else []
        hint = suggest(sound, lanes) if lanes else ""
        what = "a drum lane of its device or a note like C6" if lanes else "a note like C6"
        raise InputError(
            [SourceError(spec.pos, f"count_in click: '{sound}' is not {what}{hint}")]
        ) from None

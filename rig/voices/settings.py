"""What the engine process needs to play software voices, and which track plays where.

`VoiceSettings` crosses the spawn (pickled) inside the `EngineSpec`. A voice-only
track (no device) plays on an output named ``voice:<track>``; a device's stand-in
voice is the first voice a track on that device names.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rig.dsp.spec import VoiceSpec
from rig.song.arrangement import Arrangement

__all__ = [
    "VOICE_PREFIX",
    "VoiceSettings",
    "voice_settings",
    "stand_in_voices",
    "route_voice_tracks",
    "output_of",
]

VOICE_PREFIX = "voice:"


@dataclass(frozen=True)
class VoiceSettings:
    """What the engine process needs to play software voices; pickled across the spawn."""

    voices: Mapping[str, VoiceSpec]  # voice name → spec (every voice the cues use)
    cc_names: Mapping[str, Mapping[int, str]]  # device → CC number → its name
    required: bool = False  # config audio.backend "jack": no JACK is an error, not a warning
    gain_db: float = -6.0  # master level: many tracks at their voice levels add up
    connect: str | None = "auto"  # "auto": the first two physical playback ports; None: none
    client_name: str = "rig-voices"
    limit: bool = True  # the master limiter (off only to show, in a test, what it holds)


def voice_settings(project: Any, cues: Sequence[Arrangement]) -> VoiceSettings:
    """VoiceSettings for `cues` from a `rig.project.Project` (InputError for a bad voice)."""
    from rig.dsp.loader import load_voice

    voices_dir = project.config.voices_dir
    names = sorted({t.voice for arr in cues for t in arr.tracks if t.voice})
    voices = {name: load_voice(voices_dir / f"{name}.yaml") for name in names}
    cc_names: dict[str, dict[int, str]] = {}
    for device_id, device in project.devices.items():
        table: dict[int, str] = {}
        for name, cc in device.ccs.items():
            table.setdefault(cc.number, name)  # the first name given for a number
        cc_names[device_id] = table
    return VoiceSettings(
        voices=voices, cc_names=cc_names, required=project.config.audio_backend == "jack"
    )


def stand_in_voices(cues: Sequence[Arrangement]) -> dict[str, str]:
    """device → its stand-in voice: the first voice a track on that device names."""
    found: dict[str, str] = {}
    for arr in cues:
        for info in arr.tracks:
            if info.device is not None and info.voice and not info.device.startswith(VOICE_PREFIX):
                found.setdefault(info.device, info.voice)
    return found


def route_voice_tracks(cues: Sequence[Arrangement]) -> list[Arrangement]:
    """The cues with every voice-only track routed to output ``voice:<track>``."""
    out = []
    for arr in cues:
        if not any(t.device is None and t.voice for t in arr.tracks):
            out.append(arr)
            continue
        routed = copy.copy(arr)
        routed.tracks = tuple(
            dataclasses.replace(t, device=VOICE_PREFIX + t.name)
            if t.device is None and t.voice
            else t
            for t in arr.tracks
        )
        out.append(routed)
    return out


def output_of(info: Any) -> str | None:
    """The output a track plays on: its device, or ``voice:<track>`` for a voice track."""
    if not info.voice:
        return None
    if info.device is None:
        return VOICE_PREFIX + info.name
    return info.device

"""The song language: YAML cues → checked Song → pure Arrangement (query by beat window)."""

from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.compile import compile_song
from rig.song.events import PPQ
from rig.song.load import Context, load_song, load_themes
from rig.song.setlist import is_setlist, load_setlist
from rig.song.tempomap import TempoMap, TempoSegment

__all__ = [
    "PPQ",
    "Arrangement",
    "Context",
    "SectionSpan",
    "TempoMap",
    "TempoSegment",
    "TrackInfo",
    "compile_song",
    "is_setlist",
    "load_setlist",
    "load_song",
    "load_themes",
]

"""Hand-built arrangements rendered offline through `rig.dsp.render` (the DSP tests)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rig.dsp.render import render
from rig.dsp.wavfile import read_wav
from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, Event, NoteOff, NoteOn
from rig.song.tempomap import TempoMap
from tests.support.audio import SR

VOICES = Path(__file__).resolve().parents[2] / "patches" / "voices"


def note(track: str, beat: float, pitch: int, beats: float, velocity: int = 100) -> list[Event]:
    on = round(beat * PPQ)
    return [
        NoteOn(on, track, 0, pitch, velocity),
        NoteOff(on + round(beats * PPQ), track, 0, pitch),
    ]


def arrangement(
    events: Iterable[Event], voices: dict[str, str], bars: int, bpm: float = 120.0
) -> Arrangement:
    """`voices` maps track name → voice name; 4/4 bars."""
    length = bars * 4 * PPQ
    tracks = [TrackInfo(t, None, v, 0, drums=v == "rytm-kit") for t, v in voices.items()]
    section = SectionSpan("all", 0, length, 1, bars, 4, 4)
    return Arrangement("test", list(events), TempoMap.constant(bpm), [section], tracks, length)


def render_arrays(arr: Arrangement, tmp_path: Path, stems: bool = False, **kwargs):
    """Render; returns (mono mix as float array, report, {track: mono stem})."""
    out = tmp_path / "out.wav"
    stem_dir = tmp_path / "stems" if stems else None
    report = render(arr, VOICES, out, stems=stem_dir, **kwargs)
    audio, rate = read_wav(out)
    assert rate == SR
    stem_audio = {}
    for path in report.stems:
        data, _ = read_wav(path)
        stem_audio[path.stem] = data.mean(axis=1)
    return audio.mean(axis=1), report, stem_audio

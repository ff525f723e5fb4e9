"""Shared material is defined once and heard in several cues: the Heartbeat chords in
Heartbeat I–IV and La Nuit Est Longue; the Young and Restless melody in its own cue and
on La Nuit Est Longue's guitar; the Two Souls melody on horns and, in One Soul, piano."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rig.song.arrangement import Arrangement

from .score import SONGS, notes, pitch_classes, progression, raw

HEARTBEAT = raw(SONGS / "themes" / "heartbeat.yaml")["themes"]["heartbeat"]["chords"]
# The track of each cue that carries the Heartbeat chords.
CHORD_TRACK = {
    "heartbeat-1": "chords",
    "heartbeat-2": "pad",
    "heartbeat-3": "pad",
    "heartbeat-4": "piano",
    "la-nuit-est-longue": "chords",
}


def _bar_pitch_classes(arr: Arrangement, track: str) -> list[tuple[int, frozenset[int]]]:
    """(bar within its section, pitch classes begun in that bar) for every bar the track plays."""
    out = []
    played = notes(arr, track)
    for span in arr.sections:
        for i in range(span.bars):
            start = span.start_tick + i * span.bar_ticks
            end = start + span.bar_ticks
            pcs = frozenset(n.note % 12 for n in played if start <= n.on < end)
            if pcs:
                out.append((i, pcs))
    return out


def test_heartbeat_theme_is_the_four_chords() -> None:
    bars = progression(HEARTBEAT)
    assert [str(c[0]) for c in bars] == ["Fm9", "Dbmaj7", "Abmaj7", "Eb/G"]


@pytest.mark.parametrize("stem", sorted(CHORD_TRACK))
def test_cue_takes_the_heartbeat_chords_from_the_theme_file(stem: str) -> None:
    data = raw(SONGS / f"{stem}.yaml")
    assert "themes/heartbeat.yaml" in data["include"]
    track = CHORD_TRACK[stem]
    on_track = [p for p in data["patterns"].values() if p["track"] == track]
    assert on_track and all(p.get("use") == "heartbeat" for p in on_track)
    assert "Dbmaj7" not in (SONGS / f"{stem}.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("stem", sorted(CHORD_TRACK))
def test_cue_sounds_the_heartbeat_chords_bar_by_bar(cue: Callable, stem: str) -> None:
    expected = [pitch_classes(bar[0]) for bar in progression(HEARTBEAT)]
    bars = _bar_pitch_classes(cue(stem), CHORD_TRACK[stem])
    assert len(bars) >= 16
    for index, pcs in bars:
        # the progression loops from each section's first bar, one chord per bar
        assert pcs == expected[index % len(expected)], f"{stem}: bar {index + 1} of a section"


def _first_bar_rhythm(arr: Arrangement, track: str) -> tuple[int, ...]:
    """Onsets (in 1/96 of a bar) in the first bar where the track plays."""
    played = notes(arr, track)
    first = played[0].on
    span = arr.section_at(first)
    assert span is not None
    bar_start = span.start_tick + (first - span.start_tick) // span.bar_ticks * span.bar_ticks
    bar_end = bar_start + span.bar_ticks
    return tuple(
        sorted({(n.on - bar_start) * 96 // span.bar_ticks for n in played if n.on < bar_end})
    )


def test_heartbeat_cues_share_the_same_chord_sequence(cue: Callable) -> None:
    firsts = {
        stem: tuple(pcs for _, pcs in _bar_pitch_classes(cue(stem), track)[:4])
        for stem, track in CHORD_TRACK.items()
    }
    assert len(set(firsts.values())) == 1, firsts
    # ...each with its own rhythm: the chords' onsets within a bar differ between cues
    rhythms = {_first_bar_rhythm(cue(stem), track) for stem, track in CHORD_TRACK.items()}
    assert len(rhythms) >= 4


def _melody(arr: Arrangement, track: str, section: str, bars: int) -> list[tuple[float, int]]:
    """(beat from the section start, note) for the first `bars` bars of a section."""
    span = next(s for s in arr.sections if s.name == section)
    end = span.start_tick + bars * span.bar_ticks
    return [
        ((n.on - span.start_tick) / 1920, n.note)
        for n in notes(arr, track)
        if span.start_tick <= n.on < end
    ]


def test_la_nuit_carries_young_and_restless_on_the_guitar(cue: Callable) -> None:
    nuit, young = cue("la-nuit-est-longue"), cue("young-and-restless")
    assert nuit.track("guitar").voice == "guitar"
    assert young.track("right").voice == "piano"
    on_guitar = _melody(nuit, "guitar", "guitar", 8)
    on_piano = _melody(young, "right", "theme", 8)
    assert len(on_guitar) >= 24 and on_guitar == on_piano
    # synths layered over it: the same line an octave up on the Virus
    layer = _melody(nuit, "layer", "layered", 8)
    assert nuit.track("layer").device == "virus"
    assert layer == [(b, n + 12) for b, n in _melody(nuit, "guitar", "layered", 8)]
    for stem in ("la-nuit-est-longue", "young-and-restless"):
        assert "themes/young-and-restless.yaml" in raw(SONGS / f"{stem}.yaml")["include"]


def test_one_soul_plays_the_two_souls_theme_on_piano(cue: Callable) -> None:
    two, one = cue("two-souls"), cue("one-soul")
    assert two.track("horns").voice == "horns"
    assert one.track("melody").voice == "piano"
    horns = _melody(two, "horns", "horns", 8)
    piano = _melody(one, "melody", "theme", 8)
    assert len(horns) >= 20 and [n for _, n in horns] == [n for _, n in piano]
    # gentler: slower and softer, and no drums at all
    assert one.tempo.bpm_at(0) < two.tempo.bpm_at(0)
    loudest_piano = max(n.velocity for n in notes(one, "melody"))
    assert loudest_piano < max(n.velocity for n in notes(two, "horns"))
    assert not any(t.drums for t in one.tracks)

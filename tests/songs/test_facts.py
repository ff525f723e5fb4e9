"""The score's facts about single cues, stated on the compiled events.

Inferno: 90–100 BPM, about four minutes, built layer by layer. Heartbeat III changes
speed and builds to a peak. Utopie slows a lot and holds real silence. Let's Make a Deal
ends on a sustained, unresolved chord through a warped piano. It's You starts from a
synth arpeggio and builds.
"""

from __future__ import annotations

from collections.abc import Callable

from rig.project import Project
from rig.song.arrangement import Arrangement
from rig.song.events import PPQ, ControlChange
from rig.theory.scales import parse_key, tonic_triad

from .score import SONGS, notes, pitch_classes, progression, raw, sounding_tracks


def _bpm_samples(arr: Arrangement) -> list[float]:
    """The tempo at every 1/16 note and at the very end."""
    ticks = [*range(0, arr.length_ticks, PPQ // 4), arr.length_ticks]
    return [arr.tempo.bpm_at(t) for t in ticks]


def _track_counts(arr: Arrangement) -> list[int]:
    return [len(sounding_tracks(arr, s.start_tick, s.end_tick)) for s in arr.sections]


def _cc(arr: Arrangement, track: str, name: str) -> list[ControlChange]:
    found = [e for e in arr.events if isinstance(e, ControlChange)]
    return [e for e in found if e.track == track and e.name == name]


# -- Inferno -----------------------------------------------------------------------------
def test_inferno_stays_between_90_and_100_bpm(cue: Callable) -> None:
    arr = cue("inferno")
    bpms = _bpm_samples(arr)
    assert min(bpms) >= 90 and max(bpms) <= 100
    assert 210 <= arr.duration_seconds <= 270  # about four minutes


def test_inferno_builds_layer_by_layer(project: Project, cue: Callable) -> None:
    arr = cue("inferno")
    counts = _track_counts(arr)
    assert counts[:4] == sorted(counts[:4]) and len(set(counts[:4])) == 4, counts
    first = arr.sections[0]
    # it starts with a low bass and a single drum beat
    assert sounding_tracks(arr, first.start_tick, first.end_tick) == {"bass", "drums"}
    assert max(n.note for n in notes(arr, "bass")) < 48
    kick = [n for n in notes(arr, "drums") if n.on < first.end_tick]
    assert {n.note for n in kick} == {project.devices["rytm"].lanes["BD"].note}
    # ...then the hacker synth riff, its cutoff opening as the tension rises
    second = arr.sections[1]
    assert "hacker" in sounding_tracks(arr, second.start_tick, second.end_tick)
    cutoff = [e.value for e in _cc(arr, "hacker", "cutoff") if e.tick < arr.sections[3].start_tick]
    assert cutoff == sorted(cutoff) and cutoff[-1] - cutoff[0] >= 60


# -- Heartbeat III -----------------------------------------------------------------------
def test_heartbeat_3_changes_speed_and_builds_to_a_peak(cue: Callable) -> None:
    arr = cue("heartbeat-3")
    assert any(s.bpm != s.end_bpm and s.end_tick is not None for s in arr.tempo.segments)
    start, end = arr.tempo.bpm_at(0), arr.tempo.bpm_at(arr.length_ticks)
    assert start != end
    bpms = _bpm_samples(arr)
    assert max(bpms) - min(bpms) >= 30
    peak = next(s for s in arr.sections if s.name == "peak")
    assert arr.tempo.bpm_at(peak.start_tick) == max(bpms)
    counts = _track_counts(arr)
    assert counts[arr.sections.index(peak)] == max(counts)
    # the speed-up comes before the peak: the tempo never falls until the peak is over
    before = [arr.tempo.bpm_at(t) for t in range(0, peak.end_tick, PPQ)]
    assert before == sorted(before)


# -- Utopie ------------------------------------------------------------------------------
def test_utopie_holds_at_least_two_bars_of_silence(cue: Callable) -> None:
    arr = cue("utopie")
    played = notes(arr)
    silent_bars = 0
    longest = 0
    for bar in range(1, arr.length_bars + 1):
        start, end = arr.bar_tick(bar), arr.bar_tick(bar + 1)
        # nothing starts in the bar, and nothing started earlier still sounds in it
        quiet = not any(n.on < end and n.off > start for n in played)
        silent_bars = silent_bars + 1 if quiet else 0
        longest = max(longest, silent_bars)
    assert longest >= 2
    # ...and the silence is written as sections that play nothing
    assert any(s.name.startswith("silence") and s.bars >= 2 for s in arr.sections)
    written = [s for s in raw(SONGS / "utopie.yaml")["sections"] if s["name"] == "silence"]
    assert written and not written[0].get("play") and written[0]["bars"] >= 2


def test_utopie_slows_down_a_lot(cue: Callable) -> None:
    arr = cue("utopie")
    bpms = _bpm_samples(arr)
    assert bpms == sorted(bpms, reverse=True)  # only ever slower
    assert bpms[-1] <= 0.7 * bpms[0]
    assert any(s.bpm > s.end_bpm for s in arr.tempo.segments)  # a ramp, not only steps


def test_utopie_is_minimal(cue: Callable) -> None:
    arr = cue("utopie")
    assert max(_track_counts(arr)) <= 2
    minutes = arr.duration_seconds / 60
    assert len(notes(arr)) / minutes < 60  # fewer than one note a second


# -- Let's Make a Deal ---------------------------------------------------------------------
def test_lets_make_a_deal_ends_on_a_sustained_unresolved_chord(cue: Callable) -> None:
    arr = cue("lets-make-a-deal")
    key = parse_key(raw(SONGS / "lets-make-a-deal.yaml")["key"])
    tonic = frozenset(n % 12 for n in tonic_triad(key))
    last = arr.sections[-1]
    final = [n for n in notes(arr) if n.on < last.end_tick and n.off > last.start_tick]
    pcs = frozenset(n.note % 12 for n in final)
    assert len(pcs) >= 3  # a chord
    assert pcs != tonic and not pcs <= tonic  # not the tonic triad: unresolved
    # sustained: struck once at the start of the last section and held to its end
    assert all(n.on == last.start_tick and n.off == last.end_tick for n in final)
    assert last.bars >= 2


def test_lets_make_a_deal_is_a_warped_piano(cue: Callable) -> None:
    arr = cue("lets-make-a-deal")
    pianos = [t.name for t in arr.tracks if t.voice == "piano" and t.device is None]
    assert pianos
    keys = pianos[0]
    reverb = [e.value for e in _cc(arr, keys, "reverb")]
    cutoff = [e.value for e in _cc(arr, keys, "cutoff")]
    assert reverb == sorted(reverb) and reverb[-1] - reverb[0] >= 60  # ever wetter
    assert min(cutoff) <= 60 < max(cutoff)  # the filter closes
    # gentle: soft chords, never accented
    assert max(n.velocity for n in notes(arr, keys)) <= 70


# -- It's You ----------------------------------------------------------------------------
def _is_arpeggio(arr: Arrangement, track: str, chords_text: str, start: int, end: int) -> bool:
    """Notes one at a time, at one regular rate, each a tone of the chord of its moment."""
    played = [n for n in notes(arr, track) if start <= n.on < end]
    if len(played) < 16:
        return False
    onsets = [n.on for n in played]
    gaps = {b - a for a, b in zip(onsets, onsets[1:], strict=False)}
    one_at_a_time = all(a.off <= b.on for a, b in zip(played, played[1:], strict=False))
    moving = all(a.note != b.note for a, b in zip(played, played[1:], strict=False))
    bars = progression(chords_text)
    span = arr.section_at(start)
    assert span is not None
    for n in played:
        offset = n.on - span.start_tick
        bar = bars[offset // span.bar_ticks % len(bars)]
        chord = bar[offset % span.bar_ticks * len(bar) // span.bar_ticks]
        if n.note % 12 not in pitch_classes(chord):
            return False
    return len(gaps) == 1 and one_at_a_time and moving


def test_its_you_starts_from_a_synth_arpeggio_and_builds(cue: Callable) -> None:
    arr = cue("its-you")
    chords = raw(SONGS / "its-you.yaml")["themes"]["its-you"]["chords"]
    first = arr.sections[0]
    alone = sounding_tracks(arr, first.start_tick, first.end_tick)
    assert len(alone) == 1
    (track,) = alone
    assert arr.track(track).device in {"juno60", "monopoly", "virus"}  # a synth
    assert _is_arpeggio(arr, track, chords, first.start_tick, first.end_tick)
    counts = _track_counts(arr)
    assert counts[:4] == sorted(counts[:4]) and counts[3] >= 4, counts
    # the melody is soft
    assert max(n.velocity for n in notes(arr, "voice")) <= 80


def test_arpeggio_check_rejects_block_chords(cue: Callable) -> None:
    """The detector is not vacuous: a sustained pad is not an arpeggio."""
    arr = cue("its-you")
    chords = raw(SONGS / "its-you.yaml")["themes"]["its-you"]["chords"]
    pad = next(s for s in arr.sections if s.name == "pad")
    assert not _is_arpeggio(arr, "pad", chords, pad.start_tick, pad.end_tick)

"""Every cue of the score is in songs/, checks, compiles, lasts like a real cue, uses the
composer's instruments; the club night's setlist plays all of them, opening with Rivalry."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from rig.commands.check import check_file
from rig.project import Project
from rig.song.arrangement import Arrangement
from rig.song.events import NoteOn

from .score import CUES, SETLIST, SONGS, notes, raw

HARDWARE = {"virus", "juno60", "monopoly", "rytm"}  # the composer's outboard rig
# software voices for the acoustic parts (a nylon guitar, a sung line)
SOFTWARE = {"piano", "guitar", "nylon-guitar", "horns", "lead-voice"}
# Cues a set must stop and wait before (they start into silence, never mid-groove),
# and cues that continue from each other at a bar line.
QUIET = {"young-and-restless", "lets-make-a-deal", "lisbonne", "one-soul", "heartbeat-4", "utopie"}
DANCE = {
    "rivalry", "heartbeat-1", "heartbeat-2", "heartbeat-3", "ciel", "inferno",
    "la-nuit-est-longue", "its-you", "two-souls",
}  # fmt: skip


def test_songs_folder_holds_exactly_the_fifteen_cues() -> None:
    stems = {p.stem for p in SONGS.glob("*.yaml")}
    assert stems == set(CUES)
    for stem in stems:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", stem), f"{stem}: not kebab-case"


@pytest.mark.parametrize("stem", sorted(CUES))
def test_cue_checks_and_compiles(project: Project, cue: Callable, stem: str) -> None:
    path = SONGS / f"{stem}.yaml"
    assert check_file(project, path) == "song"
    arr: Arrangement = cue(stem)
    assert arr.name == CUES[stem]
    assert sum(isinstance(e, NoteOn) for e in arr.events) > 50  # Utopie is minimal, not empty
    # a real cue: between two and five minutes
    assert 120 <= arr.duration_seconds <= 300, f"{stem}: {arr.duration_seconds:.0f} s"
    # every section is accounted for and the last note ends inside the song
    assert arr.length_ticks == arr.sections[-1].end_tick
    assert max(n.off for n in notes(arr)) <= arr.length_ticks


@pytest.mark.parametrize("stem", sorted(CUES))
def test_cue_uses_the_composers_instruments(cue: Callable, stem: str) -> None:
    arr: Arrangement = cue(stem)
    for track in arr.tracks:
        if track.device is not None:
            assert track.device in HARDWARE, f"{stem}: {track.name} on {track.device}"
        else:
            assert track.voice in SOFTWARE, f"{stem}: {track.name} on voice {track.voice}"
        if track.drums:
            assert track.device == "rytm"
    # pure software voices get a channel of their own, so they never share one with a
    # hardware part (Virus part 1 sits on channel 1)
    hardware_channels = {t.channel for t in arr.tracks if t.device is not None}
    for track in arr.tracks:
        if track.device is None:
            assert track.channel not in hardware_channels, f"{stem}: {track.name}"


def test_theme_files_check(project: Project) -> None:
    for path in sorted((SONGS / "themes").glob("*.yaml")):
        assert check_file(project, path) == "themes"


def test_setlist_opens_with_rivalry_and_plays_every_cue(project: Project) -> None:
    assert check_file(project, SETLIST) == "set"
    entries = project.setlist(SETLIST).entries
    stems = [e.song.stem for e in entries]
    assert stems[0] == "rivalry"
    assert len(stems) == 15 and set(stems) == set(CUES)
    arrangements = project.arrangements(SETLIST)
    assert [a.name for a in arrangements] == [CUES[s] for s in stems]


def test_setlist_transitions_follow_the_floor(project: Project) -> None:
    entries = project.setlist(SETLIST).entries
    for entry, following in zip(entries, entries[1:], strict=False):
        here, there = entry.song.stem, following.song.stem
        if there in QUIET:
            assert entry.next == "wait", f"{here} → {there} should wait"
        elif here in DANCE and there in DANCE:
            assert entry.next == "bar", f"{here} → {there} should continue at the bar"
    assert raw(SETLIST)["set"] == "Heated Rivalry Night"


def test_a_cue_that_runs_on_at_the_bar_meets_the_next_tempo(project: Project) -> None:
    """Issue 14: `next: bar` into a cue at another tempo jumped (104 → 122). The set's
    `tempo: {to, over}` leads bend each cue's last bars into the next cue's tempo; a
    step of at most 4 BPM is left where a cue's own ending slows (Rivalry → 100)."""
    entries = project.setlist(SETLIST).entries
    cues = project.arrangements(SETLIST)
    for entry, cue, following in zip(entries, cues, cues[1:], strict=False):
        if entry.next != "bar":
            continue
        ends, opens = cue.tempo.bpm_at(cue.length_ticks - 1), following.tempo.bpm_at(0)
        assert abs(ends - opens) <= 4, f"{cue.name} {ends:g} → {following.name} {opens:g} BPM"


def test_no_two_cues_on_the_same_progression_meet(project: Project) -> None:
    """Five cues share the Heartbeat chords and two the Two Souls chords: back to back,
    the night would play one progression for five minutes."""
    entries = project.setlist(SETLIST).entries

    def themes(stem: str) -> set[str]:
        return set(raw(SONGS / f"{stem}.yaml").get("include", []))

    for entry, following in zip(entries, entries[1:], strict=False):
        here, there = entry.song.stem, following.song.stem
        shared = themes(here) & themes(there)
        assert not shared, f"{here} → {there} both play {sorted(shared)}"

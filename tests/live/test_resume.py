"""Where a restarted engine resumes after a crash (`rig.stage.host.resume_at`): the
next bar line after where the music would be now, in the cue's own meter and tempo."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.control.protocol import Status
from rig.project import Project
from rig.song.quantize import bar_beat, tick_of
from rig.stage.host import resume_at

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.load(REPO / "config.yaml")


def status(cue: int, bar: int, beat: int, bpm: float) -> Status:
    return Status("playing", bar, beat, bpm, 0, cue)


def test_tick_of_inverts_bar_beat_in_every_meter(project: Project) -> None:
    for name in ("heartbeat-4", "inferno", "utopie"):
        arr = project.arrangement(REPO / f"songs/{name}.yaml")
        for bar in range(1, arr.length_bars + 1):
            for beat in (1, 2, 3):
                assert bar_beat(arr, tick_of(arr, bar, beat)) == (bar, beat), (name, bar, beat)


def test_resume_in_three_four_counts_three_beat_bars(project: Project) -> None:
    arr = project.arrangement(REPO / "songs/heartbeat-4.yaml")  # 3/4
    bpm = arr.tempo.bpm_at(tick_of(arr, 5))
    bar_s = 3 * 60 / bpm
    # Bar 5 beat 1, then 2.5 bars: the music is in bar 7 (beat 2.5): resume at bar 8.
    assert resume_at([arr], status(0, 5, 1, bpm), 2.5 * bar_s) == (0, 8)
    # Just after the crash: the next bar line is bar 6.
    assert resume_at([arr], status(0, 5, 1, bpm), 0.0) == (0, 6)


def test_resume_follows_a_tempo_ramp_and_a_nudge(project: Project) -> None:
    arr = project.arrangement(REPO / "songs/heartbeat-3.yaml")  # 84 → 98 → 112 → 124 → 92
    for bar in (3, 9, 17, 25):
        tick = tick_of(arr, bar)
        bpm = arr.tempo.bpm_at(tick)
        later = arr.tempo.seconds_at(tick_of(arr, bar + 4, 2)) - arr.tempo.seconds_at(tick)
        # Four bars and a beat later along the tempo map: the next bar line is bar + 5.
        assert resume_at([arr], status(0, bar, 1, bpm), later) == (0, bar + 5), bar
    # A tempo nudged to double: twice as far in the same time.
    tick = tick_of(arr, 3)
    bpm = arr.tempo.bpm_at(tick)
    two_bars = arr.tempo.seconds_at(tick_of(arr, 5)) - arr.tempo.seconds_at(tick)
    assert resume_at([arr], status(0, 3, 1, 2 * bpm), two_bars - 0.3)[1] == 8


def test_a_cue_that_ended_meanwhile_resumes_with_the_next_one(project: Project) -> None:
    cues = project.arrangements(REPO / "songs/sets/heated-rivalry-night.yaml")
    last_bar = cues[0].length_bars
    bpm = cues[0].tempo.bpm_at(tick_of(cues[0], last_bar))
    assert resume_at(cues, status(0, last_bar, 3, bpm), 60 * 4 / bpm) == (1, 1)
    end = len(cues) - 1
    last = cues[end].length_bars
    assert resume_at(cues, status(end, last, 4, 60.0), 30.0) is None


def test_a_count_in_resumes_at_bar_one_and_a_stopped_show_does_not_resume(
    project: Project,
) -> None:
    """An engine that died counting in resumes its cue at bar 1 (`/rig/resume`: no
    second count-in); one that was stopped or waiting stays so (its cue is carried)."""
    cues = project.arrangements(REPO / "songs/sets/heated-rivalry-night.yaml")
    counting = Status("count-in", 0, 3, 120.0, 0, 2)
    assert resume_at(cues, counting, 1.0) == (2, 1)
    for state in ("stopped", "waiting", "ended"):
        assert resume_at(cues, Status(state, 5, 1, 120.0, 0, 1), 1.0) is None


def test_a_restart_carries_the_cue_mutes_and_solos_and_keeps_the_sets_tempos(
    project: Project,
) -> None:
    from rig.engine.spec import EngineSpec
    from rig.song.kept import Kept
    from rig.stage.host import carried

    cues = tuple(project.arrangements(REPO / "songs/sets/heated-rivalry-night.yaml"))
    spec = EngineSpec(cues, (), kept=Kept(cue=0, quantize="beat", mute=("keys",),
                                          tempo={1: 99.0}))  # fmt: skip
    last = Status("playing", 7, 2, 131.0, 0, 2, muted="bass,drums", soloed="lead")
    kept = carried(spec, last).kept
    assert kept == Kept(cue=2, quantize="beat", mute=("bass", "drums"), solo=("lead",),
                        tempo={1: 99.0})  # fmt: skip
    assert carried(spec, None) is spec  # no status ever: the set's own block
    assert carried(EngineSpec(cues, ()), Status("stopped", 1, 1, 120.0, 0, 1)).kept == Kept(cue=1)

"""The compiler's output is frozen: every cue of a copy of songs/ (and a cue of every
construct the score leaves out), at three seeds, and the set with its transitions, compile
to the events and the MIDI file they did before the compiler was tuned for speed.

A failure names the cues whose output moved: a speed-up must not move any. A deliberate
change of the language's output regenerates the digests (`python -m tests.song.golden`).
"""

from __future__ import annotations

import json

from rig.project import Project
from tests.song.golden import DIGESTS, GOLDEN_SONGS, digests


def test_every_cue_compiles_as_it_did_before(project: Project) -> None:
    frozen = json.loads(DIGESTS.read_text(encoding="utf-8"))["digests"]
    now = digests(project)
    assert sorted(now) == sorted(frozen)  # the same cues, seeds and set entries
    moved = [name for name in sorted(now) if now[name] != frozen[name]]
    assert moved == [], f"output changed for {moved}"


def test_the_golden_songs_cover_the_score_and_the_constructs() -> None:
    cues = {p.name for p in GOLDEN_SONGS.glob("*.yaml")}
    assert len(cues) == 16 and "inferno.yaml" in cues and "constructs.yaml" in cues
    frozen = json.loads(DIGESTS.read_text(encoding="utf-8"))["digests"]
    assert sum(name.startswith("sets/") for name in frozen) == 15  # the set's cues

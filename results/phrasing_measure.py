"""Issue 14's phrasing figures on the exported MIDI of every cue (not on rig's own events).

Usage (rig's tree on PYTHONPATH):
    python results/phrasing_measure.py [--per-track] [--songs DIR]
Exports every cue of songs/ (or of DIR, e.g. an older commit's songs from `git archive`) with `rig export` into a temporary folder, reads the files back
with mido and prints: melodic tracks (not drums) with notes; of those, how many use one
velocity and how many at most two; piano-voice tracks with a sustain pedal (CC 64); and
sections whose last bar(s) hold a fill (the song's section `fill:` or a `{fill}` step).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import mido

from rig.midi import wire
from rig.project import Project

REPO = Path(__file__).resolve().parents[1]
SONGS = REPO / "songs"


def _track_figures(path: Path) -> dict[str, tuple[set[int], bool]]:
    """Track name → (velocities of its note-ons, whether it sends CC 64)."""
    out: dict[str, tuple[set[int], bool]] = {}
    for trk in mido.MidiFile(path).tracks:
        name = next((m.name for m in trk if m.type == "track_name"), "")
        vels = {m.velocity for m in trk if m.type == "note_on" and m.velocity > 0}
        pedal = any(m.type == "control_change" and m.control == wire.CC_SUSTAIN for m in trk)
        if vels or pedal:
            out[name] = (vels, pedal)
    return out


def main(argv: list[str]) -> int:
    project = Project.load(REPO / "config.yaml")
    per_track = "--per-track" in argv
    songs = Path(argv[argv.index("--songs") + 1]) if "--songs" in argv else SONGS
    every = every_single = melodic = single = two = pianos = pedalled = sections = filled = 0
    with tempfile.TemporaryDirectory() as tmp:
        for song in sorted(songs.glob("*.yaml")):
            mid = Path(tmp) / f"{song.stem}.mid"
            subprocess.run(
                ["rig", "export", str(song), "-o", str(mid)], check=True, capture_output=True
            )
            arr = project.arrangement(song)
            model = project.song(song)
            tracks = {t.name: t for t in arr.tracks}
            for name, (vels, pedal) in _track_figures(mid).items():
                info = tracks.get(name)
                if info is None or not vels:
                    continue
                every += 1
                every_single += len(vels) == 1
                if info.drums:
                    continue
                melodic += 1
                single += len(vels) == 1
                two += len(vels) <= 2
                if info.voice in {"piano", "warped-piano"}:
                    pianos += 1
                    pedalled += pedal
                if per_track:
                    print(
                        f"  {song.stem:20} {name:10} {len(vels):3} velocities"
                        f"{'  pedal' if pedal else ''}"
                    )
            fill_steps = arr.fill_variant is not None
            for s in model.sections:
                sections += 1
                filled += s.fill is not None and (bool(s.fill.play) or fill_steps)
    print(f"tracks with notes: {every}, single velocity: {every_single}")
    print(f"melodic tracks with notes: {melodic}")
    print(f"  single velocity: {single}   at most two velocities: {two}")
    print(f"piano tracks with a sustain pedal: {pedalled} of {pianos}")
    print(f"sections ending in a fill: {filled} of {sections}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The compiler's output frozen: a digest of every cue and of the set, made from a copy of
songs/ taken before the compiler was tuned for speed (`songs/` here, kept as it was so that
rewriting a cue does not move the reference).

`digests(project)` hashes, per cue and seed, everything a compile yields: the events (their
full reprs, CC names and tempo ramps included), the fill variant, the warnings, sections,
tempo map and length, and the Standard MIDI File `rig export` writes. `DIGESTS` (digests.json)
was written by `python -m tests.song.golden` at the commit named in it; a change to the
compiler that moves any of these is a change of the music, not a speed-up. Regenerate only
for a deliberate change of the language's output, and say so in the commit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rig.midi.smf import smf_bytes
from rig.project import Project
from rig.song.arrangement import Arrangement
from rig.source.files import display_path

__all__ = ["GOLDEN_SONGS", "DIGESTS", "SEEDS", "digests", "arrangement_text"]

HERE = Path(__file__).resolve().parent
GOLDEN_SONGS = HERE / "songs"
DIGESTS = HERE / "digests.json"
SEEDS = (None, 1, 9061)  # the cue's own seed, and two others (humanize, chance, arp)


def arrangement_text(cue: Arrangement) -> str:
    """Everything an arrangement holds, as text (the fill variant's events too)."""
    lines = [
        repr((cue.name, cue.length_ticks, cue.key, cue.source, cue.timecode)),
        repr(cue.sections),
        repr(cue.tracks),
        repr(cue.tempo.segments),
        *(str(w) for w in cue.warnings),
        *(repr(e) for e in cue.events),
    ]
    if cue.fill_variant is not None:
        lines.append("fill variant:")
        lines.append(arrangement_text(cue.fill_variant))
    return "\n".join(lines)


def _digest(cue: Arrangement, root: Path) -> str:
    """The cue's text with the songs folder's place left out (as any checkout has it)."""
    text = arrangement_text(cue).replace(str(root), "<songs>")
    h = hashlib.sha256(text.replace(display_path(root), "<songs>").encode("utf-8"))
    h.update(smf_bytes(cue, key=cue.key)[0])
    return h.hexdigest()


def digests(project: Project, root: Path = GOLDEN_SONGS) -> dict[str, str]:
    """`{"<cue file> seed <s>": sha256}` for every cue below `root` at each of `SEEDS`, and
    `{"<set file> cue <n>": sha256}` for each cue of each set (transitions applied)."""
    out: dict[str, str] = {}
    for path in sorted(root.glob("*.yaml")):
        for seed in SEEDS:
            out[f"{path.name} seed {seed}"] = _digest(project.arrangement(path, seed), root)
    for path in sorted((root / "sets").glob("*.yaml")):
        for n, cue in enumerate(project.arrangements(path), 1):
            out[f"sets/{path.name} cue {n}"] = _digest(cue, root)
    return out


def main() -> None:
    """Write digests.json from the compiler as it is now (see the module's docstring)."""
    import subprocess

    repo = HERE.parents[2]
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    project = Project.load(repo / "config.yaml")
    data = {"commit": commit, "digests": digests(project)}
    DIGESTS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {DIGESTS}: {len(data['digests'])} digests at {commit}")

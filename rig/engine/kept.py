"""A show starts with what the last one kept (a set file's `live:` block,
`rig.song.kept`): the chosen cue, the mutes and solos, the tempos set by hand."""

from __future__ import annotations

from rig.engine.transport import Engine
from rig.song.kept import Kept

__all__ = ["apply_kept"]


def apply_kept(engine: Engine, kept: Kept | None, now_ns: int) -> list[str]:
    """Apply `kept` to a stopped engine; one warning per name the set no longer has."""
    if kept is None:
        return []
    warnings = []
    engine.kept_tempos = {i: bpm for i, bpm in kept.tempo.items() if i < len(engine.cues)}
    known = engine.track_names()
    for op, names in (("mute", kept.mute), ("solo", kept.solo)):
        for name in names:
            if name in known:
                getattr(engine, op)(now_ns, name)
            else:
                warnings.append(f"live: {op}: the set has no track '{name}' any more; ignored")
    cue = kept.cue if kept.cue is not None and kept.cue < len(engine.cues) else 0
    engine.cue(now_ns, cue)  # loads the cue's view: at its kept tempo too
    return warnings

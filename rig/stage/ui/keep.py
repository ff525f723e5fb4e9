"""`w` in `rig live`: keep the live tweaks in the set file — shown first, written
only on `y` (rig.song.kept: the set's `live:` block; rig.song.setlist.write_kept)."""

from __future__ import annotations

from typing import Any

from rig.song.kept import Kept, kept_yaml
from rig.song.setlist import load_setlist, write_kept
from rig.source import InputError
from rig.stage.ui.screens import KeepScreen

__all__ = ["offer_keep"]


def offer_keep(app: Any) -> None:
    """What the show would keep (the chosen cue, the quantize, mutes and solos, the tempo set
    by hand for this cue, with the tempos kept before for other cues), shown in a
    question; `y` writes it into `app.set_path`, anything else leaves it alone."""
    s = app.status
    if app.set_path is None or s is None:
        app._say("keep: only a set file (rig live songs/sets/…) keeps live tweaks")
        return
    try:
        setlist = load_setlist(app.set_path)
    except InputError as exc:
        app._say(f"keep: the set file does not load: {exc}", error=True)
        return
    tempo = dict(setlist.kept.tempo) if setlist.kept is not None else {}
    if s.bpm_set:
        tempo[s.cue] = round(s.bpm_set, 2)
    kept = Kept(
        cue=app.selected_cue,  # the chosen cue (where the cue keys point)
        quantize=app.quantize,
        mute=tuple(filter(None, s.muted.split(","))),
        solo=tuple(filter(None, s.soloed.split(","))),
        tempo=tempo,
    )

    def answer(write: bool | None) -> None:
        if not write:
            app._say("keep: cancelled, the set file is unchanged")
            return
        try:
            write_kept(setlist, kept)
        except (InputError, OSError) as exc:
            app._say(f"keep: not written: {exc}", error=True)
            return
        app._say(f"kept in {app.set_path}: the next show starts with them")

    app.push_screen(KeepScreen(str(app.set_path), kept_yaml(kept)), answer)


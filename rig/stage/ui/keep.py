"""`w` in `rig live`: keep the live tweaks in the set file — shown first, written
only on `y` (rig.song.kept: the set's `live:` block; rig.song.setlist.write_kept).
`unsaved` says whether there are tweaks the file does not hold yet: quitting asks
about them (`rig.stage.ui.quit`)."""

from __future__ import annotations

from typing import Any

from rig.song.kept import Kept, kept_yaml
from rig.song.model import SetList
from rig.song.setlist import load_setlist, write_kept
from rig.source import InputError
from rig.stage.ui.screens import KeepScreen

__all__ = ["offer_keep", "live_kept", "unsaved", "write_back", "DEFAULT_QUANTIZE"]

DEFAULT_QUANTIZE = "bar"  # the UI's quantize when the set keeps none (rig live)


def live_kept(app: Any) -> tuple[SetList, Kept]:
    """(the set file as it is now, what `w` would write into it): the chosen cue, the
    quantize, mutes and solos, the tempo set by hand for this cue with the tempos kept
    before for other cues. InputError if the set file does not load; the app must have
    a set file and a status."""
    s = app.status
    setlist = load_setlist(app.set_path)
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
    return setlist, kept


def _same(live: Kept, kept: Kept | None) -> bool:
    """True when the file's `live:` block (or none: the defaults) already says `live`."""
    kept = kept if kept is not None else Kept()
    return (
        (live.cue or 0) == (kept.cue or 0)
        and (live.quantize or DEFAULT_QUANTIZE) == (kept.quantize or DEFAULT_QUANTIZE)
        and sorted(live.mute) == sorted(kept.mute)
        and sorted(live.solo) == sorted(kept.solo)
        and dict(live.tempo) == dict(kept.tempo)
    )


def unsaved(app: Any) -> tuple[SetList, Kept] | None:
    """The tweaks `w` would write when the set file does not hold them yet; None when
    there are none, or nothing to write them into (no set file, no engine status, a
    set file that does not load): then quitting has nothing to ask."""
    if app.set_path is None or app.status is None:
        return None
    try:
        setlist, kept = live_kept(app)
    except Exception:  # noqa: BLE001 - whatever the file holds, q must still quit
        return None
    return None if _same(kept, setlist.kept) else (setlist, kept)


def write_back(app: Any, setlist: SetList, kept: Kept) -> bool:
    """Write `kept` into the set file; True when written, else the message says why."""
    try:
        write_kept(setlist, kept)
    except (InputError, OSError) as exc:
        app._say(f"keep: not written: {exc}", error=True)
        return False
    app._say(f"kept in {app.set_path}: the next show starts with them")
    return True


def offer_keep(app: Any) -> None:
    """What the show would keep (`live_kept`), shown in a question; `y` writes it into
    `app.set_path`, anything else leaves it alone."""
    if app.set_path is None or app.status is None:
        app._say("keep: only a set file (rig live songs/sets/…) keeps live tweaks")
        return
    try:
        setlist, kept = live_kept(app)
    except InputError as exc:
        app._say(f"keep: the set file does not load: {exc}", error=True)
        return

    def answer(write: bool | None) -> None:
        if not write:
            app._say("keep: cancelled, the set file is unchanged")
            return
        write_back(app, setlist, kept)

    app.push_screen(KeepScreen(str(app.set_path), kept_yaml(kept)), answer)

"""`q` in `rig live`: quit, asking first when the music plays or when live tweaks are
not in the set file yet — write them back, discard them, or cancel (the show goes on).

With neither, `q` ends at once, as always. Nothing here waits on the engine: the
tweaks come from the last status the UI has, and any trouble reading the set file
(it does not load, it is gone) means there is nothing to write back, so `q` can
never hang or fail on them."""

from __future__ import annotations

from typing import Any

from rig.song.kept import kept_yaml
from rig.stage.ui.keep import unsaved, write_back
from rig.stage.ui.screens import QuitScreen

__all__ = ["ask_quit", "quit_answer"]


def ask_quit(app: Any) -> None:
    """What `q` does: the question when there is one to ask, else quit now."""
    dead = app.link.engine_dead()
    playing = app.status is not None and app.status.state == "playing" and not dead
    tweaks = None if dead else unsaved(app)
    if tweaks is None and not playing:
        quit_answer(app, "stop")
        return
    block = kept_yaml(tweaks[1]) if tweaks is not None else ""
    screen = QuitScreen(playing=playing, file=str(app.set_path or ""), block=block)
    app.push_screen(screen, lambda choice: quit_answer(app, choice, tweaks))


def quit_answer(app: Any, choice: str | None, tweaks: Any = None) -> None:
    """Carry out the answer: "write" (write back, then stop and quit; a write that
    fails says why and the show goes on), "stop", "detach"; anything else cancels."""
    if choice == "write" and tweaks is not None:
        if not write_back(app, *tweaks):
            return
        choice = "stop"
    if choice == "stop":
        app.link.send("/rig/quit")
        app.exit("quit")
    elif choice == "detach":
        app.exit("detach")

"""The live UI's message row: one line, what matters most now — and the log of every
line it showed (the `l` view), where a line cut to fit 80 columns is read in full.

In order: the host's news of an engine crash or restart, an engine that does not
answer, the UI's own last message (a key's answer, a hot reload's outcome), a fresh
engine error. A hot reload's message follows the engine: the Reloader says "takes
effect at the next bar" when it sends; the status then says by the file sent when
it waits (at which bar) and when it took effect (since which bar) — the old wording
stayed on screen long after the new version played (issue 12). A mute or solo's
answer ("mute bass at the next bar") likewise becomes "bass muted" once the status
shows it (a trial found the old wording beside the table's M).
"""

from __future__ import annotations

import re
import time
from collections import deque
from typing import Any

from rig.control.protocol import Status

__all__ = ["message_text", "reload_text", "toggle_text", "MessageLog", "ERROR_SHOW_S"]

ERROR_SHOW_S = 10.0  # an engine error stays this long on the screen
LOG_LINES = 200  # the `l` view keeps this many lines
_PENDING = re.compile(r"takes effect at the next \w+")
_VOICES = "; edited voice "  # rig.stage.watch.VOICES_CAUGHT_UP


def reload_text(text: str, sent: str, s: Status | None) -> tuple[str, bool]:
    """A hot reload's message as the engine's status has it now: `text` is what the
    Reloader said when it sent the file `sent`. An attached UI's clause on the voices
    it sent (`; edited voice pad: new sound at the next bar`) stays as it is."""
    text, clause, voices = text.partition(_VOICES)
    said, error = _reload_text(text, sent, s)
    return said + clause + voices, error


def _reload_text(text: str, sent: str, s: Status | None) -> tuple[str, bool]:
    if not sent or s is None or not _PENDING.search(text):
        return text, False
    if s.reload_done == sent:
        if s.reload_done_bar < 0:
            return f"not reloaded, the engine refused it: {s.last_error}", True
        caught_up = text.startswith("hot reload on:")  # an attached UI's first look
        if not s.reload_done_what:
            if caught_up:
                return "hot reload on: the engine plays the files as they are", False
            return "saved: the engine already plays this version", False
        if caught_up:
            what = s.reload_done_what
            text = f"hot reload on: {what} (saved while no UI watched) takes effect at the next bar"
        if s.reload_done_bar > 0:
            return _PENDING.sub(f"took effect at bar {s.reload_done_bar}", text), False
        return _PENDING.sub("in effect now", text), False
    if s.reload_wait == sent and s.reload_wait_bar > 0:
        bars = max(0, s.reload_wait_bar - s.bar)
        return _PENDING.sub(f"takes effect at bar {s.reload_wait_bar} (in {bars})", text), False
    return text, False


_DONE = {"mute": "muted", "unmute": "unmuted", "solo": "soloed", "unsolo": "no longer soloed"}


def toggle_text(text: str, sent: tuple[str, ...], s: Status | None) -> str:
    """A mute or solo's answer `text` as the status has it now: `sent` is (op, track,
    the status field that lists it). Once it has landed, what it did, in the past."""
    if len(sent) != 3 or s is None:
        return text
    op, track, field = sent
    listed = track in getattr(s, field, "").split(",")
    if listed == (op in ("mute", "solo")):
        return f"{track} {_DONE[op]}"
    return text


def message_text(app: Any, s: Status | None) -> tuple[str, bool]:
    """(the message row's text, is it an error) for the live app `app` now."""
    session = app.session
    host_alive = session is not None and session.alive()
    if host_alive and session is not None and session.engine_state == "restarting":
        return f"ENGINE CRASHED — {session.note}; the music resumes at the next bar", True
    if app.link.engine_dead():
        if host_alive:
            return "ENGINE CRASHED — the live host is restarting it…", True
        return (
            "THE ENGINE PROCESS HAS DIED — nothing is playing. "
            "Restart with rig live (the set is unchanged).",
            True,
        )
    if app.restart_note and s is not None:
        return f"engine restarted: {app.restart_note}", True
    if app.link.last_reply and not app.link.connected:
        return "the engine is not answering…", True
    if app.link.errors and app.said.fresh(app.link.errors[-1]):
        # The engine's answer to the last action (the UI's message was said before it).
        return f"engine: {app.link.errors[-1]}", True
    if app.message:
        if app.reload_sent and not app.message_is_error:
            return reload_text(app.message, app.reload_sent, s)
        if app.toggle_sent:
            return toggle_text(app.message, app.toggle_sent, s), False
        return app.message, app.message_is_error
    error = s.last_error if s else ""
    if error and app.said.fresh(error):
        return f"engine: {error}", True
    return "", False


class MessageLog:
    """Every line the message row showed, with its time (wall clock, for the
    performer), and how long an engine error has been on screen."""

    def __init__(self, now: Any = time.monotonic, clock: Any = time.localtime) -> None:
        self._now = now
        self._clock = clock
        self.lines: deque[str] = deque(maxlen=LOG_LINES)
        self._last = ""
        self._error_seen: tuple[str, float] = ("", 0.0)

    def add(self, text: str, error: bool = False) -> None:
        """Keep `text` if it is not the line kept last (the row redraws ten times a second)."""
        if not text or text == self._last:
            return
        self._last = text
        stamp = time.strftime("%H:%M:%S", self._clock())
        self.lines.append(f"{stamp} {'!' if error else ' '} {text}")

    def fresh(self, error: str) -> bool:
        """True for `ERROR_SHOW_S` after `error` first appeared: an old OSC error
        (the engine keeps its last one) must not sit on the screen for minutes."""
        now = self._now()
        if self._error_seen[0] != error:
            self._error_seen = (error, now)
        return now - self._error_seen[1] < ERROR_SHOW_S

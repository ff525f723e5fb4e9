"""Where each hot reload stands, for the status: being read, waiting for its boundary,
or in effect (and where) — and where the live fill control stands.

A controller's `/rig/reload` or `/rig/voice` names a file it wrote; the engine reads
it in small steps, then swaps it in. A new version of the playing cue waits for the
boundary (a `Queued` switch of kind "reload"); a voice sounds from the boundary on.
The UI said "takes effect at the next bar" long after it had: `Engine.reloads`
counts swaps, not landings (issue 12). `Landing` keeps, by the file's name, what
waits and what landed, so a controller can tell the performer "since bar 14".

A new version the engine already plays (the same music, `rig.song.same`) is not
swapped in at all: a UI that attaches to a running show sends the whole set once
(edits saved while no UI watched), and a held note must not be cut at the bar for
the cues that did not change.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.engine.bundle import Bundle, load_steps
from rig.song.quantize import bar_beat
from rig.song.same import same_music_steps

__all__ = ["Landing", "NewCues", "reload_steps", "fill_fields"]


@dataclass
class _Waiting:
    name: str  # the file the controller sent (bundle-….pickle, voice-….pickle)
    what: str = ""  # what it changes: cue names, "voice NAME"
    queued: Any = None  # the engine's Queued switch it waits for
    view: Any = None  # the view that played when it was queued
    at_ns: int | None = None  # a voice: it sounds from here on
    bar: int = 0  # the bar of the playing cue where it lands; 0: not known yet


@dataclass(frozen=True)
class NewCues:
    """A reload bundle read, with what it changes: `changed` the cues whose music
    differs from what the engine has, `same` the names of the ones that do not."""

    bundle: Bundle
    name: str
    changed: list
    same: tuple[str, ...]


def reload_steps(engine: Any, path: Path) -> Generator[None, None, NewCues]:
    """Read the bundle at `path`, then compare each cue with the engine's (in steps)."""
    bundle = yield from load_steps(path)
    if bundle.full_set:
        return NewCues(bundle, path.name, list(bundle.cues), ())
    changed, same = [], []
    for index, arr, pairs in bundle.cues:
        have = engine.cues[index] if 0 <= index < len(engine.cues) else None
        if index == engine.view.index:  # the version that sounds (a whole set sent just
            have = engine.view.base  # before may have replaced the cue, not the view)
        new = engine.adapt(arr) if engine.adapt is not None else arr
        if have is not None and (yield from same_music_steps(new, have)):
            same.append(arr.name)
        else:
            changed.append((index, arr, pairs))
    return NewCues(bundle, path.name, changed, tuple(same))


class Landing:
    """The hot reloads of one engine: what waits (oldest first) and the last landed."""

    def __init__(self) -> None:
        self.waiting: list[_Waiting] = []
        self.done = ""  # the file of the newest reload in effect
        self.done_bar = 0  # where it took effect in the playing cue; 0: at once
        self.done_what = ""  # what it changed ("": nothing, the engine had it)
        self.failed = False  # the newest landed one failed (the engine's last error says)

    def received(self, name: str) -> None:
        """A file to read: it waits from now on."""
        self.waiting.append(_Waiting(name))

    def swapped(self, engine: Any, name: str, what: str, before: Any) -> None:
        """Swapped in; `before` is the engine's queued switch before the swap. A new
        reload switch waits for its boundary; anything else is in effect now."""
        queued = engine.queued
        if queued is not None and queued is not before and queued.kind == "reload":
            entry = self._entry(name)
            entry.what, entry.queued, entry.view = what, queued, engine.view
            entry.bar = engine.queued_bar()
            return
        self._land(name, what, 0)

    def voice(self, name: str, what: str, at_ns: int, bar: int) -> None:
        """A voice swapped in to sound from `at_ns`, bar `bar` (0: at once, stopped)."""
        entry = self._entry(name)
        entry.what, entry.at_ns, entry.bar = what, at_ns, bar

    def fail(self, name: str) -> None:
        self._land(name, "", 0)
        self.failed = True

    def fields(self, engine: Any, now_ns: int) -> dict:
        """The status's reload fields (`rig.control.protocol.Status`), resolving what
        has landed since the last look."""
        for entry in list(self.waiting):
            if entry.at_ns is not None and now_ns >= entry.at_ns:
                self._land(entry.name, entry.what, entry.bar)
            elif entry.queued is not None and engine.queued is not entry.queued:
                self._land(entry.name, entry.what, _landed_bar(engine, entry))
        first = self.waiting[0] if self.waiting else None
        return {
            "reload_wait": first.name if first else "",
            "reload_wait_bar": first.bar if first else 0,
            "reload_done": self.done,
            "reload_done_bar": -1 if self.failed else self.done_bar,
            "reload_done_what": self.done_what,
        }

    # -- inside ----------------------------------------------------------------------
    def _entry(self, name: str) -> _Waiting:
        entry = next((e for e in self.waiting if e.name == name), None)
        if entry is None:
            entry = _Waiting(name)
            self.waiting.append(entry)
        return entry

    def _land(self, name: str, what: str, bar: int) -> None:
        self.waiting = [e for e in self.waiting if e.name != name]
        self.done, self.done_what, self.done_bar, self.failed = name, what, bar, False


def _landed_bar(engine: Any, entry: _Waiting) -> int:
    """Where a queued new version took effect: the bar its view started at, when the
    view playing now is a new one of that cue (the switch, or a jump after it); 0
    when it was cancelled or the transport stopped (it plays from the cue's next start)."""
    view = engine.view
    if view is entry.view or view.index != entry.queued.index or not engine.scheduler.playing:
        return 0
    return bar_beat(view, 0)[0]


def fill_fields(engine: Any, now_ns: int, tick: int | None = None) -> dict:
    """The status's fill fields: "on" (sounding now; `fill_bar` the bar it ends at, 0:
    held until let go), "queued" (from bar `fill_bar`), or "" (none). `tick`:
    `engine.tick(now_ns)`, when the caller has it."""
    view = engine.view
    tick = engine.tick(now_ns) if tick is None else tick
    now = [(s, e) for s, e in view.fills if s <= tick and (e is None or tick < e)]
    if now:
        ends = [e for _, e in now]
        end = 0 if None in ends else bar_beat(view, max(e for e in ends if e is not None))[0]
        return {"fill": "on", "fill_bar": end}
    later = [s for s, _ in view.fills if s > tick]
    if later:
        return {"fill": "queued", "fill_bar": bar_beat(view, min(later))[0]}
    return {"fill": "", "fill_bar": 0}

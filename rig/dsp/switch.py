"""Starting and stopping groups of pyo objects cheaply, at the C level.

`PyoObject.play()`/`.stop()` spend ~7 µs each in Python argument checks
(`pyoArgsAssert`, `convertArgsToLists`, `isPlaying`) before they reach the C
streams. A voice slot wakes 10-20 objects per note, so a four-note pad chord on
three parts cost ~1 ms of Python in pyo's audio callback — most of a 64-frame
JACK period (1.33 ms), and measured here as xruns when events were applied live.
A `Switch` collects the C streams behind its objects once and calls their own
`play`/`stop`, which is what the Python methods end with; objects whose class
changes that behaviour (faders, and any class that overrides play or stop in a
way not known here) keep their Python method. The input faders of filters are
started and stopped with them, as `PyoObject.play` does with duration 0. Offline
renders gain too: the worker applies events with the same calls. Renders before
and after this change were compared: sample-identical.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Switch", "fast_play", "fast_stop"]


def _streams(obj: Any, trig: bool) -> list[Any]:
    out: list[Any] = []
    trig_objs = getattr(obj, "_trig_objs", None)
    if trig and trig_objs is not None:
        items = trig_objs if isinstance(trig_objs, list) else [trig_objs]
        for item in items:
            out.extend(getattr(item, "_base_objs", [item]))
    players = getattr(obj, "_base_players", None)
    if players:
        out.extend(players)
    # Objects with an input (filters, converters) cross-fade it through InputFaders.
    for name in ("_in_fader", "_in_fader2"):
        fader = getattr(obj, name, None)
        if fader is not None:
            out.extend(fader._base_objs)
    out.extend(obj._base_objs)
    return out


def _plain(obj: Any, method: str) -> bool:
    """True when `obj`'s play/stop is PyoObject's own (or one this module knows)."""
    from pyo.lib._core import PyoObject

    if getattr(obj, "_stop_delay", -1) != -1:
        return False
    own = getattr(type(obj), method)
    if own is getattr(PyoObject, method):
        return True
    # pyo.controls' envelopes (Adsr, Linseg, Fader...) override stop() only to leave their
    # trigger streams running until the release ends: the C base stop, without trig.
    return method == "stop" and type(obj).__module__ == "pyo.lib.controls"


def fast_play(objects: Iterable[Any]) -> list[Callable[[], Any]]:
    """Callables that start `objects` (C streams where safe, Python methods elsewhere)."""
    calls: list[Callable[[], Any]] = []
    for obj in objects:
        if _plain(obj, "play"):
            calls.extend(_bound(s.play, 0, 0) for s in _streams(obj, trig=True))
        else:
            calls.append(obj.play)
    return calls


def fast_stop(objects: Iterable[Any]) -> list[Callable[[], Any]]:
    """Callables that stop `objects`."""
    calls: list[Callable[[], Any]] = []
    for obj in objects:
        if _plain(obj, "stop"):
            controls = type(obj).__module__ == "pyo.lib.controls"
            trig = type(obj).stop is _pyo_stop() and not controls
            calls.extend(_bound(s.stop, 0) for s in _streams(obj, trig=trig))
        else:
            calls.append(obj.stop)
    return calls


def _pyo_stop() -> Any:
    from pyo.lib._core import PyoObject

    return PyoObject.stop


def _bound(method: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: method(*args)


class Switch:
    """Start and stop a fixed group of pyo objects; build it after the objects exist."""

    __slots__ = ("_on", "_off")

    def __init__(self, objects: Iterable[Any]):
        objects = list(objects)
        self._on = fast_play(objects)
        self._off = fast_stop(objects)

    def on(self) -> None:
        for call in self._on:
            call()

    def off(self) -> None:
        for call in self._off:
            call()

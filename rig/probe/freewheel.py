"""JACK freewheel on and off, waiting until the server has switched.

In freewheel the graph runs cycle after cycle as fast as the CPU allows, with no
deadlines: nothing can xrun, and the engine (whose clock is JACK's frame counter)
plays the same music on the same frames, only faster. The benchmarks' and the tests'
frame-exact runs happen there.

`jack.Client.set_freewheel` only asks: the server switches a little later. Whatever
acts at once (a launch, a cue, a measurement's start) could land on the last
real-time cycles, where a dummy server xruns and late note-ons are dropped by design.
The server's notification says when the switch happened; only an active client gets
it, so this client activates itself (no ports; a process callback only to keep
`frame` and count the cycles the server skips).

The server can run its frame counter ahead without its clients while it freewheels
(`rig.probe.skips`): with `watch` (or `track_frames`), leaving freewheel (`with fw:`)
raises FreewheelSkipped when it did — a frame-exact run that was not one says so
first, instead of failing its checks in ways that point at the engine.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from rig.probe.skips import CycleGaps, FreewheelSkipped, skip_message

__all__ = ["Freewheel", "FreewheelError"]

SWITCH_TIMEOUT_S = 20.0  # generous: a loaded machine


class FreewheelError(RuntimeError):
    """The server did not report the switch in time."""


class Freewheel:
    """One client of its own that switches the server (`with fw:` or `set(on)`).

    `server`: the JACK server's name (None: `JACK_DEFAULT_SERVER` or the default).
    Jack2 opens no client while it freewheels: make this one before switching.
    `track_frames`: keep `frame`, the first frame of the latest cycle (`frame_time`
    outside a process callback is an estimate from the wall clock, meaningless in
    freewheel) and `gaps` (the cycles it did not see) — a process callback of its
    own, so only where it is read.
    `watch`: count `gaps` only inside `with fw:`, from a second client opened before
    the switch and closed after it: a Python callback in a busy process (pytest's,
    where the test holds the GIL) holds up every cycle of the graph, so it runs only
    where it is needed. (At load 12-13 a client's open sometimes fails with
    "server_error" with or without it: seen in runs of main too.)"""

    def __init__(
        self,
        name: str = "rig-freewheel",
        server: str | None = None,
        track_frames: bool = False,
        watch: bool = False,
    ) -> None:
        import jack

        kwargs: dict[str, Any] = {"servername": server} if server else {}
        self._open = lambda suffix: jack.Client(name + suffix, no_start_server=True, **kwargs)
        self._watch = watch and not track_frames
        self._watcher: Any = None
        self.client = self._open("")
        self.on = False
        self.frame = 0
        self.rate = int(self.client.samplerate)
        self.gaps: CycleGaps | None = CycleGaps() if track_frames else None
        self._state = threading.Condition()
        self._server_on = False
        self.client.set_freewheel_callback(self._switched)
        if track_frames:
            self.client.set_process_callback(self._cycle)
        self.client.activate()

    def _cycle(self, frames: int) -> None:
        self.frame = frame = self.client.last_frame_time
        if self.gaps is not None:
            self.gaps.cycle(frame, frames, self._server_on)

    def _watched(self, frames: int) -> None:
        if self.gaps is not None and self._watcher is not None:
            self.gaps.cycle(self._watcher.last_frame_time, frames, self._server_on)

    def skipped(self) -> str:
        """What to say when the server skipped cycles while it freewheeled (with
        `track_frames` or `watch`): nothing measured then is frame-exact; else ""."""
        gaps = self.gaps
        if gaps is None or not gaps.freewheel_gaps:
            return ""
        return skip_message(gaps.freewheel_gaps, gaps.freewheel_frames, self.rate, "every client")

    def _switched(self, starting: bool) -> None:
        with self._state:
            self._server_on = starting
            self._state.notify_all()

    def set(self, on: bool, timeout: float = SWITCH_TIMEOUT_S) -> None:
        """Switch freewheel on or off and return once the server has (jack2 refuses to
        switch to the state it is in: then nothing to do)."""
        with self._state:
            if self._server_on == on:
                self.on = on
                return
        self.client.set_freewheel(on)
        self.on = on
        with self._state:
            switched = self._state.wait_for(lambda: self._server_on == on, timeout=timeout)
        if not switched:
            raise FreewheelError(
                f"the JACK server did not switch freewheel {'on' if on else 'off'} "
                f"within {timeout:g} s"
            )

    def __enter__(self) -> Freewheel:
        if self._watch and self._watcher is None:
            self._watcher = self._open("-watch")
            self._watcher.set_process_callback(self._watched)
            self._watcher.activate()
        if self.gaps is not None or self._watch:
            self.gaps = CycleGaps()  # this run's
        self.set(True)
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.set(False)
        self._unwatch()
        skipped = self.skipped()
        if not skipped:
            return
        if isinstance(error, BaseException):
            error.add_note(skipped)  # the reason first, on the failure it caused
            return
        raise FreewheelSkipped(skipped)

    def close(self) -> None:
        """Off again if on (a client closing in freewheel upsets the next ones), then go."""
        with contextlib.suppress(Exception):
            if self.on:
                self.set(False)
        self._unwatch()
        with contextlib.suppress(Exception):
            self.client.close()

    def _unwatch(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            with contextlib.suppress(Exception):
                watcher.deactivate()
                watcher.close()

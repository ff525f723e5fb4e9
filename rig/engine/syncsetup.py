"""The engine process's sync set-up from config.yaml `sync:` (see `rig.engine.sync`).

`open_sync_input` opens the master's MIDI input first thing (before any JACK client
of the process exists); `attach_sync` gives the engine its `SyncDriver` and switches
to the configured source. Both take `now`: the engine's time, read late, so the
sources stamp on whatever timeline the engine runs on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rig.engine.spec import EngineSpec
from rig.engine.transport import Engine

__all__ = ["open_sync_input", "attach_sync", "open_jack_sync_input", "use_frames"]


def open_sync_input(spec: EngineSpec, warnings: list[str], now: Callable[[], int]) -> Any:
    """The sync master's input port (config.yaml `sync: port`), opened; None without one.

    Opened before any other JACK client of this process exists: rtmidi connects its
    port while holding the GIL, and a JACK-Client process callback of ours waiting
    for the GIL would stall the server's graph change — measured here as an engine
    that never started. A missing port is a warning: the rig leads until it is fixed.
    """
    if not spec.sync.port:
        return None
    from rig.engine.wiring import frames_possible

    if frames_possible(spec):
        return None  # on JACK's frames: a JACK MIDI input, see open_jack_sync_input
    from rig.midi.ports import rtmidi_api
    from rig.midi.sync_in import SyncInput, SyncInputError

    try:
        return SyncInput(spec.sync.port, api=rtmidi_api(spec.sync_api), now=now).open()
    except (SyncInputError, ValueError) as exc:
        warnings.append(f"{exc}; the rig leads on its own clock")
        return None


def attach_sync(
    spec: EngineSpec,
    engine: Engine,
    clock: Any,
    sync_input: Any,
    warnings: list[str],
    now: Callable[[], int],
) -> None:
    """Attach a SyncDriver for config.yaml's `sync:` and switch to its source. A missing
    Link binding is a ValueError (the config asked for it); a source without its input
    port a warning."""
    from rig.engine.sync import SyncDriver

    config = spec.sync

    def make_link(bpm: float) -> Any:
        from rig.timing.link import LinkMissing, LinkSession
        from rig.timing.source import LinkSource

        try:
            return LinkSource(LinkSession(bpm, config.quantum, mono_ns=now))
        except LinkMissing as exc:
            raise ValueError(str(exc)) from None

    from rig.engine.wiring import frames_possible

    on_frames = frames_possible(spec)
    # On JACK's frames `now` reads JACK's frame_time once the frame loop runs
    # (`use_frames`): Link's host clock is mapped onto that.
    driver = SyncDriver(engine, clock, make_link=make_link)
    driver.input = sync_input
    engine.sync = driver
    if config.source in ("midi", "mtc") and sync_input is None and not on_frames:
        return  # open_sync_input said why
    try:
        driver.switch(config.source, time.monotonic_ns())
    except ValueError as exc:
        if config.source == "link":
            raise
        warnings.append(f"{exc}; the rig leads on its own clock")


def open_jack_sync_input(spec: EngineSpec, engine: Engine, loop: Any, warnings: list[str]) -> Any:
    """On JACK's frames (`loop`, the engine's FrameLoop): the sync input as a JACK MIDI
    port on the loop's client, read in its process callback and stamped by frame
    (`rig.midi.jack_in`), drained by the engine's SyncDriver in the same callback.
    None without `sync: port`. A master not there yet is a warning: the port
    connects when it appears."""
    if not spec.sync.port or loop is None or loop.host is None or engine.sync is None:
        return None
    from rig.midi.jack_in import JackInput

    with loop.lock:  # the callback drains the driver's input
        reader = JackInput(loop.host, spec.sync.port).open()
        engine.sync.input = reader
    if not reader.connected:
        seen = ", ".join(loop.host.sources()) or "none"
        warnings.append(
            f"sync: no MIDI output matches '{spec.sync.port}' (outputs: {seen}); "
            "following it when it appears"
        )
    return reader


def use_frames(engine: Engine, loop: Any, engine_time: list[Callable[[], int]]) -> None:
    """The frame loop runs: the engine's `now` for the sync sources is JACK's frame_time
    on the loop's timeline from here on, and a Link session joined meanwhile maps its
    host clock onto that (under the loop's lock: the callback reads the mapping)."""
    from rig.engine.wiring import frame_reader
    from rig.timing.source import LinkSource

    reader = frame_reader(loop)
    engine_time[0] = reader
    source = engine.sync.source if engine.sync is not None else None
    if isinstance(source, LinkSource):
        with loop.lock:
            source.session.host.reset(reader)
            source.session.realtime()  # read in the process callback from now on

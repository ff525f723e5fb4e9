"""The live session's host: a small detached process that owns the engine process.

Why a third process: the engine stops cleanly when its controller dies (it holds
the controller's pipe; see `rig.live.engine_process`) — right for `rig play`, but
on stage the UI must be killable without stopping the music. So `rig live`
starts this host in its own session (no terminal, no SIGHUP, not in the UI's
process group) and the host starts the engine. The UI is then just one more OSC
controller: SIGKILL it and the host and engine play on; `rig live --attach`
starts a new UI that finds them through the session file (`rig.live.session`).

The host also:
- runs the MIDI controller (`rig.live.controller`), so pads keep working while no
  UI is attached;
- watches the engine: if it dies (a crash, a SIGKILL), the host sends explicit
  note-offs for every note on every channel of the configured ports (nobody else
  can: the engine's note tracking died with it), starts a new engine and, if the
  music was playing, resumes the same cue at the next bar;
- ends when the engine ends by `/rig/quit`, removing the session file.

Run as ``python -m rig.live.host SPEC SESSION`` (`rig live` does it).
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rig.live.control import ControlClient, Status
from rig.live.engine_process import EngineError, EngineProcess, EngineSpec
from rig.live.session import Session, remove_session, write_session

__all__ = ["HostSpec", "main", "resume_bar"]

_POLL_S = 0.25


@dataclass(frozen=True)
class HostSpec:
    """What `rig live` hands the host (pickled to a file)."""

    engine: EngineSpec
    set_path: str
    config_path: str
    controller: object | None = None  # rig.config.ControllerConfig
    controller_api: str = "jack"  # rtmidi API for the controller's input port
    restart: bool = True  # a dead engine is replaced and resumes at the next bar


def resume_bar(status: Status, seconds_since: float) -> int:
    """The bar to resume at after a crash: the next bar line after where the music is
    now (the last status's bar, advanced by the time since, at its tempo)."""
    bars = seconds_since * status.bpm / 60.0 / 4.0
    return status.bar + max(1, math.ceil(bars + (status.beat - 1) / 4.0))


def _panic(engine_spec: EngineSpec) -> None:
    """Note-offs for all notes on all channels of every output: the dead engine's notes."""
    from rig.live.engine_sinks import open_sinks
    from rig.midi.notes import all_notes_off, note_off

    sinks, _ = open_sinks(engine_spec.outputs)
    now = time.monotonic_ns()
    for sink in sinks.values():
        for channel in range(16):
            for note in range(128):
                sink.send(now, note_off(channel, note))
            sink.send(now, all_notes_off(channel))
    time.sleep(0.3)  # JACK delivers in its next cycles; rtmidi's sender thread at once
    hosts = {}
    for sink in sinks.values():
        with contextlib.suppress(Exception):
            sink.close()
        if (host := getattr(sink, "host", None)) is not None:
            hosts[id(host)] = host
    for host in hosts.values():
        with contextlib.suppress(Exception):
            host.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    spec_path, session_path = Path(args[0]), Path(args[1])
    spec: HostSpec = pickle.loads(spec_path.read_bytes())
    with contextlib.suppress(OSError):
        spec_path.unlink()
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    signal.signal(signal.SIGINT, lambda *_: stop.__setitem__(0, True))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        engine = EngineProcess(spec.engine).start()
    except EngineError as exc:
        write_session(session_path, Session(0, 0, os.getpid(), spec.set_path, error=str(exc)))
        return 3
    controller = _start_controller(spec, engine.port)
    session = Session(engine.port, engine.pid or 0, os.getpid(), spec.set_path,
                      warnings=tuple(engine.warnings))  # fmt: skip
    write_session(session_path, session)
    last: tuple[Status, float] | None = None
    try:
        with ControlClient(engine.port) as control:
            while not stop[0]:
                time.sleep(_POLL_S)
                if engine.alive():
                    status = control.status(timeout=0.2)
                    if status is not None:
                        last = (status, time.monotonic())
                    continue
                engine.wait(1.0)
                if engine.exit_info is not None:  # ended by /rig/quit or a signal: done
                    break
                _panic(spec.engine)  # died: nobody else can end its notes
                if not spec.restart:
                    break
                engine = EngineProcess(spec.engine).start()
                session = Session(
                    engine.port, engine.pid or 0, os.getpid(), spec.set_path,
                    warnings=tuple(engine.warnings), restarts=session.restarts + 1,
                )  # fmt: skip
                write_session(session_path, session)
                control.address = (control.address[0], engine.port)
                if last is not None and last[0].state == "playing":
                    status, at = last
                    control.send("/rig/cue", status.cue)
                    control.send("/rig/play", resume_bar(status, time.monotonic() - at))
    finally:
        if controller is not None:
            controller.stop()
        engine.stop()
        remove_session(session_path)
    return 0


def _start_controller(spec: HostSpec, port: int):  # noqa: ANN202 - ControllerInput | None
    if spec.controller is None:
        return None
    from rig.live.controller import ControllerInput

    client_name = next((o.client_name for o in spec.engine.outputs), "rig")
    controller = ControllerInput(
        spec.controller, port, api=spec.controller_api, client_name=f"{client_name}-controller"
    )
    try:
        controller.start()
    except Exception as exc:  # a missing controller must not stop the show
        print(f"rig live: controller: {exc}", file=sys.stderr)
        return None
    return controller


if __name__ == "__main__":
    sys.exit(main())

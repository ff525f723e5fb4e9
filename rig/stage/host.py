"""The live session's host: a small detached process that owns the engine process.

Why a third process: the engine stops cleanly when its controller dies (it holds
the controller's pipe; see `rig.engine.process`) — right for `rig play`, but
on stage the UI must be killable without stopping the music. So `rig live`
starts this host in its own session (no terminal, no SIGHUP, not in the UI's
process group) and the host starts the engine. The UI is then just one more OSC
controller: SIGKILL it and the host and engine play on; `rig live --attach`
starts a new UI that finds them through the session file (`rig.stage.session`).

The host also:
- runs the MIDI controller (`rig.stage.controller`), so pads keep working while no
  UI is attached;
- watches the engine: the moment it dies (a crash, a SIGKILL), the host sends
  note-offs for exactly the notes it held (`rig.stage.rescue`, from the engine's
  shared-memory sounding-note map), starts a new engine with what the performer set
  (the cue, mutes, solos, a tapped or nudged tempo) and, if the music was playing,
  resumes the same cue at the next bar with no second count-in; the session file
  says so to the UI; what was patched by hand to the engine's JACK ports (a monitor,
  a recorder) is patched again (`rig.stage.patches`);
- ends the show on SIGTERM/SIGINT (a service manager, a logout): the engine stops
  cleanly, or, if it cannot (its JACK server gone), is killed and its notes released;
- ends when the engine ends by `/rig/quit`, removing the session file.

Run as ``python -m rig.stage.host SPEC SESSION`` (`rig live` does it).
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rig.control.protocol import ControlClient, Status
from rig.engine.process import EngineError, EngineProcess
from rig.engine.sinks import sink_hosts
from rig.engine.spec import EngineSpec
from rig.song.arrangement import Arrangement
from rig.song.events import PPQ
from rig.song.kept import Kept
from rig.song.quantize import bar_beat, tick_of
from rig.stage.patches import Patches
from rig.stage.rescue import Rescue
from rig.stage.session import Session, remove_session, write_session
from rig.stage.voicerecord import record_path, remove_record, write_record

__all__ = ["HostSpec", "carried", "main", "resume_at"]

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


def resume_at(
    cues: Sequence[Arrangement], status: Status, seconds_since: float
) -> tuple[int, int] | None:
    """(cue index, bar) to resume at after a crash: the first bar line after where the
    music is now — the last status's bar and beat, advanced by the time since along
    the cue's tempo map (scaled by a nudged tempo) and its meters. A cue that would
    have ended by now resumes with the next cue of the set (None after the last).
    A count-in that was counting resumes at its cue's bar 1 (counted in once); a
    transport that was not playing does not resume (None)."""
    if not 0 <= status.cue < len(cues):  # the set was edited to fewer cues meanwhile
        return None
    if status.state == "count-in":
        return status.cue, 1
    if status.state != "playing":
        return None
    arr = cues[status.cue]
    tick = tick_of(arr, status.bar, status.beat)
    tempo = arr.tempo
    nudge = status.bpm / tempo.bpm_at(tick) if status.bpm > 0 else 1.0
    # The status says the beat that had begun: the music may be up to a beat further.
    now_tick = tempo.tick_at(tempo.seconds_at(tick) + seconds_since * nudge) + PPQ
    bar, _ = bar_beat(arr, math.floor(now_tick))
    if bar + 1 <= arr.length_bars:
        return status.cue, bar + 1
    if status.cue + 1 < len(cues):
        return status.cue + 1, 1
    return None


def _latest(spec: HostSpec) -> EngineSpec:
    """The engine spec with the set as its files are now: a restarted engine plays the
    versions hot reload swapped in (or edits made while no UI was attached), not the
    ones the show started with. Files that do not load now: the show's own versions."""
    from rig.engine.spec import engine_spec
    from rig.project import Project
    from rig.source.errors import InputError

    try:
        project = Project.load(Path(spec.config_path))
        set_path = Path(spec.set_path)
        cues = project.arrangements(set_path)
        # The running show's OSC port: controllers and the session file know it.
        return engine_spec(project, set_path, cues, osc_port=spec.engine.osc_port,
                           bundle_dir=spec.engine.bundle_dir)  # fmt: skip
    except (InputError, OSError) as exc:
        print(f"rig live: restarting with the versions the show started with: {exc}",
              file=sys.stderr)  # fmt: skip
        return spec.engine


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
    rescue = Rescue(spec.engine.outputs, session_path.with_suffix(".notes")).open()
    mapped = str(rescue.path)
    try:
        engine = EngineProcess(replace(spec.engine, soundmap=mapped)).start()
    except EngineError as exc:
        rescue.close()
        write_session(session_path, Session(0, 0, os.getpid(), spec.set_path, error=str(exc)))
        return 3
    controller = _start_controller(spec, engine.port)
    patches = _patches(rescue, engine.clients)
    voices = record_path(session_path.parent, os.getpid())  # for a UI that attaches
    _record_voices(voices, engine)
    session = Session(engine.port, engine.pid or 0, os.getpid(), spec.set_path,
                      warnings=tuple(engine.warnings))  # fmt: skip
    write_session(session_path, session)
    last: tuple[Status, float] | None = None
    try:
        with ControlClient(engine.port) as control:
            while not stop[0]:
                # Wake the moment the engine process ends (its sentinel), else poll.
                with contextlib.suppress(InterruptedError, OSError, ValueError):
                    select.select([engine.sentinel], [], [], _POLL_S)
                if stop[0]:
                    break
                if engine.alive():
                    status = control.status(timeout=0.2)
                    if status is not None:
                        last = (status, time.monotonic())
                        if patches is not None:
                            patches.look()  # what is patched to it, kept for a restart
                        continue
                    # Quitting, the engine says bye before closing pyo and JACK, which
                    # can stall: the show is over then, and `_stop_engine` bounds the rest.
                    engine.wait(0.0)
                    if engine.exit_info is not None:
                        break
                    continue
                engine.wait(1.0)
                if engine.exit_info is not None:  # ended by /rig/quit or a signal: done
                    break
                # Died: nobody else can end its notes, at its devices and at what was
                # patched to its ports by hand.
                released = rescue.release(patches.heard_by() if patches is not None else None)
                what = f"the engine died; {released} note-offs sent"
                if not spec.restart:
                    gone = replace(session, engine_state="gone", note=f"{what}; not restarted")
                    write_session(session_path, gone)
                    break
                session = replace(session, engine_state="restarting",
                                  note=f"{what}; restarting it")  # fmt: skip
                write_session(session_path, session)
                engine, resume = _restart(spec, mapped, control, last, patches)
                _record_voices(voices, engine)
                where = f"cue {resume[0] + 1}, bar {resume[1]}" if resume else "stopped"
                session = Session(
                    engine.port, engine.pid or 0, os.getpid(), spec.set_path,
                    warnings=tuple(engine.warnings), restarts=session.restarts + 1,
                    engine_state="restarted",
                    note=f"{what}; restarted at {time.strftime('%H:%M:%S')}, {where}",
                )  # fmt: skip
                write_session(session_path, session)
    finally:
        if controller is not None:
            controller.stop()
        _stop_engine(engine, rescue, patches)
        rescue.close()
        remove_session(session_path)
        remove_record(voices)
    return 0


def carried(engine: EngineSpec, status: Status | None) -> EngineSpec:
    """The new engine's spec with what the performer set live, as the dead engine's last
    status says: its cue, mutes and solos start the new engine (the set's `live:` block,
    `rig.song.kept`, with its kept tempos); the tempo set by hand follows by OSC."""
    if status is None:
        return engine
    kept = engine.kept if engine.kept is not None else Kept()
    return replace(engine, kept=replace(
        kept, cue=status.cue if 0 <= status.cue < len(engine.cues) else kept.cue,
        mute=tuple(filter(None, status.muted.split(","))),
        solo=tuple(filter(None, status.soloed.split(","))),
    ))  # fmt: skip


def _restart(
    spec: HostSpec,
    mapped: str,
    control: ControlClient,
    last: tuple[Status, float] | None,
    patches: Patches | None = None,
) -> tuple[EngineProcess, tuple[int, int] | None]:
    """A new engine on the set as its files are now, with the performer's cue, mutes,
    solos and hand tempo (a tap, a nudge), and what was patched to the old one's
    ports (before the resume: a recorder following the clock needs its SPP); resumes at
    the next bar if the music was playing — with no count-in: the show was already
    playing (a count-in the engine died in resumes at bar 1) — once the xruns of the
    restart are over (`Patches.settle`: an xrun cycle loses its MIDI, the SPP with it).
    Returns it and where it resumed (cue index, bar)."""
    status = last[0] if last is not None else None
    fresh = carried(_latest(spec), status)
    engine = EngineProcess(replace(fresh, soundmap=mapped)).start()
    control.address = (control.address[0], engine.port)
    if patches is not None:
        patches.restore(engine.clients)  # JACK dropped them with the dead engine's ports
    if last is None or status is None:
        return engine, None
    if patches is not None:
        patches.settle()  # the restart's xruns over first: they lose MIDI (see there)
    if status.bpm_set > 0:  # for the dead engine's cue, which the new one starts on
        control.send("/rig/tempo", float(status.bpm_set))
    resume = resume_at(engine.spec.cues, status, time.monotonic() - last[1])
    if resume is not None:
        control.send("/rig/resume", resume[0], resume[1])
    return engine, resume


def _stop_engine(engine: EngineProcess, rescue: Rescue, patches: Patches | None = None) -> None:
    """End the show: the engine stops cleanly (note-offs, Stop); one that does not end
    in time (its JACK server gone, a hang) is killed and its notes are released here."""
    engine.stop(timeout=2.0)
    if engine.exit_info is None:
        rescue.release(patches.heard_by() if patches is not None else None)
        time.sleep(0.05)  # the rescue's note-offs leave in the next cycles


def _patches(rescue: Rescue, clients: dict[str, str]) -> Patches | None:
    """What is patched to the engine's JACK ports (`clients`: the names JACK gave its
    clients), looked at through the rescue's JACK client (rig.stage.patches); None
    without one."""
    host = next((h for h in sink_hosts(rescue.sinks.values()) if h.client is not None), None)
    if host is None:
        return None
    return Patches(host, clients)


def _record_voices(path: Path, engine: EngineProcess) -> None:
    """Keep the voices `engine` was started with for a UI that attaches
    (rig.stage.voicerecord)."""
    settings = engine.spec.voices
    with contextlib.suppress(OSError):
        write_record(path, settings.voices if settings is not None else {})


def _start_controller(spec: HostSpec, port: int):  # ControllerInput | None
    if spec.controller is None:
        return None
    from rig.stage.controller import ControllerInput

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

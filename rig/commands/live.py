"""`rig live SET`: perform a set — engine process, live host, terminal UI, hot reload.

The composition root for the stage. Three processes, so nothing but the engine
keeps time and the UI can die without a gap in the music:

    rig live (this process: the UI, file watching)  ──OSC──▶  engine process
                                                               ▲ owned by
    live host (detached: MIDI controller, engine watchdog) ────┘

`--attach` starts only a new UI for the host and engine already running (found
through the session file, `rig.stage.session`).
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rig.commands import (
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    command_parser,
    load_or_report,
    parse_args,
)

__all__ = ["main", "SUMMARY"]

SUMMARY = "perform a set: engine, terminal UI, quantized launches, mutes, hot reload"

EPILOG = """examples:
  rig live songs/sets/heated-rivalry-night.yaml
  rig live songs/inferno.yaml --config stage.yaml
  rig live songs/sets/heated-rivalry-night.yaml --attach    # a new UI for the running show

Keys (remappable in config.yaml, keys:): p play, s stop, c continue, n next cue,
up/down choose a cue, enter launch it, x cancel, [ ] choose a section, j jump to it,
1-9 or left/right choose a track, m mute, o solo, g quantize (now/beat/bar/section/
cue), + - tempo, t tap, f fill, w keep the live tweaks in the set file, l every
message in full, ! panic, q quit (asks first while playing: y stop and quit, d quit
the UI only — the music plays on; and with live tweaks the set file lacks: w write
them back and quit, y discard them).

Launches, jumps, mutes and solos land exactly on the next boundary of the chosen
quantize. Songs, sets and patches are watched: a valid edit is swapped in at the
next bar; an invalid one is shown as file:line:col and the old version plays on.
A MIDI controller (config.yaml, controller:) and OSC remotes (osc:, see
rig/control/protocol.py) reach the same actions. Killing the UI (even kill -9) leaves
the music playing; --attach reconnects, and sends the edits saved meanwhile (one UI
of a show watches the files; another waits its turn). SIGTERM (kill PID) ends the show
cleanly. If the engine dies, its sounding notes get note-offs and it restarts at the
next bar, with the hand tempo, mutes and solos, and no second count-in.

exit codes: 0 done, 1 bad song/set/config, 2 usage, 3 the engine cannot start or
(--attach) no running show
"""


def _parser() -> argparse.ArgumentParser:
    parser = command_parser("rig live", SUMMARY, EPILOG)
    parser.add_argument("path", type=Path, metavar="SET", help="a set file (or one cue)")
    parser.add_argument(
        "--attach", action="store_true", help="connect a new UI to the show already running"
    )
    parser.add_argument(
        "--osc-port",
        type=int,
        default=None,
        metavar="PORT",
        help="OSC control port (default: config.yaml osc.port)",
    )
    return parser


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    from rig.engine.spec import engine_spec
    from rig.project import Project

    project = load_or_report("live", Project.load, args.config)
    if isinstance(project, int):
        return project
    port = project.config.osc_port if args.osc_port is None else args.osc_port
    if not port and not args.attach:
        port = _free_port()  # the session file is named by the port: pick it here
    if args.attach:
        return _attach(args, project, port)

    from rig.stage.session import session_dir

    def load():  # ([Arrangement], EngineSpec, [SourceError])
        from rig.dsp.standins import warnings_of

        songs: list = []
        cues = project.arrangements(args.path, songs=songs)
        warnings = warnings_of(project.config.voices_dir, cues, songs)
        # Hot reload hands the engine files in the session folder, and only there.
        return cues, engine_spec(project, args.path, cues, osc_port=port,
                                 bundle_dir=str(session_dir())), warnings  # fmt: skip

    loaded = load_or_report("live", load, path=args.path)
    if isinstance(loaded, int):
        return loaded
    cues, spec, warnings = loaded
    for warning in warnings:  # the log (stderr) keeps them all; the UI shows the count
        print(warning, file=sys.stderr)
    from rig.engine.sinks import nothing_to_play_on

    reason = nothing_to_play_on(project.config)
    if reason is not None:
        print(f"rig live: nothing can sound live here: {reason}", file=sys.stderr)
        print(f"rig live: rehearse offline instead: rig play {args.path}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    from rig.stage.session import clear_stale, read_session, session_path

    running = read_session(session_path(port))
    if running is not None and running.alive():
        print(
            f"rig live: a show is already running on OSC port {port} ({running.set_path}); "
            "use --attach",
            file=sys.stderr,
        )
        return EXIT_USAGE
    left = clear_stale(session_path(port))  # a SIGKILLed host's: not this show's
    if left is not None:
        print(f"rig live: {left}", file=sys.stderr)
    import signal

    # SIGTERM (a service manager, a shutdown) ends the show, even while it starts: it
    # is noted from before the host starts until the UI's own handler takes over (the
    # UI's imports and first compile take seconds on a busy machine; a SIGTERM there
    # killed this process and left the host playing).
    terminated: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: terminated.append(signum))
    try:
        session = _start_host(args, project, spec)
        if isinstance(session, int):
            return session
        # The voices the engine was built with, as it has them.
        voices = spec.voices.voices if spec.voices is not None else None
        return _run_ui(args, project, session, cues, voices, warnings, terminated)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _quit_show(port: int) -> int:
    """SIGTERM before the UI ran: end the show (the engine stops cleanly)."""
    from rig.control.protocol import ControlClient

    with ControlClient(port) as control:
        control.send("/rig/quit")
    return EXIT_OK


def warning_line(warnings, path: Path) -> str:  # warnings: [SourceError]
    """One line for the UI: how many warnings, the first, and where to see them all."""
    more = f" (+{len(warnings) - 1} more: rig check {path})" if len(warnings) > 1 else ""
    return f"{len(warnings)} warning{'s' * (len(warnings) > 1)}: {warnings[0]}{more}"


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_host(args, project, engine):  # Session | int
    from rig.stage.host import HostSpec
    from rig.stage.session import read_session, remove_session, session_dir, session_path

    config = project.config
    port = engine.osc_port
    api = "jack" if config.midi_backend == "jack" else config.rtmidi_api
    spec = HostSpec(engine, str(args.path.resolve()), str(args.config), config.controller, api)
    folder = session_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, spec_file = tempfile.mkstemp(prefix="host-", suffix=".pickle", dir=folder)
    with os.fdopen(fd, "wb") as out:
        pickle.dump(spec, out)
    target = session_path(port)
    log = folder / f"host-{os.getpid()}.log"
    root = str(Path(__file__).resolve().parents[2])
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
    )
    with open(log, "wb") as err:
        host = subprocess.Popen(
            [sys.executable, "-m", "rig.stage.host", spec_file, str(target)],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # no SIGHUP, not in our process group: the UI may die
            env=env,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        session = read_session(target)
        if session is not None and session.host_pid == host.pid:  # this show's, no other
            if session.error:
                remove_session(target)  # said here; the host ended
                print(f"rig live: the engine did not start: {session.error}", file=sys.stderr)
                return EXIT_UNAVAILABLE
            for warning in session.warnings:
                print(f"rig live: warning: {warning}", file=sys.stderr)
            return session
        if host.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            print(f"rig live: the live host ended: {' / '.join(tail)}", file=sys.stderr)
            return EXIT_UNAVAILABLE
        time.sleep(0.05)
    print("rig live: the engine did not start within 30 s", file=sys.stderr)
    return EXIT_UNAVAILABLE


def _attach(args, project, port: int) -> int:
    from rig.stage.session import clear_stale, find_sessions, read_session, session_path

    session = read_session(session_path(port))
    if session is None or not session.alive():
        left = clear_stale(session_path(port))
        if left is not None:
            print(f"rig live: {left}", file=sys.stderr)
        wanted = str(args.path.resolve())
        found = [s for _, s in find_sessions() if s.set_path == wanted] or [
            s for _, s in find_sessions()
        ]
        session = found[0] if len(found) == 1 else None
    if session is None:
        print("rig live: no running show to attach to (start one with rig live SET)",
              file=sys.stderr)  # fmt: skip
        return EXIT_UNAVAILABLE
    return _run_ui(args, project, session, None)


def _session_reader(host_pid: int):  # () -> Session | None
    """Reads the session file of the host `host_pid` (the UI follows its restarts)."""
    from rig.stage.session import find_sessions

    def read():
        return next((s for _, s in find_sessions() if s.host_pid == host_pid), None)

    return read


def _run_ui(args, project, session, cues, voices=None, warnings=(), terminated=None) -> int:
    """The UI on the running show. `terminated`: SIGTERMs noted while it started (the
    caller's handler stays in place until this one's own is)."""
    from rig.control.link import EngineLink
    from rig.project import Project
    from rig.song.setlist import is_setlist
    from rig.stage.ui.app import LiveApp
    from rig.stage.voicerecord import record_path
    from rig.stage.watch import Reloader
    from rig.stage.watchlock import WatchLock, watch_lock_path

    link = EngineLink(session.port, engine_pid=session.engine_pid)
    from rig.stage.session import session_dir

    folder = session_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Inside the session folder: the only place the engine reads reload files from.
    bundles = Path(tempfile.mkdtemp(prefix="bundles-", dir=folder))
    reloader = None
    try:
        reloader = Reloader(
            lambda: Project.load(args.config),
            args.path,
            link.send,
            bundles,
            cues=cues,
            transitions=project.transitions(args.path) if cues else (),
            voices=voices,
            # One UI of the show watches the files (the others wait): rig.stage.watchlock.
            lock=WatchLock(watch_lock_path(folder, session.port)),
            engine_set=lambda: link.setlist,
            record=record_path(folder, session.host_pid),  # the voices the engine plays
        )
    except Exception as exc:  # files broken since the show started: no hot reload
        print(f"rig live: hot reload is off: {exc}", file=sys.stderr)
    set_path, quantize = None, "bar"
    if is_setlist(args.path):  # `w` keeps the live tweaks there; a kept quantize applies
        set_path = args.path
        kept = project.setlist(args.path).kept
        quantize = kept.quantize if kept is not None and kept.quantize else quantize
    app = LiveApp(link, keys=project.config.keys, reloader=reloader,
                  session=_session_reader(session.host_pid), set_path=set_path,
                  quantize=quantize)  # fmt: skip
    if warnings:  # the message line until the first action (rig check lists them all)
        app.message = warning_line(warnings, args.path)
    if reloader is not None and reloader.startup_error:  # a song saved broken before --attach
        app.message, app.message_is_error = reloader.startup_error, True
    import signal

    def end_show(signum: int, frame: object) -> None:
        # SIGTERM is what a service manager or a shutdown sends to the process it
        # started (this one): the show ends (the engine stops cleanly), unlike a
        # kill -9 or a lost terminal, where the music plays on for --attach.
        link.send("/rig/quit")
        app.exit("quit")

    previous = signal.signal(signal.SIGTERM, end_show)
    if terminated:  # a SIGTERM while the UI started: the show ends, no UI
        signal.signal(signal.SIGTERM, previous)
        link.close()
        return _quit_show(session.port)
    try:
        result = app.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        link.close()
    if result == "detach":
        print(
            f"rig live: the engine plays on (OSC port {session.port}); "
            f"rig live {args.path} --attach reconnects",
            file=sys.stderr,
        )
    return EXIT_OK

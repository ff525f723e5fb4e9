"""What a SIGKILLed live show leaves behind does not fool the next one on its OSC port
(rig.stage.session.clear_stale, rig.commands.live): its session file is recognised as
stale, said and removed, by `--attach` and by a new `rig live`, which then talks to
its own host; and the watch lock of the killed UI does not hold up the next UI."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import time

import pytest

from rig.control.link import pid_alive
from rig.control.protocol import ControlClient
from tests.live.test_live_jack import HELD, stage
from tests.support.live import end_show, wait_for, wait_show_ended, wait_watching
from tests.support.tmux import live_command

pytestmark = [pytest.mark.jack, pytest.mark.slow]


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_gone(pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        assert time.monotonic() < deadline, f"process {pid} did not end"
        time.sleep(0.05)


def _live(jack_server, song_path, config, sessions, port: int, *more: str):
    """`rig live SONG --osc-port PORT [more]` (headless UI); (process, its stderr log)."""
    cmd, env = live_command(song_path, config, sessions=sessions, server_env=jack_server.env,
                            headless=True, inherit=True)  # fmt: skip
    cmd[cmd.index("--osc-port") + 1] = str(port)
    log = sessions.parent / f"live-{len(list(sessions.parent.glob('live-*.log')))}.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen([*cmd, *more], env=env, stdout=subprocess.DEVNULL, stderr=err)
    return proc, log


def test_a_sigkilled_show_leaves_files_the_next_show_on_its_port_sees_through(
    jack_server, tmp_path, monkeypatch
):
    from rig.commands.live import _start_host
    from rig.engine.spec import engine_spec
    from rig.probe.recorder import Recorder
    from rig.project import Project
    from rig.stage.session import read_session, session_path
    from rig.stage.watchlock import WatchLock, watch_lock_path

    sessions = tmp_path / "sessions"
    monkeypatch.setenv("RIG_LIVE_DIR", str(sessions))
    port = _free_port()
    target = session_path(port, sessions)
    recorder = Recorder.spawn(jack_server.env)
    try:
        song_path, config = stage(tmp_path, recorder.port)
        song_path.write_text(HELD)
        ui, _ = _live(jack_server, song_path, config, sessions, port)
        try:
            deadline = time.monotonic() + 120
            while (first := read_session(target)) is None:
                assert time.monotonic() < deadline and ui.poll() is None, "rig live did not start"
                time.sleep(0.05)
            wait_watching(ui)  # it holds the show's watch lock now
            os.kill(ui.pid, signal.SIGKILL)
            ui.wait(10)
            # The kernel let go of the killed UI's lock (the host did not inherit it):
            # the next UI of this show watches at once.
            lock = WatchLock(watch_lock_path(sessions, port))
            assert lock.take(), "the killed UI's watch lock still holds"
            lock.release()
            os.kill(first.host_pid, signal.SIGKILL)
            _wait_gone(first.engine_pid)  # the engine ends with its host (its pipe's EOF)
        finally:
            ui.kill()
            ui.wait(5)
        left = target.read_bytes()
        assert read_session(target) is not None and not read_session(target).alive()

        # --attach on that port: no show, and it says why; the file is gone.
        attach, log = _live(jack_server, song_path, config, sessions, port, "--attach")
        assert attach.wait(120) == 3
        said = log.read_text()
        assert "ended without cleaning up" in said and str(first.host_pid) in said, said
        assert not target.exists()

        # A new show on the port while the killed one's file is there: it removes it,
        # says so, and hands over its own host's session.
        target.write_bytes(left)
        project = Project.load(config)
        spec = engine_spec(project, song_path, project.arrangements(song_path),
                           osc_port=port, bundle_dir=str(sessions))  # fmt: skip
        args = argparse.Namespace(path=song_path, config=config)
        session = _start_host(args, project, spec)
        try:
            assert not isinstance(session, int), session
            assert session.host_pid != first.host_pid and session.alive()
            with ControlClient(session.port) as control:
                assert wait_for(control, lambda s: s.pid == session.engine_pid, 60)
                control.send("/rig/quit")
            assert wait_show_ended(sessions)
        finally:
            end_show(sessions)
    finally:
        recorder.kill()


def test_rig_live_says_it_removed_the_stale_file_of_its_port(jack_server, tmp_path):
    """`rig live` itself (main): the stale file is said and removed before the host
    starts; a file whose pid is alive but not a live host (the pid was reused) is
    stale too."""
    from rig.stage.session import Session, read_session, session_path, write_session

    sessions = tmp_path / "sessions"
    port = _free_port()
    target = session_path(port, sessions)
    # A process that is alive but is not a live host: the pid was reused.
    other = subprocess.Popen(["sleep", "300"])
    write_session(target, Session(port, 0, other.pid, str(tmp_path / "old.yaml")))
    song_path, config = stage(tmp_path, "no-such-port-anywhere")  # its stand-in plays
    song_path.write_text(HELD)
    ui, log = _live(jack_server, song_path, config, sessions, port)
    try:
        deadline = time.monotonic() + 120
        while not ((found := read_session(target)) and found.host_pid != other.pid):
            assert time.monotonic() < deadline and ui.poll() is None, log.read_text()
            time.sleep(0.05)
        assert found.alive()
        said = log.read_text()
        assert "old.yaml on OSC port" in said and f"pid {other.pid}" in said, said
        with ControlClient(found.port) as control:
            control.send("/rig/quit")
        assert wait_show_ended(sessions)
    finally:
        ui.kill()
        ui.wait(5)
        end_show(sessions)
        other.kill()
        other.wait()

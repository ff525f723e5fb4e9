"""`rig live` in a real terminal: tmux on a private socket, keys by `send-keys`, the
screen by `capture-pane` — what a performer's terminal shows, not textual's Pilot.

`live_command` is how every test starts `rig live` (this repo's tree, a private
JACK server, a private sessions folder): the tmux tests run it in a `TmuxShow`,
the JACK tests in a plain process with textual's headless driver."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["TmuxShow", "have_tmux", "live_command", "REPO"]

REPO = Path(__file__).resolve().parents[2]


def live_command(
    show: Path,
    config: Path,
    *,
    sessions: Path,
    server_env: Mapping[str, str],
    headless: bool = False,
    inherit: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) of `rig live SHOW --config CONFIG` on the given JACK server,
    its session files under `sessions`. `headless`: textual's headless driver (no
    terminal); `inherit`: on top of this process's environment (a plain subprocess;
    tmux gets only what differs)."""
    import sys

    env = dict(os.environ) if inherit else {}
    env.update(server_env)
    env.update(PYTHONPATH=str(REPO), RIG_LIVE_DIR=str(sessions))
    if headless:
        env["TEXTUAL_DRIVER"] = "textual.drivers.headless_driver:HeadlessDriver"
    cmd = [sys.executable, "-m", "rig.cli", "live", str(show), "--config", str(config),
           "--osc-port", "0"]  # fmt: skip
    return cmd, env


def have_tmux() -> bool:
    return shutil.which("tmux") is not None


class TmuxShow:
    """One command in a detached tmux session of `width` x `height` cells.

    The session runs on its own server socket (`-L`), so it neither sees nor
    disturbs the user's tmux; `close()` kills that server, and with it the command."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        width: int,
        height: int,
        env: Mapping[str, str],
        cwd: Path,
        name: str,
    ) -> None:
        self.socket = f"{name}-{os.getpid()}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        line = f"cd {shlex.quote(str(cwd))} && env {exports} TERM=xterm-256color "
        line += shlex.join(command)
        # `; sleep` keeps the pane after the command ends, so its last screen is readable.
        self._tmux("new-session", "-d", "-s", "show", "-x", str(width), "-y", str(height),
                   f"{line}; sleep 600")  # fmt: skip

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                             text=True, timeout=10, check=True)  # fmt: skip
        return out.stdout

    def keys(self, *keys: str, pause: float = 0.15) -> None:
        """Press each key (tmux names: Enter, Down, Escape, a character) in turn."""
        for key in keys:
            self._tmux("send-keys", "-t", "show", key)
            time.sleep(pause)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "show")

    def wait(self, *texts: str, timeout: float = 120.0) -> str:
        """The screen once it shows every one of `texts`; AssertionError with the last
        screen if it does not within `timeout`."""
        return self.wait_any(texts, timeout=timeout)

    def wait_any(self, *choices: tuple[str, ...], timeout: float = 120.0) -> str:
        """The screen once it shows every text of one of `choices` (a state that may
        pass between two looks — a launch queued for less than a bar — or the one
        after it); AssertionError with the last screen if none within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if any(all(t in screen for t in texts) for texts in choices):
                return screen
            if time.monotonic() > deadline:
                shown = " or ".join(map(str, choices))
                raise AssertionError(f"the terminal never showed {shown}:\n{screen}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       timeout=10, check=False)  # fmt: skip

    def __enter__(self) -> TmuxShow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

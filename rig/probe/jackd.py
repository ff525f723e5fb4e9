"""A private JACK dummy server for the benchmarks: `rig bench clock` and
`rig bench render --live` measure on a server of their own, not on whatever runs.

`jackd -n rig-bench-<pid> -R -d dummy` (without `-R` where realtime scheduling is
refused), `JACK_DEFAULT_SERVER` naming it while it runs so every client of the
process and its children use it; stopped and its log removed at the end. A bench
killed on the way (a timeout, SIGKILL) takes its server along (`die_with_parent`):
orphaned servers were found running for half an hour, each spinning its dummy cycles
and holding one of the 8 entries of JACK's shared server registry.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["die_with_parent", "on_server", "private_jackd", "start_jackd", "stop_jackd"]

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """`preexec_fn` for a helper process (a JACK server, a synth): it gets SIGTERM when
    the process that started it dies, even by SIGKILL (Linux; elsewhere nothing)."""
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def on_server(name: str) -> Iterator[str]:
    """JACK_DEFAULT_SERVER = `name` while inside (children inherit it), then as before."""
    saved = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        yield name
    finally:
        if saved is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = saved


@contextlib.contextmanager
def private_jackd(period: int = 64, rate: int = 48000) -> Iterator[str]:
    """Run a private `jackd -d dummy`; yields its name. RuntimeError (one line) when
    jackd is not installed or does not start."""
    if shutil.which("jackd") is None:
        raise RuntimeError("jackd is not installed (Debian: apt-get install jackd2)")
    name = f"rig-bench-{os.getpid()}"
    folder = Path(tempfile.mkdtemp(prefix="rig-bench-jackd-"))
    proc = None
    try:
        for realtime in (True, False):
            proc = _start(name, period, rate, realtime, folder / "jackd.log")
            if proc is not None:
                break
        if proc is None:
            log = (folder / "jackd.log").read_text(errors="replace").strip().splitlines()
            raise RuntimeError(f"jackd did not start: {log[-1] if log else 'no output'}")
        with on_server(name):
            yield name
    finally:
        if proc is not None:
            _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


def start_jackd(name: str, log: Path, period: int = 64, rate: int = 48000) -> subprocess.Popen:
    """Start `jackd -n name -d dummy` (realtime if permitted) and wait until it takes
    clients; RuntimeError when it does not start. For `rig bench faults`, which
    kills a server mid-show and starts it again under the same name."""
    for realtime in (True, False):
        proc = _start(name, period, rate, realtime, log)
        if proc is not None:
            return proc
    raise RuntimeError(f"jackd {name} did not start (see {log})")


def stop_jackd(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 5 s."""
    _stop(proc)


# JACK's shared registry holds 8 servers per machine; while it is full (other
# sessions' servers), jackd exits at once saying so: wait for a free entry this long.
_TOO_MANY = "Too many servers"
_START_S = 60.0


def _start(name: str, period: int, rate: int, realtime: bool, log: Path) -> subprocess.Popen | None:
    from rig.midi.ports import BackendUnavailable, load_jack

    try:
        jack = load_jack()
    except BackendUnavailable as exc:
        raise RuntimeError(str(exc)) from None

    cmd = ["jackd", "-n", name] + (["-R"] if realtime else [])
    cmd += ["-d", "dummy", "-r", str(rate), "-p", str(period)]
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    # Generous: a busy machine may take seconds to start a server (waiting is free
    # when it starts at once).
    deadline = time.monotonic() + _START_S
    jack.set_error_function(lambda msg: None)
    try:
        while True:
            with open(log, "wb") as out:
                proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                        preexec_fn=die_with_parent)  # fmt: skip
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    jack.Client("rig-bench-probe", no_start_server=True, servername=name).close()
                    return proc
                except jack.JackError:
                    time.sleep(0.05)
            full = _TOO_MANY in log.read_text(errors="replace")
            if proc.poll() is None or not full or time.monotonic() >= deadline:
                break
            time.sleep(1.0)  # the registry is full: try again when an entry is free
    finally:
        jack.set_error_function()
    _stop(proc)
    return None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

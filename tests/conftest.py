"""Shared fixtures: a private JACK dummy server, an independent MIDI recorder, fluidsynth.

Every folder's tests may use them (mark such tests `@pytest.mark.jack`):

- `jack_server` (session): `jackd -n rigtest-s<N> -R -d dummy -r 48000 -p 64`,
  without `-R` where realtime scheduling is refused. While it runs,
  `JACK_DEFAULT_SERVER` names it, so in-process clients (JACK-Client, rtmidi's
  JACK API) and child processes given `jack_server.env` all use it. Skips only
  when `jackd` is not installed (CI installs it).
- `recorder` (function): `rig.probe.recorder.Recorder` in its own process, one
  MIDI input, frame-stamped messages back from `recorder.stop()`.
- `freewheel` (function): the server in JACK freewheel for the test: no deadlines,
  no xruns, every frame-exact check a plain assertion (the engine's clock is JACK's
  frame counter, so it plays the same frames, faster than real time).
- `fluidsynth` (module): fluidsynth with the TimGM6mb General MIDI soundfont on
  the same server, as a stand-in for a hardware synth: `.midi_in` is its MIDI
  input port, `.audio_out` its two audio outputs.

Heavy fixtures of a single package may still live in their own plugin modules
under tests/fixtures/ (list them in `pytest_plugins`).
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rig.probe.freewheel import Freewheel
from rig.probe.jackd import die_with_parent

pytest_plugins: list[str] = []

SAMPLE_RATE = 48000
PERIOD = 64
SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")  # Debian timgm6mb-soundfont

_names = itertools.count()


@dataclass
class JackServer:
    """A running private JACK server."""

    name: str
    rate: int
    period: int
    realtime: bool
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    xruns: XrunCount | None = None  # every xrun of the server while the session runs


class XrunCount:
    """Counts the server's xruns from a client of its own (no ports, no process
    callback: it adds nothing to the graph's work)."""

    def __init__(self) -> None:
        import jack

        self.count = 0
        self.last = float("-inf")  # time.monotonic() of the latest xrun
        self._client = jack.Client("rigtest-xrun-count", no_start_server=True)
        self._client.set_xrun_callback(self._xrun)
        self._client.activate()

    def _xrun(self, delay_usecs: float) -> None:
        self.count += 1
        self.last = time.monotonic()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.deactivate()
            self._client.close()


def _client_can_connect(server: str) -> bool:
    import jack

    try:
        client = jack.Client("rigtest-probe", no_start_server=True, servername=server)
    except jack.JackError:
        return False
    client.close()
    return True


def _stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def start_jackd(
    name: str, *, realtime: bool, log: Path, timeout: float = 30.0
) -> JackServer | None:
    """Start `jackd` under `name`; None if it died or never accepted a client."""
    import jack

    # -t: a client may take 5 s for a cycle before jackd gives up on it (default 0.5 s).
    # In freewheel a Python client on an overloaded machine can be that slow once, and
    # a client jackd gave up on stops being called: the music would stand still.
    cmd = ["jackd", "-n", name, "-t", "5000"]
    if realtime:
        cmd.append("-R")
    cmd += ["-d", "dummy", "-r", str(SAMPLE_RATE), "-p", str(PERIOD)]
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=die_with_parent
        )
    # libjack prints every refused connection attempt; keep the test log readable.
    jack.set_error_function(lambda msg: None)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return None
            if _client_can_connect(name):
                break
            time.sleep(0.05)
        else:
            _stop(proc)
            return None
    finally:
        jack.set_error_function()
    text = log.read_text(errors="replace")
    if realtime and "Cannot use real-time scheduling" in text:
        _stop(proc)
        return None
    return JackServer(
        name=name,
        rate=SAMPLE_RATE,
        period=PERIOD,
        realtime=realtime,
        env={"JACK_DEFAULT_SERVER": name, "JACK_NO_AUDIO_RESERVATION": "1"},
        proc=proc,
        log=log,
    )


@pytest.fixture(scope="session")
def jack_server() -> Iterator[JackServer]:
    """A private JACK dummy server for the whole test session."""
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (Debian: apt-get install jackd2)")
    pytest.importorskip("jack")
    tmp = Path(tempfile.mkdtemp(prefix="rigtest-jack-"))
    slot = _server_slot()
    name = f"rigtest-s{slot.number}"
    log = tmp / "jackd.log"
    deadline = time.monotonic() + _FULL_WAIT_S
    while True:
        server = start_jackd(name, realtime=True, log=log)
        if server is None and "Cannot use real-time" in log.read_text(errors="replace"):
            # Realtime refused (no RLIMIT_RTPRIO, containers): frame-exact tests run
            # in freewheel anyway; real-time ones assert robustness.
            server = start_jackd(name, realtime=False, log=log)
        if server is not None or time.monotonic() > deadline:
            break
        if _TOO_MANY not in log.read_text(errors="replace"):
            break
        time.sleep(1.0)  # other sessions' servers fill JACK's table: wait for a slot
    if server is None:
        slot.release()
        pytest.fail(f"jackd did not start: {log.read_text(errors='replace')}")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in server.env.items():
            mp.setenv(key, value)
        server.xruns = XrunCount()
        try:
            yield server
        finally:
            server.xruns.close()
            assert server.proc is not None
            _stop(server.proc)
            slot.release()
    shutil.rmtree(tmp, ignore_errors=True)


# JACK's shared registry holds 8 servers per machine (jack2 shm.c, MAX_SERVERS), and
# it reclaims an entry whose process is dead only when a server of the *same name*
# starts again: a killed test run with a fresh name each time leaks one entry for
# good ("Too many servers already active"). So test servers take their name from a
# small pool of slots, each held by an flock on a file: the lock dies with its
# process, the next run reuses the name, and jackd reclaims the dead entry.
_SLOTS = 6
_FULL_WAIT_S = 60.0
_TOO_MANY = "Too many servers"


class _Slot:
    def __init__(self, number: int, fd: int) -> None:
        self.number = number
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing drops the flock
            self._fd = -1


def _server_slot(timeout: float = _FULL_WAIT_S) -> _Slot:
    """The first free slot of the pool (waits while every slot is in use)."""
    folder = Path(tempfile.gettempdir())
    deadline = time.monotonic() + timeout
    while True:
        for number in range(_SLOTS):
            fd = os.open(folder / f"rigtest-jack-slot-{number}.lock", os.O_RDWR | os.O_CREAT)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            return _Slot(number, fd)
        if time.monotonic() > deadline:
            pytest.fail(f"all {_SLOTS} JACK test server slots stayed busy for {timeout:.0f} s")
        time.sleep(0.5)


@pytest.fixture
def recorder(jack_server: JackServer) -> Iterator[object]:
    """A frame-stamping MIDI recorder in its own process; `recorder.stop()` returns events."""
    from rig.probe.recorder import Recorder

    rec = Recorder.spawn(jack_server.env)
    try:
        yield rec
    finally:
        with contextlib.suppress(Exception):
            rec.stop()
        rec.kill()


@pytest.fixture
def freewheel(jack_server: JackServer) -> Iterator[Freewheel]:
    """Switches the server to JACK freewheel: `with freewheel:` around the part of a
    scenario that plays, after its clients are up (jack2 refuses to open a client
    while it freewheels) and before they close; off again after the test anyway.

    It watches the server's frames: when JACK skipped cycles while it freewheeled
    (jack2 can run its frame counter ahead without the clients on a starved machine:
    rig.probe.skips), leaving `with freewheel:` fails with FreewheelSkipped saying so
    (or adds that to the failure it caused) — the run was not frame-exact, whatever
    the engine or the recorder show."""
    fw = Freewheel("rigtest-freewheel", server=jack_server.name, watch=True)
    try:
        yield fw
    finally:
        fw.close()


@dataclass
class FluidSynth:
    client: str
    midi_in: str
    audio_out: list[str]
    proc: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def fluidsynth(jack_server: JackServer) -> Iterator[FluidSynth]:
    """fluidsynth (GM soundfont) on the JACK server: MIDI in, stereo audio out."""
    if shutil.which("fluidsynth") is None:
        pytest.skip("fluidsynth is not installed (Debian: apt-get install fluidsynth)")
    if not SOUNDFONT.exists():
        pytest.skip(f"{SOUNDFONT} missing (Debian: apt-get install timgm6mb-soundfont)")
    import jack

    name = f"rigfs-{next(_names)}"
    cmd = [
        "fluidsynth",
        "-a", "jack",
        "-m", "jack",
        "-g", "1",
        "-R", "0",  # no reverb/chorus: clean spectra for the pitch checks
        "-C", "0",
        "-o", f"midi.jack.id={name}",
        "-o", f"audio.jack.id={name}",
        "-o", "audio.jack.autoconnect=0",
        "-o", f"synth.sample-rate={jack_server.rate}",
        str(SOUNDFONT),
    ]  # fmt: skip
    # No -i/-s: fluidsynth's shell reads our pipe and keeps it running without
    # opening a TCP server; closing the pipe (or "quit") ends it.
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, **jack_server.env),
        preexec_fn=die_with_parent,
    )
    client = jack.Client("rigtest-fs-probe", no_start_server=True)
    try:
        deadline = time.monotonic() + 15
        midi: list[str] = []
        audio: list[str] = []
        while time.monotonic() < deadline and proc.poll() is None:
            midi = [p.name for p in client.get_ports(f"^{name}:", is_midi=True, is_input=True)]
            audio = [p.name for p in client.get_ports(f"^{name}:", is_audio=True, is_output=True)]
            if midi and len(audio) >= 2:
                break
            time.sleep(0.05)
        else:
            _stop_fluidsynth(proc)
            pytest.fail("fluidsynth did not register its JACK ports")
    finally:
        client.close()
    try:
        yield FluidSynth(name, midi[0], audio[:2], proc)
    finally:
        _stop_fluidsynth(proc)


def _stop_fluidsynth(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(BrokenPipeError, OSError, ValueError):
        assert proc.stdin is not None
        proc.stdin.write(b"quit\n")
        proc.stdin.close()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        _stop(proc)


# -- the JACK part collects only the files that hold JACK tests ---------------------------
_JACK_MARK = "mark.jack"  # how a JACK test is marked: `pytest.mark.jack`, in its own file


def _jack_part(config: pytest.Config) -> bool:
    return (config.getoption("markexpr", "") or "").strip() == "jack"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m jack` (tests/run.sh's JACK part) leaves out, unimported, the test files
    that hold no JACK test: collecting (importing) all ~120 test modules and their
    libraries (hypothesis, textual, numpy...) to deselect 2 000 tests took 16.7 s of
    wall time at load 4; the 24 files with JACK tests 5.8 s (the same 78 tests). A file
    holds a JACK test when its text says `mark.jack`; every run checks that no JACK test
    is marked any other way (`pytest_collection_modifyitems`).
    """
    if not _jack_part(config) or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    try:
        return _JACK_MARK not in collection_path.read_text(errors="replace")
    except OSError:
        return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every JACK test's file says `mark.jack` (what the JACK part's shortcut in
    `pytest_ignore_collect` reads): a JACK test marked another way would silently be
    left out of that part, so any run that collects one fails at once."""
    unseen = sorted(
        {
            str(item.path)
            for item in items
            if item.get_closest_marker("jack") is not None
            and _JACK_MARK not in item.path.read_text(errors="replace")
        }
    )
    if unseen:
        raise pytest.UsageError(
            f"JACK tests must be marked with pytest.mark.jack in their own file: {unseen}"
        )

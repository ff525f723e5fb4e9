"""An independent MIDI recorder in its own process that stamps messages with JACK frames.

Tests and `rig bench clock` need a witness that shares nothing with the code
under test: no process, no GIL, no clock reading. The recorder is a separate
Python process with one JACK MIDI input port; in its process callback it stamps
every message with its absolute frame, ``client.last_frame_time + offset`` —
the only exact time JACK gives, the same frame the sender wrote it at.

    rec = Recorder.spawn(jack_server.env)          # starts, waits until the port exists
    sink = JackSink("synth", rec.port) ...         # anything connects to rec.port
    events = rec.stop()                            # [(frame, b"\\x90<\\x64"), ...]

The child talks to the parent over its stdin/stdout: one JSON line when ready
(port name, sample rate, period), "stop" on stdin (or stdin closing — a parent
that dies takes the recorder with it), then one line per message
(``<frame> <hex>``) and a final ``end <xruns>`` line.

Run directly: ``python -m rig.midi.recorder --client NAME --port in``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import selectors
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["Recorder", "RecorderError"]


class RecorderError(RuntimeError):
    """The recorder process did not start or did not answer."""


class Recorder:
    """Handle on a running recorder process."""

    def __init__(self, proc: subprocess.Popen[str], port: str, rate: int, period: int) -> None:
        self.port = port  # full JACK name of the recorder's MIDI input
        self.rate = rate
        self.period = period
        self.xruns = 0  # known after stop()
        self._proc = proc
        self._events: list[tuple[int, bytes]] | None = None

    @classmethod
    def spawn(
        cls,
        server_env: Mapping[str, str] | None = None,
        port_name: str = "in",
        *,
        client_name: str | None = None,
        timeout: float = 10.0,
    ) -> Recorder:
        """Start a recorder with one MIDI input called `port_name` and wait until it runs."""
        env = dict(os.environ)
        env.update(server_env or {})
        # The child imports rig from the same tree as the parent, installed or not.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        name = client_name or f"rig-recorder-{secrets.token_hex(3)}"
        cmd = [sys.executable, "-m", "rig.midi.recorder", "--client", name, "--port", port_name]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        line = _read_line(proc, timeout)
        if not line:
            proc.kill()
            _, err = proc.communicate()
            reason = (err or "").strip().splitlines()[-1:] or ["no answer"]
            raise RecorderError(f"recorder did not start: {reason[0]}")
        info = json.loads(line)
        return cls(proc, info["port"], int(info["rate"]), int(info["period"]))

    def stop(self, timeout: float = 10.0) -> list[tuple[int, bytes]]:
        """Stop recording; every message received, as `(frame, bytes)` in arrival order."""
        if self._events is not None:
            return list(self._events)
        try:
            self._proc.stdin.write("stop\n")  # type: ignore[union-attr]
            self._proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError):
            pass
        try:
            out, err = self._proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.communicate()
            raise RecorderError("recorder did not stop") from None
        events: list[tuple[int, bytes]] = []
        ended = False
        for row in out.splitlines():
            head, _, rest = row.partition(" ")
            if head == "end":
                self.xruns = int(rest or 0)
                ended = True
            elif head:
                events.append((int(head), bytes.fromhex(rest)))
        if not ended:
            raise RecorderError(f"recorder ended badly: {err.strip()[-300:]}")
        self._events = events
        return list(events)

    def kill(self) -> None:
        """End the recorder without collecting (its port vanishes at once)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate()
        self._events = []

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._events is None:
            try:
                self.stop()
            except RecorderError:
                self.kill()


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            return ""
    return proc.stdout.readline()


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m rig.midi.recorder")
    parser.add_argument("--client", required=True, help="JACK client name")
    parser.add_argument("--port", default="in", help="MIDI input port name")
    args = parser.parse_args(argv)

    import jack

    client = jack.Client(args.client, no_start_server=True)
    port = client.midi_inports.register(args.port)
    events: list[tuple[int, bytes]] = []
    xruns = [0]

    @client.set_process_callback
    def process(nframes: int) -> None:
        first = client.last_frame_time
        for offset, data in port.incoming_midi_events():
            # list.append is atomic under the GIL; the buffer is reused: copy it.
            events.append((first + offset, bytes(data)))

    @client.set_xrun_callback
    def xrun(delay: float) -> None:
        xruns[0] += 1

    client.activate()
    print(
        json.dumps({"port": port.name, "rate": client.samplerate, "period": client.blocksize}),
        flush=True,
    )
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    client.deactivate()
    client.close()
    out = sys.stdout
    for frame, data in events:
        out.write(f"{frame} {data.hex()}\n")
    out.write(f"end {xruns[0]}\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))

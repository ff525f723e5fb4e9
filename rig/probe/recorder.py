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
(``<frame> <hex>``) and a final ``end <xruns> <frame,frame,...> <gaps> <frames>``
line: how many xruns the server reported while recording, and about when (the frame
JACK was at when the notification arrived, a few periods after the xrun itself); then
the cycles JACK skipped while it freewheeled (`rig.probe.skips`: never in a sound
run) and their frames.

Run directly: ``python -m rig.probe.recorder --client NAME --port in``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
from collections.abc import Mapping

from rig.probe.skips import CycleGaps, skip_message
from rig.probe.witness import spawn_witness, stop_witness

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
        self.xrun_frames: list[int] = []  # about when each xrun was (known after stop())
        # Cycles the server skipped while it freewheeled, and their frames (known after
        # stop()): not 0, and nothing this recorder heard is frame-exact (rig.probe.skips).
        self.freewheel_gaps = 0
        self.freewheel_frames = 0
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
        name = client_name or f"rig-recorder-{secrets.token_hex(3)}"
        args = ["--client", name, "--port", port_name]
        proc, info = spawn_witness(
            "rig.probe.recorder", args, server_env, timeout, RecorderError, "recorder"
        )
        return cls(proc, info["port"], int(info["rate"]), int(info["period"]))

    def stop(self, timeout: float = 10.0) -> list[tuple[int, bytes]]:
        """Stop recording; every message received, as `(frame, bytes)` in arrival order."""
        if self._events is not None:
            return list(self._events)
        out, err = stop_witness(self._proc, timeout, RecorderError, "recorder")
        events: list[tuple[int, bytes]] = []
        ended = False
        for row in out.splitlines():
            head, _, rest = row.partition(" ")
            if head == "end":
                count, frames, gaps, skipped = (rest.split(" ") + ["", "", "", ""])[:4]
                self.xruns = int(count or 0)
                self.xrun_frames = [int(f) for f in frames.split(",") if f]
                self.freewheel_gaps, self.freewheel_frames = int(gaps or 0), int(skipped or 0)
                ended = True
            elif head:
                events.append((int(head), bytes.fromhex(rest)))
        if not ended:
            raise RecorderError(f"recorder ended badly: {err.strip()[-300:]}")
        self._events = events
        return list(events)

    def freewheel_skip(self) -> str:
        """What to say when JACK skipped cycles while it freewheeled (known after
        stop()): the run is not frame-exact (`rig.probe.skips`); else ""."""
        if not self.freewheel_gaps:
            return ""
        return skip_message(self.freewheel_gaps, self.freewheel_frames, self.rate)

    def xruns_near(self, events: list[tuple[int, bytes]], margin_s: float = 0.05) -> list[int]:
        """Frames of the xruns that fell while `events` arrived (± `margin_s`).

        Only those can have cost a message or moved its frame; an xrun while a
        client started or left, before or after the messages, cannot. The margin
        (37 periods of 64 frames) covers the notification's delay (a few periods)
        many times over.
        """
        if not events:
            return list(self.xrun_frames)
        margin = round(margin_s * self.rate)
        first, last = events[0][0] - margin, events[-1][0] + margin
        return [f for f in self.xrun_frames if first <= f <= last]

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


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m rig.probe.recorder")
    parser.add_argument("--client", required=True, help="JACK client name")
    parser.add_argument("--port", default="in", help="MIDI input port name")
    args = parser.parse_args(argv)

    import jack

    from rig.midi.realtime import prepare_realtime_process

    # The witness must not xrun by itself: short GIL hand-over, and no cyclic GC
    # at all (the events are plain tuples; a collection over a long recording
    # would stall the process callback that allocates them).
    prepare_realtime_process()
    client = jack.Client(args.client, no_start_server=True)
    port = client.midi_inports.register(args.port)
    events: list[tuple[int, bytes]] = []
    xruns: list[int] = []
    gaps = CycleGaps()
    wheel = [False]  # the server freewheels (its notification: a thread of the client)

    @client.set_process_callback
    def process(nframes: int) -> None:
        first = client.last_frame_time
        gaps.cycle(first, nframes, wheel[0])
        for offset, data in port.incoming_midi_events():
            # list.append is atomic under the GIL; the buffer is reused: copy it.
            events.append((first + offset, bytes(data)))

    @client.set_xrun_callback
    def xrun(delay: float) -> None:
        xruns.append(client.frame_time)

    @client.set_freewheel_callback
    def freewheel(starting: bool) -> None:
        wheel[0] = starting

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
    out.write(f"end {len(xruns)} {','.join(map(str, xruns)) or ','} ")
    out.write(f"{gaps.freewheel_gaps} {gaps.freewheel_frames}\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))

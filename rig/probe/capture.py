"""An independent JACK audio recorder in its own process, stamped with JACK frames.

The audio twin of `rig.probe.recorder`: tests and `rig bench render --live` need a
witness of what the software voices put on JACK that shares nothing with the
engine process (no GIL, no clock reading). The child is a JACK client with one
audio input per source port, connected at start; its process callback copies
each cycle's buffers and notes the cycle's first frame (`last_frame_time`), so
audio and MIDI recorded on the same server share one timeline: a stand-in's
onset and a hardware note-on can be compared to the frame.

    cap = AudioCapture.spawn(["rig-voices:output_1", "rig-voices:output_2"], env)
    ...
    take = cap.stop()       # take.audio: (frames, channels) float32; take.first_frame

The child writes the take to a .npy file and answers one JSON line; memory only,
in the callback (a list append of a copied array), nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rig.probe.witness import spawn_witness, stop_witness

__all__ = ["AudioCapture", "Take", "CaptureError"]


class CaptureError(RuntimeError):
    """The capture process did not start or did not answer."""


@dataclass(frozen=True)
class Take:
    audio: np.ndarray  # (frames, channels) float32
    first_frame: int  # JACK frame of audio[0]
    rate: int
    xruns: int  # xruns the server reported while recording
    gaps: int  # cycles missing from the take (frame counter jumped)
    # (row, JACK frame) where each run of contiguous cycles starts after a gap: rows
    # and frames stay exact across the gaps (`frame_index`, `frame_at`).
    jumps: tuple[tuple[int, int], ...] = ()

    def frame_index(self, frame: int) -> int:
        """Row of `audio` for absolute JACK `frame`."""
        row0, frame0 = 0, self.first_frame
        for row, start in self.jumps:
            if start <= frame:
                row0, frame0 = row, start
        return row0 + frame - frame0

    def frame_at(self, row: int) -> int:
        """Absolute JACK frame of `audio[row]`."""
        row0, frame0 = 0, self.first_frame
        for start_row, start in self.jumps:
            if start_row <= row:
                row0, frame0 = start_row, start
        return frame0 + row - row0


class AudioCapture:
    """Handle on a running capture process."""

    def __init__(self, proc: subprocess.Popen[str], path: Path, rate: int) -> None:
        self._proc = proc
        self._path = path
        self.rate = rate

    @classmethod
    def spawn(
        cls,
        ports: Sequence[str],
        server_env: Mapping[str, str] | None = None,
        *,
        client_name: str | None = None,
        timeout: float = 10.0,
    ) -> AudioCapture:
        """Start recording `ports` (full JACK names of audio outputs) and wait until it runs."""
        name = client_name or f"rig-capture-{secrets.token_hex(3)}"
        fd, tmp = tempfile.mkstemp(prefix="rig-capture-", suffix=".npy")
        os.close(fd)
        args = ["--client", name, "--out", tmp, *ports]
        try:
            proc, info = spawn_witness(
                "rig.probe.capture", args, server_env, timeout, CaptureError, "audio capture"
            )
        except CaptureError:
            Path(tmp).unlink(missing_ok=True)
            raise
        return cls(proc, Path(tmp), int(info["rate"]))

    def stop(self, timeout: float = 20.0) -> Take:
        out, err = stop_witness(self._proc, timeout, CaptureError, "audio capture")
        try:
            info = json.loads(out.strip().splitlines()[-1])
            audio = np.load(self._path)
        except (IndexError, ValueError, OSError):
            raise CaptureError(f"audio capture ended badly: {err.strip()[-300:]}") from None
        finally:
            self._path.unlink(missing_ok=True)
        jumps = tuple((int(r), int(f)) for r, f in info.get("jumps", ()))
        return Take(audio, int(info["first"]), self.rate, int(info["xruns"]), int(info["gaps"]),
                    jumps)  # fmt: skip

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.communicate()
        self._path.unlink(missing_ok=True)


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m rig.probe.capture")
    parser.add_argument("--client", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("ports", nargs="+")
    args = parser.parse_args(argv)

    import jack

    from rig.midi.realtime import prepare_realtime_process

    # The witness must not xrun by itself: the callback allocates a tuple, a list and
    # its arrays every cycle, and a cyclic collection over a few seconds of them held
    # the GIL past a 64-frame period (measured: 3-9 xruns ~6 s into every take).
    prepare_realtime_process()
    client = jack.Client(args.client, no_start_server=True)
    inputs = [client.inports.register(f"in_{i + 1}") for i in range(len(args.ports))]
    blocks: list[tuple[int, list[np.ndarray]]] = []
    xruns = [0]

    @client.set_process_callback
    def process(nframes: int) -> None:
        # The buffers are reused by JACK: copy them.
        blocks.append((client.last_frame_time, [p.get_array().copy() for p in inputs]))

    @client.set_xrun_callback
    def xrun(delay: float) -> None:
        xruns[0] += 1

    client.activate()
    for port, source in zip(inputs, args.ports, strict=True):
        client.connect(source, port)
    print(json.dumps({"rate": client.samplerate}), flush=True)
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    client.deactivate()
    client.close()
    first = blocks[0][0] if blocks else 0
    gaps = 0
    jumps = []
    expected, row = first, 0
    for frame, chans in blocks:
        if frame != expected:
            gaps += 1
            jumps.append((row, frame))
        expected = frame + len(chans[0])
        row += len(chans[0])
    audio = (
        np.stack([np.concatenate([b[1][c] for b in blocks]) for c in range(len(inputs))], axis=1)
        if blocks
        else np.zeros((0, len(inputs)), dtype=np.float32)
    )
    np.save(args.out, audio.astype(np.float32))
    print(json.dumps({"first": first, "xruns": xruns[0], "gaps": gaps, "jumps": jumps}),
          flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))

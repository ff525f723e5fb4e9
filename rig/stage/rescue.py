"""The live host's note rescue: when the engine dies, end exactly the notes it held.

The engine writes every note it hands a hardware sink into a shared-memory map
(`rig.engine.soundmap`) that this object created. Its own MIDI outputs (a second
JACK client, `<client>-rescue`, or rtmidi ports) are opened once at the start of the
show, not at the crash: opening a JACK client costs tens of milliseconds, the
rescue has less than that. Its JACK ports stay dormant (connected to nothing) until a
rescue: a client of this process sitting in the graph would, if this process were
SIGKILLed, take the clients downstream of it along (rig.midi.jack_sink.set_dormant);
the rescue connects its registered ports first. On `release()` it sends a note-off
for each note the map says sounds, on the wire channel the engine used, paced one
per millisecond — a DIN cable carries about one three-byte message per millisecond,
and a burst would queue in the interface or be dropped by it — then clears the map
for the next engine.

Each note-off is handed over as already due (deadline 0) and the pacing is done
by sleeping here: a sink maps a deadline to a JACK frame through its smoothed
frame line, and right after a client died the server xruns and that line runs
ahead of the frames actually processed — deadlines of "now" were measured arriving
1.6-2.8 s late on this machine's dummy driver, after the restarted engine's notes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rig.engine.ending import rescue_client
from rig.engine.sinks import OutputSpec, close_sinks, open_sinks, sink_hosts
from rig.engine.soundmap import SoundMap
from rig.midi.wire import note_off

__all__ = ["Rescue", "DIN_PACE_NS", "GRACE_NS"]

DIN_PACE_NS = 1_000_000  # 3 bytes at 31 250 baud: 0.96 ms
# Note-offs handed over less than this before the death may never have left the
# engine (the scheduler's lookahead is 15 ms by default): released again.
GRACE_NS = 200_000_000
_FLUSH_S = 0.1  # a rescue client's note-offs leave in its next cycles
_SETTLE_S = 0.015  # a round's note-offs are on the wire after a few cycles
_ROUNDS = 12
_MIN_ROUNDS = 4


class Rescue:
    """Owns the sounding-note map of one show and the outputs that end its notes."""

    def __init__(
        self,
        outputs: Sequence[OutputSpec],
        path: Path,
        *,
        now_ns: Callable[[], int] = time.monotonic_ns,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.outputs = tuple(outputs)
        self.path = path
        self.map = SoundMap.create(path, [o.device for o in self.outputs])
        self._now = now_ns
        self._sleep = sleep
        self.sinks: dict[str, Any] = {}
        self.warnings: list[str] = []

    def open(self) -> Rescue:
        specs = [dataclasses.replace(o, client_name=rescue_client(o.client_name))
                 for o in self.outputs]  # fmt: skip
        self.sinks, self.warnings = open_sinks(specs)
        self._dormant(True)  # in the graph only while it rescues: see the module doc
        return self

    def _dormant(self, dormant: bool) -> None:
        for sink in self.sinks.values():
            if hasattr(sink, "set_dormant"):  # JACK ports (rtmidi ports have no graph)
                sink.set_dormant(dormant)

    def release(self, also: Mapping[str, Sequence[str]] | None = None) -> int:
        """Note-offs for what the dead engine held; returns how many were sent.

        `also`: by device, more JACK ports that heard the engine's port for it — what
        was patched to it by hand (`rig.stage.patches`: a monitor, a second synth
        layered on the first, a DAW recording). They held the same notes, so they get
        the same note-offs (found in a performer's trial: a hand-patched recorder kept
        three notes on across each crash).

        A JACK cycle that xruns loses the MIDI written in it, and the death of a
        client makes the server xrun for a few cycles (measured here: 2 of 4 rescue
        note-offs lost after a SIGKILL). So while the rescue's JACK client counts
        new xruns after a round of note-offs, the round is sent again (a note-off
        for a note that is already off does nothing), at least `_MIN_ROUNDS` times
        (the xrun callback may come later than the lost cycle), at most `_ROUNDS`."""
        wanted = self.map.to_release(self.map.engine_now(self._now()), GRACE_NS)
        fresh = bool(wanted) and not self.sinks
        if fresh:
            self.open()
        if wanted:
            self._dormant(False)  # connected now, in this thread
            self._connect_also(also or {}, wanted)
        sent = 0
        for round_ in range(_ROUNDS):
            before = self._xruns()
            sent = self._round(wanted)
            self._sleep(_SETTLE_S)
            if not sent or (round_ + 1 >= _MIN_ROUNDS and self._xruns() == before):
                break
        self.map.clear()
        if fresh:  # opened for this rescue: let the note-offs leave, then close
            self._sleep(_FLUSH_S)
            self._close_sinks()
        elif wanted:  # let the note-offs leave, then out of the graph again
            self._sleep(_FLUSH_S)
            self._dormant(True)
        return sent

    def _connect_also(self, also: Mapping[str, Sequence[str]], wanted: Mapping) -> None:
        """Connect each woken JACK port to the ports in `also` for its device as well
        (going dormant, or closing, disconnects them again)."""
        for device in wanted:
            sink = self.sinks.get(device)
            port = getattr(sink, "port", None)
            client = getattr(getattr(sink, "host", None), "client", None)
            if port is None or client is None:
                continue  # rtmidi: no graph to patch
            for other in also.get(device, ()):
                with contextlib.suppress(Exception):  # jack.JackError: gone, or connected
                    client.connect(port, other)

    def _round(self, wanted: dict[str, list[tuple[int, int]]]) -> int:
        sent = 0
        for device, notes in wanted.items():
            sink = self.sinks.get(device)
            if sink is None:
                continue
            for channel, note in notes:
                if sent:
                    self._sleep(DIN_PACE_NS / 1e9)
                sink.send(0, note_off(channel, note))  # due now: see the module doc
                sent += 1
        return sent

    def _xruns(self) -> int:
        return sum(int(getattr(h, "xruns", 0)) for h in sink_hosts(self.sinks.values()))

    def close(self) -> None:
        self._close_sinks()
        self.map.close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _close_sinks(self) -> None:
        close_sinks(self.sinks.values())
        self.sinks = {}

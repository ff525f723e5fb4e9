"""A MIDI controller on a named input port → the live actions, as OSC to the engine.

config.yaml's `controller:` names the port (a name pattern, like device ports:
never an index) and maps notes and CCs to actions (`rig.config.ControllerMapping`).
`ControllerMap` is the pure part: MIDI bytes in, OSC messages out. A note acts
on note-on (velocity > 0); a CC acts when its value rises to 64 or above (a
button's press; the release does nothing), so pads and buttons both work. The one
exception is `fill` without `bars`: it holds the fill while the pad or button is
down, and its release (note-off, or the CC falling below 64) lets go.
`ControllerInput` opens the port (rtmidi, JACK or the system API), reconnects
when the controller is plugged in later, and sends the messages from rtmidi's
callback thread — it runs in the live host process, so pads keep working while
no UI is attached, and never in the engine process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from rig.config import CONTROLLER_ACTIONS, ControllerConfig, ControllerMapping, match_port
from rig.config.actions import LIVE_ACTIONS
from rig.control.protocol import ADDRESSES, ControlClient, Status
from rig.midi.wire import CHANNEL_MASK, CONTROL, NOTE_OFF, NOTE_ON, STATUS_MASK

__all__ = ["ControllerMap", "ControllerInput"]

# A controller action → the OSC address it sends (toggles: their "on" address).
_ADDRESS = {a.name: a.osc for a in LIVE_ACTIONS if a.controller and a.osc}

log = logging.getLogger("rig.stage.controller")

Message = tuple[str, tuple]


class ControllerMap:
    """MIDI messages → OSC messages, per config.yaml's `controller: map`."""

    def __init__(self, config: ControllerConfig):
        self.config = config
        self._cc_down: set[tuple[int, int]] = set()
        self._released: ControllerMapping | None = None  # a held fill's pad let go

    def find(self, data: bytes) -> ControllerMapping | None:
        if len(data) < 3:
            return None
        kind, channel = data[0] & STATUS_MASK, data[0] & CHANNEL_MASK
        number, value = data[1], data[2]
        if self.config.channel is not None and channel != self.config.channel:
            return None
        if kind == NOTE_ON and value > 0:
            wanted = "note"
        elif kind == CONTROL:
            key = (channel, number)
            if value < 64:  # released: the next press may act again
                if key in self._cc_down:
                    self._cc_down.discard(key)
                    self._released = self._held_fill("cc", number, channel)
                return None
            if key in self._cc_down:
                return None  # still held (a fader passing 64 upwards acts once)
            self._cc_down.add(key)
            wanted = "cc"
        else:
            if kind == NOTE_OFF or kind == NOTE_ON:  # a note-off (or note-on at velocity 0)
                self._released = self._held_fill("note", number, channel)
            return None
        for mapping in self.config.mappings:
            if (
                mapping.kind == wanted
                and mapping.number == number
                and (mapping.channel is None or mapping.channel == channel)
            ):
                return mapping
        return None

    def _held_fill(self, kind: str, number: int, channel: int) -> ControllerMapping | None:
        """The `fill` mapping without `bars` on this pad: its release lets go of the fill."""
        for mapping in self.config.mappings:
            if (
                mapping.action == "fill"
                and mapping.bars is None
                and mapping.kind == kind
                and mapping.number == number
                and (mapping.channel is None or mapping.channel == channel)
            ):
                return mapping
        return None

    def messages(self, data: bytes, status: Callable[[], Status | None]) -> list[Message]:
        """The OSC messages for one MIDI message (`status` is asked only by toggles)."""
        self._released = None
        mapping = self.find(bytes(data))
        if self._released is not None:
            released = self._released
            return [("/rig/fill", ("off", *((released.quantize,) if released.quantize else ())))]
        if mapping is None:
            return []
        q = (mapping.quantize,) if mapping.quantize else ()
        action = mapping.action
        if action == "fill":  # held while the pad is down, or for `bars` bars
            return [("/rig/fill", (mapping.bars if mapping.bars else "on", *q))]
        address = _ADDRESS[action]  # the one table: rig.config.actions.LIVE_ACTIONS
        if action in ("toggle_mute", "toggle_solo"):
            now = status()
            field = now.muted if now and action == "toggle_mute" else (now.soloed if now else "")
            if mapping.track in field.split(","):
                address = address.replace("/rig/", "/rig/un")
        needs = CONTROLLER_ACTIONS[action]
        if needs is None:  # a quantize where the address takes one (next), else nothing
            return [(address, q if ADDRESSES[address][:1] == ("str?",) else ())]
        if needs == "bpm":
            return [(address, (float(mapping.bpm or 0.0),))]
        return [(address, (getattr(mapping, needs), *q))]  # cue, section, track


class ControllerInput:
    """Listens on the controller's port and sends its actions to the engine."""

    def __init__(
        self,
        config: ControllerConfig,
        osc_port: int,
        *,
        api: str = "jack",
        client_name: str = "rig-controller",
        retry_s: float = 1.0,
    ):
        self.config = config
        self.map = ControllerMap(config)
        self.osc_port = osc_port
        self.api = api
        self.client_name = client_name
        self.retry_s = retry_s
        self.connected_to: str | None = None
        self.handled = 0  # MIDI messages that triggered an action
        self._midi_in = None
        self._control: ControlClient | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        import rtmidi

        from rig.midi.ports import rtmidi_api

        self._control = ControlClient(self.osc_port)
        self._midi_in = rtmidi.MidiIn(rtmidi_api(self.api), name=self.client_name)
        self._midi_in.ignore_types(sysex=True, timing=True, active_sense=True)
        self._midi_in.set_callback(self._on_midi)
        self._connect()
        self._thread = threading.Thread(target=self._watch, name="rig-controller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self._midi_in is not None:
            self._midi_in.close_port()
            del self._midi_in
            self._midi_in = None
        if self._control is not None:
            self._control.close()

    def _connect(self) -> None:
        assert self._midi_in is not None
        if self._midi_in.is_port_open():
            names = self._midi_in.get_ports()
            if self.connected_to in names:
                return
            self._midi_in.close_port()  # unplugged: wait for it to come back
            self.connected_to = None
        names = self._midi_in.get_ports()
        own = [n for n in names if not n.startswith(self.client_name)]
        name = match_port(self.config.port, own)
        if name is not None:
            self._midi_in.open_port(names.index(name), "in")
            self.connected_to = name
            log.info("controller: listening to %s", name)

    def _watch(self) -> None:
        while not self._stop.wait(self.retry_s):
            try:
                self._connect()
            except Exception as exc:  # keep trying: the controller may come back
                log.warning("controller: %s", exc)

    def _on_midi(self, event: tuple, _data: object = None) -> None:
        message, _delta = event
        with self._lock:
            control = self._control
            if control is None:
                return
            out = self.map.messages(bytes(message), lambda: control.status(timeout=0.3))
            for address, args in out:
                control.send(address, *args)
            self.handled += bool(out)

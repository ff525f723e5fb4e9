"""The scheduler's outputs for software voices: a voice-only track, and a device that
falls back to its stand-in voice while its MIDI port is absent.

- `VoiceOutput` (name ``voice:<track>``) for a track that is a software voice
  only; `route_voice_tracks` gives such tracks that device name, so the
  scheduler routes, mutes, stops and releases them like any other.
- `FallbackOutput` (the device's own name) wrapping the device's MIDI sink:
  while the sink is connected the hardware plays; while its port is absent (at
  start, or gone during the show) the device's stand-in voice plays, with a
  one-line message. When the port returns, the hardware takes over at the next
  bar line: messages sounding from that bar on go to the sink (preceded by the
  last program and CC values of each channel, so the synth sounds as the
  stand-in did), and the stand-in gets all-notes-off on that bar, so nothing
  it held keeps sounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from rig.midi.wire import Message, System
from rig.song.events import ControlChange, ProgramChange

__all__ = ["VoiceOutput", "FallbackOutput", "Player"]

# Hardware messages kept for a replay on the stand-in if the port vanishes: the
# scheduler hands over this far ahead (lookahead + latency), so these are the
# messages that would otherwise be lost on the dead port.
_RECENT_NS = 200_000_000
# Chased program/CC values reach the synth this long before its first bar.
_CHASE_LEAD_NS = 2_000_000


class Player(Protocol):
    """What an output needs of `rig.voices.player.VoicePlayer` (kept apart: no circle)."""

    def play(self, output: str, sound_ns: int, msg: Message) -> None: ...

    def latency_of(self, output: str) -> int: ...

    def all_off(
        self, output: str, sound_ns: int, owner: Any = None, generation: int = 0
    ) -> None: ...

    def take_back(self, output: str, sound_ns: int) -> bool: ...


class VoiceOutput:
    """A software-voice track as a scheduler output."""

    def __init__(self, name: str, player: Player) -> None:
        self.name = name
        self.late = 0
        self.connected = True
        self._player = player

    def send(self, when_ns: int, msg: Message) -> None:
        self._player.play(self.name, when_ns, msg)

    def take_back(self, at_ns: int) -> bool:
        """A master's Stop at `at_ns`: the voice starts nothing from then on and ends
        there what it holds (`VoicePlayer.take_back`)."""
        return self._player.take_back(self.name, at_ns + self._player.latency_of(self.name))

    def panic(self, wait: bool = True) -> None:
        self._player.all_off(self.name, 0)

    def close(self) -> None:
        pass


class FallbackOutput:
    """A device: its MIDI sink while connected, its stand-in voice while not."""

    def __init__(
        self,
        device: str,
        hardware: Any | None,
        player: Player,
        *,
        stand_in: str = "",
    ) -> None:
        self.name = device
        self.hardware = hardware
        self.stand_in = stand_in
        self.late = 0
        self.connected = True  # something always plays it
        self._player = player
        self._hw_from: int | None = 0 if self._hw_connected() else None
        self._generation = 0
        self._recent: list[tuple[int, Message]] = []  # (sounding ns, msg) sent to hardware
        self._chase: dict[tuple[int, int], Message] = {}  # (channel, CC) / (channel, -1) → msg

    @property
    def on_hardware(self) -> bool:
        return self._hw_from is not None

    def _hw_connected(self) -> bool:
        return self.hardware is not None and bool(getattr(self.hardware, "connected", False))

    # scheduler side (engine thread) ------------------------------------------
    def send(self, when_ns: int, msg: Message) -> None:
        if isinstance(msg, System):  # clock, transport, SPP: the hardware's business only
            if self.hardware is not None:
                self.hardware.send(when_ns, msg)
            return
        # The scheduler sent it the device's latency early for the hardware; a stand-in
        # sounds at the music's own time.
        sound_ns = when_ns + self._player.latency_of(self.name)
        if isinstance(msg, ControlChange):
            self._chase[(msg.channel, msg.control)] = msg
        elif isinstance(msg, ProgramChange):
            self._chase[(msg.channel, -1)] = msg
        if self._hw_from is not None and sound_ns >= self._hw_from:
            self.hardware.send(when_ns, msg)
            recent = self._recent
            recent.append((sound_ns, msg))
            if len(recent) > 64 and recent[0][0] < sound_ns - _RECENT_NS:
                del recent[: len(recent) // 2]
        else:
            self._player.play(self.name, sound_ns, msg)

    def take_back(self, at_ns: int) -> bool:
        """A master's Stop at `at_ns` (the scheduler's time for the hardware; the
        stand-in's is a latency later): whoever plays from then on takes back what it
        holds from then on — the hardware's sink (`JackSink.take_back`), the stand-in's
        queue (`VoicePlayer.take_back`), both while the hardware is to take over at a
        bar after it. False when the hardware plays and its sink cannot (the scheduler
        stops as it always did)."""
        sound_ns = at_ns + self._player.latency_of(self.name)
        on_hardware = self._hw_from is not None and self._hw_from <= sound_ns
        if not on_hardware and not self._player.take_back(self.name, sound_ns):
            return False
        if self._hw_from is None:
            return True
        take = getattr(self.hardware, "take_back", None)
        return take is not None and bool(take(at_ns))

    def panic(self, wait: bool = True) -> None:
        if self.hardware is not None:
            self.hardware.panic(wait)
        self._player.all_off(self.name, 0)

    def close(self) -> None:
        pass  # the sink is closed by its owner; the stand-in by the player

    # dsp hook side (engine thread, every pump) -----------------------------------
    def poll(self, now_ns: int, next_bar_ns: Callable[[], int | None]) -> str | None:
        """Follow the port: fall back at once, hand back at the next bar. A message or None."""
        connected = self._hw_connected()
        if self._hw_from is not None and not connected:
            self._hw_from = None
            self._generation += 1  # a pending stand-in all-off must not fire now
            # What the scheduler already gave the dead port and is still to sound.
            for sound_ns, msg in self._recent:
                if sound_ns >= now_ns:
                    self._player.play(self.name, sound_ns, msg)
            self._recent.clear()
            return f"{self.name}: MIDI port gone; its stand-in voice {self.stand_in} plays on"
        if self._hw_from is None and connected:
            bar_ns = next_bar_ns()
            at = now_ns if bar_ns is None else max(now_ns, bar_ns)
            self._hw_from = at
            self._generation += 1
            self._player.all_off(self.name, at, self, self._generation)
            latency = self._player.latency_of(self.name)
            chase_at = max(now_ns, at - latency - _CHASE_LEAD_NS)
            for _, msg in sorted(self._chase.items(), key=lambda kv: kv[0][1] < 0, reverse=True):
                self.hardware.send(chase_at, msg)  # program changes first, then CCs
            when = "now" if bar_ns is None else "at the next bar"
            return f"{self.name}: MIDI port is back; the hardware takes over {when}"
        return None

    def generation_is(self, generation: int) -> bool:
        return self._generation == generation

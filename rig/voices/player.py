"""Software voices live: a pyo server on JACK in the engine process, and hardware fallback.

The scheduler knows outputs only by device name and hands them MIDI bytes with
absolute monotonic deadlines. This module gives it two more kinds of output:

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

Timing (DESIGN.md: "events applied on the audio block they fall in"): an event
is queued with the time it should *sound* — the scheduler's deadline plus the
device latency it subtracted for the hardware — and applied by pyo's per-block
callback (JACK's real-time thread for pyo's client) on the block whose first
frame is nearest, using JACK's own frame↔time mapping (`rig.midi.jacktime`),
the same one the JACK MIDI sink writes frames with. A note sent to a synth and
the same note on its stand-in then leave JACK in the same cycle (± half a block).
The engine thread only decodes bytes and puts tuples on a queue; it never waits
for the audio thread, and the audio thread only holds the GIL to apply what is
due (pyo holds it anyway while it computes the block).

One instrument per (output, channel, voice): a multi-part Virus with three
parts in use gets three stand-ins, as the hardware has three parts. All of them
are built before the show starts (building a pad takes tens of ms of Python:
never in the middle of a song).

Hot reload of a voice (`replace_voice`, from `/rig/voice`): the new version is
built at once in the engine thread for every (output, channel) the voice plays
(1-6 ms per instrument here, the pianos the longest: well inside the scheduler's
lookahead), silent, and joins the master through a new master chain (mix, limiter,
clip) crossfaded in for the old one while both carry the same sound: inaudible.
An event is routed by the time it *sounds*: before the swap time to the old
instrument, from it on to the new one. The old one gets all-notes-off at the swap
time (a note held across it is released there, as at a hardware handover), rings
out its release and is dropped a few seconds later from the engine thread. The
program and CC values the old one last got are given to the new one first, so it
sounds as the old one was set.

A filter pushed far enough (a resonant ladder at the top of its range, measured) can
blow up to inf/NaN, and one NaN reaching the master limiter would silence everything
until restart. So every housekeeping (16 blocks) the audio thread checks each
instrument's output and the master's: a non-finite one is stopped at once (pyo zeroes a
stopped object's output), and the engine thread rebuilds it — the same path as a hot
reload, at once — and brings in a fresh master chain; a one-line message says so.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import heapq
import itertools
import logging
import math
import queue
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rig.dsp.spec import VoiceSpec
from rig.song.arrangement import Arrangement

__all__ = [
    "voice_extra",
    "VoiceSettings",
    "VoicePlayer",
    "VoiceOutput",
    "FallbackOutput",
    "voice_settings",
    "route_voice_tracks",
    "stand_in_voices",
    "VOICE_PREFIX",
]

log = logging.getLogger(__name__)

VOICE_PREFIX = "voice:"
# Stand-in voices are silent after this long without a note: their slots sleep.
_HOUSEKEEP_BLOCKS = 16
# Frames an event may be behind its block before it counts as late (JACK's
# estimate of a frame's time wobbles by a fraction of a frame between cycles).
_GRACE_FRAMES = 2
# Hardware messages kept for a replay on the stand-in if the port vanishes: the
# scheduler hands over this far ahead (lookahead + latency), so these are the
# messages that would otherwise be lost on the dead port.
_RECENT_NS = 200_000_000
# Chased program/CC values reach the synth this long before its first bar.
_CHASE_LEAD_NS = 2_000_000
_BANK_SELECT = (0, 32)
SWITCH_INTERVAL_S = 0.0001
# A replaced voice is kept (and mixed) this long after its swap: its release and effect tails.
_RETIRE_NS = 5_000_000_000
# The master chain is rebuilt when a voice comes or goes; the old and new chains carry
# the same signals then (the voice that comes or goes is silent), so the crossfade only
# hides what their limiters' states differ by.
_REMIX_FADE_S = 0.005
_REMIX_WAIT_NS = 5_000_000  # a new chain runs silent this long before it fades in
_RETIRE_CHAIN_NS = 100_000_000  # a chain faded out is dropped this long after
# The live master never goes above this (render normalises its files to the same peak).
LIMIT_DBFS = -1.0
LIMIT_LOOKAHEAD_MS = 1.0


@dataclass(frozen=True)
class VoiceSettings:
    """What the engine process needs to play software voices; pickled across the spawn."""

    voices: Mapping[str, VoiceSpec]  # voice name → spec (every voice the cues use)
    cc_names: Mapping[str, Mapping[int, str]]  # device → CC number → its name
    required: bool = False  # config audio.backend "jack": no JACK is an error, not a warning
    gain_db: float = -6.0  # master level: many tracks at their voice levels add up
    connect: str | None = "auto"  # "auto": the first two physical playback ports; None: none
    client_name: str = "rig-voices"
    limit: bool = True  # the master limiter (off only to show, in a test, what it holds)


def voice_settings(project: Any, cues: Sequence[Arrangement]) -> VoiceSettings:
    """VoiceSettings for `cues` from a `rig.project.Project` (InputError for a bad voice)."""
    from rig.dsp.loader import load_voice

    voices_dir = project.config.voices_dir
    names = sorted({t.voice for arr in cues for t in arr.tracks if t.voice})
    voices = {name: load_voice(voices_dir / f"{name}.yaml") for name in names}
    cc_names: dict[str, dict[int, str]] = {}
    for device_id, device in project.devices.items():
        table: dict[int, str] = {}
        for name, cc in device.ccs.items():
            table.setdefault(cc.number, name)  # the first name given for a number
        cc_names[device_id] = table
    return VoiceSettings(
        voices=voices, cc_names=cc_names, required=project.config.audio_backend == "jack"
    )


def voice_extra(project: Any, cues: Sequence[Arrangement]) -> dict[str, Any]:
    """What an EngineSpec's `extra` needs for live stand-in voices (none for offline audio)."""
    if project.config.audio_backend == "offline":
        return {}
    return {"voices": voice_settings(project, cues)}


def stand_in_voices(cues: Sequence[Arrangement]) -> dict[str, str]:
    """device → its stand-in voice: the first voice a track on that device names."""
    found: dict[str, str] = {}
    for arr in cues:
        for info in arr.tracks:
            if info.device is not None and info.voice and not info.device.startswith(VOICE_PREFIX):
                found.setdefault(info.device, info.voice)
    return found


def route_voice_tracks(cues: Sequence[Arrangement]) -> list[Arrangement]:
    """The cues with every voice-only track routed to output ``voice:<track>``."""
    out = []
    for arr in cues:
        if not any(t.device is None and t.voice for t in arr.tracks):
            out.append(arr)
            continue
        routed = copy.copy(arr)
        routed.tracks = tuple(
            dataclasses.replace(t, device=VOICE_PREFIX + t.name)
            if t.device is None and t.voice
            else t
            for t in arr.tracks
        )
        out.append(routed)
    return out


# -- outputs the scheduler sees ---------------------------------------------------------


class VoiceOutput:
    """A software-voice track as a scheduler output."""

    def __init__(self, name: str, player: VoicePlayer) -> None:
        self.name = name
        self.late = 0
        self.connected = True
        self._player = player

    def send(self, when_ns: int, data: bytes) -> None:
        self._player.play(self.name, when_ns, data)

    def panic(self) -> None:
        self._player.all_off(self.name, 0)

    def close(self) -> None:
        pass


class FallbackOutput:
    """A device: its MIDI sink while connected, its stand-in voice while not."""

    def __init__(
        self,
        device: str,
        hardware: Any | None,
        player: VoicePlayer,
        *,
        latency_ns: int = 0,
        stand_in: str = "",
    ) -> None:
        self.name = device
        self.hardware = hardware
        self.latency_ns = latency_ns
        self.stand_in = stand_in
        self.late = 0
        self.connected = True  # something always plays it
        self._player = player
        self._hw_from: int | None = 0 if self._hw_connected() else None
        self._generation = 0
        self._recent: list[tuple[int, bytes]] = []  # (sounding ns, data) sent to hardware
        self._chase: dict[tuple[int, int], bytes] = {}  # (channel, CC) / (channel, -1) → msg

    @property
    def on_hardware(self) -> bool:
        return self._hw_from is not None

    def _hw_connected(self) -> bool:
        return self.hardware is not None and bool(getattr(self.hardware, "connected", False))

    # scheduler side (engine thread) ------------------------------------------
    def send(self, when_ns: int, data: bytes) -> None:
        if data[0] >= 0xF0:  # clock, transport, SPP: the hardware's business only
            if self.hardware is not None:
                self.hardware.send(when_ns, data)
            return
        sound_ns = when_ns + self.latency_ns
        kind = data[0] & 0xF0
        if kind == 0xB0 and len(data) >= 3:
            self._chase[(data[0] & 0x0F, data[1])] = data
        elif kind == 0xC0:
            self._chase[(data[0] & 0x0F, -1)] = data
        if self._hw_from is not None and sound_ns >= self._hw_from:
            self.hardware.send(when_ns, data)
            recent = self._recent
            recent.append((sound_ns, data))
            if len(recent) > 64 and recent[0][0] < sound_ns - _RECENT_NS:
                del recent[: len(recent) // 2]
        else:
            self._player.play(self.name, sound_ns, data, latency_ns=0)

    def panic(self) -> None:
        if self.hardware is not None:
            self.hardware.panic()
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
            for sound_ns, data in self._recent:
                if sound_ns >= now_ns:
                    self._player.play(self.name, sound_ns, data, latency_ns=0)
            self._recent.clear()
            return f"{self.name}: MIDI port gone; its stand-in voice {self.stand_in} plays on"
        if self._hw_from is None and connected:
            bar_ns = next_bar_ns()
            at = now_ns if bar_ns is None else max(now_ns, bar_ns)
            self._hw_from = at
            self._generation += 1
            self._player.all_off(self.name, at, self, self._generation)
            chase_at = max(now_ns, at - self.latency_ns - _CHASE_LEAD_NS)
            for _, msg in sorted(self._chase.items(), key=lambda kv: kv[0][1] < 0, reverse=True):
                self.hardware.send(chase_at, msg)  # program changes first, then CCs
            when = "now" if bar_ns is None else "at the next bar"
            return f"{self.name}: MIDI port is back; the hardware takes over {when}"
        return None

    def generation_is(self, generation: int) -> bool:
        return self._generation == generation


# -- the player ---------------------------------------------------------------------------


class VoicePlayer:
    """The pyo server on JACK and every stand-in instrument; the engine's `dsp_hook`.

    Lifecycle: `open()` (boots pyo, builds instruments; AudioUnavailable when pyo
    cannot run on JACK), `outputs(sinks, cues)`, `attach(scheduler)`, `start()`,
    then the engine calls the player every pump; `close()` at the end.
    """

    def __init__(
        self,
        settings: VoiceSettings,
        cues: Sequence[Arrangement],
        *,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.cues = route_voice_tracks(cues)
        self.messages: list[str] = []  # one line per fallback / handover, in order
        self.applied = 0  # events applied on the audio thread
        self.late = 0  # events applied more than a block after they should have sounded
        self.blocks = 0
        self.callback_max_ns = 0  # longest time spent applying events in one block
        self.callback_slow = 0  # blocks where that took more than 0.25 ms
        self._say = say or (lambda line: log.warning("%s", line))
        self._pyo: Any = None
        self.server: Any = None
        self._client: Any = None  # JACK-Client: frame times and port connections
        self._clock: Any = None
        self._instruments: dict[tuple[str, int, str], Any] = {}
        self._maps: dict[int, tuple[Any, dict[str, dict[int, Any]]]] = {}  # id(arr) →
        self._current: dict[str, dict[int, Any]] = {}
        self._current_arr: Arrangement | None = None
        self._scheduler: Any = None
        self._fallbacks: list[FallbackOutput] = []
        self._queue: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._heap: list[tuple] = []
        self._seq = itertools.count()
        self._frame0: int | None = None
        self._sr = 48000
        self._bs = 64
        self._early_ns = 0  # events are applied this much before they sound (the limiter's delay)
        self._chain: _Chain | None = None  # what reaches the JACK ports
        self._old_chains: list[tuple[int, _Chain]] = []  # (drop at ns, chain faded out)
        self._gain = 1.0
        # Hot reload of voices (see the module doc); all engine-thread state except
        # `_extra`, which the audio thread reads (replaced whole, never mutated).
        self._swaps: list[_Swap] = []  # waiting for their time
        self._next: dict[int, tuple[int, Any]] = {}  # id(old) → (swap ns, new)
        self._retiring: list[tuple[int, Any]] = []  # (drop at ns, old instrument)
        self._extra: tuple[Any, ...] = ()  # instruments besides `_instruments` still live
        self._chase: dict[int, dict[tuple, tuple]] = {}  # id(inst) → last pc / cc items
        self.build_ms: list[float] = []  # time to build each reloaded voice's instruments
        # Outputs the audio thread found non-finite and stopped (instruments, chains),
        # for the engine thread to rebuild.
        self._faults: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.faults = 0

    # set-up (engine process, before the show) ------------------------------------
    def open(self) -> VoicePlayer:
        from rig.dsp.play import build_instrument
        from rig.dsp.server import import_pyo, jack_server

        self._pyo = pyo = import_pyo()
        self._open_client()
        self._bs = int(self._client.blocksize)
        self._sr = int(self._client.samplerate)
        # pyo's block = JACK's period: one callback per cycle, so the cycle's first
        # frame is the block's first frame.
        self.server = jack_server(pyo, self._bs, self.settings.client_name)
        for arr in self.cues:
            for info in arr.tracks:
                out = _output_of(info)
                if out is None or info.voice not in self.settings.voices:
                    continue
                key = (out, info.channel, info.voice)
                if key not in self._instruments:
                    spec = self.settings.voices[info.voice]
                    self._instruments[key] = build_instrument(pyo, spec)
        self._gain = 10 ** (self.settings.gain_db / 20)
        if self.settings.limit:
            self._early_ns = round(LIMIT_LOOKAHEAD_MS * 1e6)
        self._chain = self._master_chain(list(self._instruments.values()), level=1.0)
        self._chain.out.out()
        self.server.setCallback(self._on_block)
        return self

    def _master_chain(self, instruments: Sequence[Any], level: float) -> _Chain:
        """Mix → limiter → clip over `instruments`, at `level` (a 0..1 fader)."""
        pyo = self._pyo
        outs = [inst.out for inst in instruments]
        fade = pyo.SigTo(level, time=_REMIX_FADE_S, init=level)
        if not outs:
            mix = pyo.Sig([0.0, 0.0])
            return _Chain(mix, None, mix, fade)
        if not self.settings.limit:
            mix = pyo.Mix(outs, voices=2, mul=fade * self._gain)
            return _Chain(mix, None, mix, fade)
        mix = pyo.Mix(outs, voices=2, mul=self._gain)
        # Live has no second pass to set the level as `rig render` has. A fast
        # compressor holds a pile-up of voices near the threshold; the clip catches
        # what its attack lets through. Its look-ahead delays the voices (pyo's
        # shortest is 1 ms; asked for less it delays 25 ms, measured): events are
        # applied that much earlier (`_early_ns`), so the voices stay on the hardware's frame.
        limiter = pyo.Compress(
            mix, thresh=LIMIT_DBFS - 2, ratio=20, risetime=0.001, falltime=0.08,
            lookahead=LIMIT_LOOKAHEAD_MS, knee=0.2,
        )  # fmt: skip
        ceiling = 10 ** (LIMIT_DBFS / 20)
        return _Chain(mix, limiter, pyo.Clip(limiter, min=-ceiling, max=ceiling, mul=fade), fade)

    def _open_client(self) -> None:
        import jack

        from rig.dsp.server import AudioUnavailable, jack_rate
        from rig.midi.jacktime import JackClock

        jack_rate()  # AudioUnavailable, in one line, when no server runs
        try:
            self._client = jack.Client(f"{self.settings.client_name}-ctl", no_start_server=True)
        except jack.JackError as exc:
            raise AudioUnavailable(f"cannot open a JACK client ({exc})") from None
        self._clock = JackClock(self._client)

    @property
    def stand_ins(self) -> dict[str, str]:
        """device → the stand-in voice that plays it when its port is missing."""
        return stand_in_voices(self.cues)

    def outputs(self, sinks: Mapping[str, Any], bound: Sequence[str] = ()) -> dict[str, Any]:
        """The scheduler's outputs: every device of the cues (hardware or stand-in) and
        every voice track. `sinks` are the opened MIDI sinks by device; `bound` the
        devices config.yaml gives a port (their sink already warned when it is missing)."""
        outputs: dict[str, Any] = {}
        latency: dict[str, float] = {}
        stand_in = self.stand_ins
        for arr in self.cues:
            for info in arr.tracks:
                if info.device is not None:
                    latency.setdefault(info.device, info.latency_ms)
        for device in sorted(set(latency) | set(sinks)):
            if device.startswith(VOICE_PREFIX):
                outputs[device] = VoiceOutput(device, self)
                continue
            fb = FallbackOutput(
                device,
                sinks.get(device),
                self,
                latency_ns=round(latency.get(device, 0.0) * 1e6),
                stand_in=stand_in.get(device, ""),
            )
            self._fallbacks.append(fb)
            outputs[device] = fb
            if not fb.on_hardware and device in latency and device not in bound:
                line = f"{device}: no MIDI port for it in config.yaml; "
                if device in stand_in:
                    line += f"its stand-in voice {fb.stand_in} plays"
                else:
                    line += "no stand-in voice either: its tracks are silent"
                self.messages.append(line)
        return outputs

    def attach(self, scheduler: Any) -> None:
        self._scheduler = scheduler

    def start(self) -> None:
        # pyo's JACK thread needs the GIL for every block. A thread asking for the GIL
        # waits up to the switch interval (5 ms by default) before the holder is made to
        # drop it, so the engine thread pumping a dense bar could hold up the audio by
        # several periods: xruns. 0.1 ms bounds that wait well inside a 1.33 ms period.
        # The engine process does nothing else, so the extra switching costs little.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.server.start()
        self._connect_outputs()

    def _connect_outputs(self) -> None:
        if self.settings.connect is None:
            return
        import jack

        client = self._client
        mine = [p.name for p in client.get_ports(f"^{self.settings.client_name}:", is_output=True)]
        if self.settings.connect == "auto":
            targets = client.get_ports(is_audio=True, is_input=True, is_physical=True)
        else:
            targets = client.get_ports(self.settings.connect, is_audio=True, is_input=True)
        for src, dst in zip(mine, targets, strict=False):
            with contextlib.suppress(jack.JackError):
                client.connect(src, dst.name)

    @property
    def ports(self) -> list[str]:
        """Full JACK names of the voices' audio outputs."""
        name = self.settings.client_name
        return [p.name for p in self._client.get_ports(f"^{name}:", is_audio=True, is_output=True)]

    def close(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            with contextlib.suppress(Exception):
                server.stop()
            time.sleep(0.05)  # let a callback in flight finish before objects go
            server.setCallback(_nothing)
            self._instruments.clear()
            self._maps.clear()
            self._current = {}
            self._swaps.clear()
            self._next.clear()
            self._retiring.clear()
            self._chase.clear()
            self._extra = ()
            self._old_chains.clear()
            self._chain = None
            import gc

            gc.collect()  # pyo objects must die while their server still exists
            with contextlib.suppress(Exception):
                server.shutdown()
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(Exception):
                client.close()

    def stats(self) -> dict[str, Any]:
        """Figures for the controller at the end (picklable)."""
        return {
            "applied": self.applied,
            "late": self.late,
            "blocks": self.blocks,
            "instruments": len(self._instruments),
            "callback_max_us": self.callback_max_ns / 1000,
            "callback_slow": self.callback_slow,
            "messages": list(self.messages),
            "voice_build_ms": list(self.build_ms),
            "faults": self.faults,
            "clock_reseeds": int(getattr(self._clock, "reseeds", 0)),
        }

    # the engine's dsp_hook (engine thread) ---------------------------------------
    def __call__(self, now_ns: int, scheduler: Any) -> None:
        if self._scheduler is None:
            self._scheduler = scheduler
        for fb in self._fallbacks:
            line = fb.poll(now_ns, lambda: self._next_bar_ns(now_ns))
            if line is not None:
                self.messages.append(line)
                self._say(line)
        if not self._faults.empty():
            self._rebuild_faulted(now_ns)
        if self._swaps or self._retiring or self._old_chains:
            self._follow_swaps(now_ns)

    def _rebuild_faulted(self, now_ns: int) -> None:
        """Instruments whose output went non-finite: a fresh one takes each one's place at
        once (chased to its program and CCs); then a fresh master chain."""
        from rig.dsp.play import build_instrument

        broken = []
        while True:
            try:
                broken.append(self._faults.get_nowait())
            except queue.Empty:
                break
        for item in broken:
            if isinstance(item, _Chain):
                continue  # the remix below replaces it
            for key in [k for k, inst in self._instruments.items() if inst is item]:
                self._swap_in(key, item, build_instrument(self._pyo, item.spec), now_ns)
                line = (
                    f"voice {key[2]} on {key[0]}: its sound went out of range (inf/NaN); "
                    "rebuilt, playing again"
                )
                self.messages.append(line)
                self._say(line)
        self._update_extra()
        self._remix(now_ns)

    def _next_bar_ns(self, now_ns: int) -> int | None:
        from rig.engine.transport import bar_beat

        sched = self._scheduler
        if sched is None or not sched.playing or sched.arrangement is None:
            return None
        tick = max(int(sched.clock.tick_at(now_ns)), sched.next_tick)
        arr = sched.arrangement
        bar, beat = bar_beat(arr, tick)
        bar_tick = arr.bar_tick(bar)
        if bar_tick < tick:
            bar_tick = arr.bar_tick(bar + 1)
        return int(sched.clock.ns_at(bar_tick))

    # outputs → audio thread ----------------------------------------------------------
    def play(self, output: str, sound_ns: int, data: bytes, latency_ns: int = 0) -> None:
        """Queue one MIDI message of `output` to sound at `sound_ns` on its stand-in."""
        inst = self._instrument(output, data[0] & 0x0F)
        if inst is None:
            return
        when = sound_ns + latency_ns
        nxt = self._next.get(id(inst)) if self._next else None
        while nxt is not None and when >= nxt[0]:  # a reloaded voice plays from its time on
            inst = nxt[1]
            nxt = self._next.get(id(inst))
        kind = data[0] & 0xF0
        if kind == 0x90 and data[2] > 0:
            item = ("on", data[1], data[2])
        elif kind == 0x80 or kind == 0x90:
            item = ("off", data[1], 0)
        elif kind == 0xB0:
            if data[1] in _BANK_SELECT:
                return
            name = self.settings.cc_names.get(output, {}).get(data[1], "")
            item = ("cc", data[1], data[2], name)
        elif kind == 0xC0:
            item = ("pc", data[1], 0)
        else:
            return  # pitch bend, aftertouch: the voices have no use for them yet
        self._queue.put((when, next(self._seq), inst, item, None, 0))
        if kind == 0xB0 or kind == 0xC0:
            self._chase.setdefault(id(inst), {})[item[:2] if kind == 0xB0 else ("pc",)] = item
            while nxt is not None:  # a version waiting for its time follows the settings
                inst = nxt[1]
                self._queue.put((when, next(self._seq), inst, item, None, 0))
                self._chase.setdefault(id(inst), {})[item[:2] if kind == 0xB0 else ("pc",)] = item
                nxt = self._next.get(id(inst))

    def all_off(
        self, output: str, sound_ns: int, owner: FallbackOutput | None = None, generation: int = 0
    ) -> None:
        """Release everything `output`'s stand-ins hold, at `sound_ns` (0: at once)."""
        for inst in {id(i): i for i in self._instruments_of(output)}.values():
            self._queue.put((sound_ns, next(self._seq), inst, ("alloff",), owner, generation))

    def _instrument(self, output: str, channel: int) -> Any:
        sched = self._scheduler
        view = sched.arrangement if sched is not None else None
        # The engine may play a view of the arrangement (rig.engine.cueview): map by its base.
        arr = getattr(view, "base", view)
        if arr is not self._current_arr:
            self._current_arr = arr
            self._current = self._map_for(arr) if arr is not None else {}
        by_channel = self._current.get(output)
        if by_channel is None:
            return None
        return by_channel.get(channel)

    def _map_for(self, arr: Any) -> dict[str, dict[int, Any]]:
        """output → channel → instrument for the tracks of `arr` (instruments made at open)."""
        found = self._maps.get(id(arr))
        if found is not None and found[0] is arr:
            return found[1]
        per_output: dict[str, dict[int, Any]] = {}
        for info in arr.tracks:
            out = _output_of(info)
            inst = self._instruments.get((out, info.channel, info.voice)) if out else None
            if inst is not None:
                per_output.setdefault(out, {}).setdefault(info.channel, inst)
        self._maps[id(arr)] = (arr, per_output)
        return per_output

    def _instruments_of(self, output: str) -> list[Any]:
        found = [inst for (out, _, _), inst in self._instruments.items() if out == output]
        found += [swap.new for swap in self._swaps if swap.key[0] == output]
        return found

    # hot reload of a voice (engine thread) ---------------------------------------------
    def replace_voice(
        self, name: str, spec: VoiceSpec, at_ns: int, now_ns: int | None = None
    ) -> int:
        """Play voice `name` as `spec` from `at_ns` (monotonic ns) on; returns how many
        instruments were built. ValueError when no track plays that voice."""
        from rig.dsp.play import build_instrument

        keys = [key for key in self._instruments if key[2] == name]
        if not keys:
            raise ValueError(f"voice {name}: no track of the set plays it here")
        began = time.perf_counter_ns()
        made = [(key, self._latest(key), build_instrument(self._pyo, spec)) for key in keys]
        self.build_ms.append((time.perf_counter_ns() - began) / 1e6)
        for key, old, new in made:
            self._swap_in(key, old, new, at_ns)
        self._update_extra()
        self._remix(time.monotonic_ns() if now_ns is None else now_ns)
        return len(made)

    def _swap_in(self, key: tuple[str, int, str], old: Any, new: Any, at_ns: int) -> None:
        """`new` plays for `key` from `at_ns` on, instead of `old` (engine thread)."""
        put = self._queue.put
        # Program first, then CCs: as the old version was set (applied at once: silent).
        chase = self._chase.get(id(old), {})
        for item in sorted(chase.values(), key=lambda it: it[0] != "pc"):
            put((0, next(self._seq), new, item, None, 0))
        self._chase[id(new)] = dict(chase)
        put((at_ns, next(self._seq), old, ("alloff",), None, 0))
        self._next[id(old)] = (at_ns, new)
        self._swaps.append(_Swap(key[2], at_ns, key, old, new))

    def _latest(self, key: tuple[str, int, str]) -> Any:
        """The newest version for `key`: one waiting for its time, else the playing one."""
        for swap in reversed(self._swaps):
            if swap.key == key:
                return swap.new
        return self._instruments[key]

    def _follow_swaps(self, now_ns: int) -> None:
        """Swaps whose time has come: the maps point to the new version (no event for
        an earlier time is queued any more); replaced versions are dropped after
        their tails."""
        due = [swap for swap in self._swaps if swap.at_ns <= now_ns]
        if due:
            self._swaps = [swap for swap in self._swaps if swap.at_ns > now_ns]
            for swap in due:
                old, new = swap.old, swap.new
                self._instruments[swap.key] = new
                for _, per_output in self._maps.values():
                    by_channel = per_output.get(swap.key[0], {})
                    for channel, inst in by_channel.items():
                        if inst is old:
                            by_channel[channel] = new
                self._next.pop(id(old), None)
                self._retiring.append((swap.at_ns + _RETIRE_NS, old))
            self._update_extra()
            names = dict.fromkeys(swap.name for swap in due)
            for name in names:
                count = sum(1 for swap in due if swap.name == name)
                self.messages.append(f"voice {name}: new version playing ({count} instrument(s))")
        gone = [old for drop_ns, old in self._retiring if drop_ns <= now_ns]
        if gone:
            self._retiring = [(t, old) for t, old in self._retiring if t > now_ns]
            for old in gone:
                self._chase.pop(id(old), None)
            self._update_extra()
            self._remix(now_ns)  # a mix without them; the last reference goes with the old
        if self._old_chains and self._old_chains[0][0] <= now_ns:
            self._old_chains = [(t, c) for t, c in self._old_chains if t > now_ns]

    def _update_extra(self) -> None:
        # One assignment: the audio thread iterates the tuple it finds.
        self._extra = (*(swap.new for swap in self._swaps), *(old for _, old in self._retiring))

    def _remix(self, now_ns: int) -> None:
        """A new master chain over every live instrument, crossfaded in for the old one.

        Not a new input for the old chain: pyo computes objects in the order they were
        made, so an old limiter reading a new mix would hear it a block late. The new
        chain runs silent a few blocks (its limiter's look-ahead fills, its envelope
        settles), then the audio thread starts both fades on the same block."""
        live = {id(i): i for i in (*self._instruments.values(), *self._extra)}
        old = self._chain
        new = self._master_chain(list(live.values()), level=0.0)
        new.out.out()
        self._chain = new
        fade_ns = now_ns + _REMIX_WAIT_NS
        self._queue.put((fade_ns, next(self._seq), None, ("fade", old, new), None, 0))
        self._old_chains.append((fade_ns + _RETIRE_CHAIN_NS, old))

    # pyo's callback (JACK's real-time thread, GIL held) ------------------------------
    def _on_block(self) -> None:
        began = time.perf_counter_ns()
        try:
            self._block()
        finally:
            spent = time.perf_counter_ns() - began
            if spent > self.callback_max_ns:
                self.callback_max_ns = spent
            if spent > 250_000:
                self.callback_slow += 1

    def _block(self) -> None:
        cycle = self._clock.cycle(self._bs)
        start = cycle.frames
        if self._frame0 is None:
            self._frame0 = start
        self.blocks += 1
        heap = self._heap
        get = self._queue.get_nowait
        while True:
            try:
                heapq.heappush(heap, get())
            except queue.Empty:
                break
        if not heap:
            if self.blocks % _HOUSEKEEP_BLOCKS == 0:
                self._housekeep((start - self._frame0) / self._sr)
            return
        half = self._bs // 2
        # Nearest block: due before its middle (the limiter's delay earlier).
        due_ns = cycle.ns_of(start + half) + self._early_ns
        late_ns = cycle.ns_of(start - half - _GRACE_FRAMES) + self._early_ns
        at = (start - self._frame0) / self._sr
        while heap and heap[0][0] < due_ns:
            sound_ns, _, inst, item, owner, generation = heapq.heappop(heap)
            if owner is not None and not owner.generation_is(generation):
                continue
            if sound_ns and sound_ns < late_ns and inst is not None:
                self.late += 1
            try:
                _apply(inst, item, at)
            except Exception:  # never raise in the audio thread
                log.exception("applying %s", item)
            if inst is not None:  # an event, not a master-chain fade
                self.applied += 1
        if self.blocks % _HOUSEKEEP_BLOCKS == 0:
            self._housekeep(at)

    def _housekeep(self, at: float) -> None:
        for inst in (*self._instruments.values(), *self._extra):
            inst.housekeep(at)
            if not inst.faulted and not _finite(inst.out):
                inst.out.stop()  # zeroes it: the master hears silence from the next block
                inst.faulted = True
                self.faults += 1
                self._faults.put(inst)
        chain = self._chain
        if chain is not None and not chain.faulted and not _finite(chain.out):
            chain.out.stop()
            chain.faulted = True
            self._faults.put(chain)


@dataclass
class _Chain:
    """The master chain: `mix` of the instruments → `limiter` → `out`, scaled by `fade`."""

    mix: Any
    limiter: Any
    out: Any
    fade: Any
    faulted: bool = False  # its output went non-finite and was stopped


def _finite(obj: Any) -> bool:
    """Whether a pyo object's last output samples are finite numbers."""
    return all(math.isfinite(x) for x in obj.get(all=True))


@dataclass
class _Swap:
    """A reloaded voice's instrument for one (output, channel, voice), waiting for `at_ns`."""

    name: str
    at_ns: int
    key: tuple[str, int, str]
    old: Any
    new: Any


def _output_of(info: Any) -> str | None:
    """The output a track plays on: its device, or ``voice:<track>`` for a voice track."""
    if not info.voice:
        return None
    if info.device is None:
        return VOICE_PREFIX + info.name
    return info.device


def _apply(inst: Any, item: tuple, at: float) -> None:
    kind = item[0]
    if kind == "on":
        inst.note_on(item[1], item[2], at)
    elif kind == "off":
        inst.note_off(item[1], at)
    elif kind == "cc":
        inst.control(item[3], item[1], item[2], at)
    elif kind == "pc":
        inst.program(item[1], at)
    elif kind == "alloff":
        inst.all_notes_off(at)
    elif kind == "fade":  # one master chain out, the next in, from the same block
        item[1].fade.value = 0.0
        item[2].fade.value = 1.0


def _nothing() -> None:
    pass

"""Software voices live: a pyo server on JACK in the engine process, and its instruments.

The scheduler hands the outputs (`rig.voices.outputs`) typed events with absolute
deadlines; they hand them to this player, which applies them on the audio thread.

Timing (DESIGN.md: "events applied on the audio block they fall in"): an event
is queued with the time it should *sound* — the scheduler's deadline plus the
device latency it subtracted for the hardware (`Scheduler.latency_of`) — and
applied by pyo's per-block callback (JACK's real-time thread for pyo's client)
on the block its frame falls in (the nearest frame, as the JACK MIDI sink
writes it), on the engine's frame timeline (`rig.timing.timeline`). pyo applies
changes at a block's first frame, and the master limiter's look-ahead is one
block, undone by applying events one block early: a note sent to a synth and
the same note on its stand-in leave JACK in the same cycle (0 blocks apart,
tested in freewheel).
The engine thread puts the scheduler's typed events on a queue; it never waits
for the audio thread, and the audio thread only holds the GIL to apply what is
due (pyo holds it anyway while it computes the block), with `rig.dsp.play.apply_event`
— the function the offline render applies the same events with.

One instrument per (output, channel, voice): a multi-part Virus with three
parts in use gets three stand-ins, as the hardware has three parts. All of them
are built before the show starts (building a pad takes tens of ms of Python:
never in the middle of a song).

Hot reload of a voice is `rig.voices.swap`; the inf/NaN guard is `rig.voices.guard`;
the master chain is `rig.voices.master`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from rig.dsp.play import apply_event
from rig.midi.realtime import SWITCH_INTERVAL_S
from rig.midi.wire import BANK_SELECT, Message
from rig.song.arrangement import Arrangement
from rig.song.events import ControlChange, NoteOff, NoteOn, ProgramChange
from rig.voices.guard import Guard
from rig.voices.jackname import appeared, listed
from rig.voices.master import MasterChain, build_master, limit_lookahead_frames
from rig.voices.outputs import FallbackOutput, VoiceOutput
from rig.voices.settings import (
    VOICE_PREFIX,
    VoiceSettings,
    output_of,
    route_voice_tracks,
    stand_in_voices,
)
from rig.voices.swap import HotSwap, Swap
from rig.voices.takeback import drain, take_back_marker

__all__ = ["VoicePlayer"]

log = logging.getLogger(__name__)

# Stand-in voices are silent after this long without a note: their slots sleep.
_HOUSEKEEP_BLOCKS = 16
# Frames an event may be behind its block before it counts as late (JACK's
# estimate of a frame's time wobbles by a fraction of a frame between cycles).
_GRACE_FRAMES = 2


# -- the player ---------------------------------------------------------------------------


class VoicePlayer(HotSwap, Guard):
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
        self.jack_gone = False  # the JACK server shut down under the voices
        self.applied = 0  # events applied on the audio thread
        self.late = 0  # events applied more than a block after they should have sounded
        self.blocks = 0
        self.callback_max_ns = 0  # longest time spent applying events in one block
        self.callback_slow = 0  # blocks where that took more than 0.25 ms
        self._say = say or (lambda line: log.warning("%s", line))
        self._pyo: Any = None
        self.server: Any = None
        self._client: Any = None  # JACK-Client: frame times and port connections
        self.jack_name = settings.client_name  # pyo's client as JACK named it (open)
        self._clock: Any = None
        self._timeline: Any = None  # frame mode: `use_timeline`
        self.drop_late_ns = 0
        self.dropped = 0  # late note-ons dropped in frame mode
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
        # Events are applied this many frames before they sound: the limiter's delay.
        self._early_frames = 0
        self._chain: MasterChain | None = None  # what reaches the JACK ports
        self._old_chains: list[tuple[int, MasterChain]] = []  # (drop at ns, chain faded out)
        self._gain = 1.0
        # Hot reload of voices (see the module doc); all engine-thread state except
        # `_extra`, which the audio thread reads (replaced whole, never mutated).
        self._swaps: list[Swap] = []  # waiting for their time
        self._next: dict[int, tuple[int, Any]] = {}  # id(old) → (swap ns, new)
        self._retiring: list[tuple[int, Any]] = []  # (drop at ns, old instrument)
        self._extra: tuple[Any, ...] = ()  # instruments besides `_instruments` still live
        self._chase: dict[int, dict[tuple, Any]] = {}  # id(inst) → last pc / cc events
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
        name = self.settings.client_name
        before = listed(self._client, name)
        self.server = jack_server(pyo, self._bs, name)
        self.jack_name = appeared(before, listed(self._client, name), name)  # rig.voices.jackname
        for arr in self.cues:
            for info in arr.tracks:
                out = output_of(info)
                if out is None or info.voice not in self.settings.voices:
                    continue
                key = (out, info.channel, info.voice)
                if key not in self._instruments:
                    spec = self.settings.voices[info.voice]
                    self._instruments[key] = build_instrument(pyo, spec)
        self._gain = 10 ** (self.settings.gain_db / 20)
        if self.settings.limit:
            self._early_frames = limit_lookahead_frames(self._bs, self._sr)
        self._chain = self._master_chain(list(self._instruments.values()), level=1.0)
        self._chain.out.out()
        self.server.setCallback(self._on_block)
        return self

    def _master_chain(self, instruments: Sequence[Any], level: float) -> MasterChain:
        """Mix → limiter → clip over `instruments`, at `level` (a 0..1 fader)."""
        return build_master(self._pyo, instruments, level, self._gain, self.settings.limit,
                            self._early_frames, self._sr)  # fmt: skip

    def _open_client(self) -> None:
        from rig.dsp.server import AudioUnavailable, jack_rate
        from rig.midi.jacktime import JackClock
        from rig.midi.ports import load_jack

        jack_rate()  # AudioUnavailable, in one line, when no server or no libjack
        jack = load_jack()
        try:
            self._client = jack.Client(f"{self.settings.client_name}-ctl", no_start_server=True)
        except jack.JackError as exc:
            raise AudioUnavailable(f"cannot open a JACK client ({exc})") from None
        # The JACK server going away ends the show (the engine exits 3): say so.
        self._client.set_shutdown_callback(self._on_jack_shutdown)
        self._clock = JackClock(self._client)

    def _on_jack_shutdown(self, status: Any, reason: str) -> None:
        self.jack_gone = True

    @property
    def stand_ins(self) -> dict[str, str]:
        """device → the stand-in voice that plays it when its port is missing."""
        return stand_in_voices(self.cues)

    def outputs(self, sinks: Mapping[str, Any], bound: Sequence[str] = ()) -> dict[str, Any]:
        """The scheduler's outputs: every device of the cues (hardware or stand-in) and
        every voice track. `sinks` are the opened MIDI sinks by device; `bound` the
        devices config.yaml gives a port (their sink already warned when it is missing)."""
        outputs: dict[str, Any] = {}
        stand_in = self.stand_ins
        played = {info.device for arr in self.cues for info in arr.tracks if info.device}
        for device in sorted(played | set(sinks)):
            if device.startswith(VOICE_PREFIX):
                outputs[device] = VoiceOutput(device, self)
                continue
            fb = FallbackOutput(device, sinks.get(device), self, stand_in=stand_in.get(device, ""))
            self._fallbacks.append(fb)
            outputs[device] = fb
            if not fb.on_hardware and device in played and device not in bound:
                line = f"{device}: no MIDI port for it in config.yaml; "
                if device in stand_in:
                    line += f"its stand-in voice {fb.stand_in} plays"
                else:
                    line += "no stand-in voice either: its tracks are silent"
                self.messages.append(line)
        return outputs

    @property
    def notice_frames(self) -> int:
        """Frames before its frame an event must be queued here: the block it is applied
        on comes `_early_frames` early, and pyo's client may run before the engine's
        in a cycle (the frame loop hands events over at least this early)."""
        return 2 * self._bs + self._early_frames

    def use_timeline(self, timeline: Any, drop_late_ns: int = 30_000_000) -> None:
        """Frame mode (rig.engine.cycle): deadlines are timeline ns on JACK's frame
        counter, the line the MIDI sinks write on; a note-on later than
        `drop_late_ns` (cycles lost to an xrun) is dropped, as the sinks drop it."""
        self.drop_late_ns = drop_late_ns
        self._timeline = timeline

    def attach(self, scheduler: Any) -> None:
        self._scheduler = scheduler

    def latency_of(self, output: str) -> int:
        """`output`'s latency offset, as the scheduler applies it (it owns the fact)."""
        sched = self._scheduler
        return int(sched.latency_of(output)) if sched is not None else 0

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
        mine = [p.name for p in client.get_ports(f"^{re.escape(self.jack_name)}:", is_output=True)]
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
        name = re.escape(self.jack_name)
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
            "dropped": self.dropped,
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

    def _next_bar_ns(self, now_ns: int) -> int | None:
        from rig.song.quantize import bar_beat

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
    def play(self, output: str, sound_ns: int, msg: Message) -> None:
        """Queue one typed message of `output` to sound at `sound_ns` on its stand-in."""
        if not isinstance(msg, NoteOn | NoteOff | ControlChange | ProgramChange):
            return  # clock, transport: the hardware's business
        if isinstance(msg, ControlChange):
            if msg.control in BANK_SELECT:
                return  # a program change carries its bank; the voices have no banks
            if not msg.name:  # the device's name for the CC, as the song names it
                name = self.settings.cc_names.get(output, {}).get(msg.control, "")
                msg = replace(msg, name=name)
        inst = self._instrument(output, msg.channel)
        if inst is None:
            return
        nxt = self._next.get(id(inst)) if self._next else None
        while nxt is not None and sound_ns >= nxt[0]:  # a reloaded voice plays from its time on
            inst = nxt[1]
            nxt = self._next.get(id(inst))
        self._queue.put((sound_ns, next(self._seq), inst, msg, None, 0))
        if isinstance(msg, ControlChange | ProgramChange):
            key = ("cc", msg.control) if isinstance(msg, ControlChange) else ("pc",)
            self._chase.setdefault(id(inst), {})[key] = msg
            while nxt is not None:  # a version waiting for its time follows the settings
                inst = nxt[1]
                self._queue.put((sound_ns, next(self._seq), inst, msg, None, 0))
                self._chase.setdefault(id(inst), {})[key] = msg
                nxt = self._next.get(id(inst))

    def take_back(self, output: str, sound_ns: int) -> bool:
        """A master's Stop: `output`'s stand-ins start no note from `sound_ns` on, and
        end there what they hold (`rig.voices.takeback`; ordered with `play`)."""
        instruments = self._instruments_of(output)
        self._queue.put(take_back_marker(next(self._seq), instruments, sound_ns))
        return True

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
            out = output_of(info)
            inst = self._instruments.get((out, info.channel, info.voice)) if out else None
            if inst is not None:
                per_output.setdefault(out, {}).setdefault(info.channel, inst)
        self._maps[id(arr)] = (arr, per_output)
        return per_output

    def _instruments_of(self, output: str) -> list[Any]:
        found = [inst for (out, _, _), inst in self._instruments.items() if out == output]
        found += [swap.new for swap in self._swaps if swap.key[0] == output]
        return found

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
        timeline = self._timeline
        if timeline is not None:
            raw = int(self._client.last_frame_time)
            cycle = timeline.cycle(raw, self._bs)
        else:
            cycle = self._clock.cycle(self._bs)
            raw = cycle.frames
        start = cycle.frames
        if self._frame0 is None:
            self._frame0 = raw
        self.blocks += 1
        heap = self._heap
        drain(self._queue, heap)  # in the queue's order, take-backs (a master's Stop) too
        if not heap:
            if self.blocks % _HOUSEKEEP_BLOCKS == 0:
                self._housekeep(((raw - self._frame0) % (1 << 32)) / self._sr)
            return
        # The block an event's frame falls in (the MIDI sinks' frame: the nearest one)
        # is the one it sounds on: it is applied on the block `_early_frames` before
        # (the limiter's delay), and pyo's changes take effect at a block's first frame.
        # So a stand-in's onset is on the first frame of its MIDI frame's block.
        early = self._early_frames
        end = start + self._bs + early  # frames before this one are due
        late_frame = start + early - _GRACE_FRAMES  # ... and before this one, late
        frame_of = cycle.frame_of
        at = ((raw - self._frame0) % (1 << 32)) / self._sr  # the instruments' clock
        drop_ns = cycle.ns_of(start) - self.drop_late_ns if timeline is not None else None
        while heap and (heap[0][0] == 0 or frame_of(heap[0][0]) < end):
            sound_ns, _, inst, item, owner, generation = heapq.heappop(heap)
            if owner is not None and not owner.generation_is(generation):
                continue
            if drop_ns is not None and isinstance(item, NoteOn) and 0 < sound_ns < drop_ns:
                self.dropped += 1
                continue
            if sound_ns and inst is not None and frame_of(sound_ns) < late_frame:
                self.late += 1
            try:
                _apply(inst, item, at)
            except Exception:  # never raise in the audio thread
                log.exception("applying %s", item)
            if inst is not None:  # an event, not a master-chain fade
                self.applied += 1
        if self.blocks % _HOUSEKEEP_BLOCKS == 0:
            self._housekeep(at)


def _apply(inst: Any, item: Any, at: float) -> None:
    """One queued item: a song event (`apply_event`, as the offline render applies it),
    or the player's own all-notes-off / master-chain crossfade."""
    if not isinstance(item, tuple):
        apply_event(inst, item, at)
    elif item[0] == "alloff":
        inst.all_notes_off(at)
    elif item[0] == "fade":  # one master chain out, the next in, from the same block
        item[1].fade.value = 0.0
        item[2].fade.value = 1.0


def _nothing() -> None:
    pass

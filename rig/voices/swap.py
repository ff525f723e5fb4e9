"""Hot reload of a voice while the show plays: the new version swapped in, inaudibly.

Hot reload of a voice (`/rig/voice`): the new version is built in the engine thread
for every (output, channel) the voice plays (`build_voice`, 5-15 ms a voice here, the
pianos the longest), silent and outside the frame loop's lock (a build under it held
JACK's callback for that long: an xrun at 64 frames), then swapped in under the lock
(`swap_voice`), and joins the master through a new master chain (mix, limiter,
clip) crossfaded in for the old one while both carry the same sound: inaudible.
An event is routed by the time it *sounds*: before the swap time to the old
instrument, from it on to the new one. The old one gets all-notes-off at the swap
time (a note held across it is released there, as at a hardware handover), rings
out its release and is dropped a few seconds later from the engine thread. The
program and CC values the old one last got are given to the new one first, so it
sounds as the old one was set.

`HotSwap` is a part of `rig.voices.player.VoicePlayer` (a mixin over the player's
state, engine thread only), kept apart so the swap rules read on their own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rig.dsp.spec import VoiceSpec
from rig.song.events import ProgramChange
from rig.voices.master import MasterChain

__all__ = ["HotSwap", "Swap"]

# A replaced voice is kept (and mixed) this long after its swap: its release and effect tails.
_RETIRE_NS = 5_000_000_000
_REMIX_WAIT_NS = 5_000_000  # a new chain runs silent this long before it fades in
_RETIRE_CHAIN_NS = 100_000_000  # a chain faded out is dropped this long after


@dataclass
class Swap:
    """A reloaded voice's instrument for one (output, channel, voice), waiting for `at_ns`."""

    name: str
    at_ns: int
    key: tuple[str, int, str]
    old: Any
    new: Any


class HotSwap:
    """The hot-swap half of the voice player (engine thread)."""

    _instruments: dict[tuple[str, int, str], Any]
    _maps: dict[int, tuple[Any, dict[str, dict[int, Any]]]]
    _queue: Any
    _seq: Any
    _pyo: Any
    _chain: MasterChain | None
    _old_chains: list[tuple[int, MasterChain]]
    _swaps: list[Swap]
    _next: dict[int, tuple[int, Any]]
    _retiring: list[tuple[int, Any]]
    _extra: tuple[Any, ...]
    _chase: dict[int, dict[tuple, Any]]
    build_ms: list[float]
    messages: list[str]

    if TYPE_CHECKING:  # provided by the player

        def _master_chain(self, instruments: Any, level: float) -> MasterChain: ...

    # hot reload of a voice (engine thread) ---------------------------------------------
    def build_voice(self, name: str, spec: VoiceSpec) -> list[tuple[tuple[str, int, str], Any]]:
        """Build voice `name`'s new version for every (output, channel) it plays, silent:
        the slow half of a hot reload (5-15 ms a voice measured here), run outside the
        frame loop's lock so JACK's callback does not wait for it. ValueError when no
        track plays that voice."""
        from rig.dsp.play import build_instrument

        keys = [key for key in self._instruments if key[2] == name]
        if not keys:
            raise ValueError(f"voice {name}: no track of the set plays it here")
        began = time.perf_counter_ns()
        made = [(key, build_instrument(self._pyo, spec)) for key in keys]
        self.build_ms.append((time.perf_counter_ns() - began) / 1e6)
        return made

    def swap_voice(
        self, made: list[tuple[tuple[str, int, str], Any]], at_ns: int, now_ns: int | None = None
    ) -> int:
        """Play the instruments `build_voice` made from `at_ns` (the engine's ns: timeline
        ns with JACK) on; returns how many. The quick half, under the loop's lock."""
        for key, new in made:
            self._swap_in(key, self._latest(key), new, at_ns)
        self._update_extra()
        self._remix(time.monotonic_ns() if now_ns is None else now_ns)
        return len(made)

    def _swap_in(self, key: tuple[str, int, str], old: Any, new: Any, at_ns: int) -> None:
        """`new` plays for `key` from `at_ns` on, instead of `old` (engine thread)."""
        put = self._queue.put
        # Program first, then CCs: as the old version was set (applied at once: silent).
        chase = self._chase.get(id(old), {})
        for item in sorted(chase.values(), key=lambda it: not isinstance(it, ProgramChange)):
            put((0, next(self._seq), new, item, None, 0))
        self._chase[id(new)] = dict(chase)
        put((at_ns, next(self._seq), old, ("alloff",), None, 0))
        self._next[id(old)] = (at_ns, new)
        self._swaps.append(Swap(key[2], at_ns, key, old, new))

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

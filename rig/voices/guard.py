"""The live guard: a voice whose sound goes inf/NaN is stopped at once and rebuilt.

A filter pushed far enough (a resonant ladder at the top of its range, measured) can
blow up to inf/NaN, and one NaN reaching the master limiter would silence everything
until restart. So every housekeeping (16 blocks) the audio thread checks each
instrument's output and the master's: a non-finite one is stopped at once (pyo zeroes a
stopped object's output), and the engine thread rebuilds it — the same path as a hot
reload, at once — and brings in a fresh master chain; a one-line message says so.

`Guard` is a part of `rig.voices.player.VoicePlayer` (a mixin over its state):
`_housekeep` runs on the audio thread, `_rebuild_faulted` on the engine thread; they
talk only through the `_faults` queue.
"""

from __future__ import annotations

import math
import queue
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rig.voices.master import MasterChain

__all__ = ["Guard", "finite"]


def finite(obj: Any) -> bool:
    """Whether a pyo object's last output samples are finite numbers."""
    return all(math.isfinite(x) for x in obj.get(all=True))


class Guard:
    """The NaN-guard half of the voice player."""

    _instruments: dict[tuple[str, int, str], Any]
    _extra: tuple[Any, ...]
    _chain: MasterChain | None
    _faults: queue.SimpleQueue[Any]
    _pyo: Any
    faults: int
    messages: list[str]
    _say: Callable[[str], None]

    if TYPE_CHECKING:  # provided by the player

        def _swap_in(self, key: tuple[str, int, str], old: Any, new: Any, at_ns: int) -> None: ...
        def _update_extra(self) -> None: ...
        def _remix(self, now_ns: int) -> None: ...

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
            if isinstance(item, MasterChain):
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

    def _housekeep(self, at: float) -> None:
        for inst in (*self._instruments.values(), *self._extra):
            inst.housekeep(at)
            if not inst.faulted and not finite(inst.out):
                inst.out.stop()  # zeroes it: the master hears silence from the next block
                inst.faulted = True
                self.faults += 1
                self._faults.put(inst)
        chain = self._chain
        if chain is not None and not chain.faulted and not finite(chain.out):
            chain.out.stop()
            chain.faulted = True
            self._faults.put(chain)

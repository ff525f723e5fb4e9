"""A master's Stop on the stand-in voices: take back what their queue holds from then on.

The engine thread never touches the audio thread's heap; it puts a marker on the
player's queue (`take_back_marker`), and the audio thread, draining the queue into
its heap in order (`drain`), applies the marker when it reaches it — so what was
queued before the Stop is taken back and what the scheduler sends after it (the
note-offs of what sounds, at the Stop) is kept, as the JACK MIDI sinks order a
take-back with their sends (`rig.midi.jack_sink.JackSink.take_back`).

From the Stop's time on, an output's stand-ins get no note-on (and no note-off for a
note-on taken back); a note-off of a note that started before is kept, moved to the
Stop, so nothing is left sounding. Controllers and programs stay (they start no note,
and the stand-ins' settings stay where the song left them for a Continue).
"""

from __future__ import annotations

import heapq
import queue
from collections.abc import Iterable
from typing import Any

from rig.midi.notes import take_back
from rig.song.events import NoteOff, NoteOn

__all__ = ["take_back_marker", "drain", "taken_back"]

_MARK = "takeback"


def take_back_marker(seq: int, instruments: Iterable[Any], sound_ns: int) -> tuple:
    """The queue item that takes back `instruments`' notes from `sound_ns` on."""
    return (0, seq, None, (_MARK, frozenset(id(i) for i in instruments), sound_ns), None, 0)


def drain(source: queue.SimpleQueue, heap: list[tuple]) -> None:
    """Move every queued item onto `heap` (a heap of the player's queue items), applying
    take-back markers where they stand in the queue's order (audio thread)."""
    get = source.get_nowait
    while True:
        try:
            item = get()
        except queue.Empty:
            return
        if item[2] is None and item[3][0] == _MARK:
            heap[:] = taken_back(heap, item[3][1], item[3][2])
            heapq.heapify(heap)
        else:
            heapq.heappush(heap, item)


def taken_back(entries: Iterable[tuple], ids: frozenset[int], at_ns: int) -> list[tuple]:
    """The player's queue items `(sound ns, seq, instrument, item, owner, generation)`
    once the instruments with ids `ids` end at `at_ns` (see the module doc); items at
    once (sound ns 0), other instruments' items, controllers and programs stay as they
    are (`rig.midi.notes.take_back`, notes paired per instrument)."""

    def stays(entry: tuple) -> bool:
        inst, item = entry[2], entry[3]
        return inst is None or id(inst) not in ids or not isinstance(item, NoteOn | NoteOff)

    return take_back(entries, at_ns, message=3, owner=lambda e: id(e[2]), stays=stays)

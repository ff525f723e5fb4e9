"""Sounding-note bookkeeping for one output port: the "no stuck notes, ever" rule.

Every sink passes each message it is about to put on the wire through a
`NoteTracker`, so the tracker knows exactly which (channel, note) pairs sound at
the receiver — not which ones were *scheduled* to sound. From that it can:

- re-trigger cleanly: a note-on for a note that already sounds is preceded by
  that note's explicit note-off (a synth that stacks voices on re-trigger would
  otherwise keep the first voice until a second note-off that never comes);
- end everything: `release()` gives explicit note-offs for every sounding note.
  Many synths ignore All Notes Off (CC 123), so the explicit offs come first and
  CC 123 is only an extra, for the channels that had notes;
- forget: when the receiving port vanishes, its notes cannot be reached any
  more; they are kept aside, and a returning port first gets explicit
  note-offs for them (a synth whose cable was pulled mid-note still holds it).

The tracker reads typed messages (`rig.midi.wire.Message`: the song's `NoteOn` /
`NoteOff`...) and gives typed messages back; the sink encodes them as it writes.
Only `observe` reads wire bytes: it is the receiver's view (a recorder), where a
note-on with velocity 0 is a note-off (MIDI 1.0 running-status convention).
The tracker is not thread-safe: each sink uses it from its one delivery thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rig.midi.wire import (
    Message,
    all_notes_off,
    all_notes_off_message,
    decode,
    is_note_off,
    is_note_on,
    note_off,
    off_message,
)
from rig.song.events import NoteOff, NoteOn

__all__ = [
    "NoteTracker",
    "note_off",
    "all_notes_off",
    "is_note_on",
    "is_note_off",
    "sounding_after",
    "take_back",
]

class NoteTracker:
    """Which (channel, note) pairs sound at one receiving port."""

    __slots__ = ("_sounding", "_lost")

    def __init__(self) -> None:
        # (channel, note) -> None; a dict keeps note-on order for release().
        self._sounding: dict[tuple[int, int], None] = {}
        # Sounding when the receiver went away: released when it is back.
        self._lost: dict[tuple[int, int], None] = {}

    def deliver(self, msg: Message) -> tuple[Message, ...]:
        """The messages to put on the wire for `msg`, updating what sounds.

        Usually just `(msg,)`; a re-triggered note gives `(its note-off, msg)`.
        """
        if isinstance(msg, NoteOn):
            key = (msg.channel, msg.note)
            if key in self._sounding:
                return (off_message(*key), msg)
            self._sounding[key] = None
        elif isinstance(msg, NoteOff):
            self._sounding.pop((msg.channel, msg.note), None)
        return (msg,)

    def observe(self, data: bytes) -> None:
        """Update what sounds from a message seen on the wire (a receiver's view)."""
        msg = decode(data)
        if isinstance(msg, NoteOn):
            self._sounding[(msg.channel, msg.note)] = None
        elif isinstance(msg, NoteOff):
            self._sounding.pop((msg.channel, msg.note), None)

    def release(self, *, all_notes_off_cc: bool = True) -> list[Message]:
        """Explicit note-offs for everything sounding (then CC 123 per channel); clears."""
        offs: list[Message] = [off_message(ch, note) for ch, note in self._sounding]
        if all_notes_off_cc:
            # After the explicit offs: a receiver that honours CC 123 gets it too.
            channels = sorted({ch for ch, _ in self._sounding})
            offs.extend(all_notes_off_message(ch) for ch in channels)
        self._sounding.clear()
        return offs

    def forget(self) -> None:
        """The receiver is gone: nothing sounding can be reached; keep the notes aside."""
        self._lost.update(self._sounding)
        self._sounding.clear()

    def reconnected(self) -> list[Message]:
        """The receiver is (back) on the wire: explicit note-offs for every note it may
        still hold from before it went away (or that was sent while it was away); clears.
        """
        keys = {**self._lost, **self._sounding}
        self._lost.clear()
        self._sounding.clear()
        return [off_message(ch, note) for ch, note in keys]

    def sounding(self) -> list[tuple[int, int]]:
        """(channel, note) pairs sounding now, in note-on order."""
        return list(self._sounding)

    def __len__(self) -> int:
        return len(self._sounding)


def sounding_after(messages: Iterable[bytes]) -> list[tuple[int, int]]:
    """The (channel, note) pairs a receiver of `messages` is left with, in order."""
    tracker = NoteTracker()
    for data in messages:
        tracker.observe(bytes(data))
    return tracker.sounding()


def take_back(
    entries: Iterable[tuple],
    at_ns: int,
    *,
    message: int = 2,
    owner: Callable[[tuple], object] = lambda entry: None,
    stays: Callable[[tuple], bool] = lambda entry: False,
) -> list[tuple]:
    """A queue's `(deadline ns, seq, ...)` entries once output ends at `at_ns` (a
    master's Stop): everything before it stays; from it on, a note-off stays (moved to
    `at_ns`) unless its note-on is taken back too, and everything else — note-ons,
    clock, controllers — is taken back. So a receiver hears nothing start after the
    Stop and nothing it holds is left sounding.

    `message`: where an entry holds its typed message (the JACK sink's queue: 2);
    `owner(entry)`: whose note it is (notes pair per owner and channel; the stand-in
    voices' queue: the instrument); `stays(entry)`: kept as it is whenever it falls."""
    kept: list[tuple] = []
    taken: set[tuple[object, int, int]] = set()  # notes whose note-on was taken back
    for item in sorted(entries, key=lambda e: (e[0], e[1])):
        msg = item[message]
        if item[0] < at_ns or stays(item):
            kept.append(item)
        elif isinstance(msg, NoteOn):
            taken.add((owner(item), msg.channel, msg.note))
        elif isinstance(msg, NoteOff):
            key = (owner(item), msg.channel, msg.note)
            if key in taken:
                taken.discard(key)
            else:
                kept.append((at_ns, *item[1:]))
    return kept

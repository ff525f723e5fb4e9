"""Which voice slot plays which note: polyphonic allocation with stealing, and mono note stacks.

Pure bookkeeping, no audio, so the rules are tested directly:

- Poly: a re-struck note reuses its own slot; otherwise the slot released longest ago
  (its tail has decayed most); with every slot held, the oldest held note is stolen.
- Mono: last-note priority. Releasing the sounding note while others are held
  returns to the most recent of them (as mono synths do), gliding if legato.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PolyAllocator", "MonoStack", "Assignment"]


@dataclass(frozen=True, slots=True)
class Assignment:
    slot: int
    stolen: int | None  # the held note that was cut off, if any


class PolyAllocator:
    def __init__(self, slots: int):
        if slots < 1:
            raise ValueError("need at least one slot")
        self.notes: list[int | None] = [None] * slots  # held note per slot
        self.last: list[int | None] = [None] * slots  # last note a slot played (held or not)
        self._since = [0] * slots  # serial of the slot's last note-on / note-off
        self._serial = 0

    def _stamp(self, slot: int) -> None:
        self._serial += 1
        self._since[slot] = self._serial

    def note_on(self, note: int) -> Assignment:
        slots = range(len(self.notes))
        same = [i for i in slots if self.last[i] == note]
        free = [i for i in slots if self.notes[i] is None]
        stolen = None
        if same:
            slot = same[0]  # retrigger the note's own slot: no doubled unison
            if self.notes[slot] is None:
                stolen = None
        elif free:
            slot = min(free, key=lambda i: self._since[i])
        else:
            slot = min(slots, key=lambda i: self._since[i])
            stolen = self.notes[slot]
        self.notes[slot] = note
        self.last[slot] = note
        self._stamp(slot)
        return Assignment(slot, stolen)

    def note_off(self, note: int) -> int | None:
        """The slot that held `note`, now released; None if the note was not held."""
        for i, held in enumerate(self.notes):
            if held == note:
                self.notes[i] = None
                self._stamp(i)
                return i
        return None

    def held(self) -> list[tuple[int, int]]:
        return [(i, n) for i, n in enumerate(self.notes) if n is not None]

    def release_all(self) -> list[int]:
        slots = [i for i, n in enumerate(self.notes) if n is not None]
        for i in slots:
            self.notes[i] = None
            self._stamp(i)
        return slots


class MonoStack:
    """Held keys of a mono voice, most recent last."""

    def __init__(self) -> None:
        self.keys: list[int] = []

    @property
    def sounding(self) -> int | None:
        return self.keys[-1] if self.keys else None

    def press(self, note: int) -> bool:
        """Add a key; True when another key was already held (a legato transition)."""
        legato = bool(self.keys)
        if note in self.keys:
            self.keys.remove(note)
        self.keys.append(note)
        return legato

    def release(self, note: int) -> int | None:
        """Remove a key; returns the note to fall back to, or None when nothing is held.

        Releasing a key that is not the sounding one changes nothing audible; the
        caller compares the result with the note that was sounding.
        """
        if note in self.keys:
            self.keys.remove(note)
        return self.sounding

    def clear(self) -> None:
        self.keys.clear()

"""Voice allocation: stealing, re-strikes, mono note priority."""

from rig.dsp.alloc import MonoStack, PolyAllocator


def test_free_slots_first_then_the_longest_released():
    alloc = PolyAllocator(3)
    assert [alloc.note_on(n).slot for n in (60, 64, 67)] == [0, 1, 2]
    alloc.note_off(64)
    alloc.note_off(60)
    # Slot 1 (released first) has decayed longest.
    assert alloc.note_on(72).slot == 1


def test_the_oldest_held_note_is_stolen_when_all_are_held():
    alloc = PolyAllocator(2)
    alloc.note_on(60)
    alloc.note_on(64)
    assignment = alloc.note_on(67)
    assert assignment.slot == 0 and assignment.stolen == 60
    assert alloc.note_off(60) is None  # the stolen note no longer owns a slot
    assert sorted(n for _, n in alloc.held()) == [64, 67]


def test_a_restruck_note_reuses_its_slot():
    alloc = PolyAllocator(4)
    alloc.note_on(60)
    alloc.note_on(62)
    alloc.note_off(60)
    assert alloc.note_on(60).slot == 0


def test_mono_stack_last_note_priority_and_return():
    stack = MonoStack()
    assert stack.press(45) is False
    assert stack.press(52) is True  # legato
    assert stack.sounding == 52
    assert stack.release(52) == 45  # back to the held note
    assert stack.release(45) is None

"""`same_music` and its step-wise twin agree (the engine's check before a swap)."""

from __future__ import annotations

import dataclasses

from rig.song.events import NoteOn
from rig.song.same import same_music, same_music_steps
from tests.live.test_fill_control import with_fill
from tests.support.live import cue


def stepped(a, b) -> tuple[bool, int]:
    """(the answer, how many steps it took)."""
    steps, g = 0, same_music_steps(a, b)
    while True:
        try:
            next(g)
            steps += 1
        except StopIteration as done:
            return done.value, steps


def test_the_steps_answer_as_same_music_does():
    base = with_fill(cue("one", bars=8, base=36))
    again = with_fill(cue("one", bars=8, base=36))
    other_note = with_fill(cue("one", bars=8, base=37))
    plain = cue("one", bars=8, base=36)  # no fill variant
    fill_moved = with_fill(cue("one", bars=8, base=36))
    assert fill_moved.fill_variant is not None
    events = list(fill_moved.fill_variant.events)
    last = next(i for i in range(len(events) - 1, -1, -1) if type(events[i]) is NoteOn)
    events[last] = dataclasses.replace(events[last], velocity=1)
    fill_moved.fill_variant.events = tuple(events)
    for a, b, same in ((base, again, True), (base, other_note, False), (base, plain, False),
                       (base, fill_moved, False), (plain, cue("one", bars=8), True)):  # fmt: skip
        assert same_music(a, b) == same
        assert stepped(a, b)[0] == same
    # In steps: the events (and the fill's) a thousand at a time, never all at once.
    chunks = [-(-len(events) // 1000) for events in (base.events, base.fill_variant.events)]
    assert stepped(base, again)[1] == sum(chunks) > 0

"""The live fill control on the real engine process, witnessed by the JACK recorder in
freewheel (frame-exact): `/rig/fill 1` sent mid-bar makes exactly the next bar play the
cue's fill variant, its first note on that bar's downbeat clock frame, every note on its
tick's frame, and nothing is left sounding."""

from __future__ import annotations

import dataclasses
import time

import pytest

from rig.control.protocol import ControlClient
from rig.midi.notes import sounding_after
from rig.song.arrangement import Arrangement
from rig.song.events import PPQ, NoteOff, NoteOn
from tests.live.test_engine_jack import engine_for, messages, song, take
from tests.support.live import wait_for

pytestmark = [pytest.mark.jack, pytest.mark.slow]

UP = 40  # the fill variant's bass notes, this much higher (36..59 → 76..99)
TICKS_PER_CLOCK = PPQ // 24
BAR_CLOCKS = 4 * 24


def with_fill(arr: Arrangement) -> Arrangement:
    def up(e):  # noqa: ANN001, ANN202
        if isinstance(e, NoteOn | NoteOff) and e.track == "bass":
            return dataclasses.replace(e, note=e.note + UP)
        return e

    arr.fill_variant = Arrangement(arr.name, [up(e) for e in arr.events], arr.tempo,
                                   arr.sections, arr.tracks, arr.length_ticks)  # fmt: skip
    return arr


def test_a_fill_lands_on_the_quantized_bar(freewheel, recorder) -> None:
    arr = with_fill(song(bars=60))

    def scenario(recorder):
        engine = engine_for(arr, recorder.port)
        try:
            with freewheel, ControlClient(engine.port) as control:
                control.send("/rig/play")
                time.sleep(0.6)
                control.send("/rig/fill", 1)  # one bar, from the next bar line
                asked = wait_for(control, lambda s: True)
                # The fill's bar and the one after it played (freewheel on a loaded
                # machine runs no faster than real time: not all 60 bars), then stop.
                wait_for(control, lambda s: s.bar >= asked.bar + 4 or s.state == "ended",
                         timeout=300)  # fmt: skip
                control.send("/rig/stop")
                return wait_for(control, lambda s: s.state in ("stopped", "ended"))
        finally:
            engine.stop()

    events, status = take(recorder, scenario)
    assert status is not None and status.last_error == ""
    clocks = [f for f, d in events if d == b"\xf8"]
    bass = [(f, d[1]) for f, d in events if d[0] == 0x90 and d[2]]
    fill = [(f, n) for f, n in bass if n >= 36 + UP]
    assert len(fill) == 16  # one bar of 16ths, no more, no less
    first = clocks.index(fill[0][0])
    assert first % BAR_CLOCKS == 0 and first > 0  # on a downbeat, after play began
    bar = first // BAR_CLOCKS  # 0-based bar of the fill
    # every fill note on its tick's clock frame: 16ths are 6 clocks apart
    assert [f for f, _ in fill] == [clocks[first + 6 * i] for i in range(16)]
    # the expected pitches are the cue's own bar, 40 up; the bars around are plain
    want = sorted(
        (e.tick, e.note + UP)
        for e in arr.events
        if isinstance(e, NoteOn) and e.track == "bass" and e.tick // (4 * PPQ) == bar
    )
    assert [n for _, n in fill] == [n for _, n in want]
    around = [n for f, n in bass if clocks[first - 6] <= f < clocks[first] or
              clocks[first + BAR_CLOCKS] <= f < clocks[first + BAR_CLOCKS + 6]]  # fmt: skip
    assert around and all(n < 36 + UP for n in around if n not in (60, 64, 67))
    assert sounding_after(messages(events)) == []

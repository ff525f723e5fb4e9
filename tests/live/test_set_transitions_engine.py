"""Set transitions on the engine's offline twin: a cue's tempo lead into the next cue and
the next cue's count-in, played through `next: bar`. Every note's deadline is where the
cue's tempo map puts it (the ramp integrated exactly, no drift), the count-in's clicks
are on its beats and the cue's bar 1 comes one count-in bar after the first cue ends."""

from __future__ import annotations

from rig.song.events import PPQ
from rig.song.transitions import count_in, lead_into
from rig.source.errors import Pos
from tests.support.clock import MS, FakeTime
from tests.support.live import DOWNBEAT, advance, clean_pairs, cue, make, ons

BAR = 4 * PPQ
CLICK = 84


def test_a_lead_and_a_count_in_play_on_their_ticks() -> None:
    first = lead_into(cue("one", 4, base=36), 60.0, 2, Pos("s.yaml", 1, 1))
    second = count_in(cue("two", 2, base=60), 1, ("bass", 0, CLICK))
    time = FakeTime()
    engine, sinks = make([first, second], time, transitions=("bar", "bar"))
    engine.play(time.now)
    advance(engine, time, 20_000 * MS)
    bass = ons(sinks["mono"], 0)
    # the first cue: 16ths on bass, base 36 + bar; 64 notes, deadlines from its tempo map
    mine = [(t, n) for t, n in bass if 36 <= n < 40]
    expect = [
        DOWNBEAT + round(first.tempo.seconds_at(bar * BAR + i * PPQ // 4) * 1e9)
        for bar in range(4)
        for i in range(16)
    ]
    assert len(mine) == 64
    assert all(abs(t - e) <= 1000 for (t, _), e in zip(mine, expect, strict=True))
    # 16ths get longer through the ramp: the last one lasts twice the first (120 → 60 BPM)
    assert mine[-1][0] - mine[-2][0] > 1.8 * (mine[1][0] - mine[0][0])
    end_one = DOWNBEAT + round(first.duration_seconds * 1e9)
    clicks = [t for t, n in bass if n == CLICK]
    assert len(clicks) == 4
    # the count-in at the second cue's own tempo (120): a click every 0.5 s from the end
    assert all(abs(t - (end_one + k * 500 * MS)) <= 1000 for k, t in enumerate(clicks))
    second_notes = [t for t, n in bass if 60 <= n < 64]
    assert abs(second_notes[0] - (end_one + 2000 * MS)) <= 1000 and len(second_notes) == 32
    clean_pairs(sinks["mono"])

"""Quantized live actions on the offline twin: each lands on its boundary's exact tick.

120 BPM 4/4: a beat is 0.5 s, a bar 2 s; bar N starts at DOWNBEAT + (N-1)·2 s. Bass
notes carry their cue and bar in the pitch (see tests.support.live.cue), so the wire says
which version of which cue played when.
"""

from __future__ import annotations

import pytest

from rig.engine.transport import Engine
from rig.song.events import PPQ
from rig.song.quantize import boundary
from tests.support.clock import MS, FakeTime
from tests.support.live import (
    BAR_NS,
    BEAT_NS,
    DOWNBEAT,
    advance,
    clean_pairs,
    cue,
    make,
    offs,
    ons,
    timeline,
)


def bass(engine_sinks) -> list[tuple[int, int]]:
    return ons(engine_sinks["mono"], 0)


def test_a_launch_queued_mid_bar_starts_on_the_next_bar_line_with_no_gap():
    time = FakeTime()
    engine, sinks = make([cue("one", base=36), cue("two", base=60)], time)
    engine.play(time.now)
    advance(engine, time, 50 * MS + 700 * MS)  # bar 1, beat 2
    engine.launch(time.now, 1, "bar")
    assert engine.queued is not None and engine.queued_bar() == 2
    advance(engine, time, 3 * BAR_NS)
    notes = bass(sinks)
    boundary_ns = DOWNBEAT + BAR_NS
    before = [n for t, n in notes if t < boundary_ns]
    after = [(t, n) for t, n in notes if t >= boundary_ns]
    assert before == [36] * 16  # all of bar 1 of cue one, to its last 16th
    assert after[0] == (boundary_ns, 60)  # cue two's first note on the very tick
    step = BEAT_NS // 4
    assert [t for t, _ in after[:16]] == [boundary_ns + i * step for i in range(16)]  # no gap
    assert {n for _, n in after[:16]} == {60}
    assert engine.view.name == "two" and engine.cue_index == 1 and engine.queued is None
    # The old cue's chord ends on its own note-offs (10 ticks before the bar line), the
    # new one starts on the line.
    keys = timeline(sinks["virus"])
    chord_end = boundary_ns - round(10 * BEAT_NS / PPQ)
    near = [
        (t, d[:2])
        for t, d in keys
        if boundary_ns - 10 * MS < t <= boundary_ns and d[0] & 0xE0 == 0x80
    ]
    assert near == [(chord_end, bytes((0x81, n))) for n in (60, 64, 67)] + [
        (boundary_ns, bytes((0x91, n))) for n in (60, 64, 67)
    ]
    # The clock ran on across the switch: one F8 every 1/24 beat, no Start, no gap.
    clocks = [t for t, d in timeline(sinks["mono"]) if d == b"\xf8"]
    gaps = {b - a for a, b in zip(clocks, clocks[1:], strict=False)}
    assert max(gaps) - min(gaps) <= 1 and b"\xfa" in [d for _, d in timeline(sinks["mono"])][:2]
    engine.stop(time.now)
    for sink in sinks.values():
        clean_pairs(sink)


@pytest.mark.parametrize(
    ("quantize", "lands"),
    [
        ("now", None),  # the first tick not yet handed over: within the lookahead
        ("beat", DOWNBEAT + 7 * BEAT_NS),  # asked at beat 7 (bar 2 beat 3) + 0.2
        ("bar", DOWNBEAT + 2 * BAR_NS),
        ("section", DOWNBEAT + 3 * BAR_NS),
        ("cue", DOWNBEAT + 4 * BAR_NS),
    ],
)
def test_launch_quantize_lands_on_beat_bar_section_or_cue_end(quantize, lands):
    time = FakeTime()
    one = cue("one", bars=4, base=36, sections=(("a", 3), ("b", 1)))
    engine, sinks = make([one, cue("two", base=60), cue("three", base=80)], time)
    engine.play(time.now)
    advance(engine, time, 50 * MS + BAR_NS + 1200 * MS)  # bar 2, beat 3 and a bit
    asked = time.now
    engine.launch(time.now, 2, quantize)
    advance(engine, time, 5 * BAR_NS)
    first = next((t, n) for t, n in bass(sinks) if n >= 80)
    if lands is None:
        assert asked < first[0] <= asked + 15 * MS + 4 * MS
        assert not [n for t, n in bass(sinks) if t >= first[0] and n < 80]
    else:
        assert first == (lands, 80)
        last_old = max(t for t, n in bass(sinks) if n < 80)
        assert last_old == lands - BEAT_NS // 4  # the old cue played right up to it
    engine.stop(time.now)
    for sink in sinks.values():
        clean_pairs(sink)


def test_cancel_keeps_the_current_cue_and_the_set_goes_on_by_its_transition():
    time = FakeTime()
    engine, sinks = make([cue("one", bars=2, base=36), cue("two", bars=2, base=60)], time)
    engine.play(time.now)
    advance(engine, time, 300 * MS)
    engine.launch(time.now, 1, "bar")
    assert engine.cancel(time.now) and engine.queued is None
    assert not engine.cancel(time.now)
    advance(engine, time, 2 * BAR_NS + 100 * MS)
    notes = bass(sinks)
    assert [n for t, n in notes if t < DOWNBEAT + 2 * BAR_NS] == [36] * 16 + [37] * 16
    assert notes[32] == (DOWNBEAT + 2 * BAR_NS, 60)  # the set's "bar" transition, on time
    engine.stop(time.now)


def test_a_set_transition_bar_starts_the_next_cue_on_the_boundary_and_wait_waits():
    time = FakeTime()
    cues = [cue("one", bars=1, base=36), cue("two", bars=1, base=60), cue("three", base=80)]
    engine, sinks = make(cues, time, transitions=["bar", "wait"])
    engine.play(time.now)
    advance(engine, time, 3 * BAR_NS)
    notes = bass(sinks)
    assert notes[16] == (DOWNBEAT + BAR_NS, 60)
    assert len(notes) == 32 and engine.state == "waiting" and engine.view.name == "three"
    engine.launch_next(time.now)  # waiting: launching the next cue plays it now
    assert engine.state == "playing" and engine.view.name == "three"


def test_section_jump_goes_on_from_the_section_at_the_next_bar():
    time = FakeTime()
    song = cue("one", bars=8, base=36, sections=(("intro", 2), ("verse", 2), ("drop", 4)))
    engine, sinks = make([song], time)
    engine.play(time.now)
    advance(engine, time, 50 * MS + 900 * MS)  # bar 1 beat 2
    engine.section(time.now, "drop", "bar")
    advance(engine, time, BAR_NS + 100 * MS)
    assert engine.position(time.now)[:2] == (5, 3)  # bar numbers stay the song's
    assert engine.section_name(time.now) == "drop"
    notes = bass(sinks)
    at = DOWNBEAT + BAR_NS
    assert [n for t, n in notes if t < at] == [36] * 16
    assert [n for t, n in notes if t >= at][:2] == [36 + 4, 36 + 4]  # bar 5 = first of drop
    assert min(t for t, n in notes if n == 40) == at
    # The jump chases the state at the section: the cutoff of bar 5 (CC 74 = 40).
    cc = [(t, d) for t, d in timeline(sinks["virus"]) if d[0] == 0xB1 and d[1] == 74]
    assert (at, bytes((0xB1, 74, 40))) in cc
    with pytest.raises(ValueError, match="no section 'chorus'.*intro, verse, drop"):
        engine.section(time.now, "chorus")
    engine.section(time.now, 1, "now")  # by 0-based index
    advance(engine, time, 100 * MS)
    assert engine.section_name(time.now) == "verse"
    engine.stop(time.now)
    for sink in sinks.values():
        clean_pairs(sink)


def test_mute_and_unmute_at_the_next_bar_end_notes_on_the_boundary():
    time = FakeTime()
    engine, sinks = make([cue("one", bars=6, base=36)], time)
    engine.play(time.now)
    advance(engine, time, 50 * MS + 600 * MS)
    engine.mute(time.now, "keys", "bar")
    assert engine.pending_ops(time.now) == [(2, "mute", "keys")]
    advance(engine, time, BAR_NS)
    engine.unmute(time.now, "keys", "bar")
    advance(engine, time, 2 * BAR_NS)
    keys_on = ons(sinks["virus"], 1)
    bar = [DOWNBEAT + i * BAR_NS for i in range(6)]
    assert [t for t, _ in keys_on] == [bar[0]] * 3 + [bar[2]] * 3 + [bar[3]] * 3
    # Bar 1's chord plays to its own end (the mute cut nothing: nothing sounded).
    assert [n for t, n in offs(sinks["virus"]) if t < bar[1]] == [60, 64, 67]
    engine.stop(time.now)
    clean_pairs(sinks["virus"])


def test_a_mute_cuts_sounding_notes_exactly_at_the_boundary():
    time = FakeTime()
    engine, sinks = make([cue("one", bars=4, base=36)], time)
    engine.play(time.now)
    advance(engine, time, 50 * MS + 300 * MS)
    engine.mute(time.now, "keys", "beat")  # the whole-bar chord is cut at beat 2
    advance(engine, time, BAR_NS)
    keys = [(t, d) for t, d in timeline(sinks["virus"]) if d[0] & 0xF0 in (0x80, 0x90)]
    assert keys[:3] == [(DOWNBEAT, bytes((0x91, n, 90))) for n in (60, 64, 67)]
    assert sorted(keys[3:6]) == [(DOWNBEAT + BEAT_NS, bytes((0x81, n, 64))) for n in (60, 64, 67)]
    assert len(keys) == 6  # and no later note-off for those notes, no new chord
    engine.unmute(time.now, "keys", "bar")
    advance(engine, time, BAR_NS)
    assert [t for t, _ in ons(sinks["virus"], 1)][3:] == [DOWNBEAT + 2 * BAR_NS] * 3
    engine.stop(time.now)
    clean_pairs(sinks["virus"])


def test_solo_silences_the_others_at_the_boundary_and_mutes_carry_into_the_next_cue():
    time = FakeTime()
    engine, sinks = make([cue("one", bars=2, base=36), cue("two", bars=3, base=60)], time)
    engine.play(time.now)
    advance(engine, time, 100 * MS)
    engine.solo(time.now, "bass", "bar")
    advance(engine, time, BAR_NS)
    assert engine.mute_state(time.now).soloed == {"bass"}
    advance(engine, time, 2 * BAR_NS)  # into cue two: still soloed
    assert [t for t, _ in ons(sinks["virus"], 1)] == [DOWNBEAT] * 3
    assert [n for t, n in bass(sinks) if t >= DOWNBEAT + 2 * BAR_NS][:1] == [60]
    engine.unsolo(time.now, "bass", "now")
    advance(engine, time, BAR_NS)
    assert [t for t, _ in ons(sinks["virus"], 1)][3:] == [DOWNBEAT + 4 * BAR_NS] * 3
    with pytest.raises(ValueError, match="no track 'drums'"):
        engine.mute(time.now, "drums")
    engine.stop(time.now)
    for sink in sinks.values():
        clean_pairs(sink)


def test_stopped_actions_apply_at_once_and_launch_plays():
    time = FakeTime()
    engine, sinks = make([cue("one", base=36), cue("two", base=60)], time)
    engine.mute(time.now, "keys", "bar")
    assert engine.mute_state(time.now).muted == {"keys"}
    engine.section(time.now, 0)
    engine.launch(time.now, 1)
    assert engine.state == "playing" and engine.view.name == "two"
    advance(engine, time, BAR_NS)
    assert ons(sinks["virus"]) == [] and bass(sinks)[0] == (DOWNBEAT, 60)
    engine.stop(time.now)


def test_reload_swaps_the_new_version_in_at_the_boundary_at_the_same_bar():
    time = FakeTime()
    engine, sinks = make([cue("one", bars=8, base=36)], time)
    engine.play(time.now)
    advance(engine, time, 50 * MS + BAR_NS + 300 * MS)  # bar 2
    engine.reload(time.now, 0, cue("one", bars=8, base=70), "bar")
    advance(engine, time, 2 * BAR_NS)
    notes = bass(sinks)
    at = DOWNBEAT + 2 * BAR_NS
    assert [n for t, n in notes if t < at] == [36] * 16 + [37] * 16
    assert [n for t, n in notes if at <= t < at + BAR_NS] == [72] * 16  # bar 3 of the new one
    assert engine.position(time.now)[0] == 4 and engine.reloads == 1
    engine.stop(time.now)
    for sink in sinks.values():
        clean_pairs(sink)


def test_tempo_nudge_and_tap():
    time = FakeTime()
    engine, _ = make([cue("one")], time)
    engine.play(time.now)
    advance(engine, time, 300 * MS)
    assert engine.nudge(+1.0) == 121.0
    assert engine.tap(time.now) is None
    for _ in range(4):
        time.now += 600 * MS
        bpm = engine.tap(time.now)
    assert bpm == pytest.approx(100.0)
    advance(engine, time, 100 * MS)
    assert engine.position(time.now)[2] == pytest.approx(100.0)


def test_boundary_grid_follows_meters():
    from rig.song.arrangement import SectionSpan

    spans = [
        SectionSpan("a", 0, 8 * PPQ, 1, 2, 4, 4),
        SectionSpan("b", 8 * PPQ, 17 * PPQ, 3, 3, 3, 4),
    ]
    q = {k: boundary(spans, 17 * PPQ, 8 * PPQ + 1, k) for k in ("beat", "bar", "section", "cue")}
    assert q == {"beat": 9 * PPQ, "bar": 11 * PPQ, "section": 17 * PPQ, "cue": 17 * PPQ}
    assert boundary(spans, 17 * PPQ, 4 * PPQ, "bar") == 4 * PPQ  # on a bar line: that one
    assert boundary([], 16 * PPQ, 5, "bar") == 4 * PPQ
    with pytest.raises(ValueError, match="unknown quantize"):
        boundary(spans, 1, 0, "phrase")


def test_engine_rejects_bad_indexes():
    time = FakeTime()
    engine: Engine = make([cue("one")], time)[0]
    with pytest.raises(ValueError, match="no cue 3"):
        engine.launch(time.now, 3)
    engine.play(time.now)
    with pytest.raises(ValueError, match="no next cue"):
        engine.launch_next(time.now)


def test_a_new_set_keeps_the_playing_cue_and_leads_on_in_the_new_order():
    time = FakeTime()
    one, two, three = cue("one", bars=1, base=36), cue("two", base=60), cue("three", base=80)
    engine, sinks = make([one, two], time)
    engine.play(time.now)
    advance(engine, time, 300 * MS)
    engine.set_cues([three, one, two], ["bar", "bar", "bar"])
    assert engine.view.index == 1 and engine.cue_index == 1  # "one" found by its file
    advance(engine, time, BAR_NS)
    assert [n for t, n in bass(sinks) if t >= DOWNBEAT + BAR_NS][:1] == [60]  # then "two"
    engine.stop(time.now)

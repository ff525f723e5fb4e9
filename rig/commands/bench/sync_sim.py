"""The engine following a MIDI clock master, in the offline twin (time injected).

A master (clock while stopped, then Start; a tempo jump; a silent gap for the
flywheel; ±jitter on every F8) feeds the real `Engine` + `SyncDriver` +
`ClockFollower`; recording sinks keep what the rig sends. The figures compare the
rig's note-ons and its MIDI clock out (pass-through to a `clock: true` device) with
the master's own jitter-free grid — what a listener hears against the master. The
same run with the rig on its internal clock at the master's tempo is the baseline.

Both `rig bench sync` and tests/live/test_sync.py use this: the numbers printed are
the numbers tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rig.engine.sync import FollowClock, SyncDriver
from rig.engine.transport import Engine
from rig.midi.sink import RecordingSink
from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
from rig.song.events import PPQ, NoteOff, NoteOn
from rig.song.tempomap import TempoMap

__all__ = ["Master", "Figures", "run_midi", "run_internal", "song", "clock_errors", "step_p99"]

MS = 1_000_000
_T0 = 1_000_000_000


@dataclass(frozen=True)
class Master:
    bpm: float = 120.0
    jump_to: float | None = 126.0  # tempo after `jump_beat` (None: steady)
    jump_beat: int = 32
    gap_beat: int | None = 48  # the master goes silent here for `gap_beats` (flywheel)
    gap_beats: int = 2
    beats: int = 64  # song beats played
    jitter_ms: float = 1.0  # uniform ± on every F8 (gaussian: σ = jitter_ms / 2)
    seed: int = 7
    lead_beats: int = 4  # clock while stopped before Start
    jitter: str = "uniform"  # or "gaussian": σ = half of jitter_ms, not clipped

    def ideal(self) -> np.ndarray:
        """Jitter-free time of every clock k (k = 0 is song beat 0; lead clocks < 0)."""
        ks = np.arange(-self.lead_beats * 24, self.beats * 24 + 1)
        p0 = 60e9 / (self.bpm * 24)
        p1 = 60e9 / ((self.jump_to or self.bpm) * 24)
        jump = self.jump_beat * 24 if self.jump_to else 10**9
        t = np.where(ks <= jump, ks * p0, jump * p0 + (ks - jump) * p1)
        return _T0 + self.lead_beats * 24 * p0 + t

    def stamps(self) -> list[tuple[int, bytes]]:
        """(arrival ns, bytes) the rig receives: clocks with jitter, FA before clock 0."""
        ideal = self.ideal()
        rng = np.random.default_rng(self.seed)
        if self.jitter == "gaussian":
            noise = rng.normal(0.0, self.jitter_ms / 2, len(ideal)) * MS
        else:
            noise = rng.uniform(-self.jitter_ms, self.jitter_ms, len(ideal)) * MS
        out = []
        lead = self.lead_beats * 24
        for i, (t, n) in enumerate(zip(ideal, noise, strict=True)):
            k = i - lead
            if self.gap_beat is not None and 0 < k - self.gap_beat * 24 <= self.gap_beats * 24:
                continue
            if k == 0:
                out.append((int(t - 0.5 * (ideal[1] - ideal[0])), b"\xfa"))
            out.append((int(round(t + n)), b"\xf8"))
        return out


@dataclass
class Figures:
    """Errors in ms against the master's jitter-free grid (rig minus master)."""

    notes: dict[str, float] = field(default_factory=dict)  # steady: p50/p99/max of |err|
    clock_out: dict[str, float] = field(default_factory=dict)  # F8 pass-through, same
    phase_ms: float = 0.0  # mean error (steady): a constant offset to the master
    tempo_error_pct: float = 0.0  # steady-state mean |followed - true| / true
    settle_beats: float = 0.0  # after the jump: tempo within 0.5 % and notes within 1 ms
    flywheel: dict[str, float] = field(default_factory=dict)  # notes during the gap
    lost_seen: bool = False  # the status said "master lost" during the gap
    late: int = 0
    sounding_after_stop: int = 0


def song(bars: int) -> Arrangement:
    """A 16th-note bass line on device 'mono' (the device with clock: true)."""
    events = []
    for i in range(bars * 16):
        t = i * PPQ // 4
        events += [
            NoteOn(t, "bass", 0, 36 + i % 7, 100),
            NoteOff(t + PPQ // 8, "bass", 0, 36 + i % 7),
        ]
    tracks = [TrackInfo("bass", "mono", None, 0)]
    sections = [SectionSpan("a", 0, bars * 4 * PPQ, 1, bars, 4, 4)]
    return Arrangement("follow", events, TempoMap.constant(120.0), sections, tracks, bars * 4 * PPQ)


def _stats(errors: list[float]) -> dict[str, float]:
    a = np.abs(np.asarray(errors)) if errors else np.zeros(1)
    return {
        "p50": float(np.percentile(a, 50)),
        "p99": float(np.percentile(a, 99)),
        "max": float(a.max()),
    }


def _split(sink: RecordingSink) -> tuple[list[int], list[int]]:
    clocks = [t for t, d in sink.messages if d == b"\xf8"]
    notes = [t for t, d in sink.messages if len(d) == 3 and d[0] & 0xF0 == 0x90 and d[2]]
    return clocks, notes


def _grid_errors(master: Master, clocks: list[int], notes: list[int], start_clock: int):
    """Errors (ms) of the i-th clock/note out against the master's ideal clock."""
    ideal = master.ideal()
    lead = master.lead_beats * 24
    c_err = [
        (t - ideal[lead + start_clock + i]) / MS
        for i, t in enumerate(clocks)
        if lead + start_clock + i < len(ideal)
    ]
    n_err = [
        (t - ideal[lead + start_clock + 6 * i]) / MS
        for i, t in enumerate(notes)
        if lead + start_clock + 6 * i < len(ideal)
    ]
    return c_err, n_err


def _follower(master: Master) -> tuple[list[int], RecordingSink, Engine, SyncDriver]:
    """The engine following MIDI clock, recording at a sink: (its fake clock, a
    one-item list to advance; the sink; the engine; its sync driver)."""
    now = [0]
    sink = RecordingSink("mono", now=lambda: now[0])
    sink.open()
    cue = song(master.beats // 4 + 4)
    clock = FollowClock(cue.tempo)
    engine = Engine([cue], {"mono": sink}, clock_latency_ms={"mono": 0.0}, clock=clock)
    driver = SyncDriver(engine, clock)
    engine.sync = driver
    driver.switch("midi", 0)
    return now, sink, engine, driver


def run_midi(master: Master, step_ns: int = MS) -> Figures:
    """The rig following `master` through Start, the jump, the gap, and Stop."""
    now, sink, engine, driver = _follower(master)
    stamps = master.stamps()
    ideal = master.ideal()
    lead = master.lead_beats * 24
    end = int(ideal[-1]) + 2 * step_ns
    bpm_track: list[tuple[int, float]] = []  # (clock k, followed bpm) after each F8
    lost_seen = False
    gap_from = gap_to = None
    if master.gap_beat is not None:
        gap_from = int(ideal[lead + master.gap_beat * 24]) + 3 * (int(ideal[1] - ideal[0]))
        gap_to = int(ideal[lead + (master.gap_beat + master.gap_beats) * 24])
    i = 0
    k = -lead - 1
    now[0] = stamps[0][0] - step_ns
    while now[0] < end:
        now[0] += step_ns
        while i < len(stamps) and stamps[i][0] <= now[0]:
            at, data = stamps[i]
            driver.feed(data, at)
            if data == b"\xf8":
                k += 1
                bpm_track.append((k, driver.source.bpm if driver.source else 0.0))
            i += 1
        driver.pump(now[0])
        engine.pump(now[0])
        if gap_from is not None and gap_to is not None and gap_from < now[0] < gap_to:
            lost_seen = lost_seen or driver.status(now[0]).lost
    driver.feed(b"\xfc", now[0])
    driver.pump(now[0])
    engine.pump(now[0])
    clocks, notes = _split(sink)
    c_err, n_err = _grid_errors(master, clocks, notes, 0)
    f = Figures()
    jump = master.jump_beat * 24 if master.jump_to else len(ideal)
    steady = slice(16 * 4, jump // 6)  # notes (16ths) from beat 16 to the jump
    f.notes = _stats(n_err[steady])
    f.clock_out = _stats(c_err[16 * 24 : jump])
    f.phase_ms = float(np.mean(n_err[steady])) if n_err[steady] else 0.0
    steady_bpm = [b for kk, b in bpm_track if 16 * 24 <= kk < jump]
    f.tempo_error_pct = float(np.mean([abs(b - master.bpm) / master.bpm * 100 for b in steady_bpm]))
    if master.jump_to:
        target = master.jump_to
        after = [(kk, b) for kk, b in bpm_track if kk >= jump]
        ok_from = next(
            (
                kk
                for idx, (kk, _) in enumerate(after)
                if all(abs(b - target) / target < 0.005 for _, b in after[idx : idx + 48])
            ),
            None,
        )
        note_ok = next(
            (
                j
                for j in range(jump // 6, len(n_err))
                if all(abs(e) < 1.0 for e in n_err[j : j + 16])
            ),
            None,
        )
        settle_clock = max(
            ok_from if ok_from is not None else 10**9, 6 * note_ok if note_ok is not None else 10**9
        )
        f.settle_beats = (settle_clock - jump) / 24
    if master.gap_beat is not None:
        g0, g1 = master.gap_beat * 4, (master.gap_beat + master.gap_beats) * 4
        f.flywheel = _stats(n_err[g0:g1])
        f.lost_seen = lost_seen
    f.late = engine.scheduler.stats.late
    f.sounding_after_stop = len(sink.sounding())
    return f


def run_internal(master: Master, step_ns: int = MS) -> Figures:
    """Baseline: the rig on its own clock at the master's tempo, no jump, same grid."""
    steady = Master(
        master.bpm,
        None,
        gap_beat=None,
        beats=master.beats,
        jitter_ms=0.0,
        lead_beats=master.lead_beats,
    )
    now = [0]
    sink = RecordingSink("mono", now=lambda: now[0])
    sink.open()
    cue = song(master.beats // 4 + 4)
    cue = Arrangement(
        cue.name,
        cue.events,
        TempoMap.constant(master.bpm),
        cue.sections,
        cue.tracks,
        cue.length_ticks,
    )
    engine = Engine([cue], {"mono": sink}, clock_latency_ms={"mono": 0.0})
    ideal = steady.ideal()
    lead = steady.lead_beats * 24
    now[0] = int(ideal[0])
    engine.play(now[0], at_ns=int(ideal[lead]))
    while now[0] < ideal[-1]:
        now[0] += step_ns
        engine.pump(now[0])
    engine.stop(now[0])
    clocks, notes = _split(sink)
    c_err, n_err = _grid_errors(steady, clocks, notes, 0)
    f = Figures()
    f.notes = _stats(n_err[16 * 4 :])
    f.clock_out = _stats(c_err[16 * 24 :])
    f.phase_ms = float(np.mean(n_err[16 * 4 :]))
    f.late = engine.scheduler.stats.late
    f.sounding_after_stop = len(sink.sounding())
    return f


def clock_errors(master: Master) -> list[float]:
    """|ms| of each clock out against the master's jitter-free grid (the engine pumped
    every 1.33 ms like a 64-frame JACK cycle); index k is song clock k."""
    now, sink, engine, driver = _follower(master)
    stamps, ideal, lead = master.stamps(), master.ideal(), master.lead_beats * 24
    i, now[0] = 0, stamps[0][0]
    while now[0] < ideal[-1]:
        now[0] += 1_333_333
        while i < len(stamps) and stamps[i][0] <= now[0]:
            driver.feed(stamps[i][1], stamps[i][0])
            i += 1
        driver.pump(now[0])
        engine.pump(now[0])
    clocks = [t for t, d in sink.messages if d == b"\xf8"]
    return [abs(t - ideal[lead + k]) / MS for k, t in enumerate(clocks) if lead + k < len(ideal)]


def step_p99(jitter_ms: float, seed: int, jitter: str = "uniform") -> tuple[float, float]:
    """A 120 → 132 BPM step at beat 8: the clock out's p99 |error| (ms) over beats 1-4
    and over beats 2-4 after it (the figures tests/live/test_sync*.py hold)."""
    master = Master(120.0, 132.0, 8, None, 2, 24, jitter_ms, seed, 4, jitter)
    e = np.asarray(clock_errors(master))
    step = master.jump_beat * 24
    return float(np.percentile(e[step + 24 : step + 96], 99)), float(
        np.percentile(e[step + 48 : step + 96], 99)
    )

"""What the fault runs of `rig bench faults` share: a test cue, the engine playing it
to the recorder's port, and a row of figures per repetition."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["SYNTH", "BPM", "CLOCK_GAP_S", "Row", "show_cue", "fault_engine", "recorder",
           "wait_connected"]  # fmt: skip

SYNTH = "rig-faults-synth"  # the recorder's client name: the engine's port pattern
BPM = 120.0
CLOCK_GAP_S = 60 / (BPM * 24)


@dataclass
class Row:
    fault: str
    rep: int
    figures: dict[str, object] = field(default_factory=dict)
    note: str = ""

    def line(self) -> str:
        text = "  ".join(f"{k} {_fmt(v)}" for k, v in self.figures.items())
        return f"{self.fault:<6} #{self.rep:<2} {text}" + (f"  ({self.note})" if self.note else "")


def _fmt(v: object) -> str:
    return f"{v:.1f}" if isinstance(v, float) else str(v)


def show_cue(bars: int = 256, name: str = "faults"):  # noqa: ANN201 - an Arrangement
    """Whole-bar chords (channel 2) over 16th bass notes (channel 1) on device "synth",
    120 BPM 4/4: a note always sounds, every bar, so any moment is mid-note."""
    from rig.song.arrangement import Arrangement, SectionSpan, TrackInfo
    from rig.song.events import PPQ, NoteOff, NoteOn
    from rig.song.tempomap import TempoMap

    events: list = []
    for bar in range(bars):
        t = bar * 4 * PPQ
        root = 60 + bar % 5
        for n in (root, root + 4, root + 7):
            events += [NoteOn(t, "keys", 1, n, 90), NoteOff(t + 4 * PPQ - 10, "keys", 1, n)]
        for i in range(16):
            s = t + i * PPQ // 4
            events += [
                NoteOn(s, "bass", 0, 36 + bar % 12, 100),
                NoteOff(s + 200, "bass", 0, 36 + bar % 12),
            ]
    tracks = [TrackInfo("keys", "synth", None, 1), TrackInfo("bass", "synth", None, 0)]
    span = SectionSpan("a", 0, bars * 4 * PPQ, 1, bars, 4, 4)
    return Arrangement(name, events, TempoMap.constant(BPM), [span], tracks, bars * 4 * PPQ)


@contextmanager
def fault_engine(cue=None, *, port: str = SYNTH, osc_port: int = 0) -> Iterator:  # noqa: ANN001
    """The engine process playing nothing yet, its one JACK output ("synth", with
    clock) connecting to any port matching `port`; stopped at the end."""
    from rig.engine.process import EngineProcess
    from rig.engine.sinks import OutputSpec
    from rig.engine.spec import EngineSpec

    outputs = (OutputSpec("synth", port, "jack", clock=True),)
    spec = EngineSpec((cue or show_cue(),), outputs, osc_port=osc_port, run_on=False)
    engine = EngineProcess(spec).start()
    try:
        yield engine
    finally:
        engine.stop()


def recorder(name: str = SYNTH):  # noqa: ANN202
    from rig.probe.recorder import Recorder

    return Recorder.spawn(client_name=name)


def wait_connected(control, timeout: float = 30.0) -> bool:  # noqa: ANN001
    """Until the engine reports its device's port connected (generous: a busy machine
    may take seconds; it returns as soon as it is)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = control.status(timeout=0.5)
        if status is not None and any(s == "hw" for _, _, s in status.track_list()):
            return True
        time.sleep(0.05)
    return False

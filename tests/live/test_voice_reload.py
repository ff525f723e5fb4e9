"""Hot reload of a software voice: `/rig/voice` in the dispatcher, then the real engine
process on a private JACK server.

A voice-only track plays A4 on every beat; during bar 1 the controller hands the
engine a new version of its voice (an octave up) quantized to the bar. The audio,
captured by its own JACK client, must change pitch exactly on bar 2's first beat,
keep every beat on the grid across the swap, and end in silence.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from rig.control.protocol import ControlClient, Status
from rig.dsp.loader import load_voice
from rig.engine.bundle import write_voice
from rig.engine.dispatch import handle, run_loads
from rig.song.arrangement import TrackInfo
from tests.support.audio import SR, f0, onsets
from tests.support.clock import MS, FakeTime
from tests.support.live import BAR_NS, DOWNBEAT, advance, cue, make, wait_for, wait_state
from tests.support.voices import (
    BLOCK,
    TEST_VOICE,
    arrangement,
    beats,
    capture,
    settings,
    sine_voice,
    start,
)

BARS = 4
OCTAVE_UP = TEST_VOICE.replace("- {wave: sine}", "- {wave: sine, octave: 1}")


def octave_up(tmp_path: Path):
    path = tmp_path / "up" / "test-sine.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(OCTAVE_UP)
    spec = load_voice(path)
    assert spec.oscillators[0].octave == 1
    return spec


class Swaps:
    """A dsp hook that keeps the voice swaps it is asked for (the player needs JACK)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object, int]] = []

    def __call__(self, now_ns: int, scheduler: object) -> None:
        pass

    def build_voice(self, name: str, spec: object) -> list:
        if name == "nowhere":
            raise ValueError(f"voice {name}: no track of the set plays it here")
        return [((name, spec), "instrument")]

    def swap_voice(self, made: list, at_ns: int, now_ns: int | None = None) -> int:
        (name, spec), _ = made[0]
        self.calls.append((name, spec, at_ns))
        return 1


def test_the_voice_address_lands_on_the_boundary_or_says_why_not(tmp_path):
    spec = sine_voice(tmp_path)
    time = FakeTime()
    engine, _ = make([cue("one", base=36)], time)
    engine.bundle_dir = tmp_path  # the live session's folder
    path = write_voice(tmp_path / "b", "test-sine", spec)
    with pytest.raises(ValueError, match="voice test-sine: no software voices are running"):
        handle(engine, "/rig/voice", ["test-sine", str(path)], time.now)
    assert engine.last_error == "voice test-sine: no software voices are running"
    assert not path.exists()  # read (and removed) all the same
    _, args = handle(engine, "/rig/status", [], time.now)
    assert Status.from_args(args).last_error == engine.last_error
    with pytest.raises(ValueError, match="no such file"):
        handle(engine, "/rig/voice", ["test-sine", str(path)], time.now)

    swaps = Swaps()
    engine, _ = make([cue("one", base=36)], time, dsp_hook=swaps)
    engine.bundle_dir = tmp_path
    # Stopped: at once. The build is the engine loop's next load step (outside the frame
    # loop's lock), not the packet's handling; the swap follows it.
    handle(engine, "/rig/voice", ["test-sine", str(write_voice(tmp_path, "test-sine", spec))],
           time.now)  # fmt: skip
    assert swaps.calls == [] and len(engine.loads) == 1
    run_loads(engine, lambda: time.now)
    assert swaps.calls == [("test-sine", spec, time.now)] and engine.loads == []
    handle(engine, "/rig/play", [], time.now)
    advance(engine, time, DOWNBEAT - time.now + 600 * MS)  # into bar 1
    for quantize, at in (("bar", DOWNBEAT + BAR_NS), ("beat", DOWNBEAT + 1000 * MS)):
        path = write_voice(tmp_path, "test-sine", spec)
        handle(engine, "/rig/voice", ["test-sine", str(path), quantize], time.now)
        run_loads(engine, lambda: time.now)
        assert swaps.calls[-1] == ("test-sine", spec, at)
    # A build that fails (here: no track plays the voice) is the show's last error.
    handle(engine, "/rig/voice", ["nowhere", str(write_voice(tmp_path, "nowhere", spec))],
           time.now)  # fmt: skip
    run_loads(engine, lambda: time.now)
    assert engine.last_error == "voice nowhere: no track of the set plays it here"
    assert engine.loads == [] and len(swaps.calls) == 3
    with pytest.raises(ValueError, match="holds voice test-sine"):
        handle(engine, "/rig/voice", ["piano", str(write_voice(tmp_path, "test-sine", spec))],
               time.now)  # fmt: skip


@pytest.mark.jack
@pytest.mark.audio
@pytest.mark.slow
def test_a_reloaded_voice_takes_over_on_the_next_bar(jack_server, freewheel, tmp_path):
    arr = arrangement(
        beats("lead", BARS * 4, 69), [TrackInfo("lead", None, "test-sine", 0)], bars=BARS
    )
    new_spec = octave_up(tmp_path)
    engine = start(arr, settings({"test-sine": sine_voice(tmp_path)}), bundle_dir=str(tmp_path))
    cap = capture(jack_server)
    try:
        # In freewheel: the new version is built while the engine's lock holds the
        # cycles, so it lands on the bar after the one the status names, exactly.
        with freewheel, ControlClient(engine.port) as control:
            control.send("/rig/play")
            # Into bar 1's second note: the master chain is rebuilt (with the new
            # version in it, silent) while that note sounds.
            wait_for(control, lambda s: s.state == "playing" and s.beat >= 2)
            path = write_voice(tmp_path / "bundles", "test-sine", new_spec)
            control.send("/rig/voice", "test-sine", str(path), "bar")
            status = wait_for(control, lambda s: not path.exists())
            wait_state(control, "ended", 180)
            time.sleep(0.4)
    finally:
        take = cap.stop()
        engine.stop()
    check_swap_on_bar_two((take, engine, status, path))


def check_swap_on_bar_two(result) -> None:
    take, engine, status, path = result
    assert status is not None and status.last_error == "", status
    assert status.bar < BARS, "the voice was sent too late for the last bar"
    assert not path.exists()  # the engine read it
    stats = engine.exit_info[3]
    assert any(m.startswith("voice test-sine: new version") for m in stats["messages"]), stats
    assert len(stats["voice_build_ms"]) == 1
    assert stats["late"] == 0
    mono = take.audio.mean(axis=1)
    found = onsets(mono, 0.1 * np.abs(mono).max())
    assert len(found) == BARS * 4, found
    # Every beat on its grid across the swap, within a block (plus a few frames of the
    # 1 ms attack) of the first onset's grid: each onset lands on its block (±half a
    # block), and the voices' JACK frame line, when JACK's cycle estimate makes it
    # start over (`clock_reseeds`), may apply events a block off for a while — with or
    # without a reload (measured: about 1 run in 4 here, shifts of 59-69 frames).
    grid = found[0] + np.arange(BARS * 4) * (SR // 2)
    assert np.all(np.abs(np.array(found) - grid) <= BLOCK + 8), np.array(found) - grid
    pitches = [f0(mono[i + 1200 : i + 1200 + 6000]) for i in found]
    # The new version from a bar line on (the one after the /rig/voice), every beat.
    k = next(i for i, p in enumerate(pitches) if abs(p / 880.0 - 1) < 0.01)
    assert k % 4 == 0 and k >= 4, (k, pitches)
    old, new = pitches[:k], pitches[k:]
    assert all(abs(p / 440.0 - 1) < 0.01 for p in old), pitches
    assert all(abs(p / 880.0 - 1) < 0.01 for p in new), pitches
    # Nothing of the old version sounds in the new bar: its last note was released.
    bar_two = mono[found[k] : found[k] + SR // 4]
    spectrum = np.abs(np.fft.rfft(bar_two * np.hanning(len(bar_two))))
    hz = np.fft.rfftfreq(len(bar_two), 1 / SR)
    at = lambda f: spectrum[np.argmin(np.abs(hz - f))]  # noqa: E731
    assert at(440.0) < 0.01 * at(880.0), (at(440.0), at(880.0))
    # No step in any note's level: the master chain changed twice while notes sounded
    # (the new version joining, in bar 1; the old one leaving, 5 s after the swap).
    for i in found:
        level = np.abs(mono[i + 480 : i + 11520]).reshape(-1, 120).max(axis=1)  # 2.5 ms
        assert level.max() < 1.03 * level.min(), (i, level.min(), level.max())
    # No note keeps sounding: after the last note and its 20 ms release, silence.
    tail = mono[found[-1] + SR // 4 + SR // 20 :]
    assert len(tail) > SR // 10 and np.abs(tail).max() < 1e-4, np.abs(tail).max()

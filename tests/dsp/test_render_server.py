"""The worker's block-by-block server writes what pyo's offline backend wrote.

`rig.dsp.worker` runs pyo's manual backend one block at a time and records the track
into a table it writes a chunk at a time; before, pyo's offline backend wrote the file
itself (one `write` per block) and called the worker back on every block. Here the
same phrase is rendered both ways in the same test: the reference is pyo's offline
backend driven by a per-block callback, as the worker did it. pyo's offline output
fades in over its first 5 ms (the server's amplitude ramp from 0) and ends its ramp at
1 ± 1e-7; past that the two agree to float rounding, sample for sample.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from rig.dsp.loader import load_voice
from rig.dsp.params import moving_params
from rig.dsp.play import apply_event, build_instrument
from rig.dsp.render import track_jobs
from rig.dsp.server import SEED, import_pyo
from rig.dsp.worker import CHUNK_BLOCKS, render_track
from rig.song.events import ControlChange, ProgramChange
from tests.support.audio import SR
from tests.support.render import VOICES, arrangement, note

pytestmark = pytest.mark.audio

# The server's amplitude ramp in pyo's offline backend: 5 ms from 0 to 1.
RAMP = SR // 200


def _reference(job, blocks: int) -> np.ndarray:
    """`blocks` blocks of the job on pyo's offline backend, events applied by a callback."""
    pyo = import_pyo()
    bs = job.buffer_size
    path = job.path + ".offline"
    server = pyo.Server(sr=SR, nchnls=2, buffersize=bs, duplex=0, audio="offline")
    server.setVerbosity(1)
    server.setGlobalSeed(SEED)
    server.boot()
    server.recordOptions(dur=blocks * bs / SR, filename=path, fileformat=3, sampletype=3)
    controls = [
        (e.name, e.control, e.value) if isinstance(e, ControlChange) else e.program
        for _, e in job.events
        if isinstance(e, ControlChange | ProgramChange)
    ]
    voice = [build_instrument(pyo, job.spec, moving_params(job.spec, controls))]
    voice[0].out.out()
    timed = [((frame + bs // 2) // bs, event) for frame, event in job.events]
    end_block = -(-job.end_frame // bs)
    state = {"block": 0}

    def on_block() -> None:
        block = state["block"]
        state["block"] = block + 1
        at = block * bs / SR
        (instrument,) = voice
        while timed and timed[0][0] <= block:
            apply_event(instrument, timed.pop(0)[1], at)
        if block % 16 == 0:
            instrument.housekeep(at)
        if block == end_block:  # the worker releases what is held at the end
            instrument.all_notes_off(at)

    server.setCallback(on_block)
    server.start()
    server.setCallback(lambda: None)
    voice.clear()  # every pyo object goes before its server does
    gc.collect()
    server.shutdown()
    return np.fromfile(path, dtype="<f4").reshape(-1, 2)


@pytest.mark.parametrize("voice", ["virus-pad", "rytm-kit", "piano"])
def test_the_block_by_block_render_writes_what_pyos_offline_backend_wrote(voice, tmp_path):
    if voice == "rytm-kit":
        events = [e for i in range(12) for e in note("t", i * 0.5, i, 0.25, 70 + 4 * i)]
    else:
        events = [e for i, p in enumerate([48, 60, 64, 67]) for e in note("t", i, p, 2.5, 90)]
    arr = arrangement(events, {"t": voice}, bars=2)
    spec = load_voice(VOICES / f"{voice}.yaml")
    (job,) = track_jobs(arr, {voice: spec}, tmp_path, SR, max_tail=3.0)
    result = render_track(job, lambda track, done: None)
    ours = np.fromfile(result.path, dtype="<f4").reshape(-1, 2)
    assert result.frames == len(ours)
    # Longer than one recorded chunk: the table is written and refilled on the way.
    assert len(ours) > CHUNK_BLOCKS * job.buffer_size
    reference = _reference(job, len(ours) // job.buffer_size)
    assert len(reference) == len(ours)
    peak = np.max(np.abs(reference))
    assert peak > 1e-2, "the phrase sounds"
    after = np.abs(ours[RAMP:].astype(np.float64) - reference[RAMP:])
    assert after.max() <= 1e-6 * peak
    # The ramp itself: pyo's offline output started from silence, ours at full level.
    assert np.all(np.abs(reference[:RAMP]) <= np.abs(ours[:RAMP]) + 1e-6 * peak)

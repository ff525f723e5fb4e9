"""What the tests share, in one place (import as `tests.support.<module>`).

- `clock`: `FakeTime`, the time the offline twins run on.
- `audio`: analysis of rendered or captured audio (level, pitch, onsets, centroid).
- `render`: hand-built arrangements rendered offline through `rig.dsp.render`.
- `live`: small cues with recognisable notes, the engine on recording sinks, waiting
  for a real engine's status, checks on what went out.
- `sinks`: what the JACK and rtmidi sink tests share (note bytes, the replug scenario).

Fixtures that start real parts (a JACK server, a recorder, fluidsynth) stay in
`tests/conftest.py`.
"""

"""rig.midi: MIDI output — ports by pattern, deadline-stamped sinks, no stuck notes.

- `ports`: list a backend's ports (JACK or rtmidi with any API), match by pattern.
- `sink`: the `Sink` interface and a `RecordingSink` fake; `jack_sink.JackSink`
  (exact frame offsets), `rtmidi_sink.RtMidiSink` (sleep-then-spin sender thread).
- `notes`: sounding-note tracking (re-trigger offs, panic/close offs).
- `jacktime`: monotonic ns <-> JACK frames; `realtime`: timer slack, SCHED_FIFO.
- `recorder`: an independent frame-stamping recorder process (tests, `rig bench`).
- `outputs`: config-driven helpers for `rig ports` / `rig panic`.
- `smf`: Standard MIDI File export.
"""

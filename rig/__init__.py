"""rig: a live synth-and-sequencer performance rig (MIDI clock, sequencer, pyo voices)."""

__version__ = "0.1.0"

"""rig.probe: independent measuring processes — MIDI recorder, audio capture, a
private JACK server, a DSP load control. They share nothing with the code they measure.
"""

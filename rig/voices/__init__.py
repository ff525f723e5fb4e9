"""rig.voices: software stand-in voices live, on the pyo server in the engine process.

Settings cross the spawn; outputs route a device to hardware or its stand-in; the
player applies events on JACK's real-time audio thread.
"""

"""rig.dsp."""

"""rig.midi."""

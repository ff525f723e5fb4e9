"""rig.song."""

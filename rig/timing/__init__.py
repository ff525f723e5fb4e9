"""rig.timing."""

"""rig.theory."""

"""rig.live."""

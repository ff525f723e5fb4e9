"""rig.devices."""

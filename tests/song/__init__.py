"""Tests of the song language (rig.song): errors, compile, properties, fuzz."""

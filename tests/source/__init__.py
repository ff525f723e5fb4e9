"""Tests of rig.source: located YAML, problems, validators."""

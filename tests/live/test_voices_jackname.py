"""Which client is the stand-ins' pyo client when JACK renamed it (rig.voices.jackname)."""

from __future__ import annotations

from rig.voices.jackname import appeared, candidates


def test_candidates_are_the_name_and_jacks_renamings_of_it():
    ports = ["rig-voices:output_1", "rig-voices-01:output_1", "rig-voices-ctl:x",
             "rig-voices-probe:y", "system:playback_1", "rig-voices-01:output_2"]  # fmt: skip
    assert candidates(ports, "rig-voices") == {"rig-voices", "rig-voices-01"}
    assert candidates(["a.b:out"], "a.b") == {"a.b"}
    assert candidates(["axb:out"], "a.b") == set()  # the name is not a pattern


def test_the_client_that_appeared_is_the_players_else_the_asked_name():
    both = {"rig-voices", "rig-voices-01"}
    assert appeared({"rig-voices"}, both, "rig-voices") == "rig-voices-01"
    assert appeared(set(), {"rig-voices"}, "rig-voices") == "rig-voices"
    # Another rig's client appeared at the same moment: no way to tell, the asked name.
    assert appeared(set(), both, "rig-voices") == "rig-voices"

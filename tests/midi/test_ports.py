"""Port matching by pattern (never by index) and backend selection."""

from __future__ import annotations

import pytest

from rig.midi.ports import BackendUnavailable, list_ports, match_port, matching_ports, rtmidi_api

NAMES = [
    "system:midi_playback_1",
    "Virus TI Synth:Virus TI MIDI 1 20:0",
    "a2j:Elektron Analog Rytm MKII [24] (playback): Elektron Analog Rytm MKII MIDI 1",
    "virus",
]


def test_substring_is_case_insensitive() -> None:
    assert match_port("rytm", NAMES) == NAMES[2]
    assert match_port("VIRUS TI", NAMES) == NAMES[1]


def test_exact_name_wins_over_earlier_substring_matches() -> None:
    assert match_port("Virus", NAMES) == "virus"
    assert matching_ports("virus", NAMES) == ["virus", NAMES[1]]


def test_regex_between_slashes() -> None:
    assert match_port(r"/ti midi \d+/", NAMES) == NAMES[1]
    assert match_port("/^system:/", NAMES) == NAMES[0]
    assert match_port("/juno/", NAMES) is None


def test_bad_regex_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="bad regular expression"):
        match_port("/([/", NAMES)


def test_rtmidi_api_names() -> None:
    import rtmidi

    assert rtmidi_api("jack") == rtmidi.API_UNIX_JACK
    assert rtmidi_api("ALSA") == rtmidi.API_LINUX_ALSA
    with pytest.raises(ValueError, match="unknown rtmidi API"):
        rtmidi_api("winmm")


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="unknown MIDI backend"):
        list_ports("portmidi")


def test_jack_backend_without_a_server_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    import jack

    monkeypatch.setenv("JACK_DEFAULT_SERVER", "rigtest-no-such-server")
    jack.set_error_function(lambda msg: None)
    try:
        with pytest.raises(BackendUnavailable, match="rigtest-no-such-server"):
            list_ports("jack")
    finally:
        jack.set_error_function()


@pytest.mark.jack
def test_jack_listing_sees_a_recorder(jack_server: object, recorder: object) -> None:
    ports = list_ports("jack")
    assert recorder.port in ports.outputs  # type: ignore[attr-defined]
    ports = list_ports("rtmidi", "jack")
    assert ports.backend == "rtmidi/jack"
    assert recorder.port in ports.outputs  # type: ignore[attr-defined]

"""`rig ports` and `rig panic` against a real JACK server and recorder."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.cli import main
from rig.midi.outputs import panic_messages
from rig.probe.recorder import Recorder

pytestmark = pytest.mark.jack


def write_config(tmp_path: Path, port: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "midi: {backend: jack, client_name: rigtest}\n"
        "devices:\n"
        f"  virus: {{port: '{port}'}}\n"
        "  juno60: {port: 'no-such-juno'}\n"
    )
    return path


def test_ports_lists_and_marks_devices(
    jack_server: object, recorder: Recorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = recorder.port.split(":")[0]
    assert main(["ports", "--config", str(write_config(tmp_path, client))]) == 0
    out = capsys.readouterr().out
    assert "backend: jack" in out
    assert f"{recorder.port}   <- virus" in out
    assert f"found: {recorder.port}" in out
    assert "juno60  port 'no-such-juno'  MISSING" in out


def test_ports_via_rtmidi_jack_api(
    jack_server: object, recorder: Recorder, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ports", "--backend", "rtmidi", "--api", "jack"]) == 0
    out = capsys.readouterr().out
    assert "backend: rtmidi/jack" in out and recorder.port in out


def test_ports_without_a_server_exits_3_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "rigtest-no-such-server")
    assert main(["ports"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rigtest-no-such-server" in err
    assert main(["panic", "--all"]) == 3


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ports", "--help"]) == 0
    assert "example" in capsys.readouterr().out
    assert main(["panic", "--help"]) == 0
    assert "example" in capsys.readouterr().out


def test_panic_sends_explicit_offs_for_every_note_and_channel(
    jack_server: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every channel's 128 note-offs plus all-sound-off and all-notes-off, at each port.
    In real time (panic opens its own client: no freewheel) a cycle that xruns can lose
    MIDI at the recorder or hand it a stale buffer again, so anything but the exact
    sequence is accepted only when the server counted an xrun, and then only the
    panic's own messages."""
    env = jack_server.env  # type: ignore[attr-defined]
    xruns = jack_server.xruns  # type: ignore[attr-defined]
    expected = list(panic_messages())
    with Recorder.spawn(env) as first, Recorder.spawn(env) as second:
        config = write_config(tmp_path, first.port)
        before = xruns.count
        code = main(["panic", "--config", str(config), "--port", second.port, "--rate", "0"])
        assert code == 0
        for rec in (first, second):
            got = [m for _, m in rec.stop()]
            if got != expected:
                # Measured here: in an xrun cycle the recorder lost a cycle's share, or
                # read a stale buffer again (a repeated run of note-offs).
                assert xruns.count > before, f"{len(got)} of {len(expected)}, no xrun"
                assert set(got) <= set(expected), "only the panic's messages"
    out = capsys.readouterr()
    assert "sent: virus" in out.out and "no port matches 'no-such-juno'" in out.err

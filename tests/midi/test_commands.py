"""`rig ports` and `rig panic` against a real JACK server and recorder."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.cli import main
from rig.midi.notes import sounding_after
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
    env = jack_server.env  # type: ignore[attr-defined]
    with Recorder.spawn(env) as first, Recorder.spawn(env) as second:
        config = write_config(tmp_path, first.port)
        code = main(["panic", "--config", str(config), "--port", second.port, "--rate", "0"])
        assert code == 0
        for rec in (first, second):
            got = [m for _, m in rec.stop()]
            offs = {(m[0] & 0x0F, m[1]) for m in got if m[0] & 0xF0 == 0x80}
            assert offs == {(ch, n) for ch in range(16) for n in range(128)}
            for ch in range(16):
                assert bytes((0xB0 | ch, 123, 0)) in got and bytes((0xB0 | ch, 120, 0)) in got
            assert len(got) == 16 * 130
            assert sounding_after(got) == []
    out = capsys.readouterr()
    assert "sent: virus" in out.out and "no port matches 'no-such-juno'" in out.err

"""`rig live` where nothing can sound live (issue 12, item 5): it refuses with exit 3
and one clear line, before any full-screen UI could wipe the reason away."""

from __future__ import annotations

from pathlib import Path

from rig.commands.live import main

REPO = Path(__file__).resolve().parents[2]


def test_without_a_jack_server_rig_live_refuses_with_exit_3(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", f"rigtest-none-{tmp_path.name}")
    monkeypatch.setenv("RIG_LIVE_DIR", str(tmp_path / "sessions"))
    config = tmp_path / "config.yaml"
    config.write_text(f"patches: {REPO / 'patches'}\nmidi: {{backend: jack}}\n"
                      "devices:\n  monopoly: {port: 'Mono'}\n")  # fmt: skip
    song = REPO / "songs" / "rivalry.yaml"
    code = main([str(song), "--config", str(config), "--osc-port", "0"])
    err = capsys.readouterr().err
    assert code == 3
    assert "rig live: nothing can sound live here" in err and "no JACK server" in err
    assert f"rig play {song}" in err  # what to do instead
    assert not list((tmp_path / "sessions").glob("live-*.json"))  # no show was started

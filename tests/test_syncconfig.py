"""config.yaml `sync:`: the clock source, its input port, Link quantum, MTC out."""

from __future__ import annotations

import pytest

from rig.config import load_config
from rig.config.sync import MtcOut, SyncConfig
from rig.source import InputError


def load(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    (tmp_path / "patches").mkdir(exist_ok=True)
    return load_config(path)


def test_default_is_internal(tmp_path):
    assert load(tmp_path, "osc: {port: 9000}\n").sync == SyncConfig()


def test_every_option(tmp_path):
    cfg = load(
        tmp_path,
        'sync:\n  source: midi\n  port: "Clock In"\n  quantum: 3\n'
        '  mtc_out: {port: "Video", fps: 29.97}\n',
    )
    assert cfg.sync == SyncConfig("midi", "Clock In", 3.0, MtcOut("Video", 2997))


def test_link_needs_no_port(tmp_path):
    assert load(tmp_path, "sync: {source: link}\n").sync.source == "link"


def test_errors_name_file_line_and_column(tmp_path):
    with pytest.raises(InputError) as err:
        load(tmp_path, "sync:\n  source: midl\n  quantum: 0\n  mtc_out: {port: V, fps: 60}\n")
    text = str(err.value)
    assert "config.yaml:2:11: sync: source: unknown 'midl' (did you mean 'midi'" in text
    assert "config.yaml:3:12: sync: quantum: 0 is out of range" in text
    assert "config.yaml:4:27: sync: mtc_out: fps 60 is not one of 24, 25, 29.97, 30" in text


def test_midi_without_a_port(tmp_path):
    with pytest.raises(InputError, match="sync: source midi needs port:"):
        load(tmp_path, "sync: {source: midi}\n")

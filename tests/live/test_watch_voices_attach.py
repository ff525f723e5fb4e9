"""A software voice edited while no UI watched is sent when a UI attaches
(rig.stage.voicerecord, Reloader.catch_up): the show's record says which version the
engine plays; before it, an attached UI took the files as what the engine had."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from rig.control.protocol import SetInfo, Status
from rig.dsp.loader import load_voice
from rig.engine.bundle import read_voice
from rig.project import Project
from rig.stage.ui.messages import reload_text
from rig.stage.voicerecord import read_record, record_path, write_record
from rig.stage.watch import CAUGHT_UP, Reloader
from tests.live.test_watch import REPO, SONG, VOICE, project_files


def _with_voice(tmp_path: Path) -> tuple[Path, Path, Path]:
    set_path, config = project_files(tmp_path)
    shutil.copytree(REPO / "patches", tmp_path / "patches")
    config.write_text("patches: patches\n")
    voice = tmp_path / "patches" / "voices" / "test-sine.yaml"
    voice.write_text(VOICE.format(octave=0))
    (tmp_path / "songs" / "one.yaml").write_text(SONG.format(name="one", note="C2").replace(
        "  bass: {device: monopoly}\n", "  bass: {device: monopoly}\n  lead: {voice: test-sine}\n"
    ))  # fmt: skip
    return set_path, config, voice


def _attached(tmp_path, set_path, config, sent, record):
    info = SetInfo("", ("one", "two"), ("bar", "wait"), ((), ()))  # the engine's set
    return Reloader(lambda: Project.load(config), set_path, lambda *m: sent.append(m),
                    tmp_path / "b", engine_set=lambda: info, record=record)  # fmt: skip


def test_a_voice_saved_while_no_ui_watched_is_sent_at_attach(tmp_path):
    set_path, config, voice = _with_voice(tmp_path)
    record = record_path(tmp_path / "sessions", 4242)
    played = {name: load_voice(tmp_path / "patches" / "voices" / f"{name}.yaml")
              for name in ("test-sine", "monopoly-bass")}  # fmt: skip
    write_record(record, played)  # what the host wrote when it started the engine
    voice.write_text(VOICE.format(octave=1))  # saved while no UI watched
    sent: list[tuple] = []
    reloader = _attached(tmp_path, set_path, config, sent, record)
    message, error = reloader.catch_up()
    assert not error and message == (
        f"{CAUGHT_UP}; edited voice test-sine: new sound at the next bar"
    )
    assert [m[0] for m in sent] == ["/rig/reload", "/rig/voice"]
    _, name, path, quantize = sent[1]
    got, spec = read_voice(Path(path))
    assert (name, got, quantize) == ("test-sine", "test-sine", "bar")
    assert spec.oscillators[0].octave == 1
    assert reloader.sent == Path(sent[0][1]).name  # the message follows the cues
    # The record says what the engine plays now: the next UI sends nothing more.
    assert read_record(record) == {**played, "test-sine": spec}
    again: list[tuple] = []
    assert _attached(tmp_path, set_path, config, again, record).catch_up() == (CAUGHT_UP, False)
    assert [m[0] for m in again] == ["/rig/reload"]


def test_a_voice_broken_while_no_ui_watched_is_said_at_attach_and_not_sent(tmp_path):
    """The old voice plays on, and the performer reads why, with the file's position,
    as after a broken save (found in a tmux trial: the attach said the engine played
    the files as they are)."""
    set_path, config, voice = _with_voice(tmp_path)
    record = record_path(tmp_path / "sessions", 4242)
    played = {name: load_voice(tmp_path / "patches" / "voices" / f"{name}.yaml")
              for name in ("test-sine", "monopoly-bass")}  # fmt: skip
    write_record(record, played)
    voice.write_text(VOICE.format(octave=0) + "params: [\n")  # saved while no UI watched
    sent: list[tuple] = []
    message, error = _attached(tmp_path, set_path, config, sent, record).catch_up()
    assert error, message
    # First: a narrow screen cuts the message's end.
    assert message.startswith("voice test-sine not reloaded, the old voice plays on: "), message
    assert message.endswith(f"; {CAUGHT_UP}"), message
    assert re.search(r"test-sine\.yaml:\d+:\d+", message), message
    assert [m[0] for m in sent] == ["/rig/reload"]
    assert read_record(record) == played  # the engine still plays the old version


def test_without_a_record_the_files_are_taken_as_what_the_engine_plays(tmp_path):
    """A show started by a rig without the record: as before, no voice is sent."""
    set_path, config, voice = _with_voice(tmp_path)
    voice.write_text(VOICE.format(octave=1))
    sent: list[tuple] = []
    reloader = _attached(tmp_path, set_path, config, sent, record_path(tmp_path, 1))
    assert reloader.catch_up() == (CAUGHT_UP, False)
    assert [m[0] for m in sent] == ["/rig/reload"]


def test_the_voice_clause_stays_as_the_message_follows_the_engine():
    text = f"{CAUGHT_UP}; edited voice pad: new sound at the next bar"
    s = Status("playing", 3, 1, 120.0, 0, 0, reload_done="bundle-1.pickle", reload_done_what="")
    said, error = reload_text(text, "bundle-1.pickle", s)
    assert not error
    assert said == (
        "hot reload on: the engine plays the files as they are; "
        "edited voice pad: new sound at the next bar"
    )

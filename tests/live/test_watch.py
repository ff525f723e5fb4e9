"""Hot reload in the controlling process: watchfiles sees an edit, a bad one is reported
with its position and nothing is sent, a good one sends a bundle with what changed."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from rig.dsp.loader import load_voice
from rig.engine.bundle import load_bundle, read_voice
from rig.project import Project
from rig.stage.watch import CAUGHT_UP, Reloader

REPO = Path(__file__).resolve().parents[2]

SONG = """cue: {name}
tempo: 120
meter: 4/4
tracks:
  bass: {{device: monopoly}}
patterns:
  line: {{track: bass, steps: "{note} . {note} .", rate: 1/8}}
sections:
  - {{name: a, bars: 4, play: [line]}}
"""


def project_files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "songs").mkdir()
    for name, note in (("one", "C2"), ("two", "E2")):
        (tmp_path / "songs" / f"{name}.yaml").write_text(SONG.format(name=name, note=note))
    set_path = tmp_path / "songs" / "night.yaml"
    set_path.write_text("set: Night\ncues:\n  - {song: one.yaml, next: bar}\n  - two.yaml\n")
    config = tmp_path / "config.yaml"
    config.write_text(f"patches: {REPO / 'patches'}\n")
    return set_path, config


def test_check_reports_errors_and_sends_only_what_changed(tmp_path):
    set_path, config = project_files(tmp_path)
    sent: list[tuple] = []
    reloader = Reloader(lambda: Project.load(config), set_path,
                        lambda *m: sent.append(m), tmp_path / "b")  # fmt: skip
    assert [c.name for c in reloader.cues] == ["one", "two"]
    assert reloader.check() == ("saved: no change to the music", False)
    two = tmp_path / "songs" / "two.yaml"
    two.write_text(SONG.format(name="two", note="X9"))
    message, error = reloader.check({two})
    assert error and f"{two}:7:" in message and sent == []
    two.write_text(SONG.format(name="two", note="G2"))
    assert reloader.check({two}) == ("reloaded two: takes effect at the next bar", False)
    ((address, path, quantize),) = sent
    bundle = load_bundle(Path(path))
    assert address == "/rig/reload" and quantize == "bar" and not bundle.full_set
    assert [(i, a.name) for i, a, _ in bundle.cues] == [(1, "two")]
    set_path.write_text("set: Night\ncues:\n  - two.yaml\n  - {song: one.yaml, next: bar}\n")
    assert reloader.check({set_path}) == ("set reloaded: 2 cues", False)
    bundle = load_bundle(Path(sent[-1][1]))
    assert bundle.full_set and [a.name for _, a, _ in bundle.cues] == ["two", "one"]
    assert bundle.transitions == ("wait", "bar")


def test_watch_sees_a_saved_file(tmp_path):
    set_path, config = project_files(tmp_path)
    reports: list[tuple[str, bool]] = []
    reloader = Reloader(lambda: Project.load(config), set_path, lambda *m: None, tmp_path / "b")
    assert tmp_path / "songs" in reloader.paths()
    thread = threading.Thread(target=reloader.watch, args=(lambda *r: reports.append(r),))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not reports and time.monotonic() < deadline:
            time.sleep(0.05)  # given no cues, what the engine has is unknown: catch_up
        time.sleep(0.5)
        (tmp_path / "songs" / "one.yaml").write_text(SONG.format(name="one", note="D2"))
        deadline = time.monotonic() + 10
        while len(reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        reloader.stop()
        thread.join(5)
    assert reports == [(CAUGHT_UP, False), ("reloaded one: takes effect at the next bar", False)]


VOICE = """description: test sine
mode: poly
voices: 4
level: -6
oscillators:
  - {{wave: sine, octave: {octave}}}
filter: {{type: none}}
amp: {{attack: 0.001, decay: 0.01, sustain: 1, release: 0.02}}
"""


def test_a_voice_a_cue_uses_is_checked_and_sent_on_its_own(tmp_path):
    set_path, config = project_files(tmp_path)
    shutil.copytree(REPO / "patches", tmp_path / "patches")
    config.write_text("patches: patches\n")
    voice = tmp_path / "patches" / "voices" / "test-sine.yaml"
    voice.write_text(VOICE.format(octave=0))
    one = tmp_path / "songs" / "one.yaml"
    one.write_text(SONG.format(name="one", note="C2").replace(
        "  bass: {device: monopoly}\n", "  bass: {device: monopoly}\n  lead: {voice: test-sine}\n"
    ))  # fmt: skip
    sent: list[tuple] = []
    reloader = Reloader(lambda: Project.load(config), set_path,
                        lambda *m: sent.append(m), tmp_path / "b")  # fmt: skip
    assert "test-sine" in reloader.voices
    # Invalid: its position is reported, nothing is sent.
    voice.write_text(VOICE.format(octave=0).replace("wave: sine", "wave: sinus"))
    message, error = reloader.check({voice})
    assert error and message.startswith("not reloaded, the old voice plays on: ")
    assert f"{voice}:6:" in message and sent == []
    # Saved unchanged: nothing to send.
    voice.write_text(VOICE.format(octave=0))
    assert reloader.check({voice}) == ("voice test-sine saved: no change to the sound", False)
    # Valid and different: the new spec goes to the engine, quantized.
    voice.write_text(VOICE.format(octave=1))
    assert reloader.check({voice}) == (
        "voice test-sine reloaded: takes effect at the next bar",
        False,
    )
    ((address, name, path, quantize),) = sent
    assert (address, name, quantize) == ("/rig/voice", "test-sine", "bar")
    got, spec = read_voice(Path(path))
    assert got == "test-sine" and spec == load_voice(voice) and spec.oscillators[0].octave == 1
    assert not Path(path).exists()  # the engine's once read
    # A voice no cue uses: nothing live changes.
    horns = tmp_path / "patches" / "voices" / "horns.yaml"
    horns.write_text(horns.read_text() + "\n# edited\n")
    assert reloader.check({horns}) == ("saved: no change to the music", False)
    assert len(sent) == 1
    # A song and a voice saved together: both outcomes, one line.
    voice.write_text(VOICE.format(octave=-1))
    two = tmp_path / "songs" / "two.yaml"
    two.write_text(SONG.format(name="two", note="G2"))
    message, error = reloader.check({voice, two})
    assert not error and message == (
        "reloaded two: takes effect at the next bar; "
        "voice test-sine reloaded: takes effect at the next bar"
    )
    assert [m[0] for m in sent] == ["/rig/voice", "/rig/reload", "/rig/voice"]
    # Software voices off (audio: offline): checked, nothing sent.
    config.write_text("patches: patches\naudio: {backend: offline}\n")
    quiet: list[tuple] = []
    offline = Reloader(lambda: Project.load(config), set_path,
                       lambda *m: quiet.append(m), tmp_path / "b")  # fmt: skip
    voice.write_text(VOICE.format(octave=2))
    assert offline.check({voice}) == (
        "voice test-sine checked: software voices do not play live (audio: offline)",
        False,
    )
    assert quiet == []


def test_a_voice_the_running_engine_lacks_is_reported_not_left_silent(tmp_path):
    """A song edit that adds a software-voice track: the music is reloaded, and the UI
    says that voice is not in the engine (it cannot sound until a restart)."""
    set_path, config = project_files(tmp_path)
    sent: list[tuple] = []
    reloader = Reloader(lambda: Project.load(config), set_path,
                        lambda *m: sent.append(m), tmp_path / "b")  # fmt: skip
    one = tmp_path / "songs" / "one.yaml"
    one.write_text(SONG.format(name="one", note="C2").replace(
        "  bass: {device: monopoly}\n", "  bass: {device: monopoly}\n  keys: {voice: piano}\n"
    ))  # fmt: skip
    message, error = reloader.check({one})
    assert error and [m[0] for m in sent] == ["/rig/reload"]
    assert message == (
        "reloaded one: takes effect at the next bar; "
        "voice piano is not in the running engine: silent until restart"
    )
    # With offline audio the engine plays no voices at all: nothing to warn about.
    config.write_text(f"patches: {REPO / 'patches'}\naudio: {{backend: offline}}\n")
    offline = Reloader(lambda: Project.load(config), set_path,
                       lambda *m: sent.append(m), tmp_path / "c")  # fmt: skip
    one.write_text(SONG.format(name="one", note="D2").replace(
        "  bass: {device: monopoly}\n", "  bass: {device: monopoly}\n  keys: {voice: guitar}\n"
    ))  # fmt: skip
    assert offline.check({one}) == ("reloaded one: takes effect at the next bar", False)


def test_the_message_row_shows_the_cause_before_its_consequences():
    """Issue 12, item 11: a wrong note also makes its bar's step count wrong; the one
    line the UI has names the note, not the count."""
    from rig.source.errors import InputError, Pos, SourceError
    from rig.stage.watch import _first_error

    exc = InputError([
        SourceError(Pos("song.yaml", 7, 20), "steps: bar 1 has 15 steps, the meter needs 16"),
        SourceError(Pos("song.yaml", 7, 31), "steps: unknown note 'H1' (did you mean 'B1'?)"),
    ])  # fmt: skip
    line = _first_error(exc)
    assert line.startswith("song.yaml:7:31: steps: unknown note 'H1'") and "(and 1 more)" in line


def test_a_ui_attached_while_a_song_is_broken_reports_it_and_reloads_once_fixed(tmp_path):
    """Trial 24: `rig live --attach` to a show whose song had been saved broken built no
    reloader (its error went to stderr under the UI's screen) and hot reload stayed off
    all night. Now the error is kept for the message row, the songs (in the set's
    parent folder, as in songs/sets/) are watched, and the fixed set is sent whole."""
    (tmp_path / "songs" / "sets").mkdir(parents=True)
    for name, note in (("one", "C2"), ("two", "E2")):
        (tmp_path / "songs" / f"{name}.yaml").write_text(SONG.format(name=name, note=note))
    set_path = tmp_path / "songs" / "sets" / "night.yaml"
    set_path.write_text("set: Night\ncues:\n  - {song: ../one.yaml, next: bar}\n  - ../two.yaml\n")
    config = tmp_path / "config.yaml"
    config.write_text(f"patches: {REPO / 'patches'}\n")
    two = tmp_path / "songs" / "two.yaml"
    two.write_text(SONG.format(name="two", note="X9"))
    sent: list[tuple] = []
    reloader = Reloader(lambda: Project.load(config), set_path,
                        lambda *m: sent.append(m), tmp_path / "b")  # fmt: skip
    assert f"{two}:7:" in reloader.startup_error and sent == []
    assert "not reloaded, the old version plays on" in reloader.startup_error
    watched = reloader.paths()
    assert any(p == two.parent or p in two.parents for p in watched), watched
    two.write_text(SONG.format(name="two", note="G2"))
    assert reloader.check({two}) == ("set reloaded: 2 cues", False)
    bundle = load_bundle(Path(sent[-1][1]))
    assert bundle.full_set and [a.name for _, a, _ in bundle.cues] == ["one", "two"]
    assert reloader.startup_error == ""
    two.write_text(SONG.format(name="two", note="A2"))  # from now on: only what changed
    assert reloader.check({two}) == ("reloaded two: takes effect at the next bar", False)

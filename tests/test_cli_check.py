"""`rig check PATH...` through `rig.cli.main`: exit codes 0/1/2, errors on stderr, ok on stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from rig.cli import main
from rig.song.load import display_path

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / "config.yaml")

GOOD = """\
cue: Good
tempo: 120
tracks:
  bass: {device: monopoly}
patterns:
  p: {track: bass, steps: "C2 . E2 ."}
sections:
  - {bars: 1, play: [p]}
"""

BAD = GOOD.replace("C2 . E2 .", "C2 . H2 .").replace("bars: 1", "bars: 0")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit code, stdout, stderr of `rig <argv>`; argparse's own exits count as codes."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_song_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "good.yaml", GOOD)
    code, out, err = run(["check", str(path), "--config", CONFIG], capsys)
    assert (code, err) == (0, "")
    assert out == f"ok  song    {path}\n"


def test_bad_song_exits_1_with_every_error_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "bad.yaml", BAD)
    code, out, err = run(["check", str(path), "--config", CONFIG], capsys)
    name = display_path(path)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{name}:6:33: pattern 'p': steps: unknown note 'H2' (did you mean 'B2'?)",
        f"{name}:8:12: section 1: bars: 0 is out of range 1..9999",
        "1 of 1 files have errors",
    ]
    assert "Traceback" not in err


def test_good_and_bad_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "a-good.yaml", GOOD)
    bad = write(tmp_path, "b-bad.yaml", BAD)
    code, out, err = run(["check", str(tmp_path), "--config", CONFIG], capsys)
    assert code == 1
    assert out == f"ok  song    {good}\n"
    assert err.count(display_path(bad)) == 2
    assert err.endswith("1 of 2 files have errors\n")


def test_quiet_prints_only_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "good.yaml", GOOD)
    assert run(["check", "-q", str(path), "--config", CONFIG], capsys) == (0, "", "")


def test_the_repositorys_songs_sets_themes_devices_and_config_pass(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # the default --config is ./config.yaml
    code, out, err = run(["check", "songs", "patches/devices", "config.yaml"], capsys)
    # no errors; warnings (automation carried across sections) until the cues say hold: true
    assert code == 0 and all(": warning: " in line for line in err.splitlines())
    kinds = {line.split()[1] for line in out.splitlines()}
    assert {"song", "set", "themes", "device", "config"} <= kinds
    assert "ok  song    songs/inferno.yaml" in out.splitlines()
    assert "ok  config  config.yaml" in out.splitlines()


def test_a_set_with_a_bad_cue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "bad.yaml", BAD)
    write(tmp_path, "good.yaml", GOOD)
    night = write(
        tmp_path,
        "night.yaml",
        "set: Night\ncues:\n  - good.yaml\n  - {song: bad.yaml, next: jump}\n",
    )
    code, out, err = run(["check", str(night), "--config", CONFIG], capsys)
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0] == (
        f"{display_path(night)}:4:28: "
        "cue 2: next must be 'wait' or 'bar', got 'jump' (known: bar, wait)"
    )
    assert lines[-1] == "1 of 1 files have errors"


def test_missing_file_and_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", str(tmp_path / "nope.yaml"), "--config", CONFIG], capsys)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{tmp_path / 'nope.yaml'}:1:1: file not found",
        "1 of 1 files have errors",
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["check", str(empty), "--config", CONFIG], capsys) == (
        1,
        "",
        "rig check: no YAML files found\n",
    )


def test_unrecognised_yaml_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "other.yaml", "hello: world\n")
    code, _out, err = run(["check", str(path), "--config", CONFIG], capsys)
    assert code == 1
    assert err.splitlines()[0].startswith(f"{path}:1:1: not a song, set, theme file")


def test_bad_config_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    song = write(tmp_path, "good.yaml", GOOD)
    config = write(tmp_path, "config.yaml", "midi: {backend: jack}\nmidi: {backend: rtmidi}\n")
    code, out, err = run(["check", str(song), "--config", str(config)], capsys)
    assert (code, out) == (1, "")
    assert err == f"{config}:2:1: duplicate key 'midi' (first at line 1)\n"


def test_no_paths_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("usage: rig check")
    assert "required: paths" in err


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(["check", "--frobnicate", "songs"], capsys)
    assert code == 2
    assert "unrecognized arguments: --frobnicate" in err


def test_help_shows_an_example_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", "--help"], capsys)
    assert (code, err) == (0, "")
    assert "rig check songs/" in out
    assert "exit codes: 0" in out


def test_unknown_verb_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["chekc", "songs"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("rig: unknown command 'chekc' (try: check")


def test_check_rejects_what_rig_play_rejects_and_knows_a_keys_only_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12, item 13: overlapping channel ranges on one port (rig play refuses
    them) fail `rig check` too; a config with only `keys:` is a config."""
    overlap = write(tmp_path, "stage.yaml", "devices:\n  virus: {port: Desk, channel: 2}\n"
                                            "  rytm: {port: desk, channel: 16}\n")  # fmt: skip
    code, _, err = run(["check", str(overlap), "--config", CONFIG], capsys)
    assert code == 1 and f"{overlap}:3:3: device 'rytm': channel 16 on port 'desk'" in err
    keys = write(tmp_path, "keys.yaml", "keys: {panic: '!'}\n")
    code, out, err = run(["check", str(keys), "--config", CONFIG], capsys)
    assert (code, err) == (0, "") and out == f"ok  config  {keys}\n"


CARRY = GOOD.replace(
    "  - {bars: 1, play: [p]}\n",
    "  - {bars: 1, play: [p], automate: {bass.cutoff: 90}}\n  - {bars: 1, play: [p]}\n",
)


def test_a_carried_over_value_is_a_warning_and_strict_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "carry.yaml", CARRY)
    code, out, err = run(["check", str(path), "--config", CONFIG], capsys)
    warning = (
        f"{display_path(path)}:8:37: warning: bass.cutoff carries over from section 'section 1' "
        "into 'section 2' (no earlier value or device default to return to): set it there, "
        "or say hold: true"
    )
    assert code == 0 and err.strip() == warning and "ok  song" in out
    code, out, err = run(["check", "--strict", str(path), "--config", CONFIG], capsys)
    assert code == 1 and warning in err and "ok" not in out
    held = write(
        tmp_path,
        "held.yaml",
        CARRY.replace("bass.cutoff: 90", "bass.cutoff: {value: 90, hold: true}"),
    )
    code, out, err = run(["check", "--strict", str(held), "--config", CONFIG], capsys)
    assert code == 0 and err == ""


def test_a_cue_met_alone_and_in_a_set_is_compiled_once_and_says_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import rig.project

    compiled: list[str] = []
    compile_song = rig.project.compile_song

    def counting(song, seed=None):  # noqa: ANN001, ANN202 - compile_song's own signature
        compiled.append(song.cue)
        return compile_song(song, seed)

    monkeypatch.setattr(rig.project, "compile_song", counting)
    write(tmp_path, "good.yaml", GOOD)
    write(tmp_path, "carry.yaml", CARRY.replace("cue: Good", "cue: Carry"))
    write(tmp_path, "bad.yaml", BAD)
    (tmp_path / "sets").mkdir()
    write(tmp_path / "sets", "night.yaml", "set: Night\ncues: [../good.yaml, ../carry.yaml]\n")
    write(tmp_path / "sets", "worse.yaml", "set: Worse\ncues: [../carry.yaml, ../bad.yaml]\n")
    code, out, err = run(["check", str(tmp_path), "--config", CONFIG], capsys)
    assert sorted(compiled) == ["Carry", "Good"]  # each once: the sets find them compiled
    # every line as each file checked in a run of its own says it, in the same order
    alone_out, alone_err = [], []
    for path in sorted(tmp_path.rglob("*.yaml")):
        compiled.clear()
        _, o, e = run(["check", str(path), "--config", CONFIG], capsys)
        alone_out += o.splitlines()
        alone_err += [line for line in e.splitlines() if "files have errors" not in line]
    assert code == 1 and out.splitlines() == alone_out
    assert err.splitlines() == [*alone_err, "2 of 5 files have errors"]
    assert any("warning: bass.cutoff carries over" in line for line in alone_err)


def test_the_cue_cache_knows_a_changed_file(tmp_path: Path) -> None:
    from rig.project import CueCache, Project

    project, cache = Project.load(Path(CONFIG)), CueCache()
    path = write(tmp_path, "good.yaml", GOOD)
    first = project.arrangements(path, cache=cache)[0]
    assert project.arrangements(path, cache=cache)[0] is first
    write(tmp_path, "good.yaml", GOOD.replace("E2", "G2"))
    again = project.arrangements(path, cache=cache)[0]
    assert again is not first and again.events != first.events
    assert project.arrangements(path, seed=5, cache=cache)[0] is not again
    assert CueCache.key(tmp_path / "gone.yaml", None) is None  # the loader says why


def test_python_dash_m_rig_is_the_rig_command():
    """`python -m rig` works as `rig` does (a performer's trial tried it: no __main__)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "rig", "--help"], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: rig ")

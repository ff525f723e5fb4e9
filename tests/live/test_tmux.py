"""`rig live` in a real terminal (tmux) at the sizes performers use, on a private JACK
server, the notes witnessed by an independent JACK recorder (issue 12)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.live import end_show, wait_show_ended
from tests.support.tmux import REPO, TmuxShow, have_tmux, live_command

pytestmark = [
    pytest.mark.jack,
    pytest.mark.slow,
    pytest.mark.skipif(not have_tmux(), reason="tmux is not installed"),
]

CUE = """cue: NAME
tempo: 150
meter: 4/4
tracks:
  bass: {device: monopoly}
patterns:
  line: {track: bass, steps: "NOTE NOTE NOTE NOTE", rate: 1/4, gate: 50%}
sections:
  - {name: a, bars: 64, play: [line]}
"""
NOTES = {"First Light": ("C2", 36), "Second Wind": ("E2", 40), "Third Rail": ("G2", 43)}


def set_files(
    tmp_path: Path, recorder_port: str, notes: dict[str, str], cue: str = CUE
) -> tuple[Path, Path]:
    """A set of one song per (cue name, note) of `notes`, from the template `cue`
    (NAME, NOTE), and a config that sends the monopoly's part (with clock) to the
    recorder."""
    names = []
    for i, (name, note) in enumerate(notes.items()):
        (tmp_path / f"c{i}.yaml").write_text(cue.replace("NAME", name).replace("NOTE", note))
        names.append(f"  - {{song: c{i}.yaml, next: wait}}")
    set_path = tmp_path / "night.yaml"
    set_path.write_text("set: Test Night\ncues:\n" + "\n".join(names) + "\n")
    config = tmp_path / "config.yaml"
    binding = f"{{port: '{recorder_port}', clock: true}}"
    config.write_text(f"patches: {REPO / 'patches'}\ndevices:\n  monopoly: {binding}\n")
    return set_path, config


def three_cues(tmp_path: Path, recorder_port: str) -> tuple[Path, Path]:
    return set_files(tmp_path, recorder_port, {name: note for name, (note, _) in NOTES.items()})


def played_a_second(cue: str) -> list[tuple[str, ...]]:
    """`TmuxShow.wait_any` choices: `cue` playing for a second or more of its first
    minute (any of them: a loaded machine may capture the header only now and then)."""
    return [("PLAYING", cue, f"cue 0:{s:02d}") for s in range(1, 60)]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_the_highlighted_cue_is_the_one_enter_launches(jack_server, recorder, tmp_path, size):
    """Items 1-2: down, down, enter launches the third cue (playing: at the next bar),
    the footer shows the launch key, and the recorder hears the third cue's note."""

    set_path, config = three_cues(tmp_path, recorder.port)
    sessions = tmp_path / "sessions"
    cmd, env = live_command(set_path, config, sessions=sessions, server_env=jack_server.env)
    width, height = size
    try:
        with TmuxShow(cmd, width=width, height=height, env=env, cwd=tmp_path, name="rigtest") as t:
            t.wait("STOPPED", "Third Rail", " launch ")  # the footer names it
            t.wait("queued", "plays on")  # the tracks table's last column fits (item 8)
            t.wait("Test Night")  # the set's name (/rig/setlist carried "" before)
            t.wait("press p to play", "next: Second Wind", "quantize bar")  # the header
            t.keys("p")
            t.wait("PLAYING", "First Light")
            screen = t.wait("cue 0:0", "set Test Night", "150.0 BPM")
            if os.environ.get("RIG_SCREENSHOT") and size == (80, 24):
                # README's screenshot: `RIG_SCREENSHOT=docs/live-80x24.txt pytest -k tmux`
                Path(os.environ["RIG_SCREENSHOT"]).write_text(screen, encoding="utf-8")
            assert all(len(line) <= width for line in screen.splitlines())
            t.keys("Down", "Down", "Enter")
            # Queued until the next bar (under 1.6 s), or — a loaded machine polled or
            # captured only after that bar — already playing; either way the chosen cue
            # (the recorder below: nothing but it after the launch). Waiting for the
            # queued line alone outlasted the 64-bar cue: SET ENDED on cue 3/3.
            t.wait_any(("launch Third Rail",), ("PLAYING", "cue 3/3"), timeout=60)
            # The header names a launched cue once its first events are handed over,
            # up to the engine's lookahead before they sound, and a stop forgets what
            # has not sounded: stop once the cue has played a second (its notes heard).
            t.wait_any(*played_a_second("cue 3/3"), timeout=60)
            t.keys("s")
            t.wait("STOPPED")
            t.keys("Up", "Enter")  # stopped: the chosen cue plays at once
            t.wait_any(*played_a_second("cue 2/3"))  # as above
            t.keys("s")
            t.wait("STOPPED")
            t.keys("q")  # the chosen cue (2) is a live tweak night.yaml lacks: q asks
            t.wait("These live tweaks are not in", "cue: 2", "y  discard them and quit")
            t.keys("y")
            assert wait_show_ended(sessions), "the show did not end"
            assert "live:" not in set_path.read_text(), "y discards: nothing written"
    finally:
        end_show(sessions)
    ons = [d[1] for _, d in recorder.stop() if d[0] & 0xF0 == 0x90 and d[2]]
    # Cue 1, then (after the launch) only cue 3, then cue 2: never cue 1 again.
    first = ons.index(43)
    second = ons.index(40)
    assert set(ons[:first]) == {36} and set(ons[first:second]) == {43}
    assert set(ons[second:]) == {40}

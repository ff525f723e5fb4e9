"""`rig live` in a real terminal (tmux, 80x24) on a private JACK server, the notes at an
independent JACK recorder (issue 12):

- item 9: in a set whose cues list their tracks in different orders, the track key of
  the drums (`1`: its slot in the set) mutes the drums in both cues — the screen, the
  engine's status and the recorder (the drums' notes stop, the bass plays on) agree;
- quitting with live tweaks the set file lacks asks first: any other key cancels and
  the show plays on; `w` writes them back and ends the show.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from rig.control.protocol import ControlClient
from tests.support.live import end_show, wait_for, wait_show_ended
from tests.support.tmux import REPO, TmuxShow, have_tmux, live_command

pytestmark = [
    pytest.mark.jack,
    pytest.mark.slow,
    pytest.mark.skipif(not have_tmux(), reason="tmux is not installed"),
]

# Fast: the checks count bars, and a bar at 300 BPM plays in 0.8 s.
BPM = 300
BAR_FRAMES = 4 * 48000 * 60 // BPM
# One GM device on the recorder: drums on channel 10, bass on 2, keys on 1. Alpha lists
# drums first; Beta lists bass, keys, then drums: numbered by the cue, `1` would be
# Beta's bass. The set numbers them drums 1, bass 2, keys 3 in every cue.
ALPHA = """cue: Alpha
tempo: 300
meter: 4/4
tracks:
  drums: {device: gm, channel: 10}
  bass: {device: gm, channel: 2}
patterns:
  kick: {track: drums, steps: "C1 C1 C1 C1", rate: 1/4, gate: 50%}
  line: {track: bass, steps: "E2 E2 E2 E2", rate: 1/4, gate: 50%}
sections:
  - {name: a, bars: 64, play: [kick, line]}
"""
BETA = """cue: Beta
tempo: 300
meter: 4/4
tracks:
  bass: {device: gm, channel: 2}
  keys: {device: gm, channel: 1}
  drums: {device: gm, channel: 10}
patterns:
  line: {track: bass, steps: "G2 G2 G2 G2", rate: 1/4, gate: 50%}
  pad: {track: keys, steps: "C4 ~ ~ ~", rate: 1/4, gate: 90%}
  snare: {track: drums, steps: "D1 D1 D1 D1", rate: 1/4, gate: 50%}
sections:
  - {name: a, bars: 64, play: [line, pad, snare]}
"""
ALPHA_DRUM, ALPHA_BASS, BETA_DRUM, BETA_BASS = 24, 40, 26, 43  # C1 E2 D1 G2


def two_cues(tmp_path: Path, recorder_port: str) -> tuple[Path, Path]:
    (tmp_path / "alpha.yaml").write_text(ALPHA)
    (tmp_path / "beta.yaml").write_text(BETA)
    set_path = tmp_path / "gig.yaml"
    set_path.write_text("set: Gig\ncues:\n  - {song: alpha.yaml, next: wait}\n  - beta.yaml\n")
    config = tmp_path / "config.yaml"
    config.write_text(f"patches: {REPO / 'patches'}\ndevices:\n  gm: {{port: '{recorder_port}'}}\n")
    return set_path, config


def row(screen: str, track: str) -> str:
    """The tracks table's row of `track` (its number, name, device, who plays, m/s)."""
    return next((line for line in screen.splitlines() if re.search(rf"\b{track}\b", line)), "")


def muted_on_screen(t: TmuxShow, track: str, slot: int, others: tuple[str, ...]) -> str:
    """Wait until the screen shows `track` (number `slot`) muted, and none of `others`."""
    deadline = time.monotonic() + 15
    while True:
        screen = t.screen()
        shown = re.search(rf"\b{slot}\s+{track}\s+gm\s+\S+\s+M\b", row(screen, track))
        if shown and not any(re.search(r"\sM\b", row(screen, o)) for o in others):
            return screen
        assert time.monotonic() < deadline, f"{track} never showed muted:\n{screen}"
        time.sleep(0.1)


def gone(t: TmuxShow, text: str, timeout: float = 10.0) -> None:
    """Wait until the screen no longer shows `text`."""
    deadline = time.monotonic() + timeout
    while text in (screen := t.screen()):
        assert time.monotonic() < deadline, f"the terminal still shows {text!r}:\n{screen}"
        time.sleep(0.1)


def test_the_drums_key_mutes_the_drums_in_both_cues_and_quit_asks_to_write_it_back(
    jack_server, recorder, tmp_path
):
    from rig.song.setlist import load_setlist
    from rig.stage.session import find_sessions

    xruns_before = jack_server.xruns.count  # the server's, since its session began
    set_path, config = two_cues(tmp_path, recorder.port)
    sessions = tmp_path / "sessions"
    cmd, env = live_command(set_path, config, sessions=sessions, server_env=jack_server.env)
    try:
        with TmuxShow(cmd, width=80, height=24, env=env, cwd=tmp_path, name="rigtracks") as t:
            t.wait("STOPPED", "Alpha")
            port = find_sessions(sessions)[0][1].port
            with ControlClient(port) as control:
                t.keys("p")
                t.wait("PLAYING")
                wait_for(control, lambda s: s.state == "playing" and s.bar >= 2)
                t.keys("1", "m")  # Alpha: drums are listed first, and are 1
                muted_on_screen(t, "drums", 1, ("bass",))
                muted = wait_for(control, lambda s: s.muted == "drums")
                wait_for(control, lambda s: s.bar >= muted.bar + 2)  # two bars muted
                t.keys("1", "m")
                wait_for(control, lambda s: s.muted == "")
                t.keys("Down", "Enter")  # launch Beta at the next bar
                t.wait("cue 2/2", "Beta")
                beta = wait_for(control, lambda s: s.cue == 1 and s.state == "playing")
                wait_for(control, lambda s: s.bar >= beta.bar + 1)  # a bar with its drums
                t.keys("1", "m")  # Beta lists drums third: 1 is still the drums
                screen = muted_on_screen(t, "drums", 1, ("bass", "keys"))
                assert re.search(r"\b2\s+bass\b", row(screen, "bass")), screen
                muted = wait_for(control, lambda s: s.muted == "drums")
                wait_for(control, lambda s: s.bar >= muted.bar + 2)
                # Quit: the mute and the chosen cue are tweaks gig.yaml lacks; q asks.
                t.keys("q")
                t.wait("These live tweaks are not in", "mute: [drums]", "w  write them")
                t.keys("x")  # cancel: the show plays on
                gone(t, "These live tweaks")
                assert "PLAYING" in t.screen()
                going = wait_for(control, lambda s: s.state == "playing")
                wait_for(control, lambda s: s.bar > going.bar and s.muted == "drums")
                t.keys("q")
                t.wait("These live tweaks are not in")
                t.keys("w")
                assert wait_show_ended(sessions, 15), "the show did not end"
    finally:
        end_show(sessions)
    kept = load_setlist(set_path).kept
    assert kept is not None and kept.mute == ("drums",) and kept.cue == 1
    events = recorder.stop()
    check_notes(events, jack_server.xruns.count - xruns_before)


def check_notes(events: list[tuple[int, bytes]], xruns: int) -> None:
    """What the recorder heard: in Alpha the drums stop for two bars or more while the
    bass plays on; in Beta the drums stop for good after the mute, the bass plays on."""
    ons = [(f, d[1], d[0] & 0x0F) for f, d in events if d[0] & 0xF0 == 0x90 and d[2]]
    beta_at = next(f for f, n, _ in ons if n == BETA_BASS)
    alpha_drums = [f for f, n, ch in ons if n == ALPHA_DRUM and ch == 9 and f < beta_at]
    gaps = [(a, b) for a, b in zip(alpha_drums, alpha_drums[1:], strict=False)
            if b - a > 1.5 * BAR_FRAMES]  # fmt: skip
    assert len(gaps) == 1, [(b - a) / BAR_FRAMES for a, b in gaps]  # the one muted stretch
    a, b = gaps[0]
    bass_in_gap = [f for f, n, ch in ons if n == ALPHA_BASS and ch == 1 and a < f < b]
    # A beat's note each (4 a bar): a note lost to an xrun is all an xrun can take.
    assert len(bass_in_gap) >= 8 - xruns, ((b - a) / BAR_FRAMES, len(bass_in_gap))
    beta_drums = [f for f, n, ch in ons if n == BETA_DRUM and ch == 9]
    assert beta_drums, "Beta's drums never played before the mute"
    after = [f for f, n, ch in ons if n == BETA_BASS and ch == 1 and f > beta_drums[-1]]
    assert len(after) >= 12 - xruns, len(after)  # three bars and more of bass, no drums
    assert not [n for _, n, ch in ons if ch == 9 and n not in (ALPHA_DRUM, BETA_DRUM)]

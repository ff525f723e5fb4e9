"""`q` with live tweaks the set file does not hold (issue 12): the UI asks — write them
back, discard them, or cancel (the show goes on) — before it ends; with no tweaks `q`
ends at once, as before. Under textual's Pilot, on a real engine loop (test_ui.py);
the real terminal is in test_tmux_tracks.py."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from rig.control.link import EngineLink
from rig.song.kept import Kept
from rig.song.setlist import load_setlist
from rig.stage.ui.app import LiveApp
from rig.stage.ui.screens import QuitScreen
from tests.live.test_ui import sectioned, served, text, until

REPO = Path(__file__).resolve().parents[2]
ORIGINAL = "set: Night  # a comment that stays\ncues: [a.yaml, b.yaml]\n"


def night(tmp: Path) -> Path:
    song = (REPO / "songs" / "rivalry.yaml").read_text(encoding="utf-8")
    for name in ("a.yaml", "b.yaml"):
        (tmp / name).write_text(song, encoding="utf-8")
    path = tmp / "night.yaml"
    path.write_text(ORIGINAL, encoding="utf-8")
    return path


def run(scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(night(Path(tmp))))


def test_quit_with_tweaks_asks_cancel_keeps_playing_w_writes_them_back():
    async def scenario(path: Path) -> None:
        with served([sectioned("Rivalry", 36), sectioned("Ciel", 60)]) as (engine, port, _, ended):
            app = LiveApp(EngineLink(port), poll_s=0.05, set_path=path)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                await pilot.press("p", "2", "m", "plus")
                await until(pilot, lambda: app.status.muted == "bass" and app.status.bpm_set)
                await until(pilot, lambda: app.status.state == "playing")
                await pilot.press("q")
                await until(pilot, lambda: isinstance(app.screen, QuitScreen))
                shown = str(app.screen.query_one("#quit-question").render())
                assert "not in" in shown and "mute: [bass]" in shown and "tempo: {1: 121}" in shown
                assert "w  write them" in shown and "y  discard" in shown
                assert "d  quit the UI" in shown
                await pilot.press("n")  # cancel: the show goes on, nothing written, no launch
                await until(pilot, lambda: not isinstance(app.screen, QuitScreen))
                assert engine.state == "playing" and engine.queued is None and ended == []
                assert path.read_text(encoding="utf-8") == ORIGINAL
                await pilot.press("q")
                await until(pilot, lambda: isinstance(app.screen, QuitScreen))
                await pilot.press("w")
                await until(pilot, lambda: ended == ["quit"])
            assert app.return_value == "quit"
        assert path.read_text(encoding="utf-8").startswith(ORIGINAL)
        assert load_setlist(path).kept == Kept(cue=0, quantize="bar", mute=("bass",),
                                               tempo={0: 121.0})  # fmt: skip

    run(scenario)


def test_quit_with_tweaks_y_discards_them_and_without_tweaks_q_just_quits():
    async def discard(path: Path) -> None:
        with served([sectioned("Rivalry", 36), sectioned("Ciel", 60)]) as (engine, port, _, ended):
            app = LiveApp(EngineLink(port), poll_s=0.05, set_path=path)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                await pilot.press("g")  # a new quantize (section) is a tweak, too; stopped
                await pilot.press("q")
                await until(pilot, lambda: isinstance(app.screen, QuitScreen))
                shown = str(app.screen.query_one("#quit-question").render())
                assert "quantize: section" in shown and "d  quit the UI" not in shown
                await pilot.press("y")
                await until(pilot, lambda: ended == ["quit"])
        assert path.read_text(encoding="utf-8") == ORIGINAL

    async def untouched(path: Path) -> None:
        with served([sectioned("Rivalry", 36), sectioned("Ciel", 60)]) as (engine, port, _, ended):
            app = LiveApp(EngineLink(port), poll_s=0.05, set_path=path)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                await pilot.press("down", "up", "q")  # back where it was: no tweak
                await until(pilot, lambda: ended == ["quit"])
                assert not isinstance(app.screen, QuitScreen)
        assert path.read_text(encoding="utf-8") == ORIGINAL

    async def unreadable(path: Path) -> None:
        with served([sectioned("Rivalry", 36), sectioned("Ciel", 60)]) as (engine, port, _, ended):
            app = LiveApp(EngineLink(port), poll_s=0.05, set_path=path)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                path.write_text("set: [broken\n", encoding="utf-8")  # edited mid-show
                await pilot.press("g", "q")  # a tweak, but no set file to write it into
                await until(pilot, lambda: ended == ["quit"])

    run(discard)
    run(untouched)
    run(unreadable)


def test_a_show_that_started_with_kept_tweaks_has_none_to_ask_about():
    """The kept cue, mutes and tempo are where the show starts: `q` quits at once (the UI's
    chosen cue starts at the engine's — the kept one — not at cue 1)."""

    async def scenario(path: Path) -> None:
        from rig.engine.kept import apply_kept

        path.write_text(ORIGINAL + "live:\n  cue: 2\n  mute: [bass]\n  solo: []\n")
        with served([sectioned("Rivalry", 36), sectioned("Ciel", 60)]) as (engine, port, _, ended):
            apply_kept(engine, load_setlist(path).kept, 0)
            app = LiveApp(EngineLink(port), poll_s=0.05, set_path=path)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top") and app.link.setlist)
                assert app.selected_cue == 1
                await pilot.press("q")
                await until(pilot, lambda: ended == ["quit"])

    run(scenario)

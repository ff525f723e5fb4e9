"""What the live UI says back (issue 12's trial): a hot reload's message follows the
engine (waiting → at which bar → took effect at bar N), the fill control is on the
header while it waits and plays, and at 80x24 the cue table keeps its "then" column
and a long message stays one line, read in full in the `l` view."""

from __future__ import annotations

import asyncio
import re

from rig.control.link import EngineLink
from rig.control.protocol import Status
from rig.engine.bundle import write_bundle
from rig.stage.ui.app import LiveApp
from rig.stage.ui.messages import reload_text
from rig.stage.ui.screens import LogScreen
from tests.live.test_fill_control import with_fill
from tests.live.test_ui import screen_text, sectioned, served, text, until

SENT = "reloaded Rivalry: takes effect at the next bar; 2 warnings (rig check lists them)"


def status(**kw) -> Status:
    return Status("playing", 5, 1, 120.0, 0, 0, **kw)


def test_a_reload_message_follows_the_engine_from_waiting_to_in_effect():
    f = "bundle-x.pickle"
    assert reload_text(SENT, f, status()) == (SENT, False)  # not yet received
    waiting = status(reload_wait=f, reload_wait_bar=7)
    assert reload_text(SENT, f, waiting) == (
        "reloaded Rivalry: takes effect at bar 7 (in 2); 2 warnings (rig check lists them)",
        False,
    )
    done = status(reload_done=f, reload_done_bar=7, reload_done_what="Rivalry")
    assert reload_text(SENT, f, done)[0].startswith("reloaded Rivalry: took effect at bar 7;")
    at_once = status(reload_done=f, reload_done_bar=0, reload_done_what="Rivalry")
    assert reload_text(SENT, f, at_once)[0].startswith("reloaded Rivalry: in effect now;")
    same = status(reload_done=f, reload_done_what="")
    assert reload_text(SENT, f, same) == ("saved: the engine already plays this version", False)
    failed = status(reload_done=f, reload_done_bar=-1, last_error="cannot read reload bundle")
    assert reload_text(SENT, f, failed) == (
        "not reloaded, the engine refused it: cannot read reload bundle",
        True,
    )
    # An attached UI's first look (rig.stage.watch.CAUGHT_UP): what it changed, or nothing.
    from rig.stage.watch import CAUGHT_UP

    caught = status(reload_done=f, reload_done_bar=6, reload_done_what="Heartbeat I")
    assert reload_text(CAUGHT_UP, f, caught)[0] == (
        "hot reload on: Heartbeat I (saved while no UI watched) took effect at bar 6"
    )
    assert reload_text(CAUGHT_UP, f, same)[0] == (
        "hot reload on: the engine plays the files as they are"
    )
    other = status(reload_done="bundle-y.pickle", reload_done_bar=3, reload_done_what="Ciel")
    assert reload_text(SENT, f, other) == (SENT, False)  # another file: not this one's news


def test_the_reload_message_says_the_bar_it_took_effect(tmp_path):
    async def scenario() -> None:
        with served([sectioned("Rivalry", 36), sectioned("Ciel", 60)]) as (engine, port, *_):
            engine.bundle_dir = tmp_path
            link = EngineLink(port)
            app = LiveApp(link, poll_s=0.05)
            async with app.run_test(size=(100, 30)) as pilot:
                await pilot.press("p")
                await until(pilot, lambda: app.status is not None and app.status.bar >= 1
                            and app.status.state == "playing")  # fmt: skip
                path = write_bundle(tmp_path, [(0, sectioned("Rivalry", 40))])
                link.send("/rig/reload", str(path), "bar")
                app.show_reload("reloaded Rivalry: takes effect at the next bar", False, path.name)
                await until(pilot, lambda: "took effect at bar" in text(app, "#message"), 10)
                got = int(re.search(r"took effect at bar (\d+)", text(app, "#message"))[1])
                assert engine.landing.done == path.name and got == engine.landing.done_bar > 1
                assert "next bar" not in text(app, "#message")
                assert app.said.lines and "took effect" in app.said.lines[-1]  # the `l` view

    asyncio.run(scenario())


def test_the_fill_key_shows_the_fill_queued_then_playing():
    async def scenario() -> None:
        with served([with_fill(sectioned("Rivalry", 36))]) as (engine, port, *_):
            app = LiveApp(EngineLink(port), poll_s=0.05)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.press("p")
                await until(pilot, lambda: "PLAYING" in text(app, "#top"))
                await pilot.press("f")
                on = re.compile(r"FILL\s+until bar (\d+)")
                await until(pilot, lambda: "fill from bar" in text(app, "#top")
                            or on.search(text(app, "#top")))  # fmt: skip
                await until(pilot, lambda: on.search(text(app, "#top")), 5)
                assert on.search("\n".join(screen_text(app)))  # on the 80x24 screen, whole
                await until(pilot, lambda: "FILL" not in text(app, "#top"), 6)  # one bar

    asyncio.run(scenario())


LONG_NAMES = [
    "Rivalry",
    "Young and Restless",
    "A Cue With A Really Very Long Name",
    "Ciel",
]


def test_at_80x24_the_then_column_is_whole_and_a_long_message_one_line():
    async def scenario() -> None:
        cues = [sectioned(n, 36 + i) for i, n in enumerate(LONG_NAMES)] * 4  # 16 cues
        with served(cues, transitions=["bar", "wait"] * 8) as (engine, port, *_):
            app = LiveApp(EngineLink(port), poll_s=0.05)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: app.link.setlist is not None)
                await until(pilot, lambda: app.query_one("#cues").row_count == 16)
                await pilot.pause(0.3)
                lines = screen_text(app)
                rows = [line for line in lines if re.match(r"\s*\S?\d+\s+Young", line)]
                assert rows and all(re.search(r"Restless\s+(bar|wait) ", r) for r in rows), rows
                long_rows = [line for line in lines if re.match(r"\s*\S?\d+\s+A Cue", line)]
                assert long_rows and all("…" in r and re.search(r"…\s+(bar|wait) ", r)
                                         for r in long_rows), long_rows  # fmt: skip
                error = ("not reloaded, the old version plays on: songs/sets/a-long-folder/"
                         "heartbeat-1.yaml:12:5: unknown note 'H1' (did you mean 'B1'?)  "
                         "(and 1 more)")  # fmt: skip
                app._say(error, True)
                await pilot.pause(0.2)
                lines = screen_text(app)
                at = next(i for i, line in enumerate(lines) if "not reloaded" in line)
                assert lines[at].rstrip().endswith("…") and "(and 1 more)" not in lines[at + 1]
                await pilot.press("l")
                await until(pilot, lambda: isinstance(app.screen, LogScreen))
                await pilot.pause(0.2)
                shown = re.sub(r"[█\s]+", " ", " ".join(screen_text(app)))  # wrapped: joined
                assert ":12:5: unknown note 'H1' (did you mean 'B1'?) (and 1 more)" in shown
                await pilot.press("x")  # any key closes
                await until(pilot, lambda: not isinstance(app.screen, LogScreen))
                assert engine.queued is None  # and did nothing else

    asyncio.run(scenario())


def test_mute_and_solo_keys_say_what_they_did_and_when():
    async def scenario() -> None:
        with served([sectioned("Rivalry", 36)]) as (engine, port, *_):
            app = LiveApp(EngineLink(port), poll_s=0.05)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.press("p")
                await until(pilot, lambda: "PLAYING" in text(app, "#top"))
                await pilot.press("2", "m")
                assert text(app, "#message") == "mute bass at the next bar"
                row = lambda: app.query_one("#tracks").get_row_at(1)  # noqa: E731
                await until(pilot, lambda: "mute@" in row()[5] or row()[4] == "M")  # queued
                await until(pilot, lambda: app.query_one("#tracks").get_row_at(1)[4] == "M", 5)
                # Landed: the answer says what it did, not "at the next bar" beside the M.
                await until(pilot, lambda: text(app, "#message") == "bass muted")
                await pilot.press("g", "g", "g")  # bar → section → cue → now
                await pilot.press("m")  # "unmute bass now", then at once:
                await until(pilot, lambda: text(app, "#message") == "bass unmuted")
                await pilot.press("o")
                await until(pilot, lambda: app.query_one("#tracks").get_row_at(1)[4] == "S")
                await until(pilot, lambda: text(app, "#message") == "bass soloed")

    asyncio.run(scenario())


def test_a_mute_or_solo_answer_turns_to_what_it_did_once_the_status_shows_it():
    from rig.stage.ui.messages import toggle_text

    said = "mute bass at the next bar"
    assert toggle_text(said, ("mute", "bass", "muted"), status()) == said  # not yet
    assert toggle_text(said, ("mute", "bass", "muted"), status(muted="pad,bass")) == "bass muted"
    said = "unsolo bass at the next bar"
    assert toggle_text(said, ("unsolo", "bass", "soloed"), status(soloed="bass")) == said
    assert toggle_text(said, ("unsolo", "bass", "soloed"), status()) == "bass no longer soloed"
    assert toggle_text(said, (), status()) == said
